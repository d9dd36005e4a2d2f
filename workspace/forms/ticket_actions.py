"""Forms of the ticket page's actions: what an agent can type, checked before a service runs."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from tickets.errors import AttachmentTooLarge
from tickets.models import Channel, Team, Ticket, Tier
from tickets.status import TRANSITIONS


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented recipe)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        files = (
            [single(item, initial) for item in data]
            if isinstance(data, list | tuple)
            else ([single(data, initial)] if data else [])
        )
        # Refused here, before anything reads an oversized upload into memory; the service
        # keeps its own check for every other way in.
        limit = settings.JORNADA["ATTACHMENT_MAX_BYTES"]
        for upload in files:
            if upload.size > limit:
                raise ValidationError(
                    AttachmentTooLarge(filename=upload.name, size=upload.size, limit=limit).message
                )
        return files


class ReplyForm(forms.Form):
    THEN_CHOICES = [
        ("", _("Send")),
        (Ticket.Status.PENDING, _("Send and set pending")),
        (Ticket.Status.SOLVED, _("Send and solve")),
    ]

    body = forms.CharField(label=_("Reply"), widget=forms.Textarea, required=False, strip=False)
    channel = forms.ChoiceField(label=_("Send by"), choices=())
    attachments = MultipleFileField(label=_("Attachments"))
    then_status = forms.ChoiceField(label=_("Then"), choices=THEN_CHOICES, required=False)
    canned_id = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, channels: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(Channel.choices)
        self.fields["channel"].choices = [(c, labels[c]) for c in channels]
        if channels:
            self.fields["channel"].initial = channels[0]

    def clean(self):
        data = super().clean()
        if not (data.get("body") or "").strip() and not data.get("attachments"):
            raise ValidationError(_("Write something first: the message is empty."))
        return data


class NoteForm(forms.Form):
    body = forms.CharField(
        label=_("Internal note"),
        widget=forms.Textarea,
        help_text=_("Only agents see notes. Type @username to notify a colleague."),
        required=False,
    )
    attachments = MultipleFileField(label=_("Attachments"))

    def clean(self):
        data = super().clean()
        if not (data.get("body") or "").strip() and not data.get("attachments"):
            raise ValidationError(_("Write something first: the message is empty."))
        return data


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        label=_("Assignee"), queryset=None, required=False, empty_label=_("— Nobody (queue) —")
    )
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.none(), required=False, empty_label=_("— Keep —")
    )

    def __init__(self, *args, agents, ticket: Ticket, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = agents
        self.fields["assignee"].label_from_instance = lambda u: u.get_full_name() or u.username
        self.fields["team"].queryset = Team.objects.filter(tier=ticket.tier)


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Ticket.Status.choices)

    def __init__(self, *args, ticket: Ticket, **kwargs):
        super().__init__(*args, **kwargs)
        reachable = TRANSITIONS.get(ticket.status, set()) | {ticket.status}
        # Only the reachable statuses are offered; any status is accepted, so that a move the
        # ticket no longer allows (a stale page) gets the state machine's own message.
        self.fields["status"].widget.choices = [
            (value, label) for value, label in Ticket.Status.choices if value in reachable
        ]
        self.fields["status"].initial = ticket.status


class PriorityForm(forms.Form):
    priority = forms.ChoiceField(label=_("Priority"), choices=Ticket.Priority.choices)


class TierMoveForm(forms.Form):
    """Escalation and de-escalation: always with a reason, optionally to a chosen team."""

    to_tier = forms.ChoiceField(label=_("To tier"), choices=Tier.choices)
    team = forms.ModelChoiceField(
        label=_("Team"),
        queryset=Team.objects.all(),
        required=False,
        empty_label=_("— Least busy team of that tier —"),
    )
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 2}),
        # Shown as a message after the redirect, away from the field: it must name what is missing.
        error_messages={"required": _("Say why: a reason is required.")},
    )

    def __init__(self, *args, tiers: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(Tier.choices)
        self.fields["to_tier"].choices = [(t, labels[t]) for t in tiers]

    def clean(self):
        data = super().clean()
        team = data.get("team")
        if team is not None and team.tier != data.get("to_tier"):
            self.add_error("team", _("This team works another tier."))
        return data


class TagsForm(forms.Form):
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        help_text=_("Comma-separated; remove a tag by deleting it from the list."),
    )

    def tag_names(self) -> list[str]:
        return self.cleaned_data["tags"].split(",")


class TicketNumberForm(forms.Form):
    """Merge into or link to another ticket, by its number (“#1234” or “1234”)."""

    number = forms.CharField(label=_("Ticket number"), max_length=20)

    def clean_number(self) -> int:
        value = self.cleaned_data["number"].strip().lstrip("#")
        if not value.isdigit():
            raise ValidationError(_("Type a ticket number, such as 1234."))
        return int(value)


class SplitForm(forms.Form):
    subject = forms.CharField(label=_("Subject of the new ticket"), required=False, max_length=255)
