"""Admin for sales operations. Ops (role `ops` or superuser) run the admin; every model
admin extends OpsModelAdmin so the version guard applies to admin edits too."""

from django.contrib import admin, messages
from django.db import transaction

from .exceptions import StaleVersionError
from .models import IdempotencyRecord


def _is_ops(request) -> bool:
    user = request.user
    return user.is_active and user.is_authenticated and user.is_ops


admin.site.has_permission = _is_ops
admin.site.site_header = "Keyplan administration"
admin.site.site_title = "Keyplan admin"


class OpsPermissionsMixin:
    def has_module_permission(self, request):
        return _is_ops(request)

    def has_view_permission(self, request, obj=None):
        return _is_ops(request)

    def has_add_permission(self, request, *args):
        return _is_ops(request)

    def has_change_permission(self, request, obj=None):
        return _is_ops(request)

    def has_delete_permission(self, request, obj=None):
        return _is_ops(request)


class OpsModelAdmin(OpsPermissionsMixin, admin.ModelAdmin):
    """Saves bump `version` with the same UPDATE ... WHERE version = n guard as services."""

    def save_model(self, request, obj, form, change):
        if not change or not hasattr(obj, "version"):
            return super().save_model(request, obj, form, change)
        with transaction.atomic():
            model = type(obj)
            bumped = model.objects.filter(pk=obj.pk, version=obj.version).update(
                version=obj.version + 1
            )
            if not bumped:
                current = model.objects.filter(pk=obj.pk).values_list("version", flat=True).first()
                raise StaleVersionError(current_version=current, submitted_version=obj.version)
            obj.version += 1
            super().save_model(request, obj, form, change)

    def changeform_view(self, request, *args, **kwargs):
        try:
            return super().changeform_view(request, *args, **kwargs)
        except StaleVersionError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            from django.http import HttpResponseRedirect

            return HttpResponseRedirect(request.get_full_path())


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(OpsModelAdmin):
    list_display = ["key", "principal", "status_code", "created_at"]
    search_fields = ["key", "principal"]
    readonly_fields = [
        "principal",
        "key",
        "request_hash",
        "status_code",
        "response_headers",
        "leased_until",
        "created_at",
    ]
    exclude = ["response_body"]
