"""/kb-media/<name>: article files live in their own public storage (KB_MEDIA_ROOT), apart from
the private ticket attachments in MEDIA_ROOT. Files of public published articles are public;
those of internal articles and drafts open for agents only; nothing else on disk is served."""

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from knowledge_base import services
from knowledge_base.errors import FileRejected
from knowledge_base.models import Article
from tests.knowledge_base.factories import ArticleFactory, internal_article

pytestmark = pytest.mark.django_db
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)


def attach(article, name="passo-1.png", data=PNG, content_type="image/png"):
    return services.article_attach_file(
        article=article, by=None, upload=SimpleUploadedFile(name, data, content_type)
    )


def test_article_files_are_stored_apart_from_ticket_attachments():
    attachment = attach(ArticleFactory())

    path = attachment.file.path
    assert path.startswith(str(settings.KB_MEDIA_ROOT))
    assert not path.startswith(str(settings.MEDIA_ROOT))
    assert attachment.file.url.startswith("/kb-media/")


def test_anyone_sees_an_image_of_a_public_article_inline(client):
    attachment = attach(ArticleFactory())

    response = client.get(attachment.file.url)

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == PNG
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "public" in response["Cache-Control"]


def test_a_document_is_downloaded_never_shown_inline(client):
    attachment = attach(ArticleFactory(), name="tabela.txt", data=b"<script>x</script>")

    response = client.get(attachment.file.url)

    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")


@pytest.mark.parametrize("name", ["desenho.svg", "pagina.html", "script.js", "semextensao"])
def test_files_that_a_browser_could_run_are_refused(name):
    with pytest.raises(FileRejected):
        attach(ArticleFactory(), name=name, data=b"<svg onload=alert(1)>")


def test_a_file_of_an_internal_article_is_not_found_for_outsiders(client, customer_user):
    attachment = attach(internal_article())

    assert client.get(attachment.file.url).status_code == 404
    client.force_login(customer_user)
    assert client.get(attachment.file.url).status_code == 404


def test_a_file_of_a_draft_is_not_found_for_the_public(client):
    attachment = attach(ArticleFactory(status=Article.Status.DRAFT))

    assert client.get(attachment.file.url).status_code == 404


def test_agents_open_files_of_internal_articles(client, n1_agent):
    attachment = attach(internal_article())
    client.force_login(n1_agent)

    response = client.get(attachment.file.url)

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"


def test_only_recorded_article_files_are_served(client):
    (settings.KB_MEDIA_ROOT / "stray.png").write_bytes(PNG)
    (settings.MEDIA_ROOT / "private.png").write_bytes(PNG)

    assert client.get("/kb-media/stray.png").status_code == 404
    assert client.get("/kb-media/../media/private.png").status_code == 404
    assert client.get("/kb-media/%2e%2e/private.png").status_code == 404
