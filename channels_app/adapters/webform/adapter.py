"""The web contact form (portal page and embeddable form): a submission is stored as JSON and
becomes a customer message like any other channel's."""

import base64
import json

from django.http import HttpRequest

from tickets.inbound import SENDER_AUTH, SENDER_AUTHENTICATED, InboundAttachment, NormalizedMessage

from ..base import BaseChannelAdapter, ChannelError, ParsedItem, without_nul


def encode_submission(*, name, email, subject, body, attachments, meta) -> bytes:
    """The raw form of a submission, as stored in the InboundEvent."""
    return _encode({"name": name, "email": email}, subject, body, attachments, meta)


PORTAL_SOURCE = "portal"


def encode_portal_request(*, user_id, subject, body, attachments, meta) -> bytes:
    """The raw form of a request a signed-in customer sent from the portal: the sender is the
    portal login (checked by the view), not an address typed in a form."""
    return _encode({"portal_user": user_id}, subject, body, attachments, meta)


def _encode(sender: dict, subject, body, attachments, meta) -> bytes:
    return json.dumps(
        {
            **sender,
            "subject": subject,
            "body": body,
            "attachments": [
                {
                    "filename": filename,
                    "content_type": content_type,
                    "content": base64.b64encode(content).decode("ascii"),
                }
                for filename, content_type, content in attachments
            ],
            "meta": meta,
        },
        ensure_ascii=False,
    ).encode("utf-8")


def _sender(event, data: dict) -> tuple[str, str, dict]:
    """Who sent it, and what we know of it. Only the portal's own events name a portal login (a
    signed-in customer); a form's JSON names an address anyone may have typed."""
    if event.source == PORTAL_SOURCE:
        proof = {SENDER_AUTHENTICATED: True, SENDER_AUTH: {"reason": "a signed-in portal login"}}
        return "portal_user", str(int(data["portal_user"])), proof
    proof = {
        SENDER_AUTHENTICATED: False,
        SENDER_AUTH: {"reason": "an address typed into the web form"},
    }
    if not isinstance(data["email"], str) or "@" not in data["email"]:
        raise ValueError(f"not an email address: {data['email']!r}")
    return "email", data["email"], proof


class WebFormAdapter(BaseChannelAdapter):
    channel = "web"

    def verify(self, request: HttpRequest) -> None:
        """The form view checks its signed token, honeypot and rate limit before storing."""

    def parse(self, event) -> list[ParsedItem]:
        try:
            data = without_nul(json.loads(bytes(event.raw)))
            if not all(isinstance(data.get(key, ""), str) for key in ("name", "subject", "body")):
                raise ValueError("a field that is not text")
            attachments = tuple(
                InboundAttachment(
                    filename=item["filename"],
                    content_type=item["content_type"],
                    content=base64.b64decode(item["content"]),
                )
                for item in data.get("attachments", [])
            )
            sender_kind, sender_value, proof = _sender(event, data)
            return [
                NormalizedMessage(
                    channel="web",
                    sender_kind=sender_kind,
                    sender_value=sender_value,
                    sender_name=data.get("name", ""),
                    subject=data.get("subject", ""),
                    body_text=data.get("body", ""),
                    external_id=f"webform:{event.provider_id}",
                    attachments=attachments,
                    language=data.get("meta", {}).get("language", ""),
                    metadata={
                        "web_form": data.get("meta", {}),
                        "inbound_event_id": event.pk,
                        **proof,
                    },
                )
            ]
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ChannelError(f"Unreadable form submission: {exc!r}", permanent=True) from exc

    def send(self, message) -> str:
        raise ChannelError("Web form tickets are answered by email.", permanent=True)
