from django.contrib import admin

from .models import Article


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ("title", "language", "status", "author", "updated_at")
    list_filter = ("status", "language")
    list_select_related = ("author",)
    search_fields = ("title", "summary", "body")
    prepopulated_fields = {"slug": ("title",)}
    readonly_fields = ("author", "created_at", "updated_at")
    fields = ("title", "slug", "language", "status", "summary", "body", *readonly_fields)

    def view_on_site(self, obj):
        return obj.get_absolute_url() if obj.is_published else None

    def save_model(self, request, obj, form, change):
        if not change:
            obj.author = request.user
        super().save_model(request, obj, form, change)
