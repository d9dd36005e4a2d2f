"""The REST API, under /api/v1/."""

from django.urls import path

from .views import kb

urlpatterns = [
    path("kb/suggest", kb.suggest, name="api-kb-suggest"),
    path("kb/suggestions-shown", kb.suggestions_shown, name="api-kb-suggestions-shown"),
]
