"""What surveys add to the agents' ticket page (registered in SurveysConfig.ready()): the text of
the "survey sent" and "survey answered" entries of the timeline. The customer panel's
"Satisfaction" list reads the same "survey answered" rows (tickets.selectors.customer_panel)."""

from django.utils.translation import gettext

from tickets.models import TicketEvent
from tickets.registries import EventText, event_texts

from .models import SurveyKind


def _kind(value: str) -> str:
    try:
        return str(SurveyKind(value).label)
    except ValueError:
        return value or ""


def survey_event_text(event: TicketEvent) -> str:
    if event.kind == TicketEvent.Kind.SURVEY_SENT:
        return gettext("%(survey)s survey sent by %(channel)s") % {
            "survey": _kind(event.after),
            "channel": event.data.get("channel", ""),
        }
    comment = event.data.get("comment") or ""
    text = gettext("%(survey)s answer: %(score)s") % {
        "survey": _kind(event.data.get("survey", "")),
        "score": event.after,
    }
    return f"{text} · “{comment}”" if comment else text


def register() -> None:
    for kind in (TicketEvent.Kind.SURVEY_SENT, TicketEvent.Kind.SURVEY_ANSWERED):
        event_texts.register(EventText(kind=kind, text=survey_event_text))
