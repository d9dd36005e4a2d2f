"""Stripe-style signatures: `Jornada-Signature: t=<unix time>,v1=<hex HMAC-SHA256>` of
`f"{t}.{body}"` with the subscription's secret. The time is signed too, so a receiver can refuse
a replayed request (older than a few minutes); `verify` is what receivers do (docs/webhooks.md)."""

import hashlib
import hmac
import time

HEADER = "Jornada-Signature"
TOLERANCE_SECONDS = 300


def sign(*, secret: str, body: bytes, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(
    *, secret: str, body: bytes, header: str, tolerance: int = TOLERANCE_SECONDS, now=None
) -> bool:
    fields: dict[str, list[str]] = {}
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        fields.setdefault(key, []).append(value)
    try:
        timestamp = int(fields["t"][0])
    except (KeyError, ValueError):
        return False
    if abs((now or time.time()) - timestamp) > tolerance:
        return False
    expected = sign(secret=secret, body=body, timestamp=timestamp).split("v1=", 1)[1]
    return any(hmac.compare_digest(expected, given) for given in fields.get("v1", ()))
