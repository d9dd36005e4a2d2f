"""Forms of canned responses and macros: the editor and the list filter. Forms validate and hand
their cleaned data to one service; they never save models themselves."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from tickets.errors import InvalidCannedResponse, TicketError
from tickets.models import CannedResponse, Customer, Team, Ticket
from tickets.services.macros import MACRO_STATUSES


class ServiceErrorsMixin:
    """Shows a service's coded error next to the field it is about (or above the form)."""

    def add_service_error(self, error: TicketError) -> None:
        if isinstance(error, InvalidCannedResponse):
            field = error.field
        else:
            field = error.params.get("field")
        self.add_error(field if field in self.fields else None, error.message)


# --- Canned responses and macros -----------------------------------------------------------------

# What each placeholder becomes, shown next to the text field and on the list page.
PLACEHOLDER_HELP = [
    ("{customer_name}", _("the customer's full name (“customer” when unknown)")),
    ("{customer_first_name}", _("the customer's first name")),
    ("{ticket_number}", _("the ticket number, e.g. 1042")),
    ("{ticket_subject}", _("the ticket's subject")),
    ("{agent_name}", _("your full name")),
    ("{agent_first_name}", _("your first name")),
    ("{organization}", _("the customer's organization (empty when none)")),
]

LEAVE_AS_IS = ("", _("— leave as is —"))


class CannedResponseForm(ServiceErrorsMixin, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    body = forms.CharField(
        label=_("Text"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Placeholders in braces are filled in for each ticket (see “Placeholders”)."),
    )
    shared = forms.BooleanField(
        label=_("Shared with every agent"),
        required=False,
        help_text=_("Unticked: only you see it."),
    )
    segment = forms.ChoiceField(
        label=_("Customer segment"),
        choices=[("", _("Any segment")), *Customer.Segment.choices],
        required=False,
        help_text=_("Offered only on tickets of customers in this segment."),
    )
    language = forms.ChoiceField(
        label=_("Language"),
        choices=[("", _("Any language")), *settings.LANGUAGES],
        required=False,
        help_text=_("Offered only on tickets in this language."),
    )
    set_status = forms.ChoiceField(
        label=_("Then set status"),
        choices=[LEAVE_AS_IS, *((s.value, s.label) for s in MACRO_STATUSES)],
        required=False,
    )
    set_priority = forms.ChoiceField(
        label=_("Then set priority"),
        choices=[LEAVE_AS_IS, *Ticket.Priority.choices],
        required=False,
    )
    add_tags = forms.CharField(
        label=_("Then add tags"),
        max_length=300,
        required=False,
        help_text=_("Comma-separated, e.g. billing, second-copy."),
    )
    assign_to_me = forms.BooleanField(
        label=_("Then assign the ticket to the agent using it"), required=False
    )
    assign_team = forms.ModelChoiceField(
        label=_("Then move the ticket to team"),
        queryset=Team.objects.order_by("tier", "name"),
        required=False,
        empty_label=LEAVE_AS_IS[1],
        help_text=_("A team of the ticket's own tier (escalation has its own button)."),
    )

    def __init__(self, *args, may_share: bool = False, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        if not may_share:
            del self.fields["shared"]

    @staticmethod
    def initial_for(canned: CannedResponse) -> dict:
        return {
            "title": canned.title,
            "body": canned.body,
            "shared": canned.owner_id is None,
            "segment": canned.segment,
            "language": canned.language,
            "set_status": canned.set_status,
            "set_priority": canned.set_priority,
            "add_tags": canned.add_tags,
            "assign_to_me": canned.assign_to_me,
            "assign_team": canned.assign_team_id,
        }


class CannedFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=200, required=False)
    scope = forms.ChoiceField(
        label=_("Show"),
        choices=[
            ("all", _("Mine and shared")),
            ("mine", _("Only mine")),
            ("shared", _("Only shared")),
        ],
        required=False,
    )

    def values(self) -> tuple[str, str]:
        if not self.is_valid():
            return "", "all"
        return self.cleaned_data["q"], self.cleaned_data["scope"] or "all"
