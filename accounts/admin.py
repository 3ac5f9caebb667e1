from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from core.admin import ReadOnlyInline, ServiceModelAdmin
from core.api.viewsets import ServiceSet

from . import services
from .models import Account, AccountTeamMember, Agreement, ProductDeployment, RevenueRecord


class TeamMemberInline(ReadOnlyInline):
    model = AccountTeamMember
    fields = ["user", "name", "email", "role", "notes"]
    readonly_fields = fields


class DeploymentInline(ReadOnlyInline):
    model = ProductDeployment
    fields = ["product", "licensed_seats", "active_seats", "is_current_version"]
    readonly_fields = fields


@admin.register(Account)
class AccountAdmin(SimpleHistoryAdmin, ServiceModelAdmin):
    list_display = [
        "name",
        "external_id",
        "segment",
        "ltp",
        "sector",
        "territory",
        "owner",
        "is_active",
    ]
    list_filter = ["segment", "sector", "territory", "is_active"]
    list_select_related = ["owner", "sector", "territory"]
    search_fields = ["name", "external_id"]
    autocomplete_fields = ["parent", "owner"]
    fields = [
        "name",
        "external_id",
        "parent",
        "segment",
        "ltp",
        "industry",
        "sector",
        "territory",
        "owner",
        "is_active",
        "description",
        "version",
        "created_at",
        "updated_at",
    ]
    readonly_fields = ["version", "created_at", "updated_at"]
    inlines = [TeamMemberInline, DeploymentInline]
    services = ServiceSet(create=services.account_create, update=services.account_update)


@admin.register(AccountTeamMember)
class AccountTeamMemberAdmin(ServiceModelAdmin):
    list_display = ["account", "user", "name", "role"]
    list_select_related = ["account", "user"]
    search_fields = ["account__name", "name", "user__username"]
    autocomplete_fields = ["account", "user"]
    fields = ["account", "user", "name", "email", "role", "notes"]
    services = ServiceSet(
        create=services.team_member_create,
        update=services.team_member_update,
        delete=services.team_member_delete,
    )


@admin.register(Agreement)
class AgreementAdmin(SimpleHistoryAdmin, ServiceModelAdmin):
    list_display = ["number", "kind", "account", "start_date", "end_date", "annual_value"]
    list_filter = ["kind"]
    list_select_related = ["account"]
    search_fields = ["number", "account__name"]
    autocomplete_fields = ["account", "renews"]
    fields = [
        "account",
        "kind",
        "number",
        "start_date",
        "end_date",
        "annual_value",
        "renews",
        "version",
        "created_at",
        "updated_at",
    ]
    readonly_fields = ["version", "created_at", "updated_at"]
    services = ServiceSet(
        create=services.agreement_create,
        update=services.agreement_update,
        delete=services.agreement_delete,
    )


@admin.register(RevenueRecord)
class RevenueRecordAdmin(ServiceModelAdmin):
    list_display = ["account", "period", "amount", "source"]
    list_filter = ["source"]
    list_select_related = ["account"]
    search_fields = ["account__name"]
    date_hierarchy = "period"
    autocomplete_fields = ["account"]
    fields = ["account", "period", "amount", "source"]
    services = ServiceSet(
        create=services.revenue_record_upsert,
        update=services.revenue_record_update,
        delete=services.revenue_record_delete,
    )


@admin.register(ProductDeployment)
class ProductDeploymentAdmin(ServiceModelAdmin):
    list_display = ["product", "account", "licensed_seats", "active_seats", "is_current_version"]
    list_select_related = ["account", "product"]
    search_fields = ["product__name", "account__name"]
    autocomplete_fields = ["account"]
    fields = ["account", "product", "licensed_seats", "active_seats", "is_current_version"]
    services = ServiceSet(
        create=services.deployment_create,
        update=services.deployment_update,
        delete=services.deployment_delete,
    )
