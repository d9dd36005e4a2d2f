"""Twilio's side of the SMS channel (and any provider speaking its API): request signatures,
the form fields of its webhooks, and its REST API through channels_app.http."""

import base64
import hashlib
import hmac
import re
from urllib.parse import urlencode, urljoin, urlsplit, urlunsplit

from django.conf import settings

from channels_app import http

from ..base import ChannelError

SIGNATURE_HEADER = "X-Twilio-Signature"
ACCOUNT_SID = re.compile(r"AC[0-9a-fA-F]{32}")
# Statuses of an inbound message, as opposed to delivery statuses of ours.
INBOUND_STATUSES = frozenset({"received", "receiving"})


def _with_and_without_port(url: str) -> list[str]:
    """Twilio signs the URL as configured, which may or may not spell out the default port."""
    parts = urlsplit(url)
    default = {"http": 80, "https": 443}.get(parts.scheme)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    bare = urlunsplit(parts._replace(netloc=host))
    explicit = urlunsplit(parts._replace(netloc=f"{host}:{parts.port or default}"))
    return list(dict.fromkeys([url, bare, explicit]))


def compute_signature(url: str, params: dict[str, list[str]], token: str) -> str:
    """base64(HMAC-SHA1(auth token, URL + every parameter name and value, sorted by name))."""
    data = url + "".join(name + value for name in sorted(params) for value in params[name])
    digest = hmac.new(token.encode(), data.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def signature_valid(url: str, params: dict[str, list[str]], header: str, token: str) -> bool:
    if not (token and header and header.isascii()):
        return False  # compare_digest refuses non-ASCII str: a forged header must not be a 500
    return any(
        hmac.compare_digest(compute_signature(candidate, params, token).encode(), header.encode())
        for candidate in _with_and_without_port(url)
    )


def is_status_callback(params: dict[str, str]) -> bool:
    status = params.get("MessageStatus") or params.get("SmsStatus") or ""
    return bool(status) and status not in INBOUND_STATUSES


def api_base() -> str:
    return settings.TWILIO_API_BASE.rstrip("/")


def api_origin() -> str:
    return http.origin(api_base())


def _credentials() -> tuple[str, str]:
    sid, token = settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN
    if not (sid and token):
        raise ChannelError(
            "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are not set.", permanent=True, code="config"
        )
    if not ACCOUNT_SID.fullmatch(sid):
        raise ChannelError("TWILIO_ACCOUNT_SID is not an account sid.", permanent=True)
    return sid, token


def _basic_auth() -> str:
    sid, token = _credentials()
    return "Basic " + base64.b64encode(f"{sid}:{token}".encode()).decode()


def error_from(response: http.Response) -> ChannelError:
    """Twilio's error body ({"code", "message", "more_info", "status"}) as a ChannelError,
    retried only for 5xx and 429."""
    try:
        data = response.json()
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    code = data.get("code") or response.status
    text = f"{data.get('message') or f'HTTP {response.status}'} (code {code})"
    temporary = response.status >= 500 or response.status == 429
    return ChannelError(text[:1000], permanent=not temporary, code=str(code))


def _call(method: str, url: str, **kwargs) -> http.Response:
    try:
        return http.fetch(method, url, trusted_origins=(api_origin(),), **kwargs)
    except http.Blocked as exc:
        raise ChannelError(str(exc), permanent=True, code="blocked") from exc
    except http.TooLarge as exc:
        raise ChannelError(str(exc), permanent=True, code="too_large") from exc
    except http.HttpError as exc:
        raise ChannelError(str(exc), permanent=False, code="network") from exc


def send_sms(fields: dict[str, str]) -> str:
    """POST .../Accounts/{sid}/Messages.json; returns the new message's sid."""
    sid, _ = _credentials()
    response = _call(
        "POST",
        f"{api_base()}/2010-04-01/Accounts/{sid}/Messages.json",
        headers={
            "Authorization": _basic_auth(),
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
        },
        body=urlencode(fields).encode(),
        timeout=15.0,
    )
    if not response.ok:
        raise error_from(response)
    try:
        message_sid = str(response.json()["sid"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ChannelError("Twilio accepted the message without a sid") from exc
    return message_sid


def download(url: str, *, max_bytes: int) -> http.Response:
    """A media file of an inbound MMS: on the API's own host with our credentials, then (Twilio
    redirects to its CDN) one redirect to a public https address, without them."""
    if http.origin(url) != api_origin():
        raise ChannelError(f"Media outside {api_base()}: {url[:200]}", permanent=True)
    response = _call(
        "GET", url, headers={"Authorization": _basic_auth()}, max_bytes=max_bytes, timeout=30.0
    )
    location = response.headers.get("location", "")
    if response.status in (301, 302, 303, 307, 308) and location:
        response = _call("GET", urljoin(url, location), max_bytes=max_bytes, timeout=30.0)
    if not response.ok:
        raise error_from(response)
    return response
