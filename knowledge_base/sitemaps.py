"""/sitemap.xml: every public published article (never internal ones or drafts)."""

from django.contrib.sitemaps import Sitemap

from .models import Article
from .search import visible_articles


class ArticleSitemap(Sitemap):
    changefreq = "weekly"
    limit = 5000

    def items(self):
        return (
            visible_articles(audience="public")
            .only("slug", "language", "updated_at")
            .order_by("language", "id")
        )

    def lastmod(self, article: Article):
        return article.updated_at
