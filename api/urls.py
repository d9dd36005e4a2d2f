"""The REST API, under /api/v1/."""

from django.urls import path, re_path
from rest_framework.routers import SimpleRouter

from . import errors
from .views import attachments, content, kb, people, tickets, webhooks

router = SimpleRouter(trailing_slash=False)
router.register("tickets", tickets.TicketViewSet, basename="api-ticket")
router.register("attachments", attachments.AttachmentViewSet, basename="api-attachment")
router.register("customers", people.CustomerViewSet, basename="api-customer")
router.register("organizations", people.OrganizationViewSet, basename="api-organization")
router.register("teams", people.TeamViewSet, basename="api-team")
router.register("agents", people.AgentViewSet, basename="api-agent")
router.register("tags", people.TagViewSet, basename="api-tag")
router.register("canned-responses", content.CannedResponseViewSet, basename="api-canned")
router.register("kb/categories", content.CategoryViewSet, basename="api-kb-category")
router.register("kb/articles", content.ArticleViewSet, basename="api-kb-article")
router.register("sla/policies", content.SLAPolicyViewSet, basename="api-sla-policy")
router.register("surveys/responses", content.SurveyResponseViewSet, basename="api-survey-response")
router.register("surveys/report", content.SurveyReportViewSet, basename="api-survey-report")
router.register("metrics", content.MetricsViewSet, basename="api-metrics")
router.register(
    "webhooks/subscriptions",
    webhooks.WebhookSubscriptionViewSet,
    basename="api-webhook-subscription",
)
router.register(
    "webhooks/deliveries", webhooks.WebhookDeliveryViewSet, basename="api-webhook-delivery"
)

urlpatterns = [
    path("kb/suggest", kb.suggest, name="api-kb-suggest"),
    path("kb/suggestions-shown", kb.suggestions_shown, name="api-kb-suggestions-shown"),
    *router.urls,
    # Anything else under /api/v1/ answers 404 in the API's error shape, not an HTML page;
    # [\s\S], not ".", so that a path holding a newline (%0A) is caught too.
    re_path(r"^[\s\S]*$", errors.not_found, name="api-not-found"),
]
