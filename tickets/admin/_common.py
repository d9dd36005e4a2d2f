"""Pieces the help desk's admin modules share: who can hold tickets, searching by ticket number,
the read-only mixin for rows only services write, the one for rows routing hooks read, the agent
filters, and how a changelist action run once per ticket reports back to the manager."""

from dataclasses import dataclass

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from tickets.models import Ticket
from tickets.registries import routing_inputs_changed

User = get_user_model()
S = Ticket.Status

# A bulk action runs one service call (one transaction) per ticket; past this many tickets the
# request would take too long, so the manager is asked to narrow the selection.
BULK_ACTION_LIMIT = 500
# How many failures a bulk action lists by ticket before summing up the rest.
FAILURES_LISTED = 10


def _agents():
    return (
        User.objects.filter(agent_profile__isnull=False)
        .select_related("agent_profile")
        .order_by("username")
    )


def _agent_label(user) -> str:
    return f"{user.get_username()} · {user.agent_profile.tier}"


def _ticket_number(search_term: str) -> int | None:
    """`1234` or `#1234` searches a ticket by number (an index lookup, not a text scan)."""
    term = search_term.strip().removeprefix("#")
    if term.isdigit() and len(term) <= 18:
        return int(term)
    return None


class TicketNumberSearchMixin:
    """Searching a number finds that ticket exactly; anything else is a text search."""

    ticket_number_path = "number"

    def get_search_results(self, request, queryset, search_term):
        number = _ticket_number(search_term)
        if number is not None:
            return queryset.filter(**{self.ticket_number_path: number}), False
        return super().get_search_results(request, queryset, search_term)


class ChangesRoutingMixin:
    """For rows the routing hooks read (teams, organizations, automation's rules): saving or
    deleting them here tells the hooks' caches (tickets.registries.routing_inputs_changed)."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        routing_inputs_changed()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        routing_inputs_changed()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        routing_inputs_changed()


class ReadOnlyAdminMixin:
    """Rows written only by services: nobody adds, changes or deletes them here, superusers
    included. Viewing follows the usual view permission."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AgentListFilter(admin.SimpleListFilter):
    """People who can hold tickets (not every user), plus "me" and "nobody"."""

    title = _("assignee")
    parameter_name = "assignee"
    field = "assignee"
    none_label = _("Unassigned")

    def lookups(self, request, model_admin):
        return [
            ("me", _("Me")),
            ("none", self.none_label),
            *((str(user.pk), _agent_label(user)) for user in _agents()),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "me":
            return queryset.filter(**{self.field: request.user.pk})
        if value == "none":
            return queryset.filter(**{f"{self.field}__isnull": True})
        if value and value.isdigit():
            return queryset.filter(**{self.field: int(value)})
        return queryset


class ActorListFilter(AgentListFilter):
    title = _("by")
    parameter_name = "actor"
    field = "actor"
    none_label = _("The system")


@dataclass
class BulkOutcome:
    done: int = 0
    failures: list[str] | None = None


def _report(model_admin, request, action_label: str, outcome: BulkOutcome) -> None:
    failures = outcome.failures or []
    if outcome.done:
        model_admin.message_user(
            request,
            ngettext(
                "%(action)s: done for %(count)d ticket.",
                "%(action)s: done for %(count)d tickets.",
                outcome.done,
            )
            % {"action": action_label, "count": outcome.done},
            messages.SUCCESS,
        )
    if failures:
        listed = "; ".join(failures[:FAILURES_LISTED])
        if len(failures) > FAILURES_LISTED:
            listed += " " + gettext("(and %(count)d more)") % {
                "count": len(failures) - FAILURES_LISTED
            }
        model_admin.message_user(
            request,
            ngettext(
                "%(action)s failed for %(count)d ticket: %(details)s",
                "%(action)s failed for %(count)d tickets: %(details)s",
                len(failures),
            )
            % {"action": action_label, "count": len(failures), "details": listed},
            messages.ERROR,
        )


def _too_many(model_admin, request, count: int) -> bool:
    if count <= BULK_ACTION_LIMIT:
        return False
    model_admin.message_user(
        request,
        gettext(
            "%(count)d tickets are selected; actions run on at most %(limit)d at a time. "
            "Narrow the list with the filters."
        )
        % {"count": count, "limit": BULK_ACTION_LIMIT},
        messages.ERROR,
    )
    return True
