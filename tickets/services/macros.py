"""Canned responses and macros: keeping them (personal ones by their agent, shared ones by
managers), filling their placeholders for one ticket, and applying a macro's actions."""

import difflib
import re
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F
from django.utils import translation
from django.utils.text import slugify
from django.utils.translation import gettext

from ..errors import CannedResponseForbidden, InvalidCannedResponse, InvalidChoice
from ..models import CannedResponse, Customer, Team, Ticket
from ..selectors.macros import can_manage_shared, canned_response_can_change
from ._common import agent_profile, lock_ticket
from .tickets import ticket_assign, ticket_change_priority, ticket_change_status, ticket_tag

S = Ticket.Status

PLACEHOLDERS = (
    "customer_name",
    "customer_first_name",
    "ticket_number",
    "ticket_subject",
    "agent_name",
    "agent_first_name",
    "organization",
)
# A macro moves a ticket to one of these; nothing moves back to "new", and closing is left to
# the automatic close of solved tickets.
MACRO_STATUSES = (S.OPEN, S.PENDING, S.ON_HOLD, S.SOLVED)
EDITABLE_FIELDS = frozenset(
    {
        "title",
        "body",
        "shared",
        "segment",
        "language",
        "set_status",
        "set_priority",
        "add_tags",
        "assign_to_me",
        "assign_team",
    }
)

# Only `{name}` made of letters and underscores is a placeholder. Everything else, braces
# included, stays exactly as typed: nothing is ever evaluated (no attribute or index lookups,
# no format specs), which str.format would do for `{customer_name.__class__}` or `{0:>999999}`.
_PLACEHOLDER = re.compile(r"\{\s*([A-Za-z_]+)\s*\}")


# --- Rendering -----------------------------------------------------------------------------------


def placeholder_values(*, ticket: Ticket, agent: AbstractBaseUser) -> dict[str, str]:
    """What each placeholder stands for on this ticket (no query when the ticket was loaded with
    its customer and organization, as ticket_get_for_agent does)."""
    customer = ticket.customer
    with translation.override(ticket.language):
        nameless = gettext("customer")
    customer_name = " ".join((customer.name or "").split()) or nameless
    agent_name = agent.get_full_name().strip() or agent.get_username()
    return {
        "customer_name": customer_name,
        "customer_first_name": customer_name.split()[0],
        "ticket_number": str(ticket.number),
        "ticket_subject": ticket.subject,
        "agent_name": agent_name,
        "agent_first_name": (agent.first_name or "").strip() or agent_name.split()[0],
        "organization": customer.organization.name if customer.organization_id else "",
    }


def render_placeholders(text: str, values: dict[str, str]) -> str:
    def fill(match: re.Match) -> str:
        value = values.get(match.group(1).lower())
        return match.group(0) if value is None else value

    return _PLACEHOLDER.sub(fill, text)


def canned_response_render(
    *, canned: CannedResponse, ticket: Ticket, agent: AbstractBaseUser
) -> str:
    """The response's text for this ticket, placeholders filled; unknown ones are left as typed."""
    return render_placeholders(canned.body, placeholder_values(ticket=ticket, agent=agent))


# --- Keeping them --------------------------------------------------------------------------------


def _misspelled_placeholder(body: str) -> tuple[str, str] | None:
    """A `{name}` that is almost a placeholder is a typo that would reach the customer as is."""
    for match in _PLACEHOLDER.finditer(body):
        name = match.group(1).lower()
        if name in PLACEHOLDERS:
            continue
        close = difflib.get_close_matches(name, PLACEHOLDERS, n=1, cutoff=0.75)
        if close:
            return match.group(0), "{" + close[0] + "}"
    return None


def _tag_list(add_tags: str) -> str:
    names = []
    for raw in add_tags.split(","):
        name = slugify(raw.strip(), allow_unicode=True)[:64]
        if name and name not in names:
            names.append(name)
    return ", ".join(names)


def canned_response_clean(values: dict[str, Any]) -> dict[str, Any]:
    """Validated field values, normalized as stored; raises a coded error on the first fault."""
    cleaned = dict(values)
    for field in ("title", "body"):
        if field in cleaned:
            cleaned[field] = (cleaned[field] or "").strip()
            if not cleaned[field]:
                raise InvalidCannedResponse(field=field, why=gettext("it cannot be empty."))
    if len(cleaned.get("title", "")) > CannedResponse._meta.get_field("title").max_length:
        raise InvalidCannedResponse(field="title", why=gettext("the title is too long."))
    if typo := _misspelled_placeholder(cleaned.get("body", "")):
        raise InvalidCannedResponse(
            field="body",
            why=gettext("%(typed)s is not a placeholder; did you mean %(meant)s?")
            % {"typed": typo[0], "meant": typo[1]},
        )
    choices = {
        "segment": Customer.Segment.values,
        "language": [code for code, _ in settings.LANGUAGES],
        "set_status": MACRO_STATUSES,
        "set_priority": Ticket.Priority.values,
    }
    for field, allowed in choices.items():
        value = cleaned.get(field) or ""
        if field in cleaned and value and value not in allowed:
            raise InvalidChoice(field=field, value=value)
    if "add_tags" in cleaned:
        cleaned["add_tags"] = _tag_list(cleaned["add_tags"] or "")
        if len(cleaned["add_tags"]) > CannedResponse._meta.get_field("add_tags").max_length:
            raise InvalidCannedResponse(field="add_tags", why=gettext("too many tags."))
    team = cleaned.get("assign_team")
    if team is not None and not isinstance(team, Team):
        raise InvalidChoice(field="assign_team", value=team)
    return cleaned


def _check_may_keep(*, by: AbstractBaseUser, shared: bool) -> None:
    if shared:
        if not can_manage_shared(by):
            raise CannedResponseForbidden()
    else:
        agent_profile(by)


@transaction.atomic
def canned_response_create(
    *,
    by: AbstractBaseUser,
    title: str,
    body: str,
    shared: bool = False,
    segment: str = "",
    language: str = "",
    set_status: str = "",
    set_priority: str = "",
    add_tags: str = "",
    assign_to_me: bool = False,
    assign_team: Team | None = None,
) -> CannedResponse:
    """A new response: personal (the agent's own) or shared with every agent (managers only)."""
    _check_may_keep(by=by, shared=shared)
    fields = canned_response_clean(
        {
            "title": title,
            "body": body,
            "segment": segment,
            "language": language,
            "set_status": set_status,
            "set_priority": set_priority,
            "add_tags": add_tags,
            "assign_to_me": bool(assign_to_me),
            "assign_team": assign_team,
        }
    )
    return CannedResponse.objects.create(owner=None if shared else by, **fields)


@transaction.atomic
def canned_response_update(
    *, canned: CannedResponse, by: AbstractBaseUser, **changes: Any
) -> CannedResponse:
    """Change some fields (names as in canned_response_create). `shared=True` hands a personal
    response over to everyone, `shared=False` takes a shared one back as the manager's own."""
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"Not editable: {sorted(unknown)}")
    canned = CannedResponse.objects.select_for_update().get(pk=canned.pk)
    if not canned_response_can_change(user=by, canned=canned):
        raise CannedResponseForbidden()
    shared = changes.pop("shared", canned.owner_id is None)
    _check_may_keep(by=by, shared=shared)
    fields = canned_response_clean(changes)
    canned.owner = None if shared else by
    for field, value in fields.items():
        setattr(canned, field, value)
    canned.save()
    return canned


@transaction.atomic
def canned_response_delete(*, canned: CannedResponse, by: AbstractBaseUser) -> None:
    canned = CannedResponse.objects.select_for_update().get(pk=canned.pk)
    if not canned_response_can_change(user=by, canned=canned):
        raise CannedResponseForbidden()
    canned.delete()


# --- Using them ----------------------------------------------------------------------------------


@transaction.atomic
def macro_apply(*, ticket: Ticket, canned: CannedResponse, by: AbstractBaseUser) -> Ticket:
    """After a reply written from `canned`: count the use and apply its actions (tags, priority,
    team and assignee, then status, so that a macro that solves the ticket does so last), each
    through its own service and audit row. One refused action undoes them all."""
    agent_profile(by)
    if canned.owner_id not in (None, by.pk):
        raise CannedResponseForbidden()
    ticket = lock_ticket(ticket)
    if canned.add_tags:
        ticket = ticket_tag(ticket=ticket, by=by, add=canned.add_tags.split(","))
    if canned.set_priority:
        ticket = ticket_change_priority(ticket=ticket, priority=canned.set_priority, by=by)
    if canned.assign_to_me or canned.assign_team_id:
        ticket = ticket_assign(
            ticket=ticket,
            assignee=by if canned.assign_to_me else ticket.assignee,
            team=canned.assign_team,
            by=by,
        )
    if canned.set_status:
        ticket = ticket_change_status(ticket=ticket, to_status=canned.set_status, by=by)
    CannedResponse.objects.filter(pk=canned.pk).update(usage_count=F("usage_count") + 1)
    return ticket
