"""Admin for webhooks: subscriptions are created and changed through the services (URL and
event names checked, the outbox told); the signing secret is shown on the subscription's page;
deliveries are a read-only log with a "redeliver" action."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from tickets.errors import TicketError

from . import catalog, services
from .errors import NotAllowedToSubscribe
from .models import WebhookDelivery, WebhookSubscription


class SubscriptionForm(forms.ModelForm):
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        label=_("events"), choices=(), widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookSubscription
        fields = ["owner", "url", "description", "events"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["events"].choices = [(name, name) for name in catalog.public_names()]

    def clean(self):
        cleaned = super().clean()
        try:
            if cleaned.get("url"):
                services._clean_url(cleaned["url"])
            if "events" in cleaned:
                services._clean_events(cleaned["events"])
            owner = cleaned.get("owner")
            if owner is not None and not services.may_subscribe(owner):
                raise NotAllowedToSubscribe()
        except TicketError as error:
            raise forms.ValidationError(error.message) from error
        return cleaned


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    form = SubscriptionForm
    list_display = ["url", "owner", "is_active", "disabled_at", "consecutive_failures"]
    list_filter = ["is_active"]
    list_select_related = ["owner"]
    search_fields = ["url", "description"]
    raw_id_fields = ["owner"]
    readonly_fields = [
        "secret",
        "is_active",
        "disabled_at",
        "disabled_reason",
        "consecutive_failures",
        "failing_since",
        "created_at",
    ]
    actions = ["enable", "disable", "rotate_secret"]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "owner"] if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            services.webhook_subscription_update(
                subscription=obj, url=data["url"], events=data["events"],
                description=data.get("description", ""),
            )  # fmt: skip
        else:
            created = services.webhook_subscription_create(
                owner=data["owner"], url=data["url"], events=data["events"],
                description=data.get("description", ""),
            )  # fmt: skip
            obj.pk, obj.secret = created.pk, created.secret

    def delete_model(self, request, obj):
        services.webhook_subscription_delete(subscription=obj)

    def delete_queryset(self, request, queryset):
        for subscription in queryset:
            services.webhook_subscription_delete(subscription=subscription)

    @admin.action(description=_("Enable the selected subscriptions"))
    def enable(self, request, queryset):
        for subscription in queryset:
            services.webhook_subscription_enable(subscription=subscription)

    @admin.action(description=_("Disable the selected subscriptions"))
    def disable(self, request, queryset):
        for subscription in queryset:
            services.webhook_subscription_disable(
                subscription=subscription, reason=str(_("Disabled in the admin."))
            )

    @admin.action(description=_("Give the selected subscriptions a new secret"))
    def rotate_secret(self, request, queryset):
        for subscription in queryset:
            services.webhook_subscription_rotate_secret(subscription=subscription)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "subscription",
        "ticket_id",
        "status",
        "attempts",
        "response_code",
        "duration_ms",
        "next_attempt_at",
        "created_at",
    ]
    list_filter = ["status", "name"]
    list_select_related = ["subscription"]
    search_fields = ["=event_id", "=ticket_id"]
    actions = ["redeliver"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Redeliver the selected events now"))
    def redeliver(self, request, queryset):
        done = 0
        for delivery in queryset.select_related("subscription"):
            try:
                services.webhook_delivery_redeliver(delivery=delivery)
                done += 1
            except TicketError as error:
                self.message_user(request, error.message, messages.WARNING)
        if done:
            self.message_user(
                request,
                ngettext(
                    "%(count)d event queued for redelivery.",
                    "%(count)d events queued for redelivery.",
                    done,
                )
                % {"count": done},
            )
