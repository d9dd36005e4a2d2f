"""Ticket attachments live in private storage: no URL serves them but the permission-checked
download view, whatever DEBUG says and whoever serves MEDIA_ROOT."""

import importlib
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.urls import clear_url_caches

from tests.tickets.factories import make_inbound
from tickets import checks, services
from tickets.inbound import InboundAttachment

PAGE = b"<script>alert(document.cookie)</script>"


@pytest.fixture
def html_attachment(teams):
    incoming = make_inbound(
        sender_value="maria@example.com",
        attachments=(InboundAttachment("pagina.html", "text/html", PAGE),),
    )
    return services.message_receive(incoming=incoming).message.attachments.get()


@pytest.fixture
def debug_urls(settings):
    """The URLconf as `make run` builds it: DEBUG on when helpdesk.urls is imported."""
    urls = importlib.import_module("helpdesk.urls")
    settings.DEBUG = True
    importlib.reload(urls)
    clear_url_caches()
    yield
    settings.DEBUG = False
    importlib.reload(urls)
    clear_url_caches()


def test_an_attachment_is_not_served_under_media_with_debug_on(client, html_attachment, debug_urls):
    response = client.get(f"{django_settings.MEDIA_URL}{html_attachment.file.name}")

    assert response.status_code == 404
    assert PAGE not in b"".join(getattr(response, "streaming_content", [response.content]))


def test_an_attachment_is_stored_outside_the_media_root(html_attachment):
    stored = Path(html_attachment.file.path).resolve()

    assert stored.read_bytes() == PAGE
    assert not stored.is_relative_to(Path(django_settings.MEDIA_ROOT).resolve())
    assert not stored.is_relative_to(Path(django_settings.STATIC_ROOT).resolve())


def test_the_private_storage_has_no_public_url(html_attachment):
    with pytest.raises(ValueError, match="download view"):
        html_attachment.file.url  # noqa: B018


def test_files_stored_before_are_moved_out_of_the_media_root(html_attachment, settings):
    """What migration 0007 does for attachments saved under MEDIA_ROOT by earlier versions."""
    migration = importlib.import_module("tickets.migrations.0007_attachment_private_storage")
    private = Path(html_attachment.file.path)
    public = Path(settings.MEDIA_ROOT) / html_attachment.file.name
    public.parent.mkdir(parents=True, exist_ok=True)
    private.rename(public)

    migration.to_private(apps, None)

    assert private.read_bytes() == PAGE
    assert not public.exists()
    migration.to_private(apps, None)  # a second run finds nothing to move
    assert private.read_bytes() == PAGE


def test_check_refuses_attachments_stored_inside_the_media_root(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {
            "BACKEND": "tickets.storage.PrivateFileSystemStorage",
            "OPTIONS": {"location": Path(settings.MEDIA_ROOT) / "private"},
        },
    }

    errors = checks.attachments_stay_private(None)

    assert [error.id for error in errors] == ["tickets.E001"]


def test_check_accepts_the_configured_private_folder():
    assert checks.attachments_stay_private(None) == []
