"""Fake provider APIs for the channel tests: real HTTP servers on loopback (http.server in a
thread) that answer like Meta's Graph API and Twilio's REST API, error bodies included, and keep
every request they receive so a test can check what was sent."""

import base64
import hashlib
import itertools
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

GRAPH_TOKEN = "EAAG-test-access-token"
GRAPH_VERSION = "v21.0"
TWILIO_SID = "AC" + "0123456789abcdef" * 2
TWILIO_TOKEN = "twilio-auth-token-for-tests"


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}


@dataclass
class Scripted:
    """An answer given instead of the normal one, to the next `times` requests whose path
    contains `path`."""

    path: str
    status: int
    body: dict | bytes
    times: int = 1
    headers: dict[str, str] = field(default_factory=dict)


class FakeServer:
    """Start with `with FakeGraph() as graph:`; `graph.base_url` is its address."""

    def __init__(self):
        self.requests: list[Recorded] = []
        self.scripted: list[Scripted] = []
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                recorded = Recorded(
                    self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body
                )
                with server.lock:
                    server.requests.append(recorded)
                    answer = server._scripted_for(self.path)
                status, payload, headers = answer or server.answer(recorded)
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                headers = {"Content-Type": "application/json", **headers}
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = _handle

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()

    def script(self, path: str, status: int, body: dict | bytes, *, times: int = 1, **headers):
        with self.lock:
            self.scripted.append(Scripted(path, status, body, times, headers))

    def _scripted_for(self, path: str):
        for item in self.scripted:
            if item.path in path and item.times > 0:
                item.times -= 1
                return item.status, item.body, item.headers
        return None

    def answer(self, request: Recorded) -> tuple[int, dict | bytes, dict]:
        raise NotImplementedError

    def sent(self, path_part: str = "") -> list[Recorded]:
        return [r for r in self.requests if r.method == "POST" and path_part in r.path]


def graph_error(code: int, title: str, *, message: str = "", details: str = "") -> dict:
    """A Graph API error body, as Meta answers a refused request."""
    error = {
        "message": message or f"(#{code}) {title}",
        "type": "OAuthException",
        "code": code,
        "title": title,
        "fbtrace_id": "AbCdEf123",
    }
    if details:
        error["error_data"] = {"messaging_product": "whatsapp", "details": details}
    return {"error": error}


class FakeGraph(FakeServer):
    """Meta's Graph API for WhatsApp: messages, media upload, media URL lookup and download.
    Media to download: `graph.media[media_id] = (content, mime_type)`."""

    def __init__(self):
        super().__init__()
        self.media: dict[str, tuple[bytes, str]] = {}
        self.ids = itertools.count(1)

    @property
    def api_base(self) -> str:
        return f"{self.base_url}/{GRAPH_VERSION}"

    def answer(self, request):
        if request.headers.get("authorization") != f"Bearer {GRAPH_TOKEN}":
            return 401, graph_error(190, "Invalid OAuth access token"), {}
        path = urlsplit(request.path).path
        if match := re.fullmatch(rf"/{GRAPH_VERSION}/(\w+)/messages", path):
            data = request.json()
            return (
                200,
                {
                    "messaging_product": "whatsapp",
                    "contacts": [{"input": data["to"], "wa_id": data["to"]}],
                    "messages": [{"id": f"wamid.FAKE{next(self.ids):04d}"}],
                },
                {},
            )
        if re.fullmatch(rf"/{GRAPH_VERSION}/(\w+)/media", path) and request.method == "POST":
            return 200, {"id": f"upload{next(self.ids)}"}, {}
        if match := re.fullmatch(rf"/{GRAPH_VERSION}/(\w+)", path):
            media_id = match.group(1)
            if media_id not in self.media:
                return 404, graph_error(100, "Invalid parameter", details="Unknown media"), {}
            content, mime_type = self.media[media_id]
            return (
                200,
                {
                    "messaging_product": "whatsapp",
                    "url": f"{self.base_url}/whatsapp_business/attachments/?mid={media_id}",
                    "mime_type": mime_type,
                    "sha256": hashlib.sha256(content).hexdigest(),
                    "file_size": len(content),
                    "id": media_id,
                },
                {},
            )
        if path == "/whatsapp_business/attachments/":
            media_id = parse_qs(urlsplit(request.path).query)["mid"][0]
            content, mime_type = self.media[media_id]
            return 200, content, {"Content-Type": mime_type}
        return 404, graph_error(100, "Unknown path"), {}

    def messages_sent(self) -> list[dict]:
        return [r.json() for r in self.sent("/messages")]


class FakeTwilio(FakeServer):
    """Twilio's REST API: Messages.json, and MMS media that redirects to a CDN."""

    def __init__(self):
        super().__init__()
        self.media: dict[str, tuple[bytes, str]] = {}
        self.ids = itertools.count(1)

    def answer(self, request):
        path = urlsplit(request.path).path
        if path.startswith("/cdn/"):
            content, content_type = self.media[path.removeprefix("/cdn/")]
            return 200, content, {"Content-Type": content_type}
        expected = "Basic " + base64.b64encode(f"{TWILIO_SID}:{TWILIO_TOKEN}".encode()).decode()
        if request.headers.get("authorization") != expected:
            error = {"code": 20003, "message": "Authenticate", "status": 401}
            return 401, error, {}
        if path == f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json":
            sid = f"SM{next(self.ids):032x}"
            return 201, {"sid": sid, "status": "queued", **request.form()}, {}
        if match := re.fullmatch(
            rf"/2010-04-01/Accounts/{TWILIO_SID}/Messages/\w+/Media/(\w+)", path
        ):
            return 307, b"", {"Location": f"/cdn/{match.group(1)}"}
        return 404, {"code": 20404, "message": "Not found", "status": 404}, {}
