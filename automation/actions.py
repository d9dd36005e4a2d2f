"""What a rule does to a ticket, each action through the core's services (by=None: the rule,
not a person). Every action returns what it changed, as shown on the timeline, or None when it
changed nothing (already so, or not possible now)."""

import logging
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tickets import services
from tickets.errors import TicketError
from tickets.models import (
    AgentNotification,
    AgentProfile,
    CannedResponse,
    Channel,
    Team,
    Ticket,
    tier_rank,
)
from tickets.services.macros import render_placeholders
from tickets.services.notifications import notify_agents

from . import routing

logger = logging.getLogger(__name__)

KINDS = {
    "assign": _("assign"),
    "set_team": _("set team"),
    "escalate": _("escalate"),
    "set_priority": _("set priority"),
    "set_status": _("set status"),
    "add_tags": _("add tags"),
    "remove_tags": _("remove tags"),
    "note": _("add an internal note"),
    "reply": _("reply with a canned response"),
    "notify": _("notify agents"),
    "webhook": _("post to a chat webhook (Slack, Teams)"),
    "event": _("emit a custom event"),
}


class Run:
    """One rule's run on one locked ticket: the actions change `ticket` (reloaded after each)."""

    def __init__(
        self, *, rule_id: int, rule_name: str, ticket: Ticket, tags: set[str], router=None
    ):
        self.rule_id, self.rule_name = rule_id, rule_name
        self.ticket, self.tags = ticket, tags
        self.router = router  # routing.Router of the batch, or None: a fresh one
        self.did: list[dict] = []

    def apply(self, action: dict) -> dict | None:
        handler = getattr(self, f"_do_{action.get('type')}", None)
        if handler is None:
            return None
        try:
            with transaction.atomic():
                done = handler(action)
        except TicketError as exc:  # not possible now (closed ticket, no team of that tier...)
            logger.info("Rule %s: %s not done: %s", self.rule_name, action.get("type"), exc)
            return None
        if done is not None:
            self.ticket = Ticket.objects.select_related(
                "customer__organization", "team", "assignee"
            ).get(pk=self.ticket.pk)
        return done

    # -- people and queues ------------------------------------------------------------------
    def _do_assign(self, action: dict) -> dict | None:
        to = str(action.get("to") or "auto")
        if to == "auto":
            user = routing.ticket_route_to_agent(
                ticket=self.ticket, tags=self.tags, router=self.router
            )
        else:
            user = get_user_model().objects.filter(username=to, is_active=True).first()
            if user is None or user.pk == self.ticket.assignee_id:
                return None
            services.ticket_assign(ticket=self.ticket, assignee=user, by=None)
        return {"type": "assign", "value": user.get_username()} if user else None

    def _do_set_team(self, action: dict) -> dict | None:
        team = Team.objects.filter(name=action.get("team")).first()
        if team is None or team.pk == self.ticket.team_id:
            return None
        if team.tier != self.ticket.tier:
            return self._do_escalate({"tier": team.tier, "team": team.name, "reason": ""})
        assignee = self.ticket.assignee
        if assignee is not None and not assignee.agent_profile.teams.filter(pk=team.pk).exists():
            assignee = None
        services.ticket_assign(ticket=self.ticket, assignee=assignee, by=None, team=team)
        return {"type": "set_team", "value": team.name}

    def _do_escalate(self, action: dict) -> dict | None:
        tier = action.get("tier") or None
        if tier is not None and tier_rank(tier) <= tier_rank(self.ticket.tier):
            return None
        team = Team.objects.filter(name=action.get("team")).first() if action.get("team") else None
        reason = str(action.get("reason") or "").strip() or self.rule_name
        services.ticket_escalate(
            ticket=self.ticket, reason=reason, by=None, to_tier=tier, team=team
        )
        return {"type": "escalate", "value": tier or "", "reason": reason}

    # -- the ticket's fields ----------------------------------------------------------------
    def _do_set_priority(self, action: dict) -> dict | None:
        priority = action.get("priority")
        if priority == self.ticket.priority:
            return None
        services.ticket_change_priority(ticket=self.ticket, priority=priority, by=None)
        return {"type": "set_priority", "value": priority}

    def _do_set_status(self, action: dict) -> dict | None:
        to_status = action.get("status")
        if to_status == self.ticket.status:
            return None
        services.ticket_change_status(ticket=self.ticket, to_status=to_status, by=None)
        return {"type": "set_status", "value": to_status}

    def _do_add_tags(self, action: dict) -> dict | None:
        names = _names(action.get("tags"))
        new = [n for n in names if n not in self.tags]
        if not new:
            return None
        services.ticket_tag(ticket=self.ticket, by=None, add=new)
        self.tags |= set(new)
        return {"type": "add_tags", "value": ", ".join(new)}

    def _do_remove_tags(self, action: dict) -> dict | None:
        gone = [n for n in _names(action.get("tags")) if n in self.tags]
        if not gone:
            return None
        services.ticket_tag(ticket=self.ticket, by=None, remove=gone)
        self.tags -= set(gone)
        return {"type": "remove_tags", "value": ", ".join(gone)}

    # -- messages and people ----------------------------------------------------------------
    def _do_note(self, action: dict) -> dict | None:
        text = str(action.get("text") or "").strip()
        if not text:
            return None
        services.note_add_automatic(ticket=self.ticket, body_text=text, rule_name=self.rule_name)
        return {"type": "note", "value": text[:80]}

    def _do_reply(self, action: dict) -> dict | None:
        """A canned response to the customer on the ticket's channel, as an automatic message
        (not an agent's answer). On WhatsApp only while the customer-service window is open."""
        canned = CannedResponse.objects.filter(title=action.get("canned"), owner=None).first()
        if canned is None:
            return None
        ticket = self.ticket
        if ticket.channel == Channel.WHATSAPP:
            closes = services.whatsapp_window_closes_at(customer_id=ticket.customer_id)
            if closes is None or closes <= timezone.now():
                return None
        customer_name = " ".join((ticket.customer.name or "").split())
        values = {
            "customer_name": customer_name,
            "customer_first_name": customer_name.split()[0] if customer_name else "",
            "ticket_number": str(ticket.number),
            "ticket_subject": ticket.subject,
            "agent_name": "",
            "agent_first_name": "",
            "organization": ticket.customer.organization.name
            if ticket.customer.organization_id
            else "",
        }
        body = render_placeholders(canned.body, values)
        channel = Channel.EMAIL if ticket.channel == Channel.WEB else ticket.channel
        services.message_notify(ticket=ticket, body_text=body, channel=channel, reason="rule")
        return {"type": "reply", "value": canned.title}

    def _do_notify(self, action: dict) -> dict | None:
        recipients = self._recipients(str(action.get("to") or "assignee"))
        if not recipients:
            return None
        notify_agents(
            recipients=recipients, kind=AgentNotification.Kind.RULE, ticket=self.ticket, actor=None
        )
        return {"type": "notify", "value": ", ".join(u.get_username() for u in recipients)}

    def _recipients(self, to: str) -> list:
        users = get_user_model().objects.filter(is_active=True, agent_profile__isnull=False)
        ticket = self.ticket
        if to == "assignee":
            return list(users.filter(pk=ticket.assignee_id)) if ticket.assignee_id else []
        if to == "team_leads":
            return list(users.filter(agent_profile__led_teams=ticket.team_id).distinct())
        if to == "dispatchers":
            found = users.filter(agent_profile__n1_role=AgentProfile.N1Role.DISPATCHER)
            if ticket.team_id:
                found = found.filter(agent_profile__teams=ticket.team_id)
            return list(found.distinct().order_by("pk"))
        return list(users.filter(username__in=_names(to, slug=False)).order_by("pk"))

    def _do_webhook(self, action: dict) -> dict | None:
        from .tasks import post_chat_webhook

        url = str(action.get("url") or "")
        if not url:
            return None
        text = _("Ticket #%(number)s: %(subject)s (rule '%(rule)s')") % {
            "number": self.ticket.number,
            "subject": self.ticket.subject,
            "rule": self.rule_name,
        }
        text = f"{action.get('text')}\n{text}" if action.get("text") else text
        transaction.on_commit(lambda: post_chat_webhook.delay(url, str(text)), robust=True)
        return {"type": "webhook", "value": url.split("/")[2] if "//" in url else url}

    def _do_event(self, action: dict) -> dict | None:
        key = str(action.get("key") or "").strip()
        if not key:
            return None
        services.custom_event_publish(
            ticket=self.ticket, rule_id=self.rule_id, rule_name=self.rule_name, key=key
        )
        return {"type": "event", "value": key}


def _names(value: Any, *, slug: bool = True) -> list[str]:
    from django.utils.text import slugify

    items = value if isinstance(value, list | tuple) else str(value or "").split(",")
    cleaned = [str(item).strip() for item in items if str(item).strip()]
    return [slugify(item, allow_unicode=True) if slug else item for item in cleaned]
