"""Building and posting WhatsApp webhooks the way Meta does: payloads in the Cloud API's shape,
signed with the app secret."""

import hashlib
import hmac
import itertools
import json
import time
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "whatsapp"
APP_SECRET = "meta-app-secret-for-tests"
VERIFY_TOKEN = "jornada-verify-token"
PHONE_NUMBER_ID = "106540352242922"
BUSINESS_NUMBER = "5511955550000"
WEBHOOK = "/channels/whatsapp/webhook/"
CUSTOMER_WA_ID = "5511987654321"
_ids = itertools.count(1)


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def sign(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def new_wamid() -> str:
    return f"wamid.TEST{next(_ids):06d}=="


def envelope(value: dict, *, field: str = "messages") -> dict:
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "102290129340398",
                "changes": [
                    {
                        "field": field,
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": BUSINESS_NUMBER,
                                "phone_number_id": PHONE_NUMBER_ID,
                            },
                            **value,
                        },
                    }
                ],
            }
        ],
    }


def contact(wa_id: str = CUSTOMER_WA_ID, name: str = "Maria da Silva") -> dict:
    return {"profile": {"name": name}, "wa_id": wa_id}


def message(kind: str, content: dict | None = None, *, wa_id: str = CUSTOMER_WA_ID, **extra):
    """One inbound message object: {"from", "id", "timestamp", "type", <kind>: content}."""
    item = {
        "from": wa_id,
        "id": extra.pop("id", None) or new_wamid(),
        "timestamp": str(int(extra.pop("timestamp", time.time()))),
        "type": kind,
    }
    if content is not None:
        item[kind] = content
    item.update(extra)
    return item


def inbound(*messages: dict, name: str = "Maria da Silva") -> dict:
    """A webhook carrying customer messages (with the senders' contact cards)."""
    wa_ids = dict.fromkeys(m["from"] for m in messages)
    return envelope({"contacts": [contact(w, name) for w in wa_ids], "messages": list(messages)})


def text(body: str = "Olá, meu pedido não chegou", **extra) -> dict:
    return inbound(message("text", {"body": body}, **extra))


def status(wamid: str, name: str, *, errors: list | None = None, wa_id: str = CUSTOMER_WA_ID):
    item = {
        "id": wamid,
        "status": name,
        "timestamp": str(int(time.time())),
        "recipient_id": wa_id,
    }
    if errors:
        item["errors"] = errors
    return envelope({"statuses": [item]})


def post_webhook(client, payload, *, secret: str = APP_SECRET, signature: str | None = None):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = {}
    if signature is None:
        signature = sign(body, secret)
    if signature:
        headers["HTTP_X_HUB_SIGNATURE_256"] = signature
    return client.post(WEBHOOK, body, content_type="application/json", **headers)
