"""The knowledge base's public pages under /portal/kb/: home, categories, search, articles and
their "Was this helpful?" form. Public articles for everyone; an internal one opens for agents
only (404 for anyone else), and never shows in lists or search results here."""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from .. import selectors, services
from ..forms import FeedbackForm, SearchForm
from ..rendering import render_markdown

SEARCH_LIMIT = 10
LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]


def current_language(request, wanted: str = "") -> str:
    for language in (wanted.lower(), (get_language() or "").lower()):
        if language in LANGUAGE_CODES:
            return language
    return settings.LANGUAGE_CODE


@require_GET
def kb_home(request):
    language = current_language(request, request.GET.get("lang", ""))
    return render(
        request,
        "knowledge_base/home.html",
        {
            "language": language,
            "search_form": SearchForm(initial={"lang": language}),
            "categories": selectors.categories_for_portal(language=language),
            "top_articles": selectors.articles_top(language=language),
        },
    )


@require_GET
def category_detail(request, language: str, slug: str):
    category = selectors.category_get_for_portal(language=language, slug=slug)
    return render(
        request,
        "knowledge_base/category.html",
        {
            "category": category,
            "language": language,
            "search_form": SearchForm(initial={"lang": language}),
        },
    )


@require_GET
def search(request):
    form = SearchForm(request.GET or None)
    hits, query = [], ""
    language = current_language(request, request.GET.get("lang", ""))
    if form.is_valid():
        query = form.cleaned_data["q"]
        language = form.cleaned_data["lang"] or language
        hits = selectors.articles_search(
            query=query, language=language, audience="public", limit=SEARCH_LIMIT
        )
        if query and not hits:
            services.search_miss_record(query=query, language=language)
    return render(
        request,
        "knowledge_base/search.html",
        {"search_form": form, "hits": hits, "query": query, "language": language},
    )


@require_GET
def article_detail(request, language: str, slug: str):
    article = selectors.article_get_for_reader(user=request.user, language=language, slug=slug)
    audience = selectors.audience_for(request.user)
    services.article_record_view(article_id=article.pk)
    return render(
        request,
        "knowledge_base/article_detail.html",
        {
            "article": article,
            "body_html": render_markdown(article.body),
            "translations": selectors.article_translations(article=article, audience=audience),
            "related": selectors.articles_related(article=article, audience=audience),
            "files": [f for f in article.attachments.all() if not f.is_image],
            "feedback_form": FeedbackForm(),
            "search_form": SearchForm(initial={"lang": language}),
        },
    )


@require_POST
def article_feedback(request, language: str, slug: str):
    article = selectors.article_get_for_reader(user=request.user, language=language, slug=slug)
    form = FeedbackForm(request.POST)
    if form.is_valid():
        services.article_feedback_record(
            article=article,
            reader=services.reader_key(session=request.session, user=request.user),
            helpful=form.cleaned_data["helpful"] == "yes",
            comment=form.cleaned_data["comment"],
        )
        messages.success(request, _("Thank you for your feedback."))
    else:
        messages.error(request, _("Say whether the article helped."))
    return redirect(article.get_absolute_url() + "#feedback")
