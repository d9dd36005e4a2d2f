import os
import subprocess
import sys
from pathlib import Path

from helpdesk.wsgi import ProxyHeaders

ROOT = Path(__file__).resolve().parents[2]


def client_address(trusted: str, **environ) -> str:
    seen = {}

    def app(environ, start_response):
        seen["address"] = environ["REMOTE_ADDR"]
        return []

    ProxyHeaders(app, trusted)(environ, lambda *args: None)
    return seen["address"]


def test_the_client_address_comes_from_x_forwarded_for_sent_by_a_trusted_proxy():
    assert (
        client_address(
            "172.16.0.0/12", REMOTE_ADDR="172.18.0.5", HTTP_X_FORWARDED_FOR="203.0.113.9"
        )
        == "203.0.113.9"
    )


def test_x_forwarded_for_from_an_untrusted_peer_is_ignored():
    assert (
        client_address("127.0.0.1", REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="203.0.113.9")
        == "198.51.100.7"
    )


def test_the_nearest_untrusted_hop_is_the_client_not_an_address_it_claims():
    forwarded = "10.9.9.9, 203.0.113.9, 10.0.0.2"  # a spoofed first hop, the client, our TLS proxy

    assert (
        client_address("10.0.0.0/8", REMOTE_ADDR="10.0.0.3", HTTP_X_FORWARDED_FOR=forwarded)
        == "203.0.113.9"
    )


def test_the_views_are_imported_as_the_server_process_starts_not_on_its_first_request():
    code = (
        "import sys, helpdesk.wsgi;"
        "print(all(name in sys.modules for name in"
        " ('helpdesk.urls', 'channels_app.adapters.whatsapp.webhooks', 'workspace.views')))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "helpdesk.settings.local"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )

    assert result.stdout.split() == ["True"], result.stderr
