import contextlib

from django.contrib import admin, messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from . import services, tasks
from .models import InboundEvent, Mailbox, WhatsAppTemplate


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "address",
        "is_active",
        "imap_host",
        "imap_folder",
        "last_uid",
        "last_polled_at",
        "short_error",
    ]
    list_filter = ["is_active", "imap_security", "after_fetch", "auto_ack_enabled", "trusts_mta"]
    search_fields = ["name", "address", "imap_host", "imap_username"]
    readonly_fields = ["uidvalidity", "last_uid", "last_polled_at", "last_error"]
    actions = ["poll_now"]
    fieldsets = [
        (None, {"fields": ["name", "address", "is_active", "trusts_mta"]}),
        (
            _("Acknowledgement of new tickets"),
            {"fields": ["auto_ack_enabled", "auto_ack_subject", "auto_ack_body"]},
        ),
        (
            _("IMAP polling"),
            {
                "fields": [
                    "imap_host",
                    "imap_port",
                    "imap_security",
                    "imap_username",
                    "imap_password_env",
                    "imap_folder",
                    "after_fetch",
                    "move_to_folder",
                    "poll_interval_seconds",
                ]
            },
        ),
        (_("State"), {"fields": ["uidvalidity", "last_uid", "last_polled_at", "last_error"]}),
    ]

    @admin.display(description=_("last error"))
    def short_error(self, mailbox):
        return mailbox.last_error[:80]

    @admin.action(description=_("Poll now"))
    def poll_now(self, request, queryset):
        for mailbox in queryset:
            tasks.poll_mailbox.delay(mailbox.pk)
        self.message_user(request, gettext("Polling queued."), messages.SUCCESS)


@admin.register(WhatsAppTemplate)
class WhatsAppTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "language", "category", "parameter_count", "is_active", "updated_at"]
    list_filter = ["is_active", "category", "language"]
    search_fields = ["name", "body"]

    @admin.display(description=_("parameters"))
    def parameter_count(self, template):
        return template.parameter_count


@admin.register(InboundEvent)
class InboundEventAdmin(admin.ModelAdmin):
    list_display = [
        "received_at",
        "channel",
        "source",
        "short_provider_id",
        "status",
        "attempts",
        "size",
        "message_link",
        "short_error",
    ]
    list_filter = ["status", "channel", "source", "received_at"]
    search_fields = ["provider_id", "error"]
    list_select_related = ["message__ticket"]
    show_full_result_count = False
    actions = ["process_again"]
    exclude = ["raw"]
    readonly_fields = [
        "channel",
        "source",
        "provider_id",
        "mailbox",
        "headers",
        "size",
        "raw_download",
        "status",
        "error",
        "notes",
        "attempts",
        "received_at",
        "processed_at",
        "message",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("raw")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        download = self.admin_site.admin_view(self.download_raw)
        return [
            path("<int:pk>/raw/", download, name="channels_app_inboundevent_raw"),
            *super().get_urls(),
        ]

    def download_raw(self, request, pk):
        if not self.has_view_permission(request):
            return HttpResponse(status=403)
        event = get_object_or_404(InboundEvent, pk=pk)
        is_email = event.channel == "email"
        response = HttpResponse(
            bytes(event.raw),
            content_type="message/rfc822" if is_email else "application/octet-stream",
        )
        extension = {"email": "eml", "whatsapp": "json", "web": "json"}.get(event.channel, "bin")
        response["Content-Disposition"] = f'attachment; filename="inbound-{event.pk}.{extension}"'
        response["X-Content-Type-Options"] = "nosniff"
        return response

    @admin.display(description=_("original"))
    def raw_download(self, event):
        url = reverse("admin:channels_app_inboundevent_raw", args=[event.pk])
        return format_html('<a href="{}">{}</a> ({} bytes)', url, gettext("Download"), event.size)

    @admin.display(description=_("provider id"))
    def short_provider_id(self, event):
        return event.provider_id[:60]

    @admin.display(description=_("error"))
    def short_error(self, event):
        return event.error[:80]

    @admin.display(description=_("message"))
    def message_link(self, event):
        if event.message is None:
            return "—"
        return f"#{event.message.ticket.number}"

    @admin.action(description=_("Process again"))
    def process_again(self, request, queryset):
        done = 0
        for event_id in queryset.values_list("pk", flat=True)[:500]:
            with contextlib.suppress(services.RetryLater):  # the failure is on the event
                services.inbound_event_process(event_id=event_id, force=True)
            done += 1
        self.message_user(
            request,
            ngettext("%(n)d event processed again.", "%(n)d events processed again.", done)
            % {"n": done},
            messages.SUCCESS,
        )
