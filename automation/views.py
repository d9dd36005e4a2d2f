"""The managers' rules page: list, order, turn on and off, edit a trigger, dry run."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import engine, services
from .forms import KIND_INPUTS, rule_editor_forms
from .models import Rule, TimeRule


def _manager(request) -> None:
    if not services.may_manage_rules(request.user):
        raise PermissionDenied


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
    data = request.POST if request.method == "POST" else None
    form, condition_rows, action_rows = rule_editor_forms(data=data, rule=rule)
    if data is not None and all(f.is_valid() for f in (form, condition_rows, action_rows)):
        try:
            rule = services.rule_save(
                rule=rule,
                by=request.user,
                **form.cleaned_data,
                conditions=condition_rows.rows("condition"),
                actions=action_rows.rows("action"),
            )
        except ValidationError as exc:
            if rule is not None:
                rule.refresh_from_db()  # rule_save set the refused values on it
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Rule saved."))
            return redirect("automation:rules")
    return render(
        request,
        "automation/rule_form.html",
        {
            "form": form,
            "condition_rows": condition_rows,
            "action_rows": action_rows,
            "rule": rule,
            "saved_json": _saved_json(rule),
            "kind_inputs": KIND_INPUTS,
        },
    )


def _saved_json(rule: Rule | None) -> str:
    """The rule as stored, shown read-only under "Advanced" (edited only in the admin)."""
    if rule is None or rule.pk is None:
        return ""
    stored = {"conditions": rule.conditions, "actions": rule.actions}
    return json.dumps(stored, ensure_ascii=False, indent=2)


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
