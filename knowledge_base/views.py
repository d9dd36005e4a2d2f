"""Knowledge base pages: anyone may read a published article on the customer portal; agents search
articles from a ticket's reply box (the picker, registered as a reply tool in ready())."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.views.decorators.http import require_GET

from tickets import selectors as ticket_selectors

from . import selectors

PICKER_LIMIT = 10
MAX_QUERY_LENGTH = 200


@require_GET
def article_detail(request, language: str, slug: str):
    article = selectors.article_get_published(language=language, slug=slug)
    return render(request, "knowledge_base/article_detail.html", {"article": article})


@require_GET
@login_required
def kb_picker(request, number: int):
    """htmx fragment: published articles in the ticket's language, to link to or quote."""
    if not ticket_selectors.is_agent(request.user):
        raise PermissionDenied
    ticket = ticket_selectors.ticket_get_for_agent(agent=request.user, number=number)
    query = request.GET.get("q", "")[:MAX_QUERY_LENGTH]
    articles = selectors.article_search(query=query, language=ticket.language, limit=PICKER_LIMIT)
    for article in articles:
        article.public_url = request.build_absolute_uri(article.get_absolute_url())
    return render(
        request,
        "knowledge_base/_kb_picker.html",
        {"ticket": ticket, "articles": articles, "query": query},
    )
