"""Every change to rules: create or edit, reorder, turn on and off. Only managers (and
superusers) manage rules."""

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from tickets.registries import routing_inputs_changed

from . import actions, conditions
from .models import Rule, TimeRule


def may_manage_rules(user: AbstractBaseUser) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    profile = getattr(user, "agent_profile", None)
    return bool(profile and profile.is_manager)


def _check(by: AbstractBaseUser) -> None:
    if not may_manage_rules(by):
        raise PermissionDenied


def rule_clean(*, events: list, conditions_: list, actions_: list) -> None:
    """Raise ValidationError for what a rule cannot hold: unknown events, fields or actions."""
    errors = {}
    if any(event not in Rule.Event.values for event in events):
        errors["events"] = _("Unknown event.")
    if not isinstance(conditions_, list) or any(
        not isinstance(c, dict) or c.get("field") not in conditions.FIELDS for c in conditions_
    ):
        errors["conditions"] = _("Each condition needs a known field: %(fields)s.") % {
            "fields": ", ".join(conditions.FIELDS)
        }
    if not isinstance(actions_, list) or any(
        not isinstance(a, dict) or a.get("type") not in actions.KINDS for a in actions_
    ):
        errors["actions"] = _("Each action needs a known type: %(types)s.") % {
            "types": ", ".join(actions.KINDS)
        }
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def rule_save(*, rule: Rule | None, by: AbstractBaseUser, **fields) -> Rule:
    _check(by)
    rule_clean(
        events=fields.get("events", []),
        conditions_=fields.get("conditions", []),
        actions_=fields.get("actions", []),
    )
    rule = rule or Rule(position=_next_position(Rule))
    for name, value in fields.items():
        setattr(rule, name, value)
    rule.full_clean(exclude=["position"])
    rule.save()
    routing_inputs_changed()
    return rule


def _next_position(model) -> int:
    last = model.objects.order_by("-position").values_list("position", flat=True).first()
    return (last or 0) + 10


@transaction.atomic
def rule_move(*, rule: Rule | TimeRule, up: bool, by: AbstractBaseUser) -> None:
    """Swap the rule with its neighbour above (or below); positions are renumbered 10, 20..."""
    _check(by)
    model = type(rule)
    ordered = list(model.objects.select_for_update().order_by("position", "id"))
    index = next(i for i, r in enumerate(ordered) if r.pk == rule.pk)
    other = index - 1 if up else index + 1
    if 0 <= other < len(ordered):
        ordered[index], ordered[other] = ordered[other], ordered[index]
    for position, item in enumerate(ordered, start=1):
        if item.position != position * 10:
            model.objects.filter(pk=item.pk).update(position=position * 10)
    routing_inputs_changed()


@transaction.atomic
def rule_set_active(*, rule: Rule | TimeRule, active: bool, by: AbstractBaseUser) -> None:
    _check(by)
    type(rule).objects.filter(pk=rule.pk).update(is_active=active)
    routing_inputs_changed()
