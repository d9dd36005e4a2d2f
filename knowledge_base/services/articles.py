"""Writing articles: create, save a draft, publish, details, related links, translations,
files, and a draft from an agent's answer on a ticket. Every text change keeps a version."""

import mimetypes
import uuid
from collections.abc import Iterable
from datetime import date
from pathlib import PurePath

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from tickets.models import Message
from tickets.services._common import agent_profile

from ..errors import FileRejected, NotAnAgentAnswer, NothingToPublish, TranslationExists
from ..models import Article, ArticleAttachment, ArticleVersion, Section, Tag

MAX_FILE_BYTES = 10 * 1024 * 1024
FILE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".gif", ".webp", ".pdf", ".txt", ".csv"})


def _unique_slug(*, language: str, wanted: str, exclude_pk: int | None = None) -> str:
    base = (slugify(wanted) or "artigo")[:190]
    taken = set(
        Article.objects.filter(language=language, slug__startswith=base)
        .exclude(pk=exclude_pk)
        .values_list("slug", flat=True)
    )
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug


def _tags(names: Iterable[str]) -> list[Tag]:
    tags = []
    for name in dict.fromkeys(name.strip() for name in names if name.strip()):
        slug = slugify(name)[:60]
        if slug:
            tags.append(Tag.objects.get_or_create(slug=slug, defaults={"name": name[:60]})[0])
    return tags


def _next_version(article: Article, *, by, published: bool, note: str = "") -> ArticleVersion:
    number = (article.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    return ArticleVersion.objects.create(
        article=article,
        number=number,
        title=article.title,
        summary=article.summary,
        body=article.body,
        published=published,
        note=note[:200],
        created_by=by,
    )


def _lock(article: Article) -> Article:
    return Article.objects.select_for_update().get(pk=article.pk)


@transaction.atomic
def article_create(
    *,
    by: AbstractBaseUser | None,
    language: str,
    title: str,
    body: str,
    summary: str = "",
    slug: str = "",
    section: Section | None = None,
    visibility: str = Article.Visibility.PUBLIC,
    tags: Iterable[str] = (),
    owner: AbstractBaseUser | None = None,
    review_by: date | None = None,
    translation_of: Article | None = None,
    publish: bool = False,
    note: str = "",
) -> Article:
    """A new article and its version 1, published at once or kept as a draft. A translation
    joins the other article's translation group (one article per language in a group)."""
    group = uuid.uuid4()
    if translation_of is not None:
        group = translation_of.translation_group
        if Article.objects.filter(translation_group=group, language=language).exists():
            raise TranslationExists(language=language)
    now = timezone.now()
    article = Article.objects.create(
        title=title,
        slug=_unique_slug(language=language, wanted=slug or title),
        language=language,
        summary=summary,
        body=body,
        section=section,
        visibility=visibility,
        translation_group=group,
        author=by,
        owner=owner or by,
        review_by=review_by,
        status=Article.Status.PUBLISHED if publish else Article.Status.DRAFT,
        published_at=now if publish else None,
    )
    article.tags.set(_tags(tags))
    _next_version(article, by=by, published=publish, note=note)
    return article


@transaction.atomic
def article_save_draft(
    *,
    article: Article,
    by: AbstractBaseUser | None,
    title: str,
    summary: str,
    body: str,
    note: str = "",
) -> ArticleVersion:
    """A new version of the text. A published article keeps showing its published text until
    this version is published; an unpublished one takes the new text at once."""
    article = _lock(article)
    if article.is_published:
        draft = Article(pk=article.pk, title=title, summary=summary, body=body)
        return _next_version(draft, by=by, published=False, note=note)
    article.title, article.summary, article.body = title, summary, body
    article.save(update_fields=["title", "summary", "body", "updated_at"])
    return _next_version(article, by=by, published=False, note=note)


@transaction.atomic
def article_publish(
    *, article: Article, by: AbstractBaseUser | None, version: ArticleVersion | None = None
) -> Article:
    """Publish a version (the latest by default; an older one brings its text back)."""
    article = _lock(article)
    version = version or article.versions.order_by("-number").first()
    if version is None or version.article_id != article.pk:
        raise NothingToPublish
    article.title, article.summary, article.body = version.title, version.summary, version.body
    article.status = Article.Status.PUBLISHED
    article.published_at = timezone.now()
    article.save(update_fields=["title", "summary", "body", "status", "published_at", "updated_at"])
    ArticleVersion.objects.filter(pk=version.pk).update(published=True)
    return article


@transaction.atomic
def article_unpublish(*, article: Article, by: AbstractBaseUser | None) -> Article:
    article = _lock(article)
    article.status = Article.Status.DRAFT
    article.save(update_fields=["status", "updated_at"])
    return article


@transaction.atomic
def article_set_details(
    *,
    article: Article,
    by: AbstractBaseUser | None,
    section: Section | None,
    visibility: str,
    owner: AbstractBaseUser | None,
    review_by: date | None,
    tags: Iterable[str],
    slug: str | None = None,
) -> Article:
    """Where the article lives and who looks after it (not versioned)."""
    article = _lock(article)
    article.section, article.visibility = section, visibility
    article.owner, article.review_by = owner, review_by
    fields = ["section", "visibility", "owner", "review_by", "updated_at"]
    if slug and slugify(slug) != article.slug:
        article.slug = _unique_slug(language=article.language, wanted=slug, exclude_pk=article.pk)
        fields.append("slug")
    article.save(update_fields=fields)
    article.tags.set(_tags(tags))
    return article


@transaction.atomic
def article_link_related(*, article: Article, other: Article, by: AbstractBaseUser | None) -> None:
    """Link two articles both ways ("link instead of duplicating")."""
    if other.pk != article.pk:
        article.related.add(other)


@transaction.atomic
def article_unlink_related(
    *, article: Article, other: Article, by: AbstractBaseUser | None
) -> None:
    article.related.remove(other)


@transaction.atomic
def article_attach_file(
    *, article: Article, by: AbstractBaseUser | None, upload: UploadedFile
) -> ArticleAttachment:
    """Store an image or document of the article in the public KB storage. The type comes from
    an allow-listed extension, never from what the browser claimed."""
    name = PurePath(upload.name or "").name[:200]
    extension = PurePath(name).suffix.lower()
    if extension not in FILE_EXTENSIONS:
        raise FileRejected(name=name, why=_("this type of file is not accepted."))
    if upload.size > MAX_FILE_BYTES:
        raise FileRejected(name=name, why=_("it is larger than 10 MB."))
    content_type = mimetypes.types_map.get(extension, "application/octet-stream")
    if extension == ".webp":
        content_type = "image/webp"
    stored_name = f"{uuid.uuid4().hex}{extension}"
    attachment = ArticleAttachment(
        article=article, filename=name, content_type=content_type, size=upload.size
    )
    attachment.file.save(stored_name, upload, save=False)
    attachment.save()
    return attachment


@transaction.atomic
def article_create_draft_from_message(*, message: Message, by: AbstractBaseUser) -> Article:
    """A draft article from an agent's answer on a ticket: the ticket's subject as title and the
    answer as text, in the ticket's language, internal until its author decides otherwise
    (a conversation can hold personal data to edit out)."""
    agent_profile(by)
    if message.direction != Message.Direction.OUTBOUND or message.kind != Message.Kind.MESSAGE:
        raise NotAnAgentAnswer
    ticket = message.ticket
    body = (message.body_text or "").strip()
    if not body:
        raise NotAnAgentAnswer
    return article_create(
        by=by,
        language=ticket.language,
        title=(ticket.subject or _("Answer"))[:200],
        body=body,
        visibility=Article.Visibility.INTERNAL,
        note=_("From the answer on ticket #%(number)s") % {"number": ticket.number},
    )
