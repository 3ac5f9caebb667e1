from django.contrib import admin

from core.admin import OpsPermissionsMixin, ReadOnlyInline, ServiceModelAdmin
from core.api.viewsets import ServiceSet

from . import services
from .models import Escalation, Opportunity, Partner, Stage, StageChange


class StageChangeInline(ReadOnlyInline):
    model = StageChange
    fields = ["field", "from_value", "to_value", "changed_by", "changed_at"]
    readonly_fields = fields


class EscalationInline(ReadOnlyInline):
    model = Escalation
    fields = ["raised_by", "note", "decision", "decided_by", "resolved_at"]
    readonly_fields = fields


@admin.register(Stage)
class StageAdmin(ServiceModelAdmin):
    list_display = [
        "order",
        "slug",
        "name",
        "probability",
        "forecast_category",
        "is_closed",
        "is_won",
    ]
    list_display_links = ["slug"]
    fields = [*services.STAGE_FIELDS, "version", "created_at", "updated_at"]
    readonly_fields = ["version", "created_at", "updated_at"]
    services = ServiceSet(create=services.stage_create, update=services.stage_update)


@admin.register(Partner)
class PartnerAdmin(ServiceModelAdmin):
    list_display = ["name", "kind", "external_id"]
    list_filter = ["kind"]
    search_fields = ["name", "external_id"]
    fields = [*services.PARTNER_FIELDS, "version", "created_at", "updated_at"]
    readonly_fields = ["version", "created_at", "updated_at"]
    services = ServiceSet(create=services.partner_create, update=services.partner_update)


@admin.register(Opportunity)
class OpportunityAdmin(ServiceModelAdmin):
    list_display = [
        "name",
        "account",
        "owner",
        "stage",
        "amount",
        "currency",
        "close_date",
        "is_deleted",
    ]
    list_filter = ["stage", "kind", "is_deleted"]
    list_select_related = ["account", "owner", "stage"]
    search_fields = ["name", "external_id", "account__name"]
    autocomplete_fields = ["account", "owner", "partners"]
    raw_id_fields = ["agreement"]
    fields = [
        *services.OPPORTUNITY_FIELDS,
        "is_deleted",
        "deleted_at",
        "version",
        "created_at",
        "updated_at",
    ]
    readonly_fields = ["is_deleted", "deleted_at", "version", "created_at", "updated_at"]
    inlines = [StageChangeInline, EscalationInline]
    services = ServiceSet(
        create=services.opportunity_create,
        update=services.opportunity_update,
        delete=services.opportunity_delete,
    )


@admin.register(Escalation)
class EscalationAdmin(OpsPermissionsMixin, admin.ModelAdmin):
    """Read-only here: escalations are raised and resolved in the app (its services)."""

    list_display = ["opportunity", "raised_by", "resolved_at", "decided_by"]
    list_select_related = ["opportunity", "raised_by", "decided_by"]
    fields = ["opportunity", "raised_by", "note", "decision", "decided_by", "resolved_at"]
    readonly_fields = fields

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
