# The live chat's fixtures (a chat channel, a fresh in-memory stack, an agent online).
from tests.channels_app.chat_support import chat_channel, chat_stack, online_agent  # noqa: F401
