# ruff: noqa: E501
"""The WhatsApp webhooks the benchmarks send: Meta's shape, one text message each, 2,000
customers writing in turn (new tickets first, then threads on them)."""

import json
import time

TOPICS = ["Boleto vencido", "Pix não caiu", "Internet caiu", "Segunda via", "Cancelar plano"]


def make_webhook(i: int, run: str) -> bytes:
    """The i-th delivery of a run (its wamid is unique per run), ASCII-only JSON on one line."""
    customer = i % 2000
    wa_id = f"55119{customer:08d}"
    payload = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "5511955550000", "phone_number_id": "106540352242922"},
            "contacts": [{"profile": {"name": f"Cliente {customer}"}, "wa_id": wa_id}],
            "messages": [{
                "from": wa_id, "id": f"wamid.{run}.{i}", "timestamp": str(int(time.time())),
                "type": "text",
                "text": {"body": f"{TOPICS[customer % len(TOPICS)]}: mensagem {i}, ação urgente."},
            }],
        }}]}],
    }  # fmt: skip
    return json.dumps(payload).encode()
