"""Admin for business calendars and SLA policies: hours typed per weekday, holidays by country
and state, closed dates one per line; saving rules recomputes open tickets' clocks."""

from datetime import timedelta

import pytest
from django.urls import reverse

from sla.models import BusinessCalendar, SLAPolicy, TicketSLA
from tests.sla.conftest import MONDAY_9
from tests.sla.factories import BusinessCalendarFactory, SLAPolicyFactory
from tests.tickets.factories import make_inbound
from tickets import services

WEEK = {
    "day_0": "08:00-12:00, 13:00-18:00",
    "day_1": "08:00-18:00",
    "day_2": "08:00-18:00",
    "day_3": "08:00-18:00",
    "day_4": "8:00-17:00",
    "day_5": "",
    "day_6": "",
}


def calendar_form(**changes):
    return {
        "name": "Atendimento SP",
        "time_zone": "America/Sao_Paulo",
        "holiday_country": "br",
        "holiday_subdivision": "SP",
        "optional_holidays": ["Carnival"],
        "closed_dates_text": "2026-12-31 Réveillon\n2026-12-24   Véspera de Natal\n",
        **WEEK,
        **changes,
    }


def test_calendar_is_created_from_the_typed_hours(admin_client):
    response = admin_client.post(reverse("admin:sla_businesscalendar_add"), calendar_form())

    assert response.status_code == 302, response.context["adminform"].form.errors
    calendar = BusinessCalendar.objects.get(name="Atendimento SP")
    assert calendar.weekly_hours[0] == [["08:00", "12:00"], ["13:00", "18:00"]]
    assert calendar.weekly_hours[4] == [["08:00", "17:00"]]
    assert calendar.weekly_hours[5] == []
    assert (calendar.holiday_country, calendar.holiday_subdivision) == ("BR", "SP")
    assert calendar.optional_holidays == ["Carnival"]
    assert calendar.closed_dates == [
        {"date": "2026-12-24", "name": "Véspera de Natal"},
        {"date": "2026-12-31", "name": "Réveillon"},
    ]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"day_1": "18:00-08:00"}, None),
        ({"day_1": "das 8 às 18"}, "day_1"),
        ({"holiday_subdivision": "XX"}, "holiday_subdivision"),
        ({"holiday_country": "ZZ"}, "holiday_country"),
        ({"closed_dates_text": "24/12/2026 Véspera"}, "closed_dates_text"),
        ({**dict.fromkeys(WEEK, "")}, None),
    ],
)
def test_calendar_with_mistakes_is_refused_with_a_message(admin_client, changes, field):
    response = admin_client.post(
        reverse("admin:sla_businesscalendar_add"), calendar_form(**changes)
    )

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors.get(field or "__all__")
    assert not BusinessCalendar.objects.exists()


def test_calendar_page_lists_the_closed_days_ahead(admin_client, clock):
    calendar = BusinessCalendarFactory(
        closed_dates=[{"date": "2026-12-24", "name": "Véspera de Natal"}]
    )

    response = admin_client.get(reverse("admin:sla_businesscalendar_change", args=[calendar.pk]))

    page = response.content.decode()
    assert "20/11/2026 · National Day of Zumbi and Black Awareness" in page
    assert "24/12/2026 · Véspera de Natal" in page
    assert "25/12/2026 · Christmas Day" in page
    assert 'value="08:00-18:00"' in page  # Monday's hours, ready to edit


STEPS_NONE = {
    "escalation_steps-TOTAL_FORMS": "0",
    "escalation_steps-INITIAL_FORMS": "0",
    "escalation_steps-MIN_NUM_FORMS": "0",
    "escalation_steps-MAX_NUM_FORMS": "1000",
}


def test_policy_list_reads_as_targets(admin_client, db):
    SLAPolicyFactory(name="Urgente", priority="urgent", first_response_minutes=30)

    page = admin_client.get(reverse("admin:sla_slapolicy_changelist")).content.decode()

    assert "Urgente" in page
    assert "30 min" in page
    assert "8 h 00 min" in page


def test_saving_a_policy_recomputes_open_tickets(admin_client, teams, policy, clock, committed):
    with committed():
        ticket = services.message_receive(incoming=make_inbound()).ticket
    url = reverse("admin:sla_slapolicy_change", args=[policy.pk])
    form = {
        "name": policy.name,
        "is_active": "on",
        "position": policy.position,
        "calendar": policy.calendar.pk,
        "first_response_minutes": 15,
        "next_response_minutes": 120,
        "resolution_minutes": 480,
        "warn_before": 20,
        "warn_unit": SLAPolicy.WarnUnit.PERCENT,
        **STEPS_NONE,
    }

    with committed():
        response = admin_client.post(url, form)

    assert response.status_code == 302
    first = TicketSLA.objects.get(ticket=ticket, target="first_response")
    assert first.due_at == MONDAY_9 + timedelta(minutes=15)


def test_policy_without_any_target_is_refused(admin_client, always_open):
    response = admin_client.post(
        reverse("admin:sla_slapolicy_add"),
        {"name": "Vazia", "position": 1, "calendar": always_open.pk, "warn_before": 20,
         "warn_unit": "percent", **STEPS_NONE},
    )  # fmt: skip

    assert response.status_code == 200
    assert not SLAPolicy.objects.exists()


def test_clocks_are_read_only_in_the_admin(admin_client, teams, policy, committed):
    with committed():
        services.message_receive(incoming=make_inbound())

    assert admin_client.get(reverse("admin:sla_ticketsla_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:sla_ticketsla_add")).status_code == 403


def test_policy_list_takes_the_same_queries_for_many_policies(
    admin_client, always_open, django_assert_max_num_queries
):
    url = reverse("admin:sla_slapolicy_changelist")
    SLAPolicyFactory(calendar=always_open)
    admin_client.get(url)
    with django_assert_max_num_queries(8) as few:
        admin_client.get(url)
    for n in range(10):
        SLAPolicyFactory(calendar=BusinessCalendarFactory(name=f"Filial {n}"))
    with django_assert_max_num_queries(8) as many:
        admin_client.get(url)

    assert len(many) == len(few)


def test_escalation_steps_are_edited_on_the_policy(admin_client, teams, always_open):
    steps = {
        "escalation_steps-TOTAL_FORMS": "3",
        "escalation_steps-INITIAL_FORMS": "0",
        "escalation_steps-MIN_NUM_FORMS": "0",
        "escalation_steps-MAX_NUM_FORMS": "1000",
        "escalation_steps-0-stage": "warning",
        "escalation_steps-0-position": "1",
        "escalation_steps-0-action": "notify",
        "escalation_steps-1-stage": "breach",
        "escalation_steps-1-position": "1",
        "escalation_steps-1-action": "raise_priority",
        "escalation_steps-1-priority": "urgent",
        "escalation_steps-2-stage": "breach",
        "escalation_steps-2-position": "2",
        "escalation_steps-2-action": "reassign_team",
        "escalation_steps-2-team": str(teams["N2"].pk),
    }
    form = {
        "name": "Com escalonamento", "position": 1, "calendar": always_open.pk,
        "first_response_minutes": 60, "warn_before": 20, "warn_unit": "percent", **steps,
    }  # fmt: skip

    response = admin_client.post(reverse("admin:sla_slapolicy_add"), form)

    assert response.status_code == 302
    policy = SLAPolicy.objects.get(name="Com escalonamento")
    assert [
        (step.stage, step.action, step.priority, step.team_id)
        for step in policy.escalation_steps.order_by("stage", "position")
    ] == [
        ("breach", "raise_priority", "urgent", None),
        ("breach", "reassign_team", "", teams["N2"].pk),
        ("warning", "notify", "", None),
    ]


def test_a_reassignment_step_needs_its_team(admin_client, always_open):
    form = {
        "name": "Sem equipe", "position": 1, "calendar": always_open.pk,
        "first_response_minutes": 60, "warn_before": 20, "warn_unit": "percent",
        **STEPS_NONE, "escalation_steps-TOTAL_FORMS": "1",
        "escalation_steps-0-stage": "breach", "escalation_steps-0-position": "1",
        "escalation_steps-0-action": "reassign_team",
    }  # fmt: skip

    response = admin_client.post(reverse("admin:sla_slapolicy_add"), form)

    assert response.status_code == 200
    assert not SLAPolicy.objects.exists()
