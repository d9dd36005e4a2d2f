"""The agents' knowledge base, under /agent/kb/: the list with what needs attention (articles
due for review, content gaps, deflection, unhelpful articles), the editor (drafts, publishing,
history and diffs, details, related articles, translations, files), and "create a draft article
from this answer" on a ticket. Agents only: everyone else gets 403."""

import difflib
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tickets import selectors as ticket_selectors
from tickets.errors import TicketError

from .. import reports, selectors, services
from ..forms import (
    ArticleDetailsForm,
    ArticleFileForm,
    ArticleNewForm,
    ArticleTextForm,
    RelatedForm,
)
from ..models import Article, Section
from ..rendering import render_markdown

DEFLECTION_DAYS = 30


def _agent(request) -> None:
    if not ticket_selectors.is_agent(request.user):
        raise PermissionDenied


def _article(request, pk: int) -> Article:
    _agent(request)
    return selectors.article_get_for_agent(agent=request.user, pk=pk)


def _manage(article: Article):
    return redirect(reverse("kb-agent-article", args=[article.pk]))


@require_GET
@login_required
def kb_dashboard(request):
    _agent(request)
    query = request.GET.get("q", "")[:200].strip()
    language = request.GET.get("lang", "")
    return render(
        request,
        "knowledge_base/agent/dashboard.html",
        {
            "query": query,
            "language": language,
            "articles": selectors.articles_for_agents(query=query, language=language or None),
            "due_mine": selectors.articles_due_for_review(owner=request.user),
            "due_all": selectors.articles_due_for_review(limit=20),
            "gaps": selectors.content_gaps(limit=20),
            "deflection": reports.deflection_report(
                since=timezone.now() - timedelta(days=DEFLECTION_DAYS)
            ),
            "deflection_days": DEFLECTION_DAYS,
            "feedback": reports.articles_feedback_summary(limit=10),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def article_new(request):
    _agent(request)
    form = ArticleNewForm(request.POST or None, initial={"language": request.LANGUAGE_CODE})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        article = services.article_create(
            by=request.user,
            language=data["language"],
            title=data["title"],
            summary=data["summary"],
            body=data["body"],
            visibility=data["visibility"],
            note=data["note"],
            publish="publish" in request.POST,
        )
        messages.success(request, _("Article created."))
        return _manage(article)
    return render(request, "knowledge_base/agent/edit.html", {"form": form, "article": None})


@require_GET
@login_required
def article_manage(request, pk: int):
    article = _article(request, pk)
    versions = selectors.article_versions(article=article)
    latest = versions[0] if versions else None
    translations = list(
        Article.objects.filter(translation_group=article.translation_group)
        .exclude(pk=article.pk)
        .only("title", "language", "status")
    )
    return render(
        request,
        "knowledge_base/agent/article.html",
        {
            "article": article,
            "versions": versions,
            "latest": latest,
            "pending_draft": latest is not None and article.is_published and not latest.published,
            "preview_html": render_markdown(latest.body if latest else article.body),
            "details_form": _details_form(article),
            "related": list(article.related.only("title", "language", "status")),
            "related_choices": Article.objects.filter(language=article.language)
            .exclude(pk=article.pk)
            .only("title")
            .order_by("title")[:500],
            "translations": translations,
            "missing_languages": [
                (code, name)
                for code, name in Article._meta.get_field("language").choices
                if code != article.language and code not in {t.language for t in translations}
            ],
            "files": list(article.attachments.all()),
            "file_form": ArticleFileForm(),
        },
    )


def _details_form(article: Article, data=None) -> ArticleDetailsForm:
    return ArticleDetailsForm(
        data,
        sections=Section.objects.filter(category__language=article.language).select_related(
            "category"
        ),
        owners=get_user_model().objects.filter(agent_profile__isnull=False).order_by("username"),
        initial={
            "slug": article.slug,
            "section": article.section_id,
            "visibility": article.visibility,
            "owner": article.owner_id,
            "review_by": article.review_by,
            "tags": ", ".join(tag.name for tag in article.tags.all()),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def article_edit(request, pk: int):
    """Save a new version of the text as a draft, or save and publish it."""
    article = _article(request, pk)
    latest = selectors.article_latest_version(article=article) or article
    form = ArticleTextForm(
        request.POST or None,
        initial={"title": latest.title, "summary": latest.summary, "body": latest.body},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        version = services.article_save_draft(
            article=article,
            by=request.user,
            title=data["title"],
            summary=data["summary"],
            body=data["body"],
            note=data["note"],
        )
        if "publish" in request.POST:
            services.article_publish(article=article, by=request.user, version=version)
            messages.success(request, _("Version %(n)s published.") % {"n": version.number})
        else:
            messages.success(request, _("Draft saved as version %(n)s.") % {"n": version.number})
        return _manage(article)
    return render(request, "knowledge_base/agent/edit.html", {"form": form, "article": article})


@require_POST
@login_required
def article_publish(request, pk: int):
    article = _article(request, pk)
    version = None
    if number := request.POST.get("version"):
        version = article.versions.filter(number=number).first()
        if version is None:
            raise Http404
    article = services.article_publish(article=article, by=request.user, version=version)
    messages.success(request, _("Article published."))
    return _manage(article)


@require_POST
@login_required
def article_unpublish(request, pk: int):
    article = services.article_unpublish(article=_article(request, pk), by=request.user)
    messages.success(request, _("Article unpublished: only agents see it now."))
    return _manage(article)


@require_POST
@login_required
def article_details(request, pk: int):
    article = _article(request, pk)
    form = _details_form(article, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        services.article_set_details(
            article=article,
            by=request.user,
            section=data["section"],
            visibility=data["visibility"],
            owner=data["owner"],
            review_by=data["review_by"],
            tags=form.tag_names(),
            slug=data["slug"],
        )
        messages.success(request, _("Details saved."))
    else:
        messages.error(request, _("The details were not saved: check the fields."))
    return _manage(article)


@require_POST
@login_required
def article_related(request, pk: int):
    article = _article(request, pk)
    form = RelatedForm(request.POST)
    if form.is_valid():
        other = Article.objects.filter(pk=form.cleaned_data["other"]).first()
        if other is None:
            raise Http404
        if form.cleaned_data["remove"]:
            services.article_unlink_related(article=article, other=other, by=request.user)
        else:
            services.article_link_related(article=article, other=other, by=request.user)
    return _manage(article)


@require_POST
@login_required
def article_file(request, pk: int):
    article = _article(request, pk)
    form = ArticleFileForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.article_attach_file(
                article=article, by=request.user, upload=form.cleaned_data["file"]
            )
            messages.success(request, _("File added."))
        except TicketError as error:
            messages.error(request, error.message)
    return _manage(article)


@require_http_methods(["GET", "POST"])
@login_required
def article_translate(request, pk: int, language: str):
    """A translation of the article in `language`, starting from its text."""
    original = _article(request, pk)
    choices = dict(Article._meta.get_field("language").choices)
    if language not in choices or language == original.language:
        raise Http404
    form = ArticleTextForm(
        request.POST or None,
        initial={"title": original.title, "summary": original.summary, "body": original.body},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            article = services.article_create(
                by=request.user,
                language=language,
                title=data["title"],
                summary=data["summary"],
                body=data["body"],
                visibility=original.visibility,
                translation_of=original,
                note=data["note"],
            )
        except TicketError as error:
            messages.error(request, error.message)
            return _manage(original)
        messages.success(request, _("Translation saved as a draft."))
        return _manage(article)
    return render(
        request,
        "knowledge_base/agent/edit.html",
        {"form": form, "article": None, "original": original, "language_name": choices[language]},
    )


def _diff_rows(old: str, new: str) -> list[tuple[str, str]]:
    """Line diff rows (kind, text), kind "same", "removed", "added" or "gap"; none when equal."""
    before, after = old.splitlines(), new.splitlines()
    if before == after:
        return []
    rows: list[tuple[str, str]] = []
    for group in difflib.SequenceMatcher(None, before, after).get_grouped_opcodes(2):
        if rows:
            rows.append(("gap", "…"))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                rows += [("same", line) for line in after[j1:j2]]
            else:
                rows += [("removed", line) for line in before[i1:i2]]
                rows += [("added", line) for line in after[j1:j2]]
    return rows


@require_GET
@login_required
def article_diff(request, pk: int):
    article = _article(request, pk)
    versions = {v.number: v for v in selectors.article_versions(article=article)}
    try:
        new = versions[int(request.GET.get("to") or max(versions))]
        old = versions[int(request.GET.get("from") or new.number - 1)]
    except (KeyError, ValueError) as exc:
        raise Http404 from exc
    fields = [
        (_("Title"), _diff_rows(old.title, new.title)),
        (_("Summary"), _diff_rows(old.summary, new.summary)),
        (_("Text"), _diff_rows(old.body, new.body)),
    ]
    return render(
        request,
        "knowledge_base/agent/diff.html",
        {
            "article": article,
            "old": old,
            "new": new,
            "fields": [(label, rows) for label, rows in fields if rows],
            "versions": sorted(versions.values(), key=lambda v: v.number),
        },
    )


@require_POST
@login_required
def draft_from_message(request, number: int, message_id: int):
    """ "Create a draft article from this answer": an outbound reply of a ticket the agent sees."""
    _agent(request)
    ticket = ticket_selectors.ticket_get_for_agent(agent=request.user, number=number)
    message = ticket.messages.filter(pk=message_id).first()
    if message is None:
        raise Http404
    try:
        article = services.article_create_draft_from_message(message=message, by=request.user)
    except TicketError as error:
        messages.error(request, error.message)
        return redirect(reverse("ticket-detail", args=[ticket.number]))
    messages.success(request, _("Draft article created from the answer: edit it and publish."))
    return redirect(reverse("kb-agent-edit", args=[article.pk]))
