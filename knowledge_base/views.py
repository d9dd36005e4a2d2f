"""Knowledge base pages on the customer portal: anyone may read a published article."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from . import selectors


@require_GET
def article_detail(request, language: str, slug: str):
    article = selectors.article_get_published(language=language, slug=slug)
    return render(request, "knowledge_base/article_detail.html", {"article": article})
