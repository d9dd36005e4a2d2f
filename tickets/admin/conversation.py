"""The conversation and the audit trail, read-only: messages, attachments and ticket events are
written by services only (their inlines on the ticket page live here too). And the tags tickets
are labelled with."""

from django import forms
from django.contrib import admin
from django.db.models import Count
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator, slugify
from django.utils.translation import gettext_lazy as _

from tickets.admin._common import ActorListFilter, ReadOnlyAdminMixin, TicketNumberSearchMixin
from tickets.models import Attachment, Message, Tag, TicketEvent


class TagForm(forms.ModelForm):
    name = forms.CharField(
        label=_("name"),
        max_length=64,
        help_text=_("Stored as a slug: “Segunda Via” becomes “segunda-via”."),
    )

    class Meta:
        model = Tag
        fields = ("name",)

    def clean_name(self):
        # The same normalization ticket_tag applies, so tags made here are the ones it finds.
        name = slugify(self.cleaned_data["name"], allow_unicode=True)[:64]
        if not name:
            raise forms.ValidationError(_("A tag needs letters or digits."))
        return name


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    form = TagForm
    list_display = ("name",)
    search_fields = ("name",)


class MessageColumnsMixin:
    """Who wrote a message and the start of its text, for lists of messages."""

    excerpt_length = 80

    @admin.display(description=_("author"))
    def author(self, obj):
        return obj.author_user or obj.author_customer or "—"

    @admin.display(description=_("text"))
    def excerpt(self, obj):
        return Truncator(obj.body_text).chars(self.excerpt_length)


class MessageInline(MessageColumnsMixin, ReadOnlyAdminMixin, admin.TabularInline):
    excerpt_length = 140

    """The conversation, oldest first. Messages are written by services only."""

    model = Message
    fields = (
        "created_at",
        "direction",
        "kind",
        "channel",
        "author",
        "excerpt",
        "delivery_status",
        "attachment_count",
    )
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("author_user", "author_customer")
            .annotate(attachment_count=Count("attachments"))
        )

    @admin.display(description=_("attachments"))
    def attachment_count(self, obj):
        return obj.attachment_count


class TicketEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    """The audit trail: read-only for everyone."""

    model = TicketEvent
    fields = ("created_at", "kind", "actor", "before", "after", "reason")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class AttachmentInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Attachment
    fields = ("file_link", "content_type", "human_size", "is_inline", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    @admin.display(description=_("file"))
    def file_link(self, obj):
        return _file_link(obj)

    @admin.display(description=_("size"))
    def human_size(self, obj):
        return filesizeformat(obj.size)


def _file_link(attachment: Attachment):
    """A link to the permission-checked download view: the stored file has no URL of its own."""
    if not attachment.file:
        return attachment.filename
    return format_html(
        '<a href="{}" target="_blank" rel="noopener">{}</a>',
        reverse("attachment", args=[attachment.pk, attachment.filename]),
        attachment.filename,
    )


@admin.register(Message)
class MessageAdmin(
    MessageColumnsMixin, TicketNumberSearchMixin, ReadOnlyAdminMixin, admin.ModelAdmin
):
    ticket_number_path = "ticket__number"
    list_display = (
        "created_at",
        "ticket",
        "direction",
        "kind",
        "channel",
        "author",
        "excerpt",
        "delivery_status",
    )
    list_filter = (
        "direction",
        "kind",
        "channel",
        "delivery_status",
        "is_auto_reply",
        "created_at",
    )
    list_select_related = ("ticket", "author_user", "author_customer")
    search_fields = ("external_id", "subject", "body_text")
    search_help_text = _("Ticket number (1234 or #1234), provider message id, subject or text.")
    show_full_result_count = False
    inlines = (AttachmentInline,)
    fieldsets = (
        (None, {"fields": ("ticket", "direction", "kind", "channel", "created_at")}),
        (_("Author"), {"fields": ("author_user", "author_customer")}),
        (_("Content"), {"fields": ("subject", "body_text", "body_html")}),
        (
            _("Delivery"),
            {
                "fields": (
                    "external_id",
                    "delivery_status",
                    "delivery_error",
                    "is_auto_reply",
                    "threading_reason",
                    "metadata",
                )
            },
        ),
    )


@admin.register(Attachment)
class AttachmentAdmin(TicketNumberSearchMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    ticket_number_path = "message__ticket__number"
    list_display = (
        "filename",
        "file_link",
        "content_type",
        "human_size",
        "ticket",
        "message",
        "is_inline",
        "created_at",
    )
    list_filter = ("is_inline", "created_at")
    list_select_related = ("message", "message__ticket")
    search_fields = ("filename",)
    search_help_text = _("Ticket number (1234 or #1234) or file name.")
    show_full_result_count = False
    fields = (
        "file_link",
        "filename",
        "content_type",
        "human_size",
        "content_id",
        "is_inline",
        "message",
        "created_at",
    )
    readonly_fields = ("file_link", "human_size")

    @admin.display(description=_("file"))
    def file_link(self, obj):
        return _file_link(obj)

    @admin.display(description=_("size"), ordering="size")
    def human_size(self, obj):
        return filesizeformat(obj.size)

    @admin.display(description=_("ticket"), ordering="message__ticket__number")
    def ticket(self, obj):
        return obj.message.ticket


@admin.register(TicketEvent)
class TicketEventAdmin(TicketNumberSearchMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    ticket_number_path = "ticket__number"
    list_display = ("created_at", "ticket", "kind", "actor", "before_after", "short_reason")
    list_filter = ("kind", ActorListFilter, "created_at")
    list_select_related = ("ticket", "actor")
    search_fields = ("reason",)
    search_help_text = _("Ticket number (1234 or #1234) or reason.")
    show_full_result_count = False
    fields = ("ticket", "kind", "actor", "created_at", "before", "after", "reason", "data")

    @admin.display(description=_("change"))
    def before_after(self, obj):
        if obj.before is None and obj.after is None:
            return "—"
        return format_html_join(" → ", "{}", ((_short(obj.before),), (_short(obj.after),)))

    @admin.display(description=_("reason"))
    def short_reason(self, obj):
        return Truncator(obj.reason).chars(80)


def _short(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, dict):
        return ", ".join(f"{key}: {item}" for key, item in value.items())
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or "∅"
    return str(value)
