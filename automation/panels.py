"""What automation adds to the ticket page (registered in AutomationConfig.ready()): the
timeline text of a rule's run, "Rule 'Urgent VIP' set priority to urgent"."""

from django.utils.translation import gettext as _

from tickets.models import TicketEvent
from tickets.registries import EventText, event_texts


def describe(done: dict) -> str:
    kind, value = done.get("type"), done.get("value", "")
    texts = {
        "assign": _("assigned it to %(value)s"),
        "set_team": _("moved it to team %(value)s"),
        "escalate": _("escalated it to %(value)s (%(reason)s)"),
        "set_priority": _("set priority to %(value)s"),
        "set_status": _("set status to %(value)s"),
        "add_tags": _("added tags %(value)s"),
        "remove_tags": _("removed tags %(value)s"),
        "note": _("added an internal note"),
        "reply": _("answered with '%(value)s'"),
        "notify": _("notified %(value)s"),
        "webhook": _("posted to %(value)s"),
        "event": _("emitted event %(value)s"),
        "requeue": _("returned it to the queue: %(value)s was offline for %(minutes)s minutes"),
    }
    template = texts.get(kind)
    if template is None:
        return str(kind)
    return template % {
        "value": value,
        "reason": done.get("reason", ""),
        "minutes": done.get("minutes", ""),
    }


def rule_run_text(event: TicketEvent) -> str:
    name = (event.data or {}).get("rule_name", "")
    did = [describe(done) for done in event.after or [] if isinstance(done, dict)]
    return _("Rule '%(name)s' %(did)s") % {"name": name, "did": "; ".join(did)}


def register() -> None:
    event_texts.register(EventText(kind=TicketEvent.Kind.RULE_RAN, text=rule_run_text))
