"""The managers' trigger editor: the rule's own fields, and one formset row per condition and
per action. Each row is checked against what conditions.py and actions.py read, and turned into
the same JSON the engine reads (rows_from_rule() is the way back, to prefill an existing rule).

A row carries one input per kind of value; the template hides those its field or type does not
use (rule_editor.js switches them as the select changes), so the page works without JavaScript."""

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from tickets.models import CannedResponse, Channel, Customer, Team, Ticket, Tier

from . import actions, conditions
from .models import Rule

SLA_STATES = [
    ("ok", _("within the SLA")),
    ("warning", _("SLA warning")),
    ("breached", _("SLA breached")),
    ("none", _("no SLA")),
]
YES_NO = [("true", _("yes")), ("false", _("no"))]
# The known values of each condition field that has them; the other fields take text.
FIELD_CHOICES = {
    "channel": Channel.choices,
    "segment": Customer.Segment.choices,
    "priority": Ticket.Priority.choices,
    "tier": Tier.choices,
    "status": Ticket.Status.choices,
    "sla": SLA_STATES,
    "language": settings.LANGUAGES,
    "business_hours": YES_NO,
    "assigned": YES_NO,
}
BOOLEAN_FIELDS = {"business_hours", "assigned"}
# Which inputs of an action row each action type reads (the JSON keys, but `tags` as text).
KIND_INPUTS = {
    "assign": ["to"],
    "set_team": ["team"],
    "escalate": ["tier", "team", "reason"],
    "set_priority": ["priority"],
    "set_status": ["status"],
    "add_tags": ["tags"],
    "remove_tags": ["tags"],
    "note": ["text"],
    "reply": ["canned"],
    "notify": ["recipients", "usernames"],
    "webhook": ["url", "text"],
    "event": ["key"],
}
ALL_INPUTS = list(dict.fromkeys(name for names in KIND_INPUTS.values() for name in names))
# The first input of each kind is the one it cannot do without; an escalation needs none.
REQUIRED_INPUTS = {kind: names[:1] for kind, names in KIND_INPUTS.items() if kind != "escalate"}
NOTIFY_GROUPS = [
    ("assignee", _("the assignee")),
    ("team_leads", _("the team's leads")),
    ("dispatchers", _("the team's dispatchers")),
    ("agents", _("these agents")),
]


def _split(text: str) -> list[str]:
    return [item.strip() for item in (text or "").split(",") if item.strip()]


def _blank(label, choices=()) -> list:
    return [("", label), *choices]


class RuleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    events = forms.MultipleChoiceField(
        label=_("When"), choices=Rule.Event.choices, widget=forms.CheckboxSelectMultiple
    )
    stop = forms.BooleanField(label=_("Stop the rules after this one"), required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False)


class ConditionForm(forms.Form):
    field = forms.ChoiceField(
        label=_("Field"), choices=_blank(_("Choose a field"), conditions.FIELDS.items())
    )
    negate = forms.TypedChoiceField(
        label=_("Operator"),
        choices=[("", _("is")), ("1", _("is not"))],
        coerce=bool,
        empty_value=False,
        required=False,
    )
    choice = forms.MultipleChoiceField(
        label=_("Values"),
        required=False,
        choices=[
            (conditions.FIELDS[name], [(f"{name}:{value}", label) for value, label in options])
            for name, options in FIELD_CHOICES.items()
        ],
        widget=forms.SelectMultiple(attrs={"size": 5}),
        help_text=_("Ctrl+click (⌘+click on a Mac) chooses several."),
    )
    text = forms.CharField(
        label=_("Value"),
        required=False,
        max_length=500,
        help_text=_("Several values (or phrases) separated by commas."),
    )

    def clean(self):
        data = super().clean()
        name = data.get("field")
        if not name:
            return data
        if name in FIELD_CHOICES:
            picked = [
                item.split(":", 1)[1]
                for item in data.get("choice") or []
                if item.split(":", 1)[0] == name
            ]
            if name in BOOLEAN_FIELDS and len(picked) > 1:
                self.add_error("choice", _("Choose yes or no."))
            elif not picked:
                self.add_error("choice", _("Choose at least one value for this field."))
            data["value"] = picked
        else:
            data["value"] = _split(data.get("text", ""))
            if not data["value"]:
                self.add_error("text", _("Type a value for this field."))
        return data

    @property
    def visible_inputs(self) -> list[str]:
        """The value inputs shown for the row's field (both while no field is chosen)."""
        name = self["field"].value()
        if name in FIELD_CHOICES:
            return ["choice"]
        return ["text"] if name in conditions.FIELDS else ["choice", "text"]

    def condition(self) -> dict:
        """The condition as the engine reads it: choices and text as lists, yes/no as a bool."""
        name, value = self.cleaned_data["field"], self.cleaned_data["value"]
        if name in BOOLEAN_FIELDS:
            value = value[0] == "true"
        condition = {"field": name, "value": value}
        if self.cleaned_data.get("negate"):
            condition["negate"] = True
        return condition

    @staticmethod
    def initial_for(condition: dict) -> dict:
        name, value = condition.get("field"), condition.get("value")
        row = {"field": name, "negate": "1" if condition.get("negate") else ""}
        if name in BOOLEAN_FIELDS:
            truthy = value in (True, 1, "1", "true", "yes", "sim")
            row["choice"] = [f"{name}:{'true' if truthy else 'false'}"]
        elif name in FIELD_CHOICES:
            # The engine compares in lower case: a stored "n1" is the choice "N1".
            known = {str(key).lower(): key for key, _label in FIELD_CHOICES[name]}
            items = [known.get(item.strip().lower(), item) for item in conditions.as_list(value)]
            row["choice"] = [f"{name}:{item}" for item in items]
        else:
            row["text"] = ", ".join(conditions.as_list(value))
        return row


class ActionForm(forms.Form):
    type = forms.ChoiceField(
        label=_("Action"), choices=_blank(_("Choose an action"), actions.KINDS.items())
    )
    to = forms.ChoiceField(label=_("Assign to"), required=False)
    team = forms.ChoiceField(label=_("Team"), required=False)
    tier = forms.ChoiceField(
        label=_("Tier"), required=False, choices=_blank(_("the next tier"), Tier.choices)
    )
    reason = forms.CharField(label=_("Reason"), required=False, max_length=255)
    priority = forms.ChoiceField(
        label=_("Priority"), required=False, choices=_blank("—", Ticket.Priority.choices)
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=_blank("—", Ticket.Status.choices)
    )
    tags = forms.CharField(
        label=_("Tags"), required=False, max_length=500, help_text=_("Separated by commas.")
    )
    text = forms.CharField(
        label=_("Text"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )
    canned = forms.ChoiceField(label=_("Canned response"), required=False)
    recipients = forms.ChoiceField(
        label=_("Notify"), required=False, choices=_blank("—", NOTIFY_GROUPS)
    )
    usernames = forms.CharField(
        label=_("Agents (user names)"),
        required=False,
        max_length=500,
        help_text=_("Separated by commas."),
    )
    url = forms.URLField(
        label=_("Webhook URL"), required=False, max_length=500, assume_scheme="https"
    )
    key = forms.SlugField(label=_("Event name"), required=False, max_length=80)

    def __init__(self, *args, choices: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].choices = choices["to"]
        self.fields["team"].choices = choices["team"]
        self.fields["canned"].choices = choices["canned"]

    @staticmethod
    def choices() -> dict:
        """The choices that come from the database, read once per page for all the rows."""
        agents = (
            get_user_model()
            .objects.filter(is_active=True, agent_profile__isnull=False)
            .order_by("username")
            .values_list("username", flat=True)
        )
        teams = Team.objects.order_by("name").values_list("name", flat=True)
        canned = CannedResponse.objects.filter(owner=None).order_by("title")
        return {
            "to": _blank("—", [("auto", _("automatic (the team's policy)"))])
            + [(name, name) for name in agents],
            "team": _blank("—", [(name, name) for name in teams]),
            "canned": _blank("—", [(t, t) for t in canned.values_list("title", flat=True)]),
        }

    def clean(self):
        data = super().clean()
        kind = data.get("type")
        if not kind:
            return data
        for name in REQUIRED_INPUTS.get(kind, []):
            if not data.get(name) and name not in self.errors:
                self.add_error(name, _("This action needs this value."))
        if kind in ("add_tags", "remove_tags") and data.get("tags") and not _split(data["tags"]):
            self.add_error("tags", _("This action needs this value."))
        if kind == "notify" and data.get("recipients") == "agents":
            names = _split(data.get("usernames", ""))
            known = set(
                get_user_model()
                .objects.filter(username__in=names, is_active=True)
                .values_list("username", flat=True)
            )
            if not names:
                self.add_error("usernames", _("Name at least one agent."))
            elif unknown := [n for n in names if n not in known]:
                self.add_error(
                    "usernames", _("Unknown agents: %(names)s.") % {"names": ", ".join(unknown)}
                )
        return data

    @property
    def visible_inputs(self) -> list[str]:
        """The inputs shown for the row's action type (all while no type is chosen)."""
        kind = self["type"].value()
        if kind == "notify" and self["recipients"].value() != "agents":
            return ["recipients"]
        return KIND_INPUTS.get(kind, ALL_INPUTS)

    def action(self) -> dict:
        """The action as actions.py reads it (the keys of each `_do_<type>`)."""
        data, kind = self.cleaned_data, self.cleaned_data["type"]
        action: dict = {"type": kind}
        if kind == "notify":
            agents = data["recipients"] == "agents"
            action["to"] = ", ".join(_split(data["usernames"])) if agents else data["recipients"]
            return action
        for name in KIND_INPUTS[kind]:
            value = data.get(name) or ""
            if name == "tags":
                action["tags"] = _split(value)
            elif value or name in REQUIRED_INPUTS.get(kind, []):
                action[name] = value.strip() if isinstance(value, str) else value
        return action

    @staticmethod
    def initial_for(action: dict) -> dict:
        kind = action.get("type")
        row = {"type": kind}
        if kind == "notify":
            to = str(action.get("to") or "assignee")
            if to in {"assignee", "team_leads", "dispatchers"}:
                row["recipients"] = to
            else:
                row.update(recipients="agents", usernames=to)
            return row
        for name in KIND_INPUTS.get(kind, []):
            value = action.get(name)
            if name == "tags":
                row["tags"] = ", ".join(conditions.as_list(value))
            elif value is not None:
                row[name] = str(value)
        return row


class BaseRowFormSet(forms.BaseFormSet):
    def rows(self, method: str) -> list[dict]:
        """The rows kept (filled in and not removed), as JSON, in page order."""
        return [
            getattr(form, method)()
            for form in self.forms
            if form.cleaned_data.get("field" if method == "condition" else "type")
            and not (self.can_delete and self._should_delete_form(form))
        ]


ConditionFormSet = forms.formset_factory(
    ConditionForm, formset=BaseRowFormSet, extra=1, can_delete=True, max_num=50
)
ActionFormSet = forms.formset_factory(
    ActionForm, formset=BaseRowFormSet, extra=1, can_delete=True, max_num=50
)


def rule_editor_forms(*, data=None, rule: Rule | None = None):
    """The three forms of the editor, bound to POST data or prefilled from the rule."""
    choices = ActionForm.choices()
    initial = {"is_active": True, "events": ["created"]}
    cond_rows, action_rows = None, None
    if rule is not None:
        initial = {
            "name": rule.name,
            "events": rule.events,
            "stop": rule.stop,
            "is_active": rule.is_active,
        }
        cond_rows = [ConditionForm.initial_for(c) for c in rule.conditions or []]
        action_rows = [ActionForm.initial_for(a) for a in rule.actions or []]
    form = RuleForm(data, initial=None if data is not None else initial)
    cond_set = ConditionFormSet(data, initial=cond_rows, prefix="conditions")
    action_set = ActionFormSet(
        data, initial=action_rows, prefix="actions", form_kwargs={"choices": choices}
    )
    return form, cond_set, action_set
