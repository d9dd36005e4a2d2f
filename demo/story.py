"""The life of one demo ticket: timed steps planned first, then run under a travelled clock."""

import random
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

import time_machine
from django.conf import settings

from tickets.models import Channel, Customer, Ticket, Tier

from .actions import StoryActions
from .content import (
    AGENT_CLOSE_REASONS,
    CHASERS,
    CITIES,
    DEESCALATE_REASONS,
    DISPATCHER,
    ERPS,
    ESPECIALISTAS,
    FORWARD_REPLIES,
    MANAGER_NOTES,
    ON_HOLD_CASES,
    PICKUP_REPLIES,
    PRIORITY_REASONS,
    REOPEN_MESSAGES,
    SECOND_SOLUTIONS,
    SEGMENT_LABELS,
    SOLVER,
    WORKING_NOTES,
)
from .planning import (
    FAR_FUTURE,
    TIERS,
    TicketSpec,
    ascii_slug,
    brl,
    local,
    make_cnpj,
)
from .seeder import Seeder

S = Ticket.Status
P = Ticket.Priority


class TicketStory(StoryActions):
    """The life of one demo ticket: timed steps planned first, then run under a travelled clock."""

    def __init__(self, seeder: Seeder, spec: TicketSpec, rng: random.Random):
        self.s = seeder
        self.spec = spec
        self.rng = rng
        self.person = spec.person
        self.steps: list[tuple[datetime, Callable[..., None], dict[str, Any]]] = []
        self.t = spec.t0 - timedelta(minutes=1)
        self.ticket: Ticket | None = None
        self.dup_ticket: Ticket | None = None
        self.thread_ids: dict[str, str] = {}
        self.details_told = 0  # how many of the scenario's details the customer gave
        self.notes_written = 0
        self.holder = None  # the agent working the ticket
        self.last_writer = None
        self.solution_step: int | None = None
        self.closed_at: datetime | None = None
        self.merged_at: datetime | None = None
        self.n1_team = spec.topic.team
        self.n2_team = spec.topic.n2_team
        self.vars = self._vars()
        self.priority = spec.priority
        if (
            spec.person.segment == Customer.Segment.VIP
            and self.priority in (P.LOW, P.NORMAL)
            and self.rng.random() < 0.6
        ):
            self.priority = P.HIGH
        if spec.channel == Channel.PHONE:
            self.reply_channel = (
                Channel.EMAIL if self.person.email else
                Channel.WHATSAPP if self.person.whatsapp else Channel.SMS
            )  # fmt: skip
        else:
            self.reply_channel = spec.channel

    # ---- planning -----------------------------------------------------------------------
    def _vars(self) -> dict[str, Any]:
        rng, person = self.rng, self.person
        t0 = local(self.spec.t0)
        nf = rng.randint(10_000, 99_999)
        hour = rng.randint(8, 17)
        return {
            "pedido": f"{rng.randint(100_000, 999_999)}",
            "fatura": f"FAT-{t0.year}-{rng.randint(1000, 99_999):05d}",
            "nf": f"{nf}",
            "nf2": f"{nf + rng.randint(40, 400)}",
            "valor": brl(rng.choice([49.9, 89.9, 149.9, 199.0, 349.9]) * rng.randint(1, 12)),
            "data": (t0 - timedelta(days=rng.randint(1, 6))).strftime("%d/%m"),
            "data2": (t0 + timedelta(days=rng.randint(3, 8))).strftime("%d/%m"),
            "hora": f"{hour}h{rng.randint(0, 59):02d}",
            "hora2": f"{hour + 1}h{rng.randint(0, 59):02d}",
            "e2e": "E" + "".join(rng.choices("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", k=31)),
            "req": f"{rng.getrandbits(64):016x}",
            "erp": rng.choice(ERPS),
            "cidade": rng.choice(CITIES),
            "ip": f"192.168.{rng.randint(0, 20)}.{rng.randint(20, 250)}",
            "rastreio": f"{rng.choice(['QB', 'OY', 'NL', 'AB'])}{rng.randint(10**8, 10**9 - 1)}BR",
            "protocolo": f"{t0.year}{rng.randint(100_000, 999_999)}",
            "cnpj": make_cnpj(rng),
            "versao": f"{rng.randint(3, 5)}.{rng.randint(0, 12)}.{rng.randint(0, 9)}",
            "usuario": (person.email.split("@")[0] if person.email else ascii_slug(person.first)),
            "email": person.email or f"{ascii_slug(person.first)}@example.com",
            "assunto": self.spec.subject.lower(),
            "assunto_label": self.spec.topic.label,
            "segmento": SEGMENT_LABELS[person.segment],
        }

    def pick(self, options: Iterable[str]) -> str:
        return self.rng.choice(tuple(options))

    def next_note(self) -> str:
        notes = self.spec.scenario.notes
        note = notes[self.notes_written] if self.notes_written < len(notes) else None
        self.notes_written += 1
        return note or self.pick(WORKING_NOTES)

    def at(self, when: datetime, action: Callable[..., None], **kwargs: Any) -> None:
        when = max(when, self.t + timedelta(seconds=30))
        self.steps.append((when, action, kwargs))
        self.t = when

    def minutes(self, low: float, high: float) -> timedelta:
        return timedelta(minutes=self.rng.uniform(low, high))

    def agent_next(self, low: float, high: float) -> datetime:
        if self.spec.channel == Channel.CHAT and high <= 300:
            return self.t + self.minutes(1, 6)
        return self.s.agent_time(self.t + self.minutes(low, high), self.rng)

    def customer_next(self) -> datetime:
        channel = self.spec.channel
        if channel == Channel.CHAT:
            return self.t + self.minutes(1, 5)
        bucket = self.rng.random()
        if channel in (Channel.WHATSAPP, Channel.SMS):
            delay = self.minutes(3, 90) if bucket < 0.6 else self.minutes(90, 24 * 60)
        else:
            delay = self.minutes(30, 240) if bucket < 0.5 else self.minutes(240, 36 * 60)
        return self.s.customer_time(self.t + delay, self.rng)

    def first_response_delay(self) -> tuple[float, float]:
        return {
            P.URGENT: (5, 40),
            P.HIGH: (15, 120),
            P.NORMAL: (30, 300),
            P.LOW: (60, 600),
        }[self.priority]

    def plan(self) -> None:
        spec, rng, s = self.spec, self.rng, self.s
        if spec.channel == Channel.PHONE:
            agent = s.pick_agent(rng, self.n1_team, SOLVER)
            self.at(spec.t0, self.do_phone_call, agent=agent)
            self.at(self.t + self.minutes(1, 4), self.do_note, agent=agent, text=None)
            self.at(self.t + self.minutes(0.5, 2), self.do_claim, agent=agent)
            self.holder = agent
        else:
            self.at(spec.t0, self.do_receive, body=spec.scenario.opening, first=True)
            self.at(self.t + timedelta(seconds=5), self.do_route)
        if spec.dup_channel:
            self.at(s.customer_time(self.t + self.minutes(15, 90), rng), self.do_receive_dup)
        if spec.status == S.NEW:
            if rng.random() < 0.45:
                dispatcher = s.pick_agent(rng, self.n1_team, DISPATCHER)
                self.at(self.agent_next(5, 45), self.do_tag, agent=dispatcher)
                self.at(self.t + self.minutes(0.5, 2), self.do_assign, agent=dispatcher,
                        assignee=s.pick_agent(rng, self.n1_team, SOLVER))  # fmt: skip
            return
        low, high = self.first_response_delay()
        direct_n2 = False
        if spec.channel != Channel.PHONE and spec.dispatcher:
            dispatcher = s.pick_agent(rng, self.n1_team, DISPATCHER)
            self.at(self.agent_next(low / 2, high / 2), self.do_tag, agent=dispatcher)
            self._triage(dispatcher)
            if spec.path >= 1 and rng.random() < 0.5:
                self.at(self.t + self.minutes(1, 4), self.do_reply, agent=dispatcher,
                        text=self.pick(FORWARD_REPLIES), equipe=self.n2_team)  # fmt: skip
                self.at(self.t + self.minutes(0.5, 2), self.do_escalate, agent=dispatcher,
                        to_tier=Tier.N2, reason=self.pick(spec.topic.to_n2))  # fmt: skip
                direct_n2 = True
            else:
                solver = s.pick_agent(rng, self.n1_team, SOLVER)
                self.at(self.t + self.minutes(1, 5), self.do_assign, agent=dispatcher,
                        assignee=solver, note=rng.random() < 0.35)  # fmt: skip
                self.holder = solver
                self.at(self.agent_next(10, 150), self.do_start, agent=solver)
        else:
            if spec.channel != Channel.PHONE:
                solver = s.pick_agent(rng, self.n1_team, SOLVER)
                self.at(self.agent_next(low, high), self.do_claim, agent=solver)
                self.holder = solver
            self.at(self.t + self.minutes(0.5, 2), self.do_tag, agent=self.holder)
            self._triage(self.holder)
        for level in range(1 if direct_n2 else 0, spec.path + 1):
            if level > 0 and not self._pick_up(level):
                return  # left in the N2/N3 queue, nobody has taken it yet
            if level == 2 and spec.deescalate and spec.status != S.PENDING:
                self._send_back_to_n2()
                self._finish(1)
                return
            if level == spec.path:
                self._finish(level)
                return
            self._work_then_escalate(level)

    def _triage(self, agent) -> None:
        spec, priority = self.spec, self.priority
        if priority != P.NORMAL and spec.channel != Channel.PHONE:
            reasons = PRIORITY_REASONS[priority]
            if priority == P.HIGH and spec.person.segment == Customer.Segment.VIP:
                reasons = ("Cliente VIP.",)
            self.at(self.t + self.minutes(0.5, 2), self.do_priority, agent=agent,
                    priority=priority, reason=self.pick(reasons))  # fmt: skip
        if spec.dup_channel:
            self.at(self.t + self.minutes(1, 3), self.do_merge, agent=agent)
        if spec.manager_note:
            self.at(self.t + self.minutes(5, 90), self.do_note, agent=self.s.manager,
                    text=self.pick(MANAGER_NOTES))  # fmt: skip

    def _ask_round(self, *, answer: bool = True) -> None:
        self.at(self.agent_next(3, 60), self.do_reply, agent=self.holder,
                text=self.pick(self.spec.topic.asks), then_status=S.PENDING)  # fmt: skip
        if answer:
            details = self.spec.scenario.details
            body = details[min(self.details_told, len(details) - 1)]
            self.details_told += 1
            self.at(self.customer_next(), self.do_customer, agent=self.holder, body=body)

    def _pick_up(self, level: int) -> bool:
        spec, rng = self.spec, self.rng
        tier = TIERS[level]
        team = self.n2_team if level == 1 else ESPECIALISTAS
        if spec.status == S.OPEN and level == spec.path and rng.random() < 0.35:
            return False
        agent = self.s.pick_agent(rng, team)
        wait = (15, 8 * 60) if level == 1 else (60, 2 * 24 * 60)
        self.at(self.agent_next(*wait), self.do_claim, agent=agent)
        self.holder = agent
        if spec.reassign and level == spec.path:
            others = [u for u, _w, _r in self.s.agents[team] if u != agent]
            if others:
                other = rng.choice(others)
                self.at(self.t + self.minutes(30, 240), self.do_reassign, assignee=other,
                        previous=agent)  # fmt: skip
                self.holder = other
        self.at(self.t + self.minutes(5, 60), self.do_reply, agent=self.holder,
                text=self.pick(PICKUP_REPLIES[tier]), equipe=team)  # fmt: skip
        return True

    def _work_then_escalate(self, level: int) -> None:
        spec, rng = self.spec, self.rng
        if rng.random() < 0.4:
            self._ask_round()
        self.at(self.agent_next(10, 120), self.do_note, agent=self.holder, text=self.next_note())
        to_tier = TIERS[level + 1]
        reasons = spec.topic.to_n2 if level == 0 else spec.topic.to_n3
        next_team = self.n2_team if level == 0 else ESPECIALISTAS
        if level == 0 or rng.random() < 0.5:
            self.at(self.t + self.minutes(1, 5), self.do_reply, agent=self.holder,
                    text=self.pick(FORWARD_REPLIES), equipe=next_team)  # fmt: skip
        self.at(self.t + self.minutes(0.5, 3), self.do_escalate, agent=self.holder,
                to_tier=to_tier, reason=self.pick(reasons))  # fmt: skip

    def _send_back_to_n2(self) -> None:
        specialist = self.holder
        self.at(self.agent_next(30, 300), self.do_note, agent=specialist, text=self.next_note())
        self.at(self.t + self.minutes(1, 10), self.do_deescalate, agent=specialist,
                reason=self.pick(DEESCALATE_REASONS))  # fmt: skip
        analyst = self.s.pick_agent(self.rng, self.n2_team)
        self.at(self.t + self.minutes(1, 5), self.do_assign, agent=specialist, assignee=analyst)
        self.holder = analyst

    def _finish(self, level: int) -> None:
        spec, rng = self.spec, self.rng
        status = spec.status
        if status == S.PENDING:
            self._ask_round(answer=False)
            return
        if status == S.OPEN:
            choice = rng.random()
            if choice < 0.55:
                self._ask_round()
            elif choice < 0.8 and spec.channel != Channel.PHONE:
                self.at(self.customer_next(), self.do_customer, agent=self.holder,
                        body=self.pick(CHASERS))  # fmt: skip
            else:
                self.at(self.agent_next(10, 120), self.do_note, agent=self.holder,
                        text=self.pick(WORKING_NOTES))  # fmt: skip
            return
        if rng.random() < (0.5 if level == 0 else 0.35):
            self._ask_round()
        if status == S.ON_HOLD or (level == 2 and rng.random() < 0.5):
            cases = [case for case in ON_HOLD_CASES if case[0] <= level]
            _level, reply, hold_reason, resume_reason = rng.choice(cases)
            self.at(self.agent_next(20, 240), self.do_reply, agent=self.holder, text=reply)
            self.at(self.t + self.minutes(0.5, 2), self.do_status, agent=self.holder,
                    to_status=S.ON_HOLD, reason=hold_reason)  # fmt: skip
            if status == S.ON_HOLD:
                return
            self.at(self.agent_next(24 * 60, 6 * 24 * 60), self.do_status, agent=self.holder,
                    to_status=S.OPEN, reason=resume_reason)  # fmt: skip
        self.solution_step = len(self.steps)
        self.at(self.agent_next(20, 8 * 60 if level else 120), self.do_reply, agent=self.holder,
                text=spec.scenario.solution, then_status=S.SOLVED)  # fmt: skip
        if spec.reopen:
            self.at(self.customer_next(), self.do_customer, agent=self.holder,
                    body=self.pick(REOPEN_MESSAGES))  # fmt: skip
            self.at(self.agent_next(30, 6 * 60), self.do_reply, agent=self.holder,
                    text=self.pick(SECOND_SOLUTIONS), then_status=S.SOLVED)  # fmt: skip
            self.at(self.t + self.minutes(0.5, 2), self.do_tag, agent=self.holder,
                    tags=("reaberto",))  # fmt: skip

    def fit(self) -> None:
        """Make the story end before now: a new ticket keeps only what already happened; a
        solved one was solved recently (older ones are closed by the hourly task); the rest is
        squeezed in. Closed tickets then get their close."""
        limit = self.s.now - timedelta(minutes=2)
        if self.spec.status == S.NEW:
            self.steps = [step for step in self.steps if step[0] <= limit] or self.steps[:1]
        close_days = settings.JORNADA["CLOSE_SOLVED_AFTER_DAYS"]
        anchor = 0
        if self.spec.status == S.SOLVED and self.solution_step is not None:
            oldest_allowed = self.s.now - timedelta(days=close_days, hours=-6)
            if self.steps[-1][0] < oldest_allowed:
                anchor = self.solution_step
                target = self.s.now - timedelta(hours=self.rng.uniform(2, (close_days - 1) * 24))
                shift = target - self.steps[anchor][0]
                self.steps[anchor:] = [(when + shift, a, kw) for when, a, kw in self.steps[anchor:]]
        last, start = self.steps[-1][0], self.steps[anchor][0]
        if last > limit:
            end = limit - (limit - start) * self.rng.uniform(0, 0.3)
            factor = (end - start) / (last - start)
            self.steps[anchor:] = [
                (start + (when - start) * factor, a, kw) for when, a, kw in self.steps[anchor:]
            ]
        self.t = self.steps[-1][0]
        if self.spec.status == S.CLOSED:
            automatic = self.t + timedelta(days=close_days, minutes=self.rng.uniform(5, 59))
            if automatic < limit:
                self.at(automatic, self.do_auto_close)
            else:
                when = min(self.agent_next(10, 20 * 60), limit)
                self.at(when, self.do_status, agent=self.holder, to_status=S.CLOSED,
                        reason=self.pick(AGENT_CLOSE_REASONS))  # fmt: skip
            self.closed_at = self.t

    def busy_until(self) -> datetime:
        return self.closed_at or FAR_FUTURE

    # ---- running -----------------------------------------------------------------------
    def run(self) -> None:
        with time_machine.travel(self.steps[0][0], tick=False) as traveller:
            for when, action, kwargs in self.steps:
                traveller.move_to(when)
                action(**kwargs)
