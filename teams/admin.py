from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from core.admin import OpsModelAdmin, OpsPermissionsMixin

from .models import Quota, Team, User


@admin.register(User)
class UserAdmin(OpsPermissionsMixin, DjangoUserAdmin):
    list_display = ["username", "first_name", "last_name", "role", "team", "is_active"]
    list_filter = ["role", "team", "is_active", "is_staff"]
    list_select_related = ["team"]
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        ("Keyplan", {"fields": ("role", "team", "title")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        ("Keyplan", {"fields": ("first_name", "last_name", "email", "role", "team")}),
    )


class MemberInline(OpsPermissionsMixin, admin.TabularInline):
    model = User
    fk_name = "team"
    fields = ["username", "first_name", "last_name", "role"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True


@admin.register(Team)
class TeamAdmin(OpsModelAdmin):
    list_display = ["name", "manager", "territory"]
    list_select_related = ["manager"]
    search_fields = ["name", "territory"]
    inlines = [MemberInline]


@admin.register(Quota)
class QuotaAdmin(OpsModelAdmin):
    list_display = ["user", "fiscal_year", "amount"]
    list_filter = ["fiscal_year"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__last_name"]
