"""What the portal shows of the knowledge base, in the reader's language: categories, the most
read articles, search, and the suggestions the new-request form asks for as the customer types.
The knowledge base owns these reads; the portal only places them on its pages."""

from knowledge_base import selectors as kb_selectors

# The suggestions API (DESIGN.md, "Interfaces"): GET ?q=...&lang=... -> {"results": [...]}.
SUGGEST_PATH = "/api/v1/kb/suggest"


def _read(name: str, **kwargs) -> list:
    read = getattr(kb_selectors, name, None)
    return list(read(**kwargs)) if read is not None else []


def categories(*, language: str) -> list:
    return _read("categories_for_portal", language=language)


def top_articles(*, language: str, limit: int = 6) -> list:
    return _read("articles_top", language=language, limit=limit)


def search(*, query: str, language: str, limit: int = 10) -> list:
    return _read("articles_search", query=query, language=language, limit=limit)


def suggest_url() -> str:
    return SUGGEST_PATH


def deflection_submitted(request, event) -> None:
    """Tell the knowledge base that suggestions shown during this request's writing did not
    keep the customer from sending it (filled in with the knowledge base's service)."""
