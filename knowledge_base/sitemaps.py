"""/sitemap.xml: every public published article (never internal ones or drafts) and every
category page."""

from django.contrib.sitemaps import Sitemap

from .models import Article, Category
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


class CategorySitemap(Sitemap):
    changefreq = "weekly"

    def items(self):
        return Category.objects.only("slug", "language").order_by("language", "position", "id")
