"""Refusals of the webhooks app, with stable codes (the API shows them as they are)."""

from django.utils.translation import gettext_lazy as _

from tickets.errors import TicketError


class WebhookError(TicketError):
    code = "webhook_error"
    default_message = _("This webhook change is not allowed.")


class InvalidWebhookUrl(WebhookError):
    code = "invalid_webhook_url"
    field = "url"  # the API names it among the error's fields
    default_message = _("The webhook URL must be an https:// address: %(url)s")


class UnknownWebhookEvent(WebhookError):
    code = "unknown_webhook_event"
    field = "events"
    default_message = _("Unknown event names: %(names)s")


class NoWebhookEvents(WebhookError):
    code = "no_webhook_events"
    field = "events"
    default_message = _("Choose at least one event.")


class SubscriptionDisabled(WebhookError):
    code = "webhook_subscription_disabled"
    default_message = _("This subscription is disabled: enable it first.")


class NotAllowedToSubscribe(WebhookError):
    code = "webhook_not_allowed"
    default_message = _(
        "Webhooks carry the events of every ticket: only administrators and users allowed to add "
        "webhook subscriptions may own one."
    )
