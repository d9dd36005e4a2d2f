"""The knowledge base in a ticket's reply box: the picker, registered as a reply tool in
ready(). Agents find internal articles too, to quote (customers could not open their link)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.views.decorators.http import require_GET

from tickets import selectors as ticket_selectors

from .. import selectors

PICKER_LIMIT = 10
MAX_QUERY_LENGTH = 200


@require_GET
@login_required
def kb_picker(request, number: int):
    """htmx fragment: published articles in the ticket's language, to link to or quote."""
    if not ticket_selectors.is_agent(request.user):
        raise PermissionDenied
    ticket = ticket_selectors.ticket_get_for_agent(agent=request.user, number=number)
    query = request.GET.get("q", "")[:MAX_QUERY_LENGTH]
    if query.strip():
        hits = selectors.articles_search(
            query=query, language=ticket.language, audience="agents", limit=PICKER_LIMIT
        )
        articles = [hit.article for hit in hits]
    else:
        articles = selectors.articles_latest(
            language=ticket.language, audience="agents", limit=PICKER_LIMIT
        )
    for article in articles:
        article.public_url = request.build_absolute_uri(article.get_absolute_url())
    return render(
        request,
        "knowledge_base/_kb_picker.html",
        {"ticket": ticket, "articles": articles, "query": query},
    )
