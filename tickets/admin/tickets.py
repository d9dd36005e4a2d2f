"""The ticket admin, made for a manager.

Tickets are never written here: adding a ticket calls `services.ticket_create`, changing one calls
the service matching each changed field, and the changelist actions call a service per ticket. The
form validates the rules a manager can break (status transitions, tiers, reasons) so that they read
as form errors; any other domain error a service raises is shown on the form too, after the whole
change is rolled back. Messages, attachments and the audit trail are read-only (conversation.py).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth.base_user import AbstractBaseUser
from django.template import engines
from django.template.response import TemplateResponse
from django.utils.text import slugify
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from tickets import services
from tickets.admin._common import (
    AgentListFilter,
    BulkOutcome,
    S,
    TicketNumberSearchMixin,
    _agent_label,
    _agents,
    _report,
    _too_many,
)
from tickets.admin.conversation import MessageInline, TicketEventInline
from tickets.errors import (
    IllegalTransition,
    NotAnAgent,
    ReasonRequired,
    TicketError,
    TierNotAllowed,
)
from tickets.models import AgentProfile, Customer, Team, Ticket, Tier, tier_rank
from tickets.status import allowed_transitions, can_transition

# Where a domain error raised while saving waits for the form to show it (see TicketAdmin).
SERVICE_ERROR_ATTR = "_jornada_admin_service_error"
# Notes for the manager gathered while saving, shown only once the save succeeded.
NOTES_ATTR = "_jornada_admin_notes"


@dataclass(frozen=True)
class _Stored:
    status: str
    priority: str
    tier: str
    team_id: int | None
    assignee_id: int | None


class TicketAdminForm(forms.ModelForm):
    tier_reason = forms.CharField(
        label=_("Reason for the tier change"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text=_("Required when the tier changes; kept in the ticket's audit trail."),
    )

    # Set per request by TicketAdmin.get_form: a refusal from the services on the first pass.
    service_error: TicketError | None = None

    class Meta:
        model = Ticket
        fields = (
            "customer",
            "subject",
            "channel",
            "priority",
            "status",
            "tier",
            "team",
            "assignee",
            "tags",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        instance = self.instance
        self.stored = None
        if instance.pk:
            self.stored = _Stored(
                status=instance.status,
                priority=instance.priority,
                tier=instance.tier,
                team_id=instance.team_id,
                assignee_id=instance.assignee_id,
            )
        if "assignee" in self.fields:
            field = self.fields["assignee"]
            field.queryset = _agents()
            field.label_from_instance = _agent_label
        if "customer" in self.fields:
            self.fields["customer"].queryset = Customer.objects.filter(merged_into__isnull=True)
        if "team" in self.fields and self.stored is None:
            # New tickets start at N1; other tiers are reached by escalation.
            self.fields["team"].queryset = Team.objects.filter(tier=Tier.N1)
        if "status" in self.fields and self.stored is not None:
            allowed = [str(s.label) for s in S if s in allowed_transitions(self.stored.status)]
            self.fields["status"].help_text = (
                _("From “%(status)s” a ticket can go to: %(allowed)s.")
                % {"status": S(self.stored.status).label, "allowed": ", ".join(allowed)}
                if allowed
                else _("“%(status)s” is final.") % {"status": S(self.stored.status).label}
            )

    def clean(self):
        cleaned = super().clean()
        if self.service_error is not None:
            # The services refused the change on the previous pass (and it was rolled back).
            raise forms.ValidationError(self.service_error.message, code=self.service_error.code)
        if self.stored is not None:
            self._clean_change(cleaned)
        self._clean_tags(cleaned)
        return cleaned

    def _clean_tags(self, cleaned):
        """ticket_tag slugifies the names it is given before looking tags up, so a tag stored
        under another spelling (say "Boleto") would be silently neither added nor removed."""
        if cleaned.get("tags") is None:
            return
        chosen = set(cleaned["tags"])
        stored = set(self.instance.tags.all()) if self.stored is not None else set()
        for tag in sorted(chosen ^ stored, key=lambda t: t.name):
            slug = slugify(tag.name, allow_unicode=True)[:64]
            if slug != tag.name:
                self.add_error(
                    "tags",
                    _(
                        "The tag “%(tag)s” is not written the way tickets are tagged "
                        "(“%(slug)s”); rename it under Tags first."
                    )
                    % {"tag": tag.name, "slug": slug},
                )

    def _clean_change(self, cleaned):
        stored = self.stored
        to_status = cleaned.get("status", stored.status)
        if to_status != stored.status and not can_transition(stored.status, to_status):
            error = IllegalTransition(
                from_status=S(stored.status).label, to_status=S(to_status).label
            )
            self.add_error("status", forms.ValidationError(error.message, code=error.code))

        tier = cleaned.get("tier", stored.tier)
        if tier != stored.tier and not (cleaned.get("tier_reason") or "").strip():
            error = ReasonRequired()
            self.add_error("tier_reason", forms.ValidationError(error.message, code=error.code))

        if "team" in cleaned:
            team = cleaned["team"]
            if team is None and stored.team_id is not None:
                self.add_error(
                    "team",
                    _("A ticket cannot leave its queue; choose another team of the same tier."),
                )
            elif team is not None and team.pk != stored.team_id and team.tier != tier:
                self.add_error(
                    "team",
                    _(
                        "“%(team)s” works %(team_tier)s tickets and this ticket is %(tier)s; "
                        "change the tier to move it to another tier."
                    )
                    % {"team": team.name, "team_tier": team.tier, "tier": tier},
                )

        assignee = cleaned.get("assignee")
        if assignee is not None and assignee.pk != stored.assignee_id:
            profile = getattr(assignee, "agent_profile", None)
            if profile is None:
                error = NotAnAgent(user=assignee.get_username())
            elif not profile.can_hold_tier(tier):
                error = TierNotAllowed(
                    agent=assignee.get_username(), agent_tier=profile.tier, ticket_tier=tier
                )
            else:
                error = None
            if error is not None:
                self.add_error("assignee", forms.ValidationError(error.message, code=error.code))


class EscalateActionForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Recorded on every escalated ticket."),
    )


ESCALATE_PAGE = """{% extends "admin/base_site.html" %}
{% load admin_urls %}
{% block breadcrumbs %}<div class="breadcrumbs">
<a href="{% url 'admin:index' %}">{{ home_label }}</a> &rsaquo;
<a href="{% url opts|admin_urlname:'changelist' %}">{{ opts.verbose_name_plural|capfirst }}</a>
&rsaquo; {{ title }}</div>{% endblock %}
{% block content %}
<form method="post">{% csrf_token %}
<p>{{ intro }}</p>
<ul>{% for ticket in tickets %}<li>{{ ticket }} ({{ ticket.tier }})</li>{% endfor %}</ul>
<fieldset class="module aligned">{{ form.as_div }}</fieldset>
{% for ticket in tickets %}<input type="hidden" name="{{ checkbox_name }}" value="{{ ticket.pk }}">
{% endfor %}<input type="hidden" name="action" value="escalate_next_tier">
<input type="hidden" name="apply" value="1">
<div class="submit-row"><input type="submit" class="default" value="{{ submit_label }}">
<a href="" class="button cancel-link">{{ cancel_label }}</a></div>
</form>
{% endblock %}
"""


def _per_ticket_action(name: str, label, call: Callable[[Ticket, AbstractBaseUser], object]):
    """A TicketAdmin changelist action that runs `call(ticket, by=the manager)` (one service call)
    for each selected ticket, then reports what was done and what failed.

    `name` is the action's key (the value the changelist form posts) and must be the attribute the
    action is assigned to; `label` (lazy) is its description in the actions menu and, translated
    when the action runs, the first words of its report.
    """

    @admin.action(description=label, permissions=["change"])
    def action(self, request, queryset):
        self._for_each(request, queryset, str(label), lambda ticket: call(ticket, by=request.user))

    action.__name__ = name
    action.__qualname__ = f"TicketAdmin.{name}"
    return action


@admin.register(Ticket)
class TicketAdmin(TicketNumberSearchMixin, admin.ModelAdmin):
    form = TicketAdminForm
    list_display = (
        "number",
        "subject",
        "status",
        "priority",
        "tier",
        "channel",
        "customer",
        "customer_organization",
        "team",
        "assignee",
        "updated_at",
        "created_at",
    )
    list_display_links = ("number", "subject")
    list_filter = (
        "status",
        "priority",
        "tier",
        "channel",
        "team",
        AgentListFilter,
        "customer__segment",
        "customer__organization",
        "tags",
        "created_at",
        "updated_at",
        "solved_at",
    )
    list_select_related = ("customer", "customer__organization", "team", "assignee")
    list_per_page = 50
    search_fields = ("subject", "customer__name", "customer__identities__value")
    search_help_text = _("Ticket number (1234 or #1234), subject, customer name, email or phone.")
    # No date_hierarchy: its year/month links come from a DISTINCT over the whole table on every
    # page view. The date filters (today, past 7 days, this month, this year) cost nothing.
    show_full_result_count = False
    autocomplete_fields = ("customer", "tags")
    actions = (
        "claim_for_me",
        "mark_solved",
        "close",
        "set_priority_high",
        "set_priority_urgent",
        "escalate_next_tier",
    )

    change_readonly_fields = (
        "number",
        "subject",
        "customer",
        "channel",
        "language",
        "merged_into",
        "reopen_count",
        "created_at",
        "updated_at",
        "first_response_at",
        "last_customer_message_at",
        "last_agent_reply_at",
        "solved_at",
        "closed_at",
    )

    # -- the form --------------------------------------------------------------------------------

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return (
                (None, {"fields": ("customer", "subject", "channel", "priority")}),
                (_("Routing"), {"fields": ("team", "assignee", "tags")}),
            )
        return (
            (None, {"fields": ("number", "subject", "customer", "channel", "language")}),
            (
                _("Work"),
                {
                    "fields": (
                        "status",
                        "priority",
                        "tier",
                        "tier_reason",
                        "team",
                        "assignee",
                        "tags",
                    )
                },
            ),
            (
                _("Timeline"),
                {
                    "classes": ("collapse",),
                    "fields": (
                        "created_at",
                        "updated_at",
                        "first_response_at",
                        "last_customer_message_at",
                        "last_agent_reply_at",
                        "solved_at",
                        "closed_at",
                        "reopen_count",
                        "merged_into",
                    ),
                },
            ),
        )

    def get_readonly_fields(self, request, obj=None):
        return self.change_readonly_fields if obj is not None else ()

    def get_inlines(self, request, obj):
        return (MessageInline, TicketEventInline) if obj is not None else ()

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.service_error = getattr(request, SERVICE_ERROR_ATTR, None)
        return form

    def has_delete_permission(self, request, obj=None):
        # Tickets are merged or closed, never deleted: deleting would erase the audit trail.
        return False

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """A POST runs in one transaction (Django's). When a service refuses the change, the
        exception rolls all of it back; the form is then validated again with the refusal as its
        error, so the manager sees a message next to what they typed, never a traceback."""
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except TicketError as exc:
            if request.method != "POST" or hasattr(request, SERVICE_ERROR_ATTR):
                raise
            setattr(request, SERVICE_ERROR_ATTR, exc)
            return super().changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        setattr(request, NOTES_ATTR, [])
        if change:
            ticket = self._apply_changes(request, obj.pk, data)
        else:
            ticket = services.ticket_create(
                customer=data["customer"],
                subject=data["subject"],
                channel=data["channel"],
                priority=data["priority"],
                team=data.get("team"),
                by=request.user,
                tags=[tag.name for tag in data.get("tags") or ()],
            )
            if data.get("assignee") is not None:
                ticket = services.ticket_assign(
                    ticket=ticket, assignee=data["assignee"], by=request.user
                )
        # The admin goes on (history, redirect) with the row as the services left it.
        obj.pk = ticket.pk
        obj._state.adding = False
        obj.refresh_from_db()

    def _apply_changes(self, request, pk, data) -> Ticket:
        """One service per changed field, in an order that keeps each step legal: the tier first
        (it moves team and maybe assignee), then people, priority, tags, and the status last (a
        ticket being closed accepts no other change after that)."""
        user = request.user
        stored = Ticket.objects.select_related("assignee").get(pk=pk)
        ticket = stored
        team = data.get("team")
        team_to_set = team if team is not None and team.pk != stored.team_id else None
        assignee = data.get("assignee")
        assignee_changed = (assignee.pk if assignee else None) != stored.assignee_id

        if data["tier"] != stored.tier:
            move = (
                services.ticket_escalate
                if tier_rank(data["tier"]) > tier_rank(stored.tier)
                else services.ticket_deescalate
            )
            ticket = move(
                ticket=ticket,
                to_tier=data["tier"],
                reason=data["tier_reason"],
                by=user,
                team=team_to_set,
            )
            team_to_set = None
            if stored.assignee is not None and ticket.assignee_id is None and not assignee_changed:
                getattr(request, NOTES_ATTR).append(
                    gettext("%(agent)s cannot hold a %(tier)s ticket and was unassigned.")
                    % {"agent": stored.assignee.get_username(), "tier": ticket.tier}
                )
        if team_to_set is not None or assignee_changed:
            ticket = services.ticket_assign(
                ticket=ticket,
                assignee=assignee if assignee_changed else ticket.assignee,
                by=user,
                team=team_to_set,
            )
        if data["priority"] != stored.priority:
            ticket = services.ticket_change_priority(
                ticket=ticket, priority=data["priority"], by=user
            )
        if "tags" in data:
            ticket = services.ticket_tag(
                ticket=ticket, by=user, exactly=[tag.name for tag in data["tags"]]
            )
        if data["status"] != stored.status:
            ticket = services.ticket_change_status(ticket=ticket, to_status=data["status"], by=user)
        return ticket

    def response_add(self, request, obj, post_url_continue=None):
        self._show_notes(request)
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        self._show_notes(request)
        return super().response_change(request, obj)

    def _show_notes(self, request):
        for note in getattr(request, NOTES_ATTR, ()):
            self.message_user(request, note, messages.WARNING)

    def save_related(self, request, form, formsets, change):
        # Not form.save_m2m(): the tags went through ticket_tag / ticket_create in save_model.
        # The inlines are read-only, so their formsets have nothing to save.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    # -- the changelist ----------------------------------------------------------------------------

    @admin.display(description=_("organization"), ordering="customer__organization__name")
    def customer_organization(self, obj):
        return obj.customer.organization or "—"

    def _for_each(self, request, queryset, action_label, call) -> None:
        if _too_many(self, request, queryset.count()):
            return
        if not AgentProfile.objects.filter(user_id=request.user.pk).exists():
            # Every service would refuse each ticket for the same reason: say it once.
            self.message_user(
                request, NotAnAgent(user=request.user.get_username()).message, messages.ERROR
            )
            return
        outcome = BulkOutcome(failures=[])
        for ticket in queryset.order_by("number"):
            try:
                call(ticket)
            except TicketError as exc:
                outcome.failures.append(f"#{ticket.number}: {exc.message}")
            else:
                outcome.done += 1
        _report(self, request, action_label, outcome)

    # One service call per selected ticket, with nothing to ask first.
    claim_for_me = _per_ticket_action(
        "claim_for_me",
        _("Claim for me"),
        lambda ticket, by: services.ticket_claim(ticket=ticket, by=by),
    )
    mark_solved = _per_ticket_action(
        "mark_solved",
        _("Mark as solved"),
        lambda ticket, by: services.ticket_change_status(ticket=ticket, to_status=S.SOLVED, by=by),
    )
    close = _per_ticket_action(
        "close",
        _("Close"),
        lambda ticket, by: services.ticket_change_status(ticket=ticket, to_status=S.CLOSED, by=by),
    )
    set_priority_high = _per_ticket_action(
        "set_priority_high",
        _("Set priority: high"),
        lambda ticket, by: services.ticket_change_priority(
            ticket=ticket, priority=Ticket.Priority.HIGH, by=by
        ),
    )
    set_priority_urgent = _per_ticket_action(
        "set_priority_urgent",
        _("Set priority: urgent"),
        lambda ticket, by: services.ticket_change_priority(
            ticket=ticket, priority=Ticket.Priority.URGENT, by=by
        ),
    )

    @admin.action(description=_("Escalate to the next tier…"), permissions=["change"])
    def escalate_next_tier(self, request, queryset):
        """Asks for the reason on an intermediate page, then escalates each ticket with it."""
        count = queryset.count()
        if _too_many(self, request, count):
            return None
        form = EscalateActionForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            reason = form.cleaned_data["reason"]
            self._for_each(
                request,
                queryset,
                gettext("Escalate to the next tier"),
                lambda ticket: services.ticket_escalate(
                    ticket=ticket, reason=reason, by=request.user
                ),
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Escalate to the next tier"),
            "opts": self.opts,
            "form": form,
            "tickets": queryset.order_by("number"),
            "checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "intro": ngettext(
                "Escalate %(count)d ticket to the next tier. Why?",
                "Escalate %(count)d tickets to the next tier. Why?",
                count,
            )
            % {"count": count},
            "submit_label": gettext("Escalate"),
            "cancel_label": gettext("No, take me back"),
            "home_label": gettext("Home"),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, engines["django"].from_string(ESCALATE_PAGE), context)
