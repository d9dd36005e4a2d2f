"""Serving attachments and message HTML safely, to the right people only."""

import pytest

from tests.tickets.factories import AgentFactory, TeamFactory, UserFactory, make_inbound
from tickets import services
from tickets.inbound import InboundAttachment
from tickets.models import Customer, Organization, Tier
from workspace.display import attachment_url, message_html

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def received(teams):
    incoming = make_inbound(
        sender_value="maria@example.com",
        body_html=(
            '<p>Veja o erro:</p><img src="cid:print1@mail"><img src="https://tracker.example/p.gif">'
            "<script>alert(1)</script>"
        ),
        attachments=(
            InboundAttachment(
                "print.png", "image/png", PNG, content_id="print1@mail", is_inline=True
            ),
            InboundAttachment("pagina.html", "text/html", b"<script>alert(1)</script>"),
        ),
    )
    return services.message_receive(incoming=incoming)


def attachment(result, name):
    return result.message.attachments.get(filename=name)


def test_inline_images_point_to_our_attachment_and_remote_ones_wait(received):
    html, blocked = message_html(received.message)

    assert attachment_url(attachment(received, "print.png")) in html
    assert "tracker.example" not in html
    assert blocked == 1
    assert "<script" not in html


def test_remote_images_load_when_the_reader_asks(received):
    html, blocked = message_html(received.message, remote_images=True)

    assert "https://tracker.example/p.gif" in html
    assert blocked == 0


def test_an_agent_of_the_team_opens_an_image_inline(client, received, n1_agent):
    client.force_login(n1_agent)

    response = client.get(attachment_url(attachment(received, "print.png")))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == PNG
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


def test_html_attachments_are_downloaded_never_rendered(client, received, n1_agent):
    client.force_login(n1_agent)

    response = client.get(attachment_url(attachment(received, "pagina.html")))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"


@pytest.mark.parametrize(
    ("filename", "content_type"),
    [
        ("desenho.svg", "image/svg+xml"),
        ("dados.xml", "application/xml"),
        ("dados.xml", "text/xml"),
        ("script.js", "text/javascript"),
        ("pagina.xhtml", "application/xhtml+xml"),
        ("sem-tipo.bin", ""),
    ],
)
def test_active_content_types_are_downloaded(client, teams, n1_agent, filename, content_type):
    result = services.message_receive(
        incoming=make_inbound(
            sender_value="maria@example.com",
            attachments=(InboundAttachment(filename, content_type, b"<svg onload=alert(1)>"),),
        )
    )
    client.force_login(n1_agent)

    response = client.get(attachment_url(attachment(result, filename)))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"


def test_an_agent_of_another_team_gets_404(client, received):
    outsider = AgentFactory(tier=Tier.N1, teams=[TeamFactory(name="Outra equipe")]).user
    client.force_login(outsider)

    assert client.get(attachment_url(attachment(received, "print.png"))).status_code == 404


def test_the_customer_of_the_ticket_may_open_it_another_customer_may_not(client, received):
    owner = UserFactory(username="maria")
    Customer.objects.filter(pk=received.ticket.customer_id).update(user=owner)
    stranger = UserFactory(username="joao")
    Customer.objects.create(name="João", user=stranger)
    url = attachment_url(attachment(received, "print.png"))

    client.force_login(owner)
    assert client.get(url).status_code == 200
    client.force_login(stranger)
    assert client.get(url).status_code == 404


def test_attachments_of_internal_notes_stay_internal(client, received, n1_agent):
    note = services.note_add(
        ticket=received.ticket,
        by=n1_agent,
        body_text="Log interno",
        attachments=[InboundAttachment("log.txt", "text/plain", b"segredo")],
    )
    owner = UserFactory(username="maria")
    Customer.objects.filter(pk=received.ticket.customer_id).update(user=owner)
    client.force_login(owner)

    assert client.get(attachment_url(note.attachments.get())).status_code == 404


def test_attachments_of_system_messages_stay_internal(client, received):
    """The customer reads only the conversation's messages, so a file on a system message (an
    automatic notice, however it got there) does not open for them either."""
    notice = services.message_notify(ticket=received.ticket, body_text="Aviso automático")
    services.message_annotate(
        message=notice,
        changes={},
        attachments=[InboundAttachment("relatorio.txt", "text/plain", b"interno")],
    )
    owner = UserFactory(username="maria")
    Customer.objects.filter(pk=received.ticket.customer_id).update(user=owner)
    client.force_login(owner)

    assert client.get(attachment_url(notice.attachments.get())).status_code == 404


def test_an_organizations_manager_opens_its_customers_files_a_colleague_does_not(client, received):
    organization = Organization.objects.create(name="Loja Exemplo")
    Customer.objects.filter(pk=received.ticket.customer_id).update(organization=organization)
    manager = UserFactory(username="chefe")
    Customer.objects.create(
        name="Chefe", user=manager, organization=organization, is_org_manager=True
    )
    colleague = UserFactory(username="colega")
    Customer.objects.create(name="Colega", user=colleague, organization=organization)
    url = attachment_url(attachment(received, "print.png"))

    client.force_login(manager)
    assert client.get(url).status_code == 200
    client.force_login(colleague)
    assert client.get(url).status_code == 404


def test_anonymous_visitors_are_sent_to_login(client, received):
    response = client.get(attachment_url(attachment(received, "print.png")))

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    "src", [" https://x.example/p.png", "\thttps://x.example/p.png", "/\\x.example/p.png"]
)
def test_disguised_remote_images_are_held_back_too(received, src):
    received.message.body_html = f'<img src="{src}">'

    html, blocked = message_html(received.message)

    assert "x.example" not in html
    assert blocked == 1
