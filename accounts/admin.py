from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from core.admin import OpsModelAdmin, OpsPermissionsMixin

from .models import Account, AccountTeamMember, Agreement, ProductDeployment, RevenueRecord


class TeamMemberInline(OpsPermissionsMixin, admin.TabularInline):
    model = AccountTeamMember
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["user", "name", "email", "role", "notes"]


class DeploymentInline(OpsPermissionsMixin, admin.TabularInline):
    model = ProductDeployment
    extra = 0
    fields = ["product", "licensed_seats", "active_seats", "is_current_version"]


@admin.register(Account)
class AccountAdmin(SimpleHistoryAdmin, OpsModelAdmin):
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
    list_select_related = ["owner"]
    search_fields = ["name", "external_id"]
    autocomplete_fields = ["parent", "owner"]
    readonly_fields = ["version", "created_at", "updated_at"]
    inlines = [TeamMemberInline, DeploymentInline]


@admin.register(Agreement)
class AgreementAdmin(SimpleHistoryAdmin, OpsModelAdmin):
    list_display = ["number", "kind", "account", "start_date", "end_date", "annual_value"]
    list_filter = ["kind"]
    list_select_related = ["account"]
    search_fields = ["number", "account__name"]
    autocomplete_fields = ["account", "renews"]
    readonly_fields = ["version", "created_at", "updated_at"]


@admin.register(RevenueRecord)
class RevenueRecordAdmin(OpsModelAdmin):
    list_display = ["account", "period", "amount", "source"]
    list_filter = ["source"]
    list_select_related = ["account"]
    search_fields = ["account__name"]
    date_hierarchy = "period"
    autocomplete_fields = ["account"]


@admin.register(ProductDeployment)
class ProductDeploymentAdmin(OpsModelAdmin):
    list_display = ["product", "account", "licensed_seats", "active_seats", "is_current_version"]
    list_select_related = ["account"]
    search_fields = ["product", "account__name"]
    autocomplete_fields = ["account"]
