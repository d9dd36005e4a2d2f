"""One adapter per channel, all behind the same small interface (see base.py)."""

from functools import cache

from .base import BaseChannelAdapter, ChannelAdapter, ChannelError


@cache
def _adapters() -> dict[str, ChannelAdapter]:
    # Imported on first use: the adapters import models, this package is imported by them.
    from .chat.adapter import ChatAdapter
    from .email.adapter import EmailAdapter
    from .sms.adapter import SmsAdapter
    from .webform.adapter import WebFormAdapter
    from .whatsapp.adapter import WhatsAppAdapter

    return {
        "email": EmailAdapter(),
        "web": WebFormAdapter(),
        "whatsapp": WhatsAppAdapter(),
        "sms": SmsAdapter(),
        "chat": ChatAdapter(),
    }


def get_adapter(channel: str) -> ChannelAdapter:
    try:
        return _adapters()[channel]
    except KeyError:
        raise ChannelError(f"No adapter for channel {channel!r}", permanent=True) from None


__all__ = [
    "BaseChannelAdapter",
    "ChannelAdapter",
    "ChannelError",
    "get_adapter",
]
