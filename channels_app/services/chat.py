"""The live chat's state changes (docs/chat.md)."""


def chat_transcript_text(*, session) -> str:
    raise NotImplementedError


def chat_contact_verify(*, claim_id: int, email: str):
    raise NotImplementedError
