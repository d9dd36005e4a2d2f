# ruff: noqa: E501 (long pt-BR demo sentences read better unbroken)
"""The steps of a demo ticket's life, each one call to tickets.services under the travelled clock."""

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from tickets import services
from tickets.inbound import NormalizedMessage
from tickets.models import Channel, Customer, CustomerIdentity, Message, Ticket, Tier
from tickets.services.messages import whatsapp_window_closes_at

from .content import (
    CHANNEL_NAMES,
    CHANNEL_WORDS,
    DISPATCH_NOTES,
    DUP_MESSAGES,
    ESPECIALISTAS,
    FIRST_REPLY_INTROS,
    MERGE_NOTES,
    REASSIGN_NOTES,
)
from .planning import (
    DEMO_MARK,
    day_greeting,
    local,
)

S = Ticket.Status


class StoryActions:
    """What happens at each step of a demo ticket's life, written through tickets.services, and
    the words of its messages. TicketStory plans the steps and holds the state these read."""

    def text(self, template: str, **extra: Any) -> str:
        values = dict(self.vars)
        values["numero"] = self.ticket.number if self.ticket else ""
        values["agente"] = ""
        values.update(extra)
        return template.format_map(values)

    def customer_text(self, body: str, *, first: bool, channel: str) -> str:
        rng, person = self.rng, self.person
        body = self.text(body)
        now = timezone.now()
        if channel in (Channel.EMAIL, Channel.WEB):
            if first:
                greeting = rng.choice([f"{day_greeting(now)},", "Olá,", "Prezados,"])
                thanks = "Obrigada" if person.female else "Obrigado"
                closing = rng.choice([f"{thanks}.", "Aguardo retorno.", "Atenciosamente,"])
                signature = person.name + (f"\n{person.org[0]}" if person.org else "")
            else:
                writer = self.last_writer.first_name if self.last_writer else ""
                greeting = f"Olá, {writer}." if writer else "Olá,"
                thanks = "Obrigada" if person.female else "Obrigado"
                closing = rng.choice([f"{thanks}.", "Abraço,", "Fico no aguardo."])
                signature = person.first
            return f"{greeting}\n\n{body}\n\n{closing}\n{signature}"
        if channel == Channel.SMS:
            return body
        if first:
            return f"{rng.choice([day_greeting(now) + '!', 'Olá!', 'Oi, tudo bem?'])} {body}"
        return body

    def agent_text(self, agent, body: str, **extra: Any) -> str:
        person, rng = self.person, self.rng
        body = self.text(body, agente=agent.get_full_name(), **extra)
        if self.last_writer is None:
            thanks = "Obrigada" if self.s.female_staff.get(agent.pk) else "Obrigado"
            intro = self.text(rng.choice(FIRST_REPLY_INTROS), obrigado=thanks)
            body = f"{intro} {body}".strip()
        if self.reply_channel in (Channel.EMAIL, Channel.WEB):
            dear = "Prezada" if person.female else "Prezado"
            greeting = rng.choice([f"Olá, {person.first}!", f"{dear} {person.first},"])
            signoff = rng.choice(["Atenciosamente,", "Abraços,", "Fico à disposição."])
            return f"{greeting}\n\n{body}\n\n{signoff}\n{agent.get_full_name()}\nSuporte Jornada"
        if self.reply_channel == Channel.SMS:
            return f"Jornada: {body}"
        return f"Oi, {person.first}! {body}\n— {agent.first_name}"

    def do_start(self, *, agent) -> None:
        """The assigned agent opens the ticket and starts working on it."""
        services.ticket_change_status(ticket=self.ticket, to_status=S.OPEN, by=agent)

    def do_receive(self, *, body: str, first: bool = False, channel: str | None = None) -> None:
        channel = channel or self.spec.channel
        kind, value = self.person.sender(channel)
        subject = self.spec.subject
        if not first and channel in (Channel.EMAIL, Channel.WEB):
            subject = f"Re: [#{self.ticket.number}] {subject}"
        elif not first:
            subject = ""
        reply_to = self.thread_ids.get(channel)
        external_id = self.s.external_id(channel, self.rng, value.partition("@")[2])
        result = services.message_receive(
            incoming=NormalizedMessage(
                channel=channel,
                sender_kind=kind,
                sender_value=value,
                sender_name=self.person.name,
                subject=subject,
                body_text=self.customer_text(body, first=first, channel=channel),
                external_id=external_id,
                reply_to_ids=(reply_to,) if reply_to and not first else (),
                sent_at=timezone.now() - timedelta(seconds=self.rng.randint(1, 20)),
                metadata=dict(DEMO_MARK),
            )
        )
        if first:
            if not result.created_ticket:
                raise CommandError(
                    _("Demo message %(id)s did not open a ticket.") % {"id": external_id}
                )
            self.ticket = result.ticket
        elif result.ticket.pk != self.ticket.pk:
            raise CommandError(
                _("Demo message %(id)s landed on the wrong ticket.") % {"id": external_id}
            )
        self.thread_ids.setdefault(channel, external_id)

    def do_receive_dup(self) -> None:
        channel = self.spec.dup_channel
        kind, value = self.person.sender(channel)
        external_id = self.s.external_id(channel, self.rng, value.partition("@")[2])
        body = self.text(self.pick(DUP_MESSAGES), canal_main=CHANNEL_WORDS[self.spec.channel])
        result = services.message_receive(
            incoming=NormalizedMessage(
                channel=channel,
                sender_kind=kind,
                sender_value=value,
                sender_name=self.person.name,
                subject=self.spec.subject,
                body_text=self.customer_text(body, first=True, channel=channel),
                external_id=external_id,
                metadata=dict(DEMO_MARK),
            )
        )
        if not result.created_ticket:
            raise CommandError(
                _("Demo message %(id)s did not open a ticket.") % {"id": external_id}
            )
        self.dup_ticket = result.ticket
        self.thread_ids[channel] = external_id

    def do_customer(self, *, body: str, agent) -> None:
        """The customer writes back, on the channel of the ticket (a call is written down)."""
        if self.spec.channel != Channel.PHONE:
            self.do_receive(body=body)
        elif self.person.email:
            self.do_receive(body=body, channel=Channel.EMAIL)
        else:
            services.note_add(
                ticket=self.ticket,
                by=agent,
                body_text=f"Cliente retornou a ligação: “{self.text(body)}”",
            )
            services.ticket_change_status(
                ticket=self.ticket, to_status=S.OPEN, by=agent, reason="Cliente retornou"
            )

    def do_phone_call(self, *, agent) -> None:
        self.ticket = services.ticket_create(
            customer=self.person.customer,
            subject=self.spec.subject,
            channel=Channel.PHONE,
            priority=self.priority,
            team=self.s.teams[self.n1_team],
            by=agent,
        )

    def do_route(self) -> None:
        """The inbound routing rule puts the ticket in its N1 queue."""
        services.ticket_assign(
            ticket=self.ticket, assignee=None, by=None, team=self.s.teams[self.n1_team]
        )

    def do_claim(self, *, agent) -> None:
        services.ticket_claim(ticket=self.ticket, by=agent)

    def do_assign(self, *, agent, assignee, note: bool = False) -> None:
        services.ticket_assign(ticket=self.ticket, assignee=assignee, by=agent)
        if note:
            body = self.text(self.pick(DISPATCH_NOTES), agente=assignee.get_full_name())
            services.note_add(ticket=self.ticket, by=agent, body_text=body)

    def do_reassign(self, *, assignee, previous) -> None:
        manager = self.s.manager
        services.ticket_assign(ticket=self.ticket, assignee=assignee, by=manager)
        body = self.text(
            self.pick(REASSIGN_NOTES),
            agente=assignee.get_full_name(),
            anterior=previous.get_full_name(),
        )
        services.note_add(ticket=self.ticket, by=manager, body_text=body)

    def do_tag(self, *, agent, tags: Iterable[str] | None = None) -> None:
        if tags is None:
            tags = list(self.spec.topic.tags)
            if self.person.segment == Customer.Segment.VIP:
                tags.append("vip")
            if self.person.org:
                tags.append("cliente-empresa")
        services.ticket_tag(ticket=self.ticket, by=agent, add=tags)

    def do_priority(self, *, agent, priority: str, reason: str) -> None:
        services.ticket_change_priority(
            ticket=self.ticket, priority=priority, by=agent, reason=reason
        )

    def do_merge(self, *, agent) -> None:
        services.ticket_merge(source=self.dup_ticket, target=self.ticket, by=agent)
        self.merged_at = timezone.now()
        services.note_add(
            ticket=self.ticket,
            by=agent,
            body_text=self.text(
                self.pick(MERGE_NOTES),
                canal_dup=CHANNEL_NAMES[self.spec.dup_channel],
                dup=self.dup_ticket.number,
            ),
        )

    def do_reply(self, *, agent, text: str, then_status: str | None = None, **extra) -> None:
        reply = services.message_reply(
            ticket=self.ticket,
            by=agent,
            body_text=self.agent_text(agent, text, **extra),
            channel=self.channel_open_now(),
            then_status=then_status,
        )
        # History, not work to do: the reply reached the customer back then.
        services.message_update_delivery(message=reply, status=Message.DeliveryStatus.DELIVERED)
        self.last_writer = agent

    def channel_open_now(self) -> str:
        """WhatsApp takes free text only within 24 h of the customer's last message there; past
        that, the agent answers by email when the customer has one, else by SMS."""
        if self.reply_channel != Channel.WHATSAPP:
            return self.reply_channel
        closes_at = whatsapp_window_closes_at(customer_id=self.ticket.customer_id)
        if closes_at is not None and closes_at > timezone.now():
            return Channel.WHATSAPP
        kinds = set(self.ticket.customer.identities.values_list("kind", flat=True))
        return Channel.EMAIL if CustomerIdentity.Kind.EMAIL in kinds else Channel.SMS

    def do_note(self, *, agent, text: str | None) -> None:
        if text is None:  # the summary of the call that opened the ticket
            opening = self.text(self.spec.scenario.opening)
            hour = local(self.spec.t0).strftime("%Hh%M")
            body = f"Ligação recebida às {hour}. Relato do cliente: “{opening}”"
        else:
            body = self.text(text)
        services.note_add(ticket=self.ticket, by=agent, body_text=body)

    def do_escalate(self, *, agent, to_tier: str, reason: str) -> None:
        team = self.n2_team if to_tier == Tier.N2 else ESPECIALISTAS
        services.ticket_escalate(
            ticket=self.ticket,
            reason=self.text(reason),
            by=agent,
            to_tier=to_tier,
            team=self.s.teams[team],
        )

    def do_deescalate(self, *, agent, reason: str) -> None:
        services.ticket_deescalate(
            ticket=self.ticket,
            reason=reason,
            by=agent,
            to_tier=Tier.N2,
            team=self.s.teams[self.n2_team],
        )

    def do_status(self, *, agent, to_status: str, reason: str) -> None:
        services.ticket_change_status(
            ticket=self.ticket, to_status=to_status, by=agent, reason=self.text(reason)
        )

    def do_auto_close(self) -> None:
        """What the shipped time rule "close solved tickets after 4 days" does (in bulk, for
        the history), at the hour it would."""
        days = settings.JORNADA["CLOSE_SOLVED_AFTER_DAYS"]
        closed = services.tickets_close_stale_solved(
            solved_before=timezone.now() - timedelta(days=days)
        )
        if not closed:
            raise CommandError(
                _("Demo ticket #%(number)s was not closed automatically.")
                % {"number": self.ticket.number}
            )
