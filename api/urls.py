"""The REST API, under /api/v1/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import kb, tickets

router = SimpleRouter(trailing_slash=False)
router.register("tickets", tickets.TicketViewSet, basename="api-ticket")

urlpatterns = [
    path("kb/suggest", kb.suggest, name="api-kb-suggest"),
    path("kb/suggestions-shown", kb.suggestions_shown, name="api-kb-suggestions-shown"),
    *router.urls,
]
