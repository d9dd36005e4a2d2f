"""Organizations, customers and their identities (email, phone, WhatsApp), with the action that
merges duplicate customers through `services.customer_merge`."""

from django import forms
from django.contrib import admin, messages
from django.db.models import Count
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from tickets import services
from tickets.admin._common import ChangesRoutingMixin
from tickets.errors import TicketError
from tickets.identities import InvalidIdentity, normalize_identity_value
from tickets.models import Customer, CustomerIdentity, Organization


class MergedListFilter(admin.SimpleListFilter):
    title = _("merged")
    parameter_name = "merged"

    def lookups(self, request, model_admin):
        return [("no", _("Not merged")), ("yes", _("Merged into another"))]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(merged_into__isnull=True)
        if self.value() == "yes":
            return queryset.filter(merged_into__isnull=False)
        return queryset


@admin.register(Organization)
class OrganizationAdmin(ChangesRoutingMixin, admin.ModelAdmin):
    list_display = ("name", "domain", "customer_count", "created_at")
    search_fields = ("name", "domain")
    date_hierarchy = "created_at"
    readonly_fields = ("created_at",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(customer_count=Count("customers"))

    @admin.display(description=_("customers"), ordering="customer_count")
    def customer_count(self, obj):
        return obj.customer_count


class CustomerIdentityForm(forms.ModelForm):
    """Stores the value normalized (lower-case email, E.164 phone), as the services do, so that
    the uniqueness check and the inbound pipeline find the same person."""

    class Meta:
        model = CustomerIdentity
        fields = ("customer", "kind", "value", "verified")

    def clean(self):
        cleaned = super().clean()
        kind, value = cleaned.get("kind"), cleaned.get("value")
        if kind and value:
            try:
                cleaned["value"] = normalize_identity_value(kind, value)
            except InvalidIdentity:
                self.add_error(
                    "value",
                    _("“%(value)s” is not a valid %(kind)s.")
                    % {"value": value, "kind": CustomerIdentity.Kind(kind).label},
                )
        return cleaned


class CustomerIdentityInline(admin.TabularInline):
    model = CustomerIdentity
    form = CustomerIdentityForm
    fields = ("kind", "value", "verified", "created_at")
    readonly_fields = ("created_at",)
    extra = 0


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = (
        "name_or_id",
        "identity_list",
        "organization",
        "segment",
        "language",
        "merged_into",
        "created_at",
    )
    list_filter = (
        "segment",
        "language",
        MergedListFilter,
        "is_org_manager",
        "organization",
        "created_at",
    )
    list_select_related = ("organization", "merged_into")
    search_fields = ("name", "identities__value", "organization__name")
    search_help_text = _("Name, email, phone or organization.")
    autocomplete_fields = ("organization", "user")
    readonly_fields = ("merged_into", "created_at", "updated_at")
    fieldsets = (
        (
            None,
            {"fields": ("name", "organization", "is_org_manager", "segment", "language", "user")},
        ),
        (_("Notes"), {"fields": ("notes",)}),
        (_("History"), {"fields": ("merged_into", "created_at", "updated_at")}),
    )
    inlines = (CustomerIdentityInline,)
    actions = ("merge_into_oldest",)
    show_full_result_count = False

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("identities")

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        match = request.resolver_match
        if (
            match is not None
            and match.url_name == "autocomplete"
            and request.GET.get("model_name") == "ticket"
        ):
            # A new ticket belongs to the surviving record, not to one merged away.
            queryset = queryset.filter(merged_into__isnull=True)
        return queryset, may_have_duplicates

    @admin.display(description=_("name"), ordering="name")
    def name_or_id(self, obj):
        return str(obj)

    @admin.display(description=_("identities"))
    def identity_list(self, obj):
        # Uses the prefetched rows: one query for the whole page.
        return ", ".join(identity.value for identity in obj.identities.all())

    @admin.action(
        description=_("Merge selected customers into the oldest one"), permissions=["change"]
    )
    def merge_into_oldest(self, request, queryset):
        chosen = list(queryset.order_by("created_at", "pk"))
        if len(chosen) < 2:
            self.message_user(
                request, gettext("Select at least two customers to merge."), messages.WARNING
            )
            return
        target, sources = chosen[0], chosen[1:]
        merged, failures = [], []
        for source in sources:
            try:
                services.customer_merge(source=source, target=target, by=request.user)
            except TicketError as exc:
                failures.append(f"{source}: {exc.message}")
            else:
                merged.append(str(source))
        if merged:
            self.message_user(
                request,
                ngettext(
                    "%(count)d customer merged into %(target)s: %(names)s.",
                    "%(count)d customers merged into %(target)s: %(names)s.",
                    len(merged),
                )
                % {"count": len(merged), "target": target, "names": ", ".join(merged)},
                messages.SUCCESS,
            )
        if failures:
            self.message_user(
                request,
                gettext("Could not merge: %(details)s") % {"details": "; ".join(failures)},
                messages.ERROR,
            )


@admin.register(CustomerIdentity)
class CustomerIdentityAdmin(admin.ModelAdmin):
    form = CustomerIdentityForm
    list_display = ("value", "kind", "customer", "verified", "created_at")
    list_filter = ("kind", "verified", "created_at")
    list_select_related = ("customer",)
    search_fields = ("value", "customer__name")
    autocomplete_fields = ("customer",)
    readonly_fields = ("created_at",)
    show_full_result_count = False
