"""The agent's API tokens page (/agent/api-tokens/)."""

from django.urls import path

from .views import pages

urlpatterns = [
    path("api-tokens/", pages.tokens, name="api-tokens"),
    path("api-tokens/<int:pk>/revoke/", pages.token_revoke, name="api-token-revoke"),
]
