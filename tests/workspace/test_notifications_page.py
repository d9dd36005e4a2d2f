"""The agent's notifications in the browser: an @mention becomes an unread count in the top bar
and a line on the notifications page; opening it marks it read and lands on the message; nobody
opens another agent's notifications."""

import html
import re

import pytest
from django.urls import reverse

from tests.tickets.factories import AgentFactory, UserFactory
from tickets import services
from tickets.models import AgentNotification, Customer, Tier

LIST = reverse("notifications")
READ_ALL = reverse("notifications-read")
# Session, user, agent profile, the notifications (with ticket, actor and message), the unread
# count of the top bar.
LIST_QUERIES = 5


def opener(notification):
    return reverse("notification-open", args=[notification.pk])


def get(client, address, language="en"):
    response = client.get(address, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


def bell(body):
    """The top bar's notifications link: (unread count it carries, count shown)."""
    link = re.search(r'<a href="/agent/notifications/" class="bell[^"]*"[^>]*>.*?</a>', body, re.S)
    assert link, "no notifications link in the top bar"
    carried = re.search(r'data-notification-count="(\d+)"', link.group(0)).group(1)
    shown = re.search(r'<span class="count">(\d+)</span>', link.group(0))
    return int(carried), int(shown.group(1)) if shown else None


def entries(body):
    """The notifications listed, as (unread, text without the time) in page order."""
    items = re.findall(r'<li class="(unread)?">(.*?)<time', body, re.S)
    return [
        (bool(unread), " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text)).split()))
        for unread, text in items
    ]


@pytest.fixture
def ana(teams):
    return AgentFactory(user__username="ana", tier=Tier.N1, teams=[teams[Tier.N1]]).user


@pytest.fixture
def mentioned(client, ticket, n1_agent, ana):
    """n1 asks ana for help in a note, through the ticket page; ana is then logged in."""
    n1_agent.first_name, n1_agent.last_name = "Nina", "Lima"
    n1_agent.save()
    client.force_login(n1_agent)
    response = client.post(
        reverse("ticket-note", args=[ticket.number]), {"body": "@ana pode ver o boleto?"}
    )
    assert response.status_code == 302
    client.force_login(ana)
    return ana.agent_notifications.get()


def test_a_mention_in_a_note_notifies_the_agent(mentioned, ticket, n1_agent):
    assert mentioned.kind == AgentNotification.Kind.MENTION
    assert (mentioned.ticket, mentioned.actor, mentioned.read_at) == (ticket, n1_agent, None)
    assert mentioned.message.body_text == "@ana pode ver o boleto?"


def test_the_top_bar_shows_the_unread_count(client, mentioned, ticket):
    assert bell(get(client, reverse("ticket-detail", args=[ticket.number]))) == (1, 1)
    assert bell(get(client, reverse("inbox"))) == (1, 1)


def test_the_top_bar_of_an_agent_without_news_shows_none(client, mentioned, n1_agent):
    client.force_login(n1_agent)

    assert bell(get(client, LIST)) == (0, None)


def test_the_page_lists_the_mention(client, mentioned, ticket):
    body = get(client, LIST)

    assert entries(body) == [
        (
            True,
            f"Nina Lima mentioned you · #{ticket.number} {ticket.subject} @ana pode ver o boleto?",
        )
    ]


def test_opening_marks_it_read_and_goes_to_the_message(client, mentioned, ticket):
    response = client.post(opener(mentioned))

    assert response.status_code == 302
    address = reverse("ticket-detail", args=[ticket.number])
    assert response["Location"] == f"{address}#message-{mentioned.message_id}"
    mentioned.refresh_from_db()
    assert mentioned.read_at is not None
    body = get(client, address)
    assert bell(body) == (0, None)
    assert f'id="message-{mentioned.message_id}"' in body
    assert entries(get(client, LIST))[0][0] is False  # listed, no longer unread


def test_an_assignment_opens_the_ticket_itself(client, ticket, n1_agent, ana):
    services.ticket_assign(ticket=ticket, assignee=ana, by=n1_agent)
    client.force_login(ana)
    notification = ana.agent_notifications.get()

    response = client.post(opener(notification))

    assert response["Location"] == reverse("ticket-detail", args=[ticket.number])
    assert entries(get(client, LIST))[0][1].startswith("n1 assigned to you")


def test_another_agent_cannot_open_my_notification(client, mentioned, n1_agent, manager):
    for intruder in (n1_agent, manager):
        client.force_login(intruder)

        assert client.post(opener(mentioned)).status_code == 404

    mentioned.refresh_from_db()
    assert mentioned.read_at is None


def test_the_list_shows_only_my_notifications(client, mentioned, n1_agent):
    client.force_login(n1_agent)

    assert entries(get(client, LIST)) == []
    assert "Nothing new." in get(client, LIST)


def test_mark_all_read_touches_only_mine(client, mentioned, ticket, n1_agent, ana):
    services.ticket_assign(ticket=ticket, assignee=ana, by=n1_agent)
    services.note_add(ticket=ticket, by=ana, body_text="@n1 assumi, obrigado")

    response = client.post(READ_ALL)

    assert response.status_code == 302
    assert response["Location"] == LIST
    assert not ana.agent_notifications.filter(read_at=None).exists()
    assert n1_agent.agent_notifications.filter(read_at=None).count() == 1
    assert bell(get(client, LIST)) == (0, None)


@pytest.mark.parametrize(
    ("method", "address"),
    [("get", "open"), ("get", READ_ALL), ("post", LIST)],
)
def test_each_page_takes_only_its_method(client, mentioned, method, address):
    address = opener(mentioned) if address == "open" else address

    assert getattr(client, method)(address).status_code == 405


def test_customers_are_refused(client, mentioned, ticket):
    user = UserFactory(username="maria")
    Customer.objects.filter(pk=ticket.customer_id).update(user=user)
    client.force_login(user)

    assert client.get(LIST).status_code == 403
    assert client.post(opener(mentioned)).status_code == 403
    assert client.post(READ_ALL).status_code == 403
    mentioned.refresh_from_db()
    assert mentioned.read_at is None


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    response = client.get(LIST)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_page_costs_the_same_queries_for_1_or_25_notifications(
    client, mentioned, ticket, n1_agent, django_assert_max_num_queries
):
    get(client, LIST)  # warm up session and caches
    with django_assert_max_num_queries(LIST_QUERIES) as one:
        get(client, LIST)

    for i in range(24):
        services.note_add(ticket=ticket, by=n1_agent, body_text=f"@ana olhe o item {i}")
    with django_assert_max_num_queries(LIST_QUERIES) as many:
        body = get(client, LIST)

    assert len(many.captured_queries) == len(one.captured_queries)
    assert len(entries(body)) == 25
    assert bell(body) == (25, 25)


def test_the_page_renders_in_portuguese(client, mentioned):
    body = get(client, LIST, language="pt-BR")

    assert '<html lang="pt-br">' in body
    assert len(entries(body)) == 1
