"""What the portal shows of the knowledge base, in the reader's language: categories, the most
read articles, the suggestions the new-request form asks for as the customer types, and the
deflection record those suggestions feed. The knowledge base owns these reads and records;
the portal only places them on its pages."""

from django.urls import reverse

from knowledge_base import selectors as kb_selectors
from knowledge_base import services as kb_services


def categories(*, language: str) -> list:
    return kb_selectors.categories_for_portal(language=language)


def top_articles(*, language: str, limit: int = 6) -> list:
    return kb_selectors.articles_top(language=language, limit=limit)


def urls() -> dict:
    """The knowledge base's addresses the portal's pages and script use."""
    return {
        "suggest_url": reverse("api-kb-suggest"),
        "shown_url": reverse("api-kb-suggestions-shown"),
        "search_url": reverse("kb-search"),
    }


def deflection_submitted(request, token: str) -> None:
    """The customer sent their request although articles were suggested while they wrote it: the
    knowledge base's record of those suggestions is no deflection. The browser session's record
    ends here; the next request starts a new one."""
    token = token or request.session.get(kb_services.DEFLECTION_SESSION_KEY, "")
    kb_services.deflection_record_submitted(token=token)
    request.session.pop(kb_services.DEFLECTION_SESSION_KEY, None)
