"""The knowledge base in Django's admin. Article text is written in the agents' editor
(/agent/kb/), which keeps versions; here administrators arrange categories and sections,
review feedback, content gaps and suggestion sessions, and change an article's details."""

from django.contrib import admin

from .models import (
    Article,
    ArticleFeedback,
    ArticleVersion,
    Category,
    Deflection,
    SearchMiss,
    Section,
    Tag,
)


class SectionInline(admin.TabularInline):
    model = Section
    extra = 1
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "language", "position")
    list_filter = ("language",)
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("featured",)
    inlines = [SectionInline]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "featured":
            kwargs["queryset"] = Article.objects.filter(
                status=Article.Status.PUBLISHED, visibility=Article.Visibility.PUBLIC
            ).defer("body")
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class VersionInline(admin.TabularInline):
    model = ArticleVersion
    fields = ("number", "title", "published", "note", "created_by", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ("title", "language", "status", "visibility", "views", "owner", "review_by")
    list_filter = ("status", "visibility", "language", "section__category")
    list_select_related = ("owner",)
    search_fields = ("title", "summary")
    readonly_fields = (
        "title",
        "language",
        "summary",
        "body",
        "status",
        "author",
        "views",
        "published_at",
        "created_at",
        "updated_at",
        "translation_group",
    )
    fields = (
        "title",
        "slug",
        "language",
        "status",
        "visibility",
        "section",
        "tags",
        "related",
        "owner",
        "review_by",
        "summary",
        "body",
        "author",
        "views",
        "published_at",
        "created_at",
        "updated_at",
        "translation_group",
    )
    autocomplete_fields = ("related",)
    filter_horizontal = ("tags",)
    inlines = [VersionInline]

    def has_add_permission(self, request):
        # New articles start in the agents' editor, which keeps their first version.
        return False

    def view_on_site(self, obj):
        return obj.get_absolute_url() if obj.is_published else None


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("name", "slug")
    search_fields = ("name",)
    prepopulated_fields = {"slug": ("name",)}


@admin.register(ArticleFeedback)
class ArticleFeedbackAdmin(admin.ModelAdmin):
    list_display = ("article", "helpful", "comment", "created_at")
    list_filter = ("helpful",)
    list_select_related = ("article",)
    readonly_fields = ("article", "helpful", "comment", "reader", "created_at")

    def has_add_permission(self, request):
        return False


@admin.register(SearchMiss)
class SearchMissAdmin(admin.ModelAdmin):
    """The content gaps: what readers looked for and did not find."""

    list_display = ("query", "language", "count", "first_seen", "last_seen")
    list_filter = ("language",)
    search_fields = ("query",)
    readonly_fields = ("query", "language", "count", "first_seen", "last_seen")

    def has_add_permission(self, request):
        return False


@admin.register(Deflection)
class DeflectionAdmin(admin.ModelAdmin):
    list_display = ("created_at", "language", "query", "shown", "submitted_at")
    list_filter = ("language", ("submitted_at", admin.EmptyFieldListFilter))
    readonly_fields = (
        "token",
        "reader",
        "language",
        "query",
        "shown",
        "article_ids",
        "created_at",
        "updated_at",
        "submitted_at",
    )

    def has_add_permission(self, request):
        return False
