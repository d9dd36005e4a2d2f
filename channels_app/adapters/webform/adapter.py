"""The web contact form (portal page and embeddable form): a submission is stored as JSON and
becomes a customer message like any other channel's."""

import base64
import json

from django.http import HttpRequest

from tickets.inbound import SENDER_AUTH, SENDER_AUTHENTICATED, InboundAttachment, NormalizedMessage

from ..base import BaseChannelAdapter, ChannelError, ParsedItem


def encode_submission(*, name, email, subject, body, attachments, meta) -> bytes:
    """The raw form of a submission, as stored in the InboundEvent."""
    return json.dumps(
        {
            "name": name,
            "email": email,
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


class WebFormAdapter(BaseChannelAdapter):
    channel = "web"

    def verify(self, request: HttpRequest) -> None:
        """The form view checks its signed token, honeypot and rate limit before storing."""

    def parse(self, event) -> list[ParsedItem]:
        try:
            data = json.loads(bytes(event.raw))
            attachments = tuple(
                InboundAttachment(
                    filename=item["filename"],
                    content_type=item["content_type"],
                    content=base64.b64decode(item["content"]),
                )
                for item in data.get("attachments", [])
            )
            return [
                NormalizedMessage(
                    channel="web",
                    sender_kind="email",
                    sender_value=data["email"],
                    sender_name=data.get("name", ""),
                    subject=data.get("subject", ""),
                    body_text=data.get("body", ""),
                    external_id=f"webform:{event.provider_id}",
                    attachments=attachments,
                    language=data.get("meta", {}).get("language", ""),
                    metadata={
                        "web_form": data.get("meta", {}),
                        "inbound_event_id": event.pk,
                        # Anyone can type any address into a form.
                        SENDER_AUTHENTICATED: False,
                        SENDER_AUTH: {"reason": "an address typed into the web form"},
                    },
                )
            ]
        except (ValueError, KeyError, TypeError) as exc:
            raise ChannelError(f"Unreadable form submission: {exc}", permanent=True) from exc

    def send(self, message) -> str:
        raise ChannelError("Web form tickets are answered by email.", permanent=True)
