"""sla/metrics.py against a small desk worked out by hand: a business calendar (Monday to
Friday 08:00-18:00 in São Paulo) with Friday 20 November 2026 a national holiday, three tickets
driven through the real services and SLA engine, each figure computed on paper below."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from sla import metrics
from sla import services as sla_services
from tests.sla.conftest import sp
from tests.sla.factories import BusinessCalendarFactory, SLAPolicyFactory
from tests.tickets.factories import (
    CustomerFactory,
    OrganizationFactory,
    TeamFactory,
    make_inbound,
    make_ticket,
)
from tickets import services
from tickets.models import Channel, Customer, Ticket, Tier

MIN = 60.0  # seconds
S = Ticket.Status


def receive(sender, body="Olá, preciso de ajuda.", subject="Ajuda"):
    return services.message_receive(
        incoming=make_inbound(sender_value=sender, body_text=body, subject=subject)
    ).ticket


def whole_range(**narrowing) -> metrics.MetricFilters:
    return metrics.MetricFilters(start=sp(2026, 11, 16), end=sp(2026, 11, 30), **narrowing)


@pytest.fixture
def desk(db, clock, committed, n1_agent):
    """A: Mon 16 09:00, answered and solved at 09:30 (one reply: first-contact resolution).
    B: Thu 19 17:30, answered Mon 23 08:10 (30 + 10 business minutes: Friday is a holiday), the
       customer writes again at 09:00, answered and solved at 09:20.
    C: Tue 17 10:00, escalated to N2 at 10:30, never answered: its first response is missed at
       11:00 and its resolution (600 business minutes) at Wed 18 10:00.
    Observed on Mon 23 at 12:00."""
    SLAPolicyFactory(
        calendar=BusinessCalendarFactory(),
        first_response_minutes=60,
        next_response_minutes=120,
        resolution_minutes=600,
    )
    TeamFactory(name="Suporte N2", tier=Tier.N2)

    def at(when, action):
        clock.move_to(when.astimezone(UTC))
        with committed():
            return action()

    a = at(sp(2026, 11, 16, 9, 0), lambda: receive("a@example.com"))
    at(
        sp(2026, 11, 16, 9, 30),
        lambda: services.message_reply(
            ticket=a, by=n1_agent, body_text="Feito.", then_status=S.SOLVED
        ),
    )
    c = at(sp(2026, 11, 17, 10, 0), lambda: receive("c@example.com"))
    at(
        sp(2026, 11, 17, 10, 30),
        lambda: services.ticket_escalate(ticket=c, reason="Falha no roteador", by=n1_agent),
    )
    b = at(sp(2026, 11, 19, 17, 30), lambda: receive("b@example.com"))
    at(
        sp(2026, 11, 23, 8, 10),
        lambda: services.message_reply(ticket=b, by=n1_agent, body_text="Oi"),
    )
    at(
        sp(2026, 11, 23, 9, 0),
        lambda: receive("b@example.com", "Ainda não", f"Re: [#{b.number}] Ajuda"),
    )
    at(
        sp(2026, 11, 23, 9, 20),
        lambda: services.message_reply(
            ticket=b, by=n1_agent, body_text="Agora sim.", then_status=S.SOLVED
        ),
    )
    at(sp(2026, 11, 23, 12, 0), lambda: sla_services.sla_sweep(limit=100))
    return {"a": a, "b": b, "c": c}


def test_first_response_time_in_business_and_wall_clock_time(desk):
    figure = metrics.first_response_time(whole_range())

    # Business: A 30 min, B 40 min (Thu 17:30-18:00, Mon 08:00-08:10). C is still waiting.
    assert figure.business.kind == metrics.BUSINESS
    assert figure.business.count == 2
    assert figure.business.median == pytest.approx(35 * MIN)
    assert figure.business.p90 == pytest.approx(39 * MIN)
    assert figure.business.average == pytest.approx(35 * MIN)
    # Wall clock: A 30 min, B 3 days 14 h 40 min = 5,200 min.
    assert figure.wall_clock.kind == metrics.WALL_CLOCK
    assert figure.wall_clock.count == 2
    assert figure.wall_clock.median == pytest.approx(2615 * MIN, abs=1)
    assert figure.wall_clock.p90 == pytest.approx((30 + 0.9 * 5170) * MIN, abs=1)


def test_resolution_time_in_business_and_wall_clock_time(desk):
    figure = metrics.resolution_time(whole_range())

    # Business: A 30 min; B Thu 17:30-18:00 + Mon 08:00-09:20 = 110 min.
    assert figure.business.count == 2
    assert figure.business.median == pytest.approx(70 * MIN)
    # Wall clock: A 30 min; B 3 days 15 h 50 min = 5,270 min.
    assert figure.wall_clock.median == pytest.approx(2650 * MIN, abs=1)
    assert figure.wall_clock.average == pytest.approx(2650 * MIN, abs=1)


def test_volume_first_contact_resolution_and_contacts(desk):
    volume = metrics.volume(whole_range(), time_zone="America/Sao_Paulo")

    assert (volume.created, volume.solved) == (3, 2)
    assert volume.first_contact_resolution_rate == pytest.approx(0.5)  # A only
    assert volume.contacts_per_resolution == pytest.approx(1.5)  # A 1 + B 2 messages, 2 solved
    assert (volume.conversations, volume.replies) == (3, 3)
    days = {day.isoformat(): (created, solved) for day, created, solved in volume.per_day}
    assert days == {
        "2026-11-16": (1, 1),
        "2026-11-17": (1, 0),
        "2026-11-19": (1, 0),
        "2026-11-23": (0, 1),
    }


def test_sla_compliance_per_target(desk):
    rows = {row.target: (row.met, row.missed) for row in metrics.sla_compliance(whole_range())}

    assert rows == {"first_response": (2, 1), "next_response": (1, 0), "resolution": (2, 1)}
    first = metrics.sla_compliance(whole_range())[0]
    assert first.rate == pytest.approx(2 / 3)
    assert first.kind == metrics.BUSINESS


def test_backlog_counts_open_tickets_now_with_their_age(desk):
    backlog = metrics.backlog(whole_range(), now=sp(2026, 11, 23, 12, 0))

    assert (backlog.open, backlog.overdue) == (1, 1)
    assert backlog.age.median == pytest.approx((6 * 24 + 2) * 60 * MIN, abs=1)


def test_escalations_by_step_and_reason(desk):
    rows = metrics.escalations(whole_range())

    assert [(e.from_tier, e.to_tier, e.reason, e.count) for e in rows] == [
        ("N1", "N2", "Falha no roteador", 1)
    ]


def test_range_is_half_open_and_empty_figures_are_none(desk):
    later = metrics.MetricFilters(start=sp(2026, 11, 24), end=sp(2026, 11, 25))

    assert metrics.first_response_time(later).business.median is None
    assert metrics.volume(later).first_contact_resolution_rate is None
    assert all(row.rate is None for row in metrics.sla_compliance(later))


@pytest.mark.django_db
def test_filters_combine(teams, n1_agent):
    vip_org = OrganizationFactory(name="Banco Ltda")
    vip = CustomerFactory(segment=Customer.Segment.VIP, organization=vip_org)
    plain = CustomerFactory()
    n1 = teams[Tier.N1]
    make_ticket(team=n1, customer=vip, channel=Channel.WHATSAPP, assignee=n1_agent)
    make_ticket(team=n1, customer=vip, channel=Channel.EMAIL, assignee=n1_agent)
    make_ticket(team=n1, customer=plain, channel=Channel.WHATSAPP)
    make_ticket(team=teams[Tier.N2], customer=vip, channel=Channel.WHATSAPP, tier=Tier.N2)
    now = datetime.now(UTC)

    def created(**narrowing):
        filters = metrics.MetricFilters(
            start=now - timedelta(days=1), end=now + timedelta(days=1), **narrowing
        )
        return metrics.volume(filters).created

    assert created() == 4
    assert created(team=n1.pk, channel=Channel.WHATSAPP) == 2
    assert created(team=n1.pk, channel=Channel.WHATSAPP, segment="vip") == 1
    assert created(organization=vip_org.pk, tier=Tier.N2) == 1
    assert created(agent=n1_agent.pk, channel=Channel.EMAIL) == 1
    assert created(team_ids=[teams[Tier.N2].pk], team=n1.pk) == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("utc", "weekday", "hour"),
    [
        # 2018: São Paulo on daylight-saving time (UTC-2) from 4 November.
        (datetime(2018, 12, 3, 14, 30, tzinfo=UTC), 0, 12),
        # 2024: no daylight-saving time any more (UTC-3 all year).
        (datetime(2024, 12, 2, 14, 30, tzinfo=UTC), 0, 11),
        # Sunday late evening locally is already Monday in UTC.
        (datetime(2024, 12, 2, 1, 30, tzinfo=UTC), 6, 22),
    ],
)
def test_heatmap_hours_in_the_desks_time_zone(utc, weekday, hour):
    make_ticket(created_at=utc)
    filters = metrics.MetricFilters(start=utc - timedelta(days=1), end=utc + timedelta(days=1))

    grid = metrics.volume_heatmap(filters, time_zone="America/Sao_Paulo")

    assert grid[weekday][hour] == 1
    assert sum(map(sum, grid)) == 1


def test_each_figure_takes_a_fixed_number_of_queries(desk, django_assert_num_queries):
    filters = whole_range()
    percentile_queries = 1 if connection.vendor == "postgresql" else 3
    with django_assert_num_queries(2 * (1 + percentile_queries)):
        metrics.first_response_time(filters)
    with django_assert_num_queries(5):
        metrics.volume(filters)
    with django_assert_num_queries(1):
        metrics.sla_compliance(filters)
    with django_assert_num_queries(1):
        metrics.escalations(filters)
    with django_assert_num_queries(1):
        metrics.volume_heatmap(filters)


def test_average_response_time_and_time_between_contacts(desk):
    figure = metrics.responsiveness(whole_range())

    # Responses: A first 30 min, B first 40 business min (5,200 wall), B next 20 min.
    assert figure.responses == 3
    assert figure.response_business == pytest.approx(30 * MIN)
    assert figure.response_wall_clock == pytest.approx((30 + 5200 + 20) / 3 * MIN, abs=1)
    # B's customer wrote Thu 17:30 and Mon 09:00: one gap of 3 days 15 h 30 min.
    assert figure.between_contacts == pytest.approx((3 * 24 + 15.5) * 60 * MIN, abs=1)


def test_figures_per_team(desk, teams):
    rows = {row.key: row for row in metrics.figures_by(whole_range(), group="team")}

    n1 = rows[teams[Tier.N1].pk]  # A and B; C was escalated to the N2 team
    assert (n1.workload, n1.replies, n1.solved) == (0, 3, 2)
    assert n1.first_response == pytest.approx(2615 * MIN, abs=1)  # (30 + 5,200) / 2
    assert n1.resolution == pytest.approx(2650 * MIN, abs=1)  # (30 + 5,270) / 2
    assert (n1.met, n1.missed, n1.compliance) == (5, 0, 1.0)
    n2 = rows[Ticket.objects.get(pk=desk["c"].pk).team_id]
    assert (n2.workload, n2.replies, n2.met, n2.missed, n2.compliance) == (1, 0, 0, 2, 0.0)


def test_figures_per_agent_count_the_replies_they_wrote(desk, n1_agent):
    rows = {row.key: row for row in metrics.figures_by(whole_range(), group="assignee")}

    assert rows[n1_agent.pk].replies == 3
    assert rows[None].workload == 1  # C, open and unassigned


def test_figures_per_group_take_five_queries(desk, django_assert_num_queries):
    with django_assert_num_queries(5):
        metrics.figures_by(whole_range(), group="team")
