"""Talking to Meta's Graph API (WhatsApp Cloud API) through channels_app.http: the access
token, the base URL from WHATSAPP_API_BASE, and Graph's errors as ChannelErrors an agent can
read (title and code), temporary or not."""

import json
import re
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

from channels_app import http

from ..base import ChannelError

GRAPH_ID = re.compile(r"[0-9A-Za-z_-]{1,128}")
# Graph answers these with 400 although they pass: rate limits and "try again later".
TEMPORARY_CODES = frozenset({1, 2, 4, 17, 32, 613, 80007, 130429, 131016, 131048, 131056, 133004})


def api_base() -> str:
    return settings.WHATSAPP_API_BASE.rstrip("/")


def api_origin() -> str:
    return http.origin(api_base())


def graph_id(value: str, what: str) -> str:
    """An id we put in a Graph URL path: never anything that could change the path."""
    if not isinstance(value, str) or not GRAPH_ID.fullmatch(value):
        raise ChannelError(f"Not a valid WhatsApp {what}: {value!r}", permanent=True)
    return value


def _token() -> str:
    token = settings.WHATSAPP_ACCESS_TOKEN
    if not token:
        raise ChannelError("WHATSAPP_ACCESS_TOKEN is not set.", permanent=True, code="config")
    return token


def media_host_allowed(url: str) -> bool:
    """Whether our access token may go to this URL: the API itself, or https on Meta's media
    hosts (WHATSAPP_MEDIA_HOSTS, a domain and its subdomains)."""
    if http.origin(url) == api_origin():
        return True
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return parts.scheme == "https" and any(
        host == domain or host.endswith(f".{domain}") for domain in settings.WHATSAPP_MEDIA_HOSTS
    )


def request(
    method: str,
    url: str,
    *,
    payload: dict | None = None,
    body: bytes | None = None,
    content_type: str = "",
    max_bytes: int = http.DEFAULT_MAX_BYTES,
    timeout: float = 15.0,
) -> http.Response:
    """One authenticated Graph request; a non-2xx answer raises its ChannelError."""
    headers = {"Authorization": f"Bearer {_token()}", "Accept": "application/json"}
    if payload is not None:
        body, content_type = json.dumps(payload).encode(), "application/json"
    if content_type:
        headers["Content-Type"] = content_type
    try:
        response = http.fetch(
            method,
            url,
            headers=headers,
            body=body,
            timeout=timeout,
            max_bytes=max_bytes,
            trusted_origins=(api_origin(),),
        )
    except http.Blocked as exc:
        raise ChannelError(str(exc), permanent=True, code="blocked") from exc
    except http.TooLarge as exc:
        raise ChannelError(str(exc), permanent=True, code="too_large") from exc
    except http.HttpError as exc:
        raise ChannelError(str(exc), permanent=False, code="network") from exc
    if not response.ok:
        raise error_from(response)
    return response


def request_json(method: str, url: str, **kwargs) -> dict[str, Any]:
    response = request(method, url, **kwargs)
    try:
        data = response.json()
    except ValueError as exc:
        raise ChannelError("Graph API answered with something that is not JSON") from exc
    if not isinstance(data, dict):
        raise ChannelError("Graph API answered with unexpected JSON")
    return data


def error_from(response: http.Response) -> ChannelError:
    """Graph's error body ({"error": {"message", "code", "error_subcode", "error_data":
    {"details"}, "title"?}}) as a ChannelError: "<title> (code <code>): <details>". Retried when
    the provider may recover: 5xx, 429 and the rate-limit codes; never other 4xx."""
    try:
        error = response.json().get("error") or {}
    except (ValueError, AttributeError):
        error = {}
    if not isinstance(error, dict):
        error = {}
    code = error.get("code")
    title = str(error.get("title") or error.get("message") or f"HTTP {response.status}")
    details = str((error.get("error_data") or {}).get("details") or "")
    text = f"{title} (code {code or response.status})"
    if details and details != title:
        text = f"{text}: {details}"
    temporary = response.status >= 500 or response.status == 429 or code in TEMPORARY_CODES
    return ChannelError(text[:1000], permanent=not temporary, code=str(code or response.status))
