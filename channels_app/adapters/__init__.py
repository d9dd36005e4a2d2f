"""One adapter per channel, all behind the same small interface (see base.py)."""

from .base import ChannelAdapter, ChannelError


def get_adapter(channel: str) -> ChannelAdapter:
    from .email.adapter import EmailAdapter
    from .webform.adapter import WebFormAdapter

    adapters: dict[str, ChannelAdapter] = {"email": EmailAdapter(), "web": WebFormAdapter()}
    try:
        return adapters[channel]
    except KeyError:
        raise ChannelError(f"No adapter for channel {channel!r}", permanent=True) from None


__all__ = ["ChannelAdapter", "ChannelError", "get_adapter"]
