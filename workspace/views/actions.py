"""What an agent does on the ticket page: each view checks the form, calls one service and goes
back to the ticket (POST, then redirect). Refusals come back as a translated message."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from channels_app import selectors as channel_selectors
from channels_app import services as channel_services
from channels_app.models import ChatSession
from tickets import selectors, services
from tickets.errors import TicketError
from tickets.inbound import InboundAttachment
from tickets.models import TIER_ORDER, Message, Ticket, tier_rank
from tickets.selectors.macros import canned_responses_for

from ..forms.ticket_actions import (
    AssignForm,
    NoteForm,
    PriorityForm,
    ReplyForm,
    SplitForm,
    StatusForm,
    TagsForm,
    TicketNumberForm,
    TierMoveForm,
)
from ._common import agent_required
from .ticket import render_ticket_page


def _ticket(request: HttpRequest, number: int) -> Ticket:
    agent_required(request)
    return selectors.ticket_get_for_agent(agent=request.user, number=number)


def _back(ticket: Ticket, anchor: str = "") -> HttpResponseRedirect:
    url = reverse("ticket-detail", args=[ticket.number])
    return HttpResponseRedirect(f"{url}#{anchor}" if anchor else url)


@contextmanager
def _refusals(request: HttpRequest) -> Iterator[None]:
    try:
        yield
    except TicketError as error:
        messages.error(request, error.message)


def _form_errors(request: HttpRequest, form) -> None:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)


def _uploads(files) -> list[InboundAttachment]:
    return [
        InboundAttachment(
            filename=upload.name,
            content_type=upload.content_type or "application/octet-stream",
            content=upload.read(),
        )
        for upload in files
    ]


def _macro(request: HttpRequest, ticket: Ticket, canned_id: int | None):
    if not canned_id:
        return None
    return canned_responses_for(agent=request.user, ticket=ticket).filter(pk=canned_id).first()


@require_POST
@login_required
def reply(request, number: int):
    ticket = _ticket(request, number)
    form = ReplyForm(
        request.POST,
        request.FILES,
        channels=selectors.reply_channels(
            ticket=ticket, identities=list(ticket.customer.identities.all())
        ),
    )
    if not form.is_valid():
        return render_ticket_page(request, ticket, reply_form=form, status=400)
    data = form.cleaned_data
    try:
        message = services.message_reply(
            ticket=ticket,
            by=request.user,
            body_text=data["body"],
            channel=data["channel"],
            attachments=_uploads(data["attachments"]),
            then_status=data["then_status"] or None,
            macro=_macro(request, ticket, data["canned_id"]),
        )
    except TicketError as error:
        form.add_error(None, error.message)
        return render_ticket_page(request, ticket, reply_form=form, status=400)
    messages.success(
        request,
        _("Reply queued for delivery by %(channel)s.") % {"channel": message.get_channel_display()},
    )
    return _back_or_inbox(request, ticket, f"message-{message.pk}")


@require_POST
@login_required
def note(request, number: int):
    ticket = _ticket(request, number)
    form = NoteForm(request.POST, request.FILES)
    if not form.is_valid():
        return render_ticket_page(request, ticket, note_form=form, status=400)
    try:
        message = services.note_add(
            ticket=ticket,
            by=request.user,
            body_text=form.cleaned_data["body"],
            attachments=_uploads(form.cleaned_data["attachments"]),
        )
    except TicketError as error:
        form.add_error(None, error.message)
        return render_ticket_page(request, ticket, note_form=form, status=400)
    unreachable = message.metadata.get("unreachable_mentions")
    if unreachable:
        messages.warning(
            request,
            _("Not notified (they cannot see this ticket): %(names)s")
            % {"names": ", ".join(unreachable)},
        )
    messages.success(request, _("Note added."))
    return _back(ticket, f"message-{message.pk}")


@require_POST
@login_required
def claim(request, number: int):
    ticket = _ticket(request, number)
    with _refusals(request):
        services.ticket_claim(ticket=ticket, by=request.user)
        messages.success(request, _("The ticket is yours."))
    return _back(ticket)


@require_POST
@login_required
def chat_end(request, number: int):
    """The agent ends the ticket's live chat: the visitor's widget shows it ended (the ticket
    keeps its status)."""
    ticket = _ticket(request, number)
    session = channel_selectors.chat_session_for_ticket(ticket.pk)
    if session is None:
        raise Http404
    if session.state == ChatSession.State.ENDED:
        messages.info(request, _("This chat had already ended."))
        return _back(ticket)
    with _refusals(request):
        channel_services.chat_end(
            session=session, outcome=ChatSession.Outcome.ENDED_BY_AGENT, by=request.user
        )
        messages.success(request, _("The chat has ended. The visitor sees it in the widget."))
    return _back(ticket)


def _act(request: HttpRequest, ticket: Ticket, form, perform) -> HttpResponseRedirect:
    """Check the form, run one service through `perform(cleaned_data)`, which returns the
    ticket to land on and what to tell the agent; a refusal is told instead. Lands back on the
    ticket, or on the inbox when the change took it out of the agent's reach."""
    if not form.is_valid():
        _form_errors(request, form)
        return _back(ticket)
    try:
        landing, done = perform(form.cleaned_data)
    except TicketError as error:
        messages.error(request, error.message)
        return _back(ticket)
    messages.success(request, done)
    return _back_or_inbox(request, landing)


def _back_or_inbox(request: HttpRequest, ticket: Ticket, anchor: str = "") -> HttpResponseRedirect:
    """After a tier or team move (or giving the ticket away, or a macro doing so) it may have
    left the agent's teams: back to the inbox then, not to a page they may no longer see."""
    if selectors.ticket_visible_to(agent=request.user, ticket_id=ticket.pk):
        return _back(ticket, anchor)
    messages.info(request, _("Ticket #%(number)s left your queues.") % {"number": ticket.number})
    return HttpResponseRedirect(reverse("inbox"))


@require_POST
@login_required
def assign(request, number: int):
    ticket = _ticket(request, number)
    agents = selectors.agents_who_can_hold(tier=ticket.tier)

    def perform(data):
        done = services.ticket_assign(
            ticket=ticket, assignee=data["assignee"], team=data["team"], by=request.user
        )
        return done, _("Assignment saved.")

    return _act(request, ticket, AssignForm(request.POST, agents=agents, ticket=ticket), perform)


@require_POST
@login_required
def change_status(request, number: int):
    ticket = _ticket(request, number)

    def perform(data):
        done = services.ticket_change_status(
            ticket=ticket, to_status=data["status"], by=request.user
        )
        return done, _("Status saved.")

    return _act(request, ticket, StatusForm(request.POST, ticket=ticket), perform)


@require_POST
@login_required
def change_priority(request, number: int):
    ticket = _ticket(request, number)

    def perform(data):
        done = services.ticket_change_priority(
            ticket=ticket, priority=data["priority"], by=request.user
        )
        return done, _("Priority saved.")

    return _act(request, ticket, PriorityForm(request.POST), perform)


@require_POST
@login_required
def escalate(request, number: int):
    ticket = _ticket(request, number)

    def perform(data):
        done = services.ticket_escalate(
            ticket=ticket,
            to_tier=data["to_tier"],
            team=data["team"],
            reason=data["reason"],
            by=request.user,
        )
        return done, _("Escalated to %(tier)s.") % {"tier": done.tier}

    tiers = TIER_ORDER[tier_rank(ticket.tier) + 1 :]
    return _act(request, ticket, TierMoveForm(request.POST, tiers=tiers, prefix="up"), perform)


@require_POST
@login_required
def deescalate(request, number: int):
    ticket = _ticket(request, number)

    def perform(data):
        done = services.ticket_deescalate(
            ticket=ticket,
            to_tier=data["to_tier"],
            team=data["team"],
            reason=data["reason"],
            by=request.user,
        )
        return done, _("Moved back to %(tier)s.") % {"tier": done.tier}

    tiers = TIER_ORDER[: tier_rank(ticket.tier)]
    return _act(request, ticket, TierMoveForm(request.POST, tiers=tiers, prefix="down"), perform)


@require_POST
@login_required
def set_tags(request, number: int):
    ticket = _ticket(request, number)

    def perform(data):
        services.ticket_tag(ticket=ticket, exactly=form.tag_names(), by=request.user)
        return ticket, _("Tags saved.")

    form = TagsForm(request.POST)
    return _act(request, ticket, form, perform)


def _other_ticket(request: HttpRequest, form: TicketNumberForm) -> Ticket | None:
    if not form.is_valid():
        _form_errors(request, form)
        return None
    other = (
        selectors.ticket_scope_for_agent(agent=request.user)
        .filter(number=form.cleaned_data["number"])
        .first()
    )
    if other is None:
        messages.error(request, _("No ticket you can see has that number."))
    return other


@require_POST
@login_required
def merge(request, number: int):
    ticket = _ticket(request, number)
    target = _other_ticket(request, TicketNumberForm(request.POST, prefix="merge"))
    if target is None:
        return _back(ticket)
    with _refusals(request):
        services.ticket_merge(source=ticket, target=target, by=request.user)
        messages.success(request, _("Merged into #%(number)s.") % {"number": target.number})
        return _back(target)
    return _back(ticket)


@require_POST
@login_required
def link(request, number: int):
    ticket = _ticket(request, number)
    other = _other_ticket(request, TicketNumberForm(request.POST, prefix="link"))
    if other is not None:
        with _refusals(request):
            services.ticket_link(ticket=ticket, other=other, by=request.user)
            messages.success(request, _("Linked to #%(number)s.") % {"number": other.number})
    return _back(ticket)


@require_POST
@login_required
def unlink(request, number: int, other: int):
    ticket = _ticket(request, number)
    other_ticket = selectors.ticket_get_for_agent(agent=request.user, number=other)
    with _refusals(request):
        services.ticket_unlink(ticket=ticket, other=other_ticket, by=request.user)
        messages.success(request, _("Link removed."))
    return _back(ticket)


@require_POST
@login_required
def split(request, number: int, message_id: int):
    ticket = _ticket(request, number)
    message = get_object_or_404(Message, pk=message_id, ticket=ticket)

    def perform(data):
        new = services.message_split(message=message, by=request.user, subject=data["subject"])
        return new, _("The message is now ticket #%(number)s.") % {"number": new.number}

    return _act(request, ticket, SplitForm(request.POST), perform)
