"""An agent's saved inbox views: a name for a query string (view, filters, search, sort). Each
agent sees and changes only their own; another agent's view is as good as absent."""

from urllib.parse import parse_qsl, urlencode

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from ..errors import TicketError
from ..models import SavedView
from ._common import agent_profile

MAX_SAVED_VIEWS = 50
NAME_MAX_LENGTH = SavedView._meta.get_field("name").max_length
QUERY_MAX_LENGTH = SavedView._meta.get_field("query").max_length
# What an inbox address may carry worth keeping; a page cursor is not (it goes stale).
QUERY_KEYS = frozenset(
    {
        "view",
        "sort",
        "q",
        "status",
        "priority",
        "tier",
        "channel",
        "team",
        "assignee",
        "customer",
        "organization",
        "tag",
        "created_from",
        "created_to",
        "updated_from",
        "updated_to",
    }
)


class InvalidSavedView(TicketError):
    code = "invalid_saved_view"
    default_message = _("This view cannot be saved: %(why)s")


def clean_query(query: str) -> str:
    """The inbox query string reduced to the keys worth saving, empty values left out."""
    pairs = [(k, v) for k, v in parse_qsl(query or "", keep_blank_values=False) if k in QUERY_KEYS]
    return urlencode(pairs)


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise InvalidSavedView(why=_("give it a name."))
    if len(name) > NAME_MAX_LENGTH:
        raise InvalidSavedView(why=_("the name is too long."))
    return name


def _own(owner: AbstractBaseUser, saved_view_id: int) -> SavedView:
    """The owner's view, locked; SavedView.DoesNotExist for anyone else's."""
    return SavedView.objects.select_for_update().get(pk=saved_view_id, owner=owner)


@transaction.atomic
def saved_view_create(*, owner: AbstractBaseUser, name: str, query: str) -> SavedView:
    """Save the query under a name; saving again under a name the agent already uses replaces
    that view's query (the way "save" works in a mail client's search folders)."""
    agent_profile(owner)
    name = _clean_name(name)
    query = clean_query(query)
    if len(query) > QUERY_MAX_LENGTH:
        raise InvalidSavedView(why=_("the search and filters are too long."))
    mine = SavedView.objects.select_for_update().filter(owner=owner)
    existing = mine.filter(name=name).first()
    if existing is not None:
        existing.query = query
        existing.save(update_fields=["query"])
        return existing
    if mine.count() >= MAX_SAVED_VIEWS:
        raise InvalidSavedView(
            why=_("you already have %(n)s saved views.") % {"n": MAX_SAVED_VIEWS}
        )
    last = mine.aggregate(last=Max("position"))["last"]
    return SavedView.objects.create(
        owner=owner, name=name, query=query, position=0 if last is None else last + 1
    )


@transaction.atomic
def saved_view_rename(*, owner: AbstractBaseUser, saved_view_id: int, name: str) -> SavedView:
    saved = _own(owner, saved_view_id)
    name = _clean_name(name)
    if name != saved.name:
        if SavedView.objects.filter(owner=owner, name=name).exists():
            raise InvalidSavedView(why=_("you already have a view with that name."))
        saved.name = name
        saved.save(update_fields=["name"])
    return saved


@transaction.atomic
def saved_view_delete(*, owner: AbstractBaseUser, saved_view_id: int) -> None:
    _own(owner, saved_view_id).delete()
