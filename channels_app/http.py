"""One door to the outside (DESIGN convention 6): every HTTP request the channels make to a
provider goes through `fetch()`. It sets timeouts, caps the size of what it reads, never follows
redirects and refuses destinations inside our own network (SSRF): a URL handed to us by a webhook
or an API answer must not make us talk to the metadata service, Redis or the admin on localhost.

Only the origins the operator configured (`trusted_origins`, e.g. WHATSAPP_API_BASE) may be on a
private or loopback address, which is also how the tests reach their fake servers. The address
checked is the address connected to (no second DNS lookup for an attacker to rebind)."""

import http.client
import ipaddress
import json
import secrets
import socket
import ssl
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_BYTES = 1024 * 1024
CHUNK = 64 * 1024
_ssl_context = None


class HttpError(Exception):
    """The request did not get an answer: network failure, timeout, an answer too large."""


class Blocked(HttpError):
    """The destination is not allowed (private address, unsupported scheme, clear text)."""


class TooLarge(HttpError):
    """The answer is larger than the caller accepts."""


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def json(self) -> Any:
        """The body as JSON; ValueError when it is not."""
        return json.loads(self.body.decode("utf-8"))


def origin(url: str) -> str:
    """scheme://host:port of a URL, with the default port spelled out."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or {"http": 80, "https": 443}.get(scheme, 0)
    return f"{scheme}://{(parts.hostname or '').lower()}:{port}"


def _context() -> ssl.SSLContext:
    global _ssl_context  # one context: loading the CA store is slow
    if _ssl_context is None:
        _ssl_context = ssl.create_default_context()
    return _ssl_context


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout, context=_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


NAT64 = ipaddress.ip_network("64:ff9b::/96")  # Python counts these as global: the IPv4 inside
NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")  # site-local translators: never public
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, 6to4, NAT64, IPv4-compatible): a route
    to it, so it must be as public as the address itself."""
    if ip.ipv4_mapped or ip.sixtofour:
        return ip.ipv4_mapped or ip.sixtofour
    if ip in NAT64 or ip in IPV4_COMPATIBLE:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if not ip.is_global or ip.is_multicast:
        return False
    if ip.version == 6:
        if ip in NAT64_LOCAL:
            return False
        inner = _embedded_ipv4(ip)
        if inner is not None:
            return inner.is_global and not inner.is_multicast
    return True


def _allowed_address(host: str, port: int, *, trusted: bool) -> str:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise HttpError(f"Cannot resolve {host}: {exc}") from exc
    addresses = [info[4][0] for info in infos]
    if not addresses:
        raise HttpError(f"Cannot resolve {host}")
    if not trusted:
        for address in addresses:
            if not is_public(address):
                raise Blocked(f"{host} resolves to {address}, a non-public address")
    return addresses[0]


def fetch(
    method: str,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
    trusted_origins: Iterable[str] = (),
) -> Response:
    """Send one request and read the answer (any status; 3xx are not followed). Raises Blocked
    for a destination outside the rules, HttpError when no complete answer came back in time or
    it is larger than `max_bytes`."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise Blocked(f"Not an http(s) URL: {url[:200]!r}")
    trusted = origin(url) in set(trusted_origins)
    if scheme == "http" and not trusted:
        raise Blocked(f"Clear-text HTTP to {parts.hostname} is not allowed")
    port = parts.port or (443 if scheme == "https" else 80)
    address = _allowed_address(parts.hostname, port, trusted=trusted)
    connection_class = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(parts.hostname, port, address, timeout)
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    deadline = time.monotonic() + timeout * 3  # a slow drip must not hold a worker for long
    try:
        connection.request(method, path, body=body, headers=headers or {})
        answer = connection.getresponse()
        length = answer.getheader("Content-Length")
        if length and length.isdigit() and int(length) > max_bytes:
            raise TooLarge(f"Answer of {length} bytes is over the limit of {max_bytes}")
        chunks, size = [], 0
        while chunk := answer.read(CHUNK):
            size += len(chunk)
            if size > max_bytes:
                raise TooLarge(f"Answer is over the limit of {max_bytes} bytes")
            if time.monotonic() > deadline:
                raise HttpError(f"Answer from {parts.hostname} is too slow")
            chunks.append(chunk)
        response_headers = {name.lower(): value for name, value in answer.getheaders()}
        return Response(status=answer.status, body=b"".join(chunks), headers=response_headers)
    except HttpError:
        raise
    except (OSError, http.client.HTTPException) as exc:
        raise HttpError(f"{exc.__class__.__name__} talking to {parts.hostname}: {exc}") from exc
    finally:
        connection.close()


def multipart(
    fields: dict[str, str], files: Iterable[tuple[str, str, str, bytes]]
) -> tuple[bytes, str]:
    """A multipart/form-data body of text fields and (name, filename, content type, bytes)
    files; returns (body, Content-Type header)."""
    boundary = f"jornada-{secrets.token_hex(16)}"
    lines: list[bytes] = []
    for name, value in fields.items():
        lines += [
            f"--{boundary}".encode(),
            f'Content-Disposition: form-data; name="{name}"'.encode(),
            b"",
            value.encode(),
        ]
    for name, filename, content_type, content in files:
        safe_name = filename.replace('"', "").replace("\r", "").replace("\n", "")
        lines += [
            f"--{boundary}".encode(),
            f'Content-Disposition: form-data; name="{name}"; filename="{safe_name}"'.encode(),
            f"Content-Type: {content_type}".encode(),
            b"",
            content,
        ]
    lines += [f"--{boundary}--".encode(), b""]
    return b"\r\n".join(lines), f"multipart/form-data; boundary={boundary}"
