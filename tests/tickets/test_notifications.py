"""Agent notifications: @mentions in internal notes reach the agents who can see the ticket, a
ticket given to an agent tells them, and each agent marks their own notifications read. Also: an
empty note or reply is refused."""

import pytest

from tests.tickets.factories import AgentFactory, UserFactory, make_attachment, make_ticket
from tickets import events, services
from tickets.errors import EmptyMessage
from tickets.models import AgentNotification, Message, Ticket, Tier

N = AgentNotification.Kind


@pytest.fixture
def ana(teams):
    """A colleague on the ticket's team."""
    return AgentFactory(user__username="ana", teams=[teams[Tier.N1]]).user


@pytest.fixture
def notified():
    """Every agent.notified domain event delivered during the test, in order."""
    delivered = []
    events.subscribe(events.AgentNotified)(delivered.append)
    yield delivered
    events.unsubscribe(delivered.append)


def note(ticket, by, text):
    return services.note_add(ticket=ticket, by=by, body_text=text)


def recipients(ticket=None):
    rows = AgentNotification.objects.all() if ticket is None else ticket.notifications.all()
    return sorted(rows.values_list("recipient__username", flat=True))


# --- who a note's @mentions reach ----------------------------------------------------------------


def test_mention_notifies_the_agent(ticket, n1_agent, ana):
    message = note(ticket, n1_agent, "@ana consegue olhar o boleto?")

    notification = AgentNotification.objects.get()
    assert (
        notification.recipient,
        notification.kind,
        notification.ticket,
        notification.message,
        notification.actor,
        notification.read_at,
    ) == (ana, N.MENTION, ticket, message, n1_agent, None)


def test_mention_of_a_username_with_a_dot(ticket, n1_agent, teams):
    solver = AgentFactory(user__username="n1.solver", teams=[teams[Tier.N1]]).user

    note(ticket, n1_agent, "Encaminhando para @n1.solver, obrigado")

    assert AgentNotification.objects.get().recipient == solver


def test_mention_ending_a_sentence_leaves_the_period_out(ticket, n1_agent, ana):
    note(ticket, n1_agent, "Quem resolve isso é a @ana.")

    assert recipients() == ["ana"]


def test_email_address_is_not_a_mention(ticket, n1_agent, ana):
    note(ticket, n1_agent, "O cliente copiou ana@example.com no e-mail.")

    assert recipients() == []


def test_domain_of_an_email_address_is_not_taken_for_a_mention(ticket, n1_agent, teams):
    """Usernames may contain dots, so only the "@" at a word start makes a mention."""
    AgentFactory(user__username="empresa.com", teams=[teams[Tier.N1]])

    note(ticket, n1_agent, "Responder para ana@empresa.com hoje")

    assert recipients() == []


def test_mention_is_case_insensitive(ticket, n1_agent, ana):
    note(ticket, n1_agent, "@ANA, veja isto")

    assert recipients() == ["ana"]


def test_unknown_name_is_ignored(ticket, n1_agent):
    message = note(ticket, n1_agent, "@ninguem @financeiro vejam")

    assert recipients() == []
    assert message.metadata == {}


def test_agent_mentioned_twice_is_notified_once(ticket, n1_agent, ana):
    note(ticket, n1_agent, "@ana, e @Ana de novo")

    assert recipients() == ["ana"]


def test_several_agents_mentioned_are_each_notified(ticket, n1_agent, ana, manager):
    note(ticket, n1_agent, "@ana e @boss, precisamos de uma decisão")

    assert recipients() == ["ana", "boss"]


def test_author_mentioning_themself_is_not_notified(ticket, n1_agent):
    message = note(ticket, n1_agent, "Lembrete para @n1: ligar amanhã")

    assert recipients() == []
    assert message.metadata == {}


def test_user_who_is_not_an_agent_is_not_notified(ticket, n1_agent):
    UserFactory(username="cliente")

    note(ticket, n1_agent, "@cliente pediu retorno")

    assert recipients() == []


def test_inactive_agent_is_not_notified(ticket, n1_agent, ana):
    ana.is_active = False
    ana.save(update_fields=["is_active"])

    note(ticket, n1_agent, "@ana veja")

    assert recipients() == []


def test_manager_outside_the_ticket_team_is_notified(ticket, n1_agent, manager):
    note(ticket, n1_agent, "@boss preciso de aprovação")

    assert recipients() == ["boss"]


def test_assignee_outside_the_ticket_team_is_notified(ticket, n1_agent, n2_agent):
    services.ticket_assign(ticket=ticket, assignee=n2_agent, by=n1_agent)
    AgentNotification.objects.all().delete()

    note(ticket, n1_agent, "@n2 novidades do cliente")

    assert recipients() == ["n2"]


def test_any_agent_is_notified_on_an_unrouted_ticket(customer, n1_agent, n3_agent):
    unrouted = make_ticket(customer=customer, team=None)
    assert unrouted.team is None

    note(unrouted, n1_agent, "@n3 alguém sabe de quem é?")

    assert recipients() == ["n3"]


def test_agent_who_cannot_see_the_ticket_is_not_notified(ticket, n1_agent, n2_agent):
    note(ticket, n1_agent, "@n2 pode ajudar?")

    assert recipients() == []


def test_agent_who_cannot_see_the_ticket_is_listed_as_unreachable(
    ticket, n1_agent, n2_agent, n3_agent, ana
):
    message = note(ticket, n1_agent, "@n3 @ana @n2 vejam")

    message.refresh_from_db()
    assert message.metadata == {"mentions": [ana.pk], "unreachable_mentions": ["n2", "n3"]}


# --- AGENT_NOTIFIED domain events ----------------------------------------------------------------


def test_mention_announces_the_notification_after_commit(
    notified, ticket, n1_agent, ana, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        note(ticket, n1_agent, "@ana veja")
        assert notified == []

    notification = AgentNotification.objects.get()
    assert notified == [
        events.AgentNotified(
            ticket_id=ticket.pk,
            recipient_id=ana.pk,
            notification_id=notification.pk,
            kind=N.MENTION,
        )
    ]


def test_each_notification_is_announced_once(
    notified, ticket, n1_agent, ana, manager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        note(ticket, n1_agent, "@ana @boss @ana vejam")

    assert sorted(event.recipient_id for event in notified) == sorted([ana.pk, manager.pk])
    assert {event.notification_id for event in notified} == set(
        AgentNotification.objects.values_list("pk", flat=True)
    )


def test_unreachable_mention_is_not_announced(
    notified, ticket, n1_agent, n2_agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        note(ticket, n1_agent, "@n2 pode ajudar?")

    assert notified == []


# --- notifications_mark_read ---------------------------------------------------------------------


@pytest.fixture
def inbox_of_ana(ticket, customer, n1_agent, ana):
    """Ana is mentioned twice on the ticket and once on another; n1 once on the ticket."""
    other = make_ticket(customer=customer, subject="Segunda via", team=ticket.team)
    note(ticket, n1_agent, "@ana primeira")
    note(ticket, n1_agent, "@ana segunda")
    note(other, n1_agent, "@ana terceira")
    note(ticket, ana, "@n1 obrigado")
    return ticket, other


def unread(agent):
    return AgentNotification.objects.filter(recipient=agent, read_at=None).count()


def test_mark_read_of_a_ticket_marks_only_that_ticket(inbox_of_ana, ana):
    ticket, other = inbox_of_ana

    marked = services.notifications_mark_read(recipient=ana, ticket=ticket)

    assert marked == 2
    assert list(AgentNotification.objects.filter(recipient=ana, read_at=None)) == list(
        other.notifications.filter(recipient=ana)
    )


def test_mark_read_by_ids_marks_only_those(inbox_of_ana, ana):
    first = AgentNotification.objects.filter(recipient=ana).order_by("id").first()

    marked = services.notifications_mark_read(recipient=ana, ids=[first.pk])

    first.refresh_from_db()
    assert marked == 1
    assert first.read_at is not None
    assert unread(ana) == 2


def test_mark_read_without_a_filter_marks_all_of_the_recipient(inbox_of_ana, ana, n1_agent):
    marked = services.notifications_mark_read(recipient=ana)

    assert marked == 3
    assert unread(ana) == 0
    assert unread(n1_agent) == 1


def test_mark_read_never_touches_another_agents_notifications(inbox_of_ana, ana, n1_agent):
    ticket, _ = inbox_of_ana
    theirs = AgentNotification.objects.get(recipient=n1_agent)

    marked = services.notifications_mark_read(recipient=ana, ticket=ticket, ids=[theirs.pk])

    assert marked == 0
    assert unread(n1_agent) == 1


def test_mark_read_leaves_notifications_already_read_as_they_were(inbox_of_ana, ana):
    services.notifications_mark_read(recipient=ana)
    first = AgentNotification.objects.filter(recipient=ana).order_by("id").first()

    marked = services.notifications_mark_read(recipient=ana)

    read_at = first.read_at
    first.refresh_from_db()
    assert marked == 0
    assert first.read_at == read_at


# --- ticket_assign tells the new assignee --------------------------------------------------------


def test_assign_notifies_the_new_assignee(ticket, n1_agent, ana):
    services.ticket_assign(ticket=ticket, assignee=ana, by=n1_agent)

    notification = AgentNotification.objects.get()
    assert (
        notification.recipient,
        notification.kind,
        notification.ticket,
        notification.actor,
        notification.message,
    ) == (ana, N.ASSIGNED, ticket, n1_agent, None)


def test_assigning_to_oneself_notifies_nobody(ticket, n1_agent):
    services.ticket_assign(ticket=ticket, assignee=n1_agent, by=n1_agent)

    assert recipients() == []


def test_assigning_to_the_current_assignee_again_notifies_nobody(ticket, n1_agent, ana):
    services.ticket_assign(ticket=ticket, assignee=ana, by=n1_agent)

    services.ticket_assign(ticket=ticket, assignee=ana, by=n1_agent)

    assert AgentNotification.objects.count() == 1


def test_unassigning_notifies_nobody(ticket, n1_agent, ana):
    services.ticket_assign(ticket=ticket, assignee=ana, by=n1_agent)
    AgentNotification.objects.all().delete()

    services.ticket_assign(ticket=ticket, assignee=None, by=n1_agent)

    assert recipients() == []


def test_assignment_by_the_system_notifies_without_an_actor(ticket, ana):
    services.ticket_assign(ticket=ticket, assignee=ana, by=None)

    notification = AgentNotification.objects.get()
    assert (notification.recipient, notification.actor) == (ana, None)


def test_assign_announces_the_notification_after_commit(
    notified, ticket, n1_agent, ana, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_assign(ticket=ticket, assignee=ana, by=n1_agent)
        assert notified == []

    notification = AgentNotification.objects.get()
    assert notified == [
        events.AgentNotified(
            ticket_id=ticket.pk,
            recipient_id=ana.pk,
            notification_id=notification.pk,
            kind=N.ASSIGNED,
        )
    ]


# --- empty notes and replies ---------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   \n\t "])
def test_empty_note_is_refused(ticket, n1_agent, text):
    with pytest.raises(EmptyMessage):
        note(ticket, n1_agent, text)

    assert not ticket.messages.exists()


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("", ""),
        (" \n ", ""),
        ("", "<p><br></p>"),
        ("", "<p>&nbsp;</p>"),  # what rich-text editors send for an empty line
        ("", "<script>alert(1)</script>"),
    ],
)
def test_empty_reply_is_refused(ticket, n1_agent, text, html):
    with pytest.raises(EmptyMessage):
        services.message_reply(ticket=ticket, by=n1_agent, body_text=text, body_html=html)

    ticket.refresh_from_db()
    assert not ticket.messages.exists()
    assert ticket.first_response_at is None


def test_reply_with_only_an_attachment_is_accepted(ticket, n1_agent):
    message = services.message_reply(
        ticket=ticket,
        by=n1_agent,
        body_text="",
        attachments=[make_attachment(filename="2via.pdf")],
    )

    assert (message.kind, message.delivery_status) == (
        Message.Kind.MESSAGE,
        Message.DeliveryStatus.QUEUED,
    )
    assert list(message.attachments.values_list("filename", flat=True)) == ["2via.pdf"]


def test_reply_with_only_html_text_is_accepted(ticket, n1_agent):
    message = services.message_reply(
        ticket=ticket, by=n1_agent, body_text="", body_html="<p>Segue a <b>segunda via</b>.</p>"
    )

    assert message.body_text == "Segue a segunda via."
    assert Ticket.objects.get(pk=ticket.pk).first_response_at is not None


def test_empty_reply_leaves_the_status_alone(ticket, n1_agent):
    with pytest.raises(EmptyMessage):
        services.message_reply(
            ticket=ticket, by=n1_agent, body_text="", then_status=Ticket.Status.PENDING
        )

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.NEW
