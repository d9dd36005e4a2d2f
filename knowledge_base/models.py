"""The knowledge base: articles agents link to from replies and customers read on the portal.
Categories, translations and suggestions grow from here."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Article(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

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
    body = models.TextField(
        _("text"), help_text=_("Plain text; a blank line starts a new paragraph.")
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        related_name="kb_articles",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["title", "id"]
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        constraints = [
            models.UniqueConstraint(
                fields=["language", "slug"], name="kb_article_unique_slug_per_language"
            )
        ]
        indexes = [
            models.Index(
                fields=["language", "-updated_at"],
                name="kb_article_published",
                condition=Q(status="published"),
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        """Where customers read it on the portal."""
        return reverse("kb-article", kwargs={"language": self.language, "slug": self.slug})

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED
