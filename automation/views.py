"""The managers' rules page: list, order, turn on and off, edit a trigger, dry run."""

import json

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from . import engine, services
from .models import Rule, TimeRule


def _manager(request) -> None:
    if not services.may_manage_rules(request.user):
        raise PermissionDenied


class RuleForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    events = forms.MultipleChoiceField(
        label=gettext_lazy("When"), choices=Rule.Event.choices, widget=forms.CheckboxSelectMultiple
    )
    conditions = forms.CharField(
        label=gettext_lazy("Conditions (JSON)"),
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
        help_text=gettext_lazy('e.g. [{"field": "priority", "value": ["urgent"]}]'),
    )
    actions = forms.CharField(
        label=gettext_lazy("Actions (JSON)"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy('e.g. [{"type": "set_priority", "priority": "high"}]'),
    )
    stop = forms.BooleanField(label=gettext_lazy("Stop the rules after this one"), required=False)
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False)

    def _json(self, name):
        try:
            value = json.loads(self.cleaned_data.get(name) or "[]")
        except ValueError as exc:
            raise ValidationError(_("Not valid JSON.")) from exc
        if not isinstance(value, list):
            raise ValidationError(_("A list is expected."))
        return value

    def clean_conditions(self):
        return self._json("conditions")

    def clean_actions(self):
        return self._json("actions")


@login_required
def rule_list(request):
    _manager(request)
    return render(
        request,
        "automation/rule_list.html",
        {"rules": Rule.objects.all(), "time_rules": TimeRule.objects.all()},
    )


@login_required
def rule_edit(request, pk: int | None = None):
    _manager(request)
    rule = get_object_or_404(Rule, pk=pk) if pk else None
    if request.method == "POST":
        form = RuleForm(request.POST)
        if form.is_valid():
            try:
                rule = services.rule_save(rule=rule, by=request.user, **form.cleaned_data)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("Rule saved."))
                return redirect("automation:rules")
    else:
        initial = {"is_active": True, "events": ["created"], "conditions": "[]", "actions": "[]"}
        if rule is not None:
            initial = {
                "name": rule.name,
                "events": rule.events,
                "conditions": json.dumps(rule.conditions, ensure_ascii=False, indent=1),
                "actions": json.dumps(rule.actions, ensure_ascii=False, indent=1),
                "stop": rule.stop,
                "is_active": rule.is_active,
            }
        form = RuleForm(initial=initial)
    return render(request, "automation/rule_form.html", {"form": form, "rule": rule})


def _model(kind: str):
    return TimeRule if kind == "time" else Rule


@require_POST
@login_required
def rule_move(request, kind: str, pk: int, direction: str):
    _manager(request)
    rule = get_object_or_404(_model(kind), pk=pk)
    services.rule_move(rule=rule, up=direction == "up", by=request.user)
    return redirect("automation:rules")


@require_POST
@login_required
def rule_toggle(request, kind: str, pk: int):
    _manager(request)
    rule = get_object_or_404(_model(kind), pk=pk)
    services.rule_set_active(rule=rule, active=not rule.is_active, by=request.user)
    return redirect("automation:rules")


@login_required
def rule_dry_run(request, pk: int):
    """Which open tickets the rule's conditions match now: the count and the first 20."""
    _manager(request)
    rule = get_object_or_404(Rule, pk=pk)
    count, first = engine.dry_run(rule)
    return render(
        request, "automation/dry_run.html", {"rule": rule, "count": count, "tickets": first}
    )
