"""The demo's live chat channel, embedded by /chat/demo/ (a page playing a customer's site).
Idempotent: the channel is found by its name and left as the admin may have changed it."""

from channels_app.models import ChatChannel
from tickets.models import Team

from .content.staff import ATENDIMENTO

# The made-up company whose site /chat/demo/ plays; the demo tickets and articles are its support.
DEMO_CHAT_NAME = "Ágil ERP"
# `make run` serves http://127.0.0.1:8000; the same page through localhost is another origin.
DEMO_CHAT_ORIGINS = ("http://127.0.0.1:8000", "http://localhost:8000")
WEEKDAY_HOURS = [["08:00", "20:00"]]
DEMO_CHAT = {
    "greeting_pt_br": (
        "Olá! Sou o assistente da Ágil ERP. Conte o que aconteceu: eu procuro artigos que "
        "possam ajudar e, se preferir, chamo uma pessoa da equipe."
    ),
    "greeting_en": (
        "Hi! I am Ágil ERP's assistant. Tell us what happened: I will look for articles that "
        "may help and, if you prefer, call someone from the team."
    ),
    "color": "#0f766e",
    "business_hours": {
        **dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), WEEKDAY_HOURS),
        "sat": [["09:00", "14:00"]],
    },
    "time_zone": "America/Sao_Paulo",
    "allowed_origins": "\n".join(DEMO_CHAT_ORIGINS),
    "bot_enabled": True,
}


def seed_chat_channel() -> int:
    """Create the demo chat channel if missing; returns how many rows were created."""
    defaults = {**DEMO_CHAT, "team": Team.objects.filter(name=ATENDIMENTO).first()}
    _channel, created = ChatChannel.objects.get_or_create(name=DEMO_CHAT_NAME, defaults=defaults)
    return int(created)


def demo_chat_channel() -> ChatChannel | None:
    return ChatChannel.objects.filter(name=DEMO_CHAT_NAME, is_active=True).first()
