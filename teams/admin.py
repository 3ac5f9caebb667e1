from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, UserChangeForm

from core.admin import ReadOnlyInline, ServiceModelAdmin, VersionGuardAdmin, VersionGuardForm
from core.api.viewsets import ServiceSet

from . import services
from .models import Quota, Team, User


class UserAdminChangeForm(VersionGuardForm, UserChangeForm):
    pass


class UserAdminPasswordForm(AdminPasswordChangeForm):
    """Django's set-password form, saved through the version column: a new password is a
    change of the person like any other (their version and ETag move)."""

    def save(self, commit=True):
        user = super().save(commit=False)
        if commit:
            user.save_guarded(expected_version=user.version, update_fields=["password"])
        return user


@admin.register(User)
class UserAdmin(VersionGuardAdmin, DjangoUserAdmin):
    """People, with Django's password and permission tools. Saves are version-guarded: a
    save made after another edit of the same person shows the conflict and writes nothing."""

    form = UserAdminChangeForm
    change_password_form = UserAdminPasswordForm
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


class MemberInline(ReadOnlyInline):
    model = User
    fk_name = "team"
    fields = ["username", "first_name", "last_name", "role"]
    readonly_fields = fields


@admin.register(Team)
class TeamAdmin(ServiceModelAdmin):
    list_display = ["name", "manager", "territory"]
    list_select_related = ["manager"]
    search_fields = ["name", "territory"]
    fields = ["name", "territory", "manager"]
    inlines = [MemberInline]
    services = ServiceSet(create=services.team_create, update=services.team_update)


@admin.register(Quota)
class QuotaAdmin(ServiceModelAdmin):
    list_display = ["user", "fiscal_year", "amount"]
    list_filter = ["fiscal_year"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__last_name"]
    fields = ["user", "fiscal_year", "amount", "q1", "q2", "q3", "q4"]
    services = ServiceSet(
        create=services.quota_create, update=services.quota_update, delete=services.quota_delete
    )
