"""Live chat: the embeddable widget's server side (docs/chat.md). The adapter (parse, send), its
websocket consumer, the visitor's HTTP endpoints (frame, long-poll fallback, uploads, offline form,
transcript) and the visitor tokens."""
