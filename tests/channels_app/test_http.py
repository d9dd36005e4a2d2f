"""channels_app.http, the one door to the outside: timeouts, size limits, no redirects followed,
and no way into our own network except the origins the operator configured."""

import socket
import threading

import pytest

from channels_app import http
from tests.channels_app.fake_providers import FakeServer


class Echo(FakeServer):
    """Answers what a test scripted, else 200 with the request it got."""

    def answer(self, request):
        return 200, {"method": request.method, "path": request.path}, {}


@pytest.fixture
def server():
    with Echo() as echo:
        yield echo


def trusted(server) -> tuple[str]:
    return (http.origin(server.base_url),)


def test_a_trusted_loopback_origin_is_reached(server):
    response = http.fetch(
        "POST",
        f"{server.base_url}/v1/x?a=1",
        headers={"X-Test": "1"},
        body=b"hello",
        trusted_origins=trusted(server),
    )

    assert response.ok
    assert response.json() == {"method": "POST", "path": "/v1/x?a=1"}
    [request] = server.requests
    assert (request.body, request.headers["x-test"]) == (b"hello", "1")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/",
        "https://127.0.0.1:{port}/",
        "https://localhost:{port}/",
        "https://[::1]:{port}/",
        "https://10.0.0.8/",
        "https://169.254.169.254/latest/meta-data/",
        "https://192.168.1.1/",
        "https://[::ffff:127.0.0.1]/",
        "https://[64:ff9b::a9fe:a9fe]/latest/meta-data/",  # NAT64 of 169.254.169.254
        "https://[2002:a9fe:a9fe::1]/",  # 6to4 of 169.254.169.254
        "https://[2002:0a00:0008::1]/",  # 6to4 of 10.0.0.8
        "https://[::a9fe:a9fe]/",  # IPv4-compatible 169.254.169.254
        "https://[64:ff9b:1::808:808]/",  # local-use NAT64
    ],
)
def test_addresses_inside_our_network_are_refused_unless_trusted(server, url):
    port = server.httpd.server_address[1]

    with pytest.raises(http.Blocked):
        http.fetch("GET", url.format(port=port))

    assert not server.requests


@pytest.mark.parametrize("url", ["ftp://example.com/x", "file:///etc/passwd", "gopher://a/"])
def test_only_http_and_https_are_spoken(url):
    with pytest.raises(http.Blocked):
        http.fetch("GET", url)


def test_clear_text_http_goes_only_to_trusted_origins():
    with pytest.raises(http.Blocked, match="Clear-text"):
        http.fetch("GET", "http://example.com/")


def test_another_port_of_a_trusted_host_is_not_trusted(server):
    with pytest.raises(http.Blocked):
        http.fetch("GET", "http://127.0.0.1:9/", trusted_origins=trusted(server))


def test_redirects_are_returned_not_followed(server):
    server.script("/moved", 302, b"", Location="http://169.254.169.254/")

    response = http.fetch("GET", f"{server.base_url}/moved", trusted_origins=trusted(server))

    assert response.status == 302
    assert response.headers["location"] == "http://169.254.169.254/"
    assert len(server.requests) == 1


def test_an_answer_larger_than_allowed_is_refused(server):
    server.script("/big", 200, b"x" * 5000)

    with pytest.raises(http.TooLarge):
        http.fetch("GET", f"{server.base_url}/big", max_bytes=1000, trusted_origins=trusted(server))


def test_a_server_that_never_answers_times_out():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        accepted = []
        thread = threading.Thread(target=lambda: accepted.append(listener.accept()), daemon=True)
        thread.start()

        with pytest.raises(http.HttpError, match="timed out"):
            http.fetch(
                "GET",
                f"http://127.0.0.1:{port}/",
                timeout=0.3,
                trusted_origins=(f"http://127.0.0.1:{port}",),
            )
        for connection, _ in accepted:
            connection.close()


def test_a_refused_connection_is_an_http_error():
    with pytest.raises(http.HttpError, match="Connection refused"):
        http.fetch("GET", "http://127.0.0.1:9/", trusted_origins=("http://127.0.0.1:9",))


def test_an_unknown_host_is_an_http_error():
    with pytest.raises(http.HttpError, match="Cannot resolve"):
        http.fetch("GET", "https://no-such-host.invalid/")


def test_multipart_bodies_carry_fields_and_files():
    body, content_type = http.multipart(
        {"messaging_product": "whatsapp"}, [("file", 'a"b.png', "image/png", b"\x89PNG")]
    )

    boundary = content_type.split("boundary=")[1]
    assert body.startswith(f"--{boundary}\r\n".encode())
    assert b'name="file"; filename="ab.png"\r\nContent-Type: image/png\r\n\r\n\x89PNG' in body
    assert body.endswith(f"--{boundary}--\r\n".encode())


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2606:4700:4700::1111", True),
        ("64:ff9b::808:808", True),  # NAT64 of a public address
        ("2002:808:808::1", True),  # 6to4 of a public address
        ("64:ff9b::7f00:1", False),
        ("64:ff9b::a9fe:a9fe", False),
        ("2002:c0a8:101::1", False),
        ("::ffff:10.0.0.1", False),
        ("::c0a8:101", False),
        ("fe80::1%eth0", False),
        ("224.0.0.1", False),
    ],
)
def test_addresses_carrying_an_ipv4_address_are_as_public_as_it(address, public):
    assert http.is_public(address) is public
