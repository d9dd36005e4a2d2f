"""The knowledge base: categories and sections of articles that customers read on the portal and
agents link to from replies; their versions, files, feedback, and what searches found nothing.

An article's own title, summary and body are what readers see (its published text once it is
published); every save also keeps an ArticleVersion, so a draft of a published article waits
in its versions until it is published."""

import uuid

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import LazyObject
from django.utils.translation import gettext_lazy as _

from .search_document import ArticleDocument


class KBMediaStorage(LazyObject):
    """Public files of articles (images, attachments), kept apart from MEDIA_ROOT, where the
    private ticket attachments live; served under KB_MEDIA_URL by knowledge_base.views.media."""

    def _setup(self):
        self._wrapped = FileSystemStorage(
            location=settings.KB_MEDIA_ROOT, base_url=settings.KB_MEDIA_URL
        )


kb_media_storage = KBMediaStorage()


def _kb_media_storage():
    return kb_media_storage


class Category(models.Model):
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default="pt-br"
    )
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=120)
    description = models.CharField(_("description"), max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    featured = models.ManyToManyField(
        "Article",
        verbose_name=_("featured articles"),
        related_name="featured_in",
        blank=True,
    )

    class Meta:
        ordering = ["position", "name", "id"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        constraints = [
            models.UniqueConstraint(fields=["language", "slug"], name="kb_category_unique_slug")
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("kb-category", kwargs={"language": self.language, "slug": self.slug})


class Section(models.Model):
    category = models.ForeignKey(
        Category, verbose_name=_("category"), related_name="sections", on_delete=models.CASCADE
    )
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=120)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name", "id"]
        verbose_name = _("section")
        verbose_name_plural = _("sections")
        constraints = [
            models.UniqueConstraint(fields=["category", "slug"], name="kb_section_unique_slug")
        ]

    def __str__(self) -> str:
        return f"{self.category} › {self.name}"


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=60)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("article tag")
        verbose_name_plural = _("article tags")

    def __str__(self) -> str:
        return self.name


class Article(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("Public")
        INTERNAL = "internal", _("Internal (agents only)")

    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(
        _("slug"), max_length=200, help_text=_("The article's address; unique per language.")
    )
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default="pt-br"
    )
    summary = models.TextField(
        _("summary"),
        blank=True,
        help_text=_("A short answer in a few lines; agents insert it into replies."),
    )
    body = models.TextField(_("text"), help_text=_("Markdown."))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    visibility = models.CharField(
        _("visibility"), max_length=16, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    section = models.ForeignKey(
        Section,
        verbose_name=_("section"),
        related_name="articles",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), related_name="articles", blank=True)
    # Symmetrical: linking A to B links B to A.
    related = models.ManyToManyField("self", verbose_name=_("related articles"), blank=True)
    # The same article in other languages shares its group.
    translation_group = models.UUIDField(_("translation group"), default=uuid.uuid4)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        related_name="kb_articles",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        related_name="kb_owned_articles",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        help_text=_("Who keeps the article up to date."),
    )
    review_by = models.DateField(
        _("review by"),
        null=True,
        blank=True,
        help_text=_("After this date the article is listed as due for review."),
    )
    views = models.PositiveIntegerField(_("views"), default=0)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # Computed by the database: a weighted tsvector on PostgreSQL, NULL elsewhere.
    search_document = models.GeneratedField(
        expression=ArticleDocument(), output_field=ArticleDocument.output_field, db_persist=True
    )

    class Meta:
        ordering = ["title", "id"]
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        constraints = [
            models.UniqueConstraint(
                fields=["language", "slug"], name="kb_article_unique_slug_per_language"
            ),
            models.UniqueConstraint(
                fields=["translation_group", "language"], name="kb_article_one_per_language"
            ),
        ]
        indexes = [
            models.Index(
                fields=["language", "-updated_at"],
                name="kb_article_published",
                condition=Q(status="published"),
            ),
            models.Index(
                fields=["language", "-views"],
                name="kb_article_public_top",
                condition=Q(status="published", visibility="public"),
            ),
            models.Index(fields=["review_by"], name="kb_article_review_by"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        """Where it is read on the portal (agents also read internal articles there)."""
        return reverse("kb-article", kwargs={"language": self.language, "slug": self.slug})

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def is_public(self) -> bool:
        return self.visibility == self.Visibility.PUBLIC

    @property
    def is_stale(self) -> bool:
        return self.review_by is not None and self.review_by <= timezone.localdate()


class ArticleVersion(models.Model):
    """The article's text as one save left it; `published` when it went live."""

    article = models.ForeignKey(
        Article, verbose_name=_("article"), related_name="versions", on_delete=models.CASCADE
    )
    number = models.PositiveIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"), blank=True)
    body = models.TextField(_("text"))
    published = models.BooleanField(_("published"), default=False)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["article", "-number"]
        verbose_name = _("article version")
        verbose_name_plural = _("article versions")
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="kb_version_unique_number")
        ]

    def __str__(self) -> str:
        return f"{self.article_id} v{self.number}"


class ArticleAttachment(models.Model):
    """An image or file of an article: public when the article is public and published."""

    article = models.ForeignKey(
        Article, verbose_name=_("article"), related_name="attachments", on_delete=models.CASCADE
    )
    file = models.FileField(
        _("file"), storage=_kb_media_storage, upload_to="%Y/%m/", max_length=300
    )
    filename = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["article", "id"]
        verbose_name = _("article file")
        verbose_name_plural = _("article files")

    def __str__(self) -> str:
        return self.filename

    @property
    def is_image(self) -> bool:
        from .rendering import INLINE_IMAGE_TYPES

        return self.content_type in INLINE_IMAGE_TYPES


class ArticleFeedback(models.Model):
    """One reader's "Was this helpful?" answer (one per article and reader; the last counts)."""

    article = models.ForeignKey(
        Article, verbose_name=_("article"), related_name="feedback", on_delete=models.CASCADE
    )
    helpful = models.BooleanField(_("helpful"))
    comment = models.TextField(_("comment"), blank=True)
    # A hash of the session key (or the user id): who answered, without keeping the session id.
    reader = models.CharField(_("reader"), max_length=64)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("article feedback")
        verbose_name_plural = _("article feedback")
        constraints = [
            models.UniqueConstraint(fields=["article", "reader"], name="kb_feedback_one_per_reader")
        ]

    def __str__(self) -> str:
        return f"{self.article_id}: {'+' if self.helpful else '-'}"


class SearchMiss(models.Model):
    """A search that found nothing, counted per normalized query: the content gaps."""

    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    query = models.CharField(_("search"), max_length=200)
    count = models.PositiveIntegerField(_("times"), default=1)
    first_seen = models.DateTimeField(_("first seen"), default=timezone.now)
    last_seen = models.DateTimeField(_("last seen"), default=timezone.now)

    class Meta:
        ordering = ["-count", "-last_seen"]
        verbose_name = _("search without results")
        verbose_name_plural = _("searches without results")
        constraints = [
            models.UniqueConstraint(fields=["language", "query"], name="kb_search_miss_unique")
        ]

    def __str__(self) -> str:
        return self.query


class Deflection(models.Model):
    """Article suggestions shown while a customer writes a new request. Submitting the request
    marks it `submitted`; one left without submitting counts as deflected."""

    token = models.CharField(_("token"), max_length=64, unique=True)
    reader = models.CharField(_("reader"), max_length=64)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    query = models.CharField(_("last search"), max_length=200, blank=True)
    shown = models.PositiveIntegerField(_("suggestions shown"), default=0)
    article_ids = models.JSONField(_("articles shown"), default=list, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("suggestion session")
        verbose_name_plural = _("suggestion sessions")
        indexes = [models.Index(fields=["created_at"], name="kb_deflection_created")]

    def __str__(self) -> str:
        return self.token[:8]
