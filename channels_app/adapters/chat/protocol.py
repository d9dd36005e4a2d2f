"""The chat protocol's limits and the frames the server sends (docs/chat.md)."""

MAX_MESSAGE_CHARS = 4000
MAX_FRAME_BYTES = 32 * 1024  # a message of 4,000 characters as JSON, with room to spare
RATE_MESSAGES = 10  # messages a visitor may send...
RATE_WINDOW_SECONDS = 10  # ...in this many seconds
UPLOAD_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"})
