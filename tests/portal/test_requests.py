"""A customer's requests in the portal: who sees which (their own; a manager their organization's;
anyone else 404), the conversation without notes or system messages, replying with files,
marking solved."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.tickets.factories import make_attachment, make_inbound
from tickets import services
from tickets.models import Channel, Message, Ticket, TicketEvent

S = Ticket.Status


def email_from(customer, subject="Boleto não chegou", body="O boleto de novembro não chegou."):
    address = customer.identities.get(kind="email").value
    incoming = make_inbound(sender_value=address, subject=subject, body_text=body)
    return services.message_receive(incoming=incoming).ticket


@pytest.fixture
def ticket(maria, teams):
    return email_from(maria)


@pytest.fixture
def joaos_ticket(joao, teams):
    return email_from(joao, subject="Troca de produto", body="Quero trocar o tamanho.")


def page(client, ticket):
    return client.get(f"/portal/requests/{ticket.number}/")


# --- who sees what --------------------------------------------------------------------------------


def test_the_list_shows_the_customers_own_requests_only(maria_client, ticket, joaos_ticket):
    body = maria_client.get("/portal/requests/").content.decode()

    assert ticket.subject in body
    assert joaos_ticket.subject not in body


def test_a_customer_cannot_open_another_customers_request_by_url(maria_client, joaos_ticket):
    number = joaos_ticket.number

    assert maria_client.get(f"/portal/requests/{number}/").status_code == 404
    reply = maria_client.post(f"/portal/requests/{number}/reply/", {"body": "Oi"})
    solve = maria_client.post(f"/portal/requests/{number}/solve/")

    assert (reply.status_code, solve.status_code) == (404, 404)
    joaos_ticket.refresh_from_db()
    assert joaos_ticket.status != S.SOLVED
    assert not joaos_ticket.messages.filter(channel=Channel.WEB).exists()


def test_a_number_that_does_not_exist_is_the_same_404(maria_client, joaos_ticket):
    assert maria_client.get("/portal/requests/999999/").status_code == 404


def test_the_organizations_manager_sees_and_opens_its_requests(client, chefe, ticket, joaos_ticket):
    client.force_login(chefe.user)

    listed = client.get("/portal/requests/").content.decode()
    opened = page(client, joaos_ticket)

    assert ticket.subject in listed
    assert joaos_ticket.subject in listed
    assert "Requested by João Lima" in listed
    assert opened.status_code == 200
    assert "Quero trocar o tamanho." in opened.content.decode()


def test_a_manager_does_not_see_another_organizations_requests(client, chefe, teams):
    from tests.portal.conftest import customer_with_login
    from tests.tickets.factories import OrganizationFactory

    stranger = customer_with_login(
        "Outra Pessoa", "outra@outra.example", organization=OrganizationFactory(name="Outra")
    )
    theirs = email_from(stranger, subject="Pedido de outra empresa")
    client.force_login(chefe.user)

    assert theirs.subject not in client.get("/portal/requests/").content.decode()
    assert page(client, theirs).status_code == 404


def test_signing_in_is_needed(client, ticket):
    response = page(client, ticket)

    assert response.status_code == 302
    assert response["Location"].startswith("/portal/login/?next=")


def test_an_agent_has_no_requests_of_their_own_here(client, n1_agent, ticket):
    client.force_login(n1_agent)

    assert client.get("/portal/requests/").status_code == 403
    assert page(client, ticket).status_code == 403


# --- the conversation -----------------------------------------------------------------------------


def test_the_whole_conversation_shows_without_notes_or_system_messages(
    maria_client, maria, ticket, n1_agent
):
    services.note_add(ticket=ticket, by=n1_agent, body_text="NOTA-INTERNA: cliente irritada")
    services.message_notify(ticket=ticket, body_text="AVISO-AUTOMATICO recebido", reason="ack")
    services.message_reply(ticket=ticket, by=n1_agent, body_text="Reenviamos o boleto agora.")
    whatsapp = make_inbound(
        channel=Channel.WHATSAPP, sender_value="+5511987654321", body_text="Chegou, obrigada!"
    )
    services.customer_add_identity(customer=maria, kind="whatsapp", value="+5511987654321")
    services.message_receive(incoming=whatsapp)
    moved = Message.objects.filter(body_text="Chegou, obrigada!")
    moved.update(ticket=ticket)  # the same conversation, continued on WhatsApp

    body = page(maria_client, ticket).content.decode()

    assert "O boleto de novembro não chegou." in body
    assert "Reenviamos o boleto agora." in body
    assert "Chegou, obrigada!" in body
    assert "via WhatsApp" in body
    assert "NOTA-INTERNA" not in body
    assert "AVISO-AUTOMATICO" not in body


def test_the_page_costs_the_same_however_long_the_conversation(maria_client, ticket, n1_agent):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert page(maria_client, ticket).status_code == 200
        return len(captured)

    short = queries()
    for n in range(5):
        services.message_reply(
            ticket=ticket, by=n1_agent, body_text=f"Resposta {n}", attachments=[make_attachment()]
        )

    assert queries() == short


def test_attachments_of_the_conversation_download_and_notes_do_not(maria_client, ticket, n1_agent):
    reply = services.message_reply(
        ticket=ticket, by=n1_agent, body_text="Segue o boleto", attachments=[make_attachment()]
    )
    note = services.note_add(
        ticket=ticket, by=n1_agent, body_text="Interno", attachments=[make_attachment()]
    )
    shared, internal = reply.attachments.get(), note.attachments.get()

    body = page(maria_client, ticket).content.decode()

    assert f"/attachments/{shared.pk}/" in body
    assert f"/attachments/{internal.pk}/" not in body
    assert maria_client.get(f"/attachments/{shared.pk}/boleto.pdf").status_code == 200
    assert maria_client.get(f"/attachments/{internal.pk}/boleto.pdf").status_code == 404


def test_another_customers_attachment_is_404(maria_client, joao, joaos_ticket):
    message = services.message_receive_from_portal(
        ticket=joaos_ticket, user=joao.user, body_text="Foto", attachments=[make_attachment()]
    )

    attachment = message.attachments.get()
    assert maria_client.get(f"/attachments/{attachment.pk}/boleto.pdf").status_code == 404


# --- replying and marking solved ------------------------------------------------------------------


def test_a_reply_with_a_file_goes_on_the_conversation_and_reopens(
    maria_client, maria, ticket, n1_agent
):
    services.ticket_change_status(ticket=ticket, to_status=S.SOLVED, by=n1_agent)

    response = maria_client.post(
        f"/portal/requests/{ticket.number}/reply/",
        {
            "body": "Ainda não chegou.",
            "attachments": [SimpleUploadedFile("print.png", b"\x89PNG", "image/png")],
            "submission_id": "0c4bd5b4-8f3c-4b5b-9d52-39bdf3f3a001",
        },
    )

    message = ticket.messages.get(channel=Channel.WEB)
    assert response.status_code == 302
    assert response["Location"] == f"/portal/requests/{ticket.number}/#message-{message.pk}"
    assert (message.body_text, message.author_customer) == ("Ainda não chegou.", maria)
    assert [a.filename for a in message.attachments.all()] == ["print.png"]
    ticket.refresh_from_db()
    assert ticket.status == S.OPEN


def test_an_empty_reply_is_refused_with_the_form(maria_client, ticket):
    response = maria_client.post(f"/portal/requests/{ticket.number}/reply/", {"body": " "})

    assert response.status_code == 400
    assert "Write a message or attach a file." in response.content.decode()


def test_too_many_files_are_refused(maria_client, ticket):
    files = [SimpleUploadedFile(f"f{n}.txt", b"x", "text/plain") for n in range(6)]

    response = maria_client.post(
        f"/portal/requests/{ticket.number}/reply/", {"body": "Arquivos", "attachments": files}
    )

    assert response.status_code == 400
    assert not ticket.messages.filter(channel=Channel.WEB).exists()


def test_a_closed_request_takes_no_reply(maria_client, ticket):
    Ticket.objects.filter(pk=ticket.pk).update(status=S.CLOSED)

    body = page(maria_client, ticket).content.decode()
    response = maria_client.post(
        f"/portal/requests/{ticket.number}/reply/", {"body": "Oi"}, follow=True
    )

    assert f"/portal/requests/{ticket.number}/reply/" not in body
    assert "is closed" in response.content.decode()
    assert not ticket.messages.filter(channel=Channel.WEB).exists()


def test_marking_solved_from_the_page(maria_client, ticket):
    response = maria_client.post(f"/portal/requests/{ticket.number}/solve/", follow=True)

    ticket.refresh_from_db()
    assert ticket.status == S.SOLVED
    assert ticket.events.filter(kind=TicketEvent.Kind.STATUS_CHANGED, after=S.SOLVED).exists()
    assert "is marked solved" in response.content.decode()


def test_solving_is_a_post(maria_client, ticket):
    assert maria_client.get(f"/portal/requests/{ticket.number}/solve/").status_code == 405


@pytest.mark.parametrize("url", ["/portal/requests/", "/portal/"])
def test_the_lists_cost_the_same_however_many_requests(client, chefe, joao, teams, url):
    client.force_login(chefe.user)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    email_from(joao)
    few = queries()
    for n in range(5):
        email_from(joao, subject=f"Pedido {n}")

    assert queries() == few
