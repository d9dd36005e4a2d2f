"""Trend alerts: an unusual rise of new tickets per channel, tag or subject cluster against the
same hour of the previous weeks is found, raised once, e-mailed to managers, listed on the
dashboard until acknowledged, and can be muted; a peak that comes every week is not news."""

import itertools
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail

from manager import services, tasks, trends
from manager.models import TrendAlert
from tests.tickets.factories import AgentFactory, make_ticket
from tickets.models import Channel, Tag, Tier

# Monday 7 December 2026, 10:00-11:00 UTC, and the same hour in the four weeks before.
HOUR = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
WEEK = timedelta(days=7)


_names = itertools.count()


def unrelated_subject() -> str:
    """A subject that shares no word with any other (so that no subject cluster rises)."""
    n = next(_names)
    return "".join(chr(ord("a") + (n // 26**i) % 26) for i in range(5)) + "qz"


def tickets_at(start, n, *, channel=Channel.EMAIL, tag=None, subject=None):
    for minute in range(n):
        ticket = make_ticket(
            channel=channel,
            created_at=start + timedelta(minutes=minute * 5),
            subject=subject or unrelated_subject(),
        )
        if tag:
            ticket.tags.add(Tag.objects.get_or_create(name=tag)[0])


def found(window_start=HOUR):
    return {(r.dimension, r.value): r for r in trends.rises(window_start=window_start)}


@pytest.mark.django_db
def test_a_peak_that_comes_every_week_is_not_a_trend():
    for week in range(5):
        tickets_at(HOUR - week * WEEK, 8, tag="boleto")

    assert found() == {}


@pytest.mark.django_db
def test_a_spike_against_the_same_hour_of_previous_weeks_is_found():
    for week, n in zip(range(1, 5), (1, 2, 1, 2), strict=True):
        tickets_at(HOUR - week * WEEK, n, channel=Channel.WHATSAPP)
        tickets_at(HOUR - week * WEEK + timedelta(minutes=30), 3, tag="pix")
    tickets_at(HOUR, 6, channel=Channel.WHATSAPP)
    tickets_at(HOUR + timedelta(minutes=31), 3, tag="pix")  # as usual: no news
    tickets_at(HOUR - timedelta(hours=1), 9, channel=Channel.WHATSAPP)  # the hour before

    rises = found()

    assert set(rises) == {("channel", "whatsapp")}
    rise = rises["channel", "whatsapp"]
    assert (rise.count, rise.baseline, rise.weeks) == (6, 1.5, 4)


@pytest.mark.django_db
def test_a_tag_can_rise_too_and_few_tickets_never_do():
    tickets_at(HOUR, 7, tag="fatura")
    tickets_at(HOUR + timedelta(minutes=1), 4, channel=Channel.SMS)  # 4 from 0: too few

    assert set(found()) == {("tag", "fatura"), ("channel", "email")}


@pytest.mark.django_db
def test_subjects_sharing_words_rise_as_one_cluster():
    for week in range(1, 5):
        tickets_at(HOUR - week * WEEK, 1, subject="Sem internet em casa")  # one a week, as usual
    subjects = ["Sem internet no bairro Centro"] * 5 + ["Internet caiu no Centro"]
    for n, subject in enumerate(subjects):
        tickets_at(HOUR + timedelta(minutes=n), 1, subject=subject)
    tickets_at(HOUR, 3, subject="Boleto vencido")  # too few

    rises = found()

    subjects = {value: rise for (dimension, value), rise in rises.items() if dimension == "subject"}
    # The words that rose on the same tickets, the most frequent first ("caiu": one ticket).
    assert list(subjects) == ["centro internet bairro"]
    assert (subjects["centro internet bairro"].count, rises["channel", "email"].count) == (6, 9)


@pytest.mark.django_db
def test_subject_words_fold_accents_and_leave_common_words_and_ticket_tags_out():
    assert trends.subject_words("Re: [#1042] Não consigo emitir NOTA fiscal, é urgente") == {
        "emitir", "nota", "fiscal"
    }  # fmt: skip
    for week in range(5):  # "boleto" every week at this hour: no news
        tickets_at(HOUR - week * WEEK, 6, subject="Segunda via do boleto")

    assert not [key for key in found() if key[0] == "subject"]


def test_muting_a_subject_cluster_silences_its_leading_word(
    db, manager, django_capture_on_commit_callbacks
):
    for n in range(6):
        tickets_at(HOUR + timedelta(minutes=n), 1, subject="Falha no pagamento via pix")
    assert run_detector(django_capture_on_commit_callbacks) == 2  # the cluster, and e-mail
    alert = TrendAlert.objects.get(dimension="subject")
    assert alert.value == "falha pagamento"  # "pix": three letters
    services.trend_alert_mute(alert=alert, by=manager)
    for n in range(8):  # the next hour, with one more word on all of them
        tickets_at(HOUR + timedelta(hours=1, minutes=n), 1, subject="Falha grave no pagamento")

    run_detector(django_capture_on_commit_callbacks, at=HOUR + timedelta(hours=2))
    assert TrendAlert.objects.filter(dimension="subject").count() == 1


@pytest.fixture
def spike(db):
    tickets_at(HOUR, 6, channel=Channel.WHATSAPP)


def run_detector(django_capture_on_commit_callbacks, at=HOUR + timedelta(hours=1, minutes=5)):
    with time_machine.travel(at, tick=False), django_capture_on_commit_callbacks(execute=True):
        return tasks.detect_trends()


def test_detector_raises_an_alert_once_and_mails_the_managers(
    spike, manager, n1_agent, django_capture_on_commit_callbacks
):
    manager.email = "chefe@example.com"
    manager.save()

    assert run_detector(django_capture_on_commit_callbacks) == 1
    assert run_detector(django_capture_on_commit_callbacks) == 0  # the same hour, once

    alert = TrendAlert.objects.get()
    assert (alert.dimension, alert.value, alert.count, alert.baseline) == (
        "channel",
        "whatsapp",
        6,
        0.0,
    )
    assert alert.window_start == HOUR
    assert [m.to for m in mail.outbox] == [["chefe@example.com"]]
    assert "whatsapp" in mail.outbox[0].body.lower()


def test_dashboard_lists_open_alerts_and_a_manager_acknowledges_one(
    spike, client, manager, django_capture_on_commit_callbacks
):
    run_detector(django_capture_on_commit_callbacks)
    alert = TrendAlert.objects.get()
    client.force_login(manager)
    assert client.get("/manager/").context["trend_alerts"] == [alert]

    response = client.post(f"/manager/alerts/{alert.pk}/acknowledge/")

    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.acknowledged_by == manager
    assert client.get("/manager/").context["trend_alerts"] == []


def test_a_muted_channel_raises_no_alert_for_a_week(
    spike, client, manager, django_capture_on_commit_callbacks
):
    run_detector(django_capture_on_commit_callbacks)
    client.force_login(manager)
    with time_machine.travel(HOUR + timedelta(hours=1, minutes=10), tick=False):
        client.post(f"/manager/alerts/{TrendAlert.objects.get().pk}/mute/")
    tickets_at(HOUR + timedelta(hours=1), 8, channel=Channel.WHATSAPP)

    assert run_detector(django_capture_on_commit_callbacks, at=HOUR + timedelta(hours=2)) == 0
    assert TrendAlert.objects.count() == 1


def test_only_managers_acknowledge_and_leads_do_not_see_desk_alerts(
    spike, client, teams, n1_agent, django_capture_on_commit_callbacks
):
    run_detector(django_capture_on_commit_callbacks)
    alert = TrendAlert.objects.get()
    lead = AgentFactory(tier=Tier.N1, teams=[teams[Tier.N1]])
    teams[Tier.N1].leads.add(lead)

    client.force_login(lead.user)
    assert client.get("/manager/").context["trend_alerts"] == []
    assert client.post(f"/manager/alerts/{alert.pk}/acknowledge/").status_code == 403
    client.force_login(n1_agent)
    assert client.post(f"/manager/alerts/{alert.pk}/mute/").status_code == 403
    alert.refresh_from_db()
    assert (alert.acknowledged_at, alert.muted_until) == (None, None)
