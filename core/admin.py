"""Admin for sales operations, for emergencies: ops (role `ops` or superuser) run it, and its
saves go through the same services as the pages and the API, so the write permission and
the lost-update guard hold here too.

A model admin extends `ServiceModelAdmin` and declares its services, as an API viewset does:

    @admin.register(Agreement)
    class AgreementAdmin(ServiceModelAdmin):
        services = ServiceSet(create=..., update=..., delete=...)

Its change form carries the version it was opened at; a save made after someone else's
(through the app, the API or another admin tab) shows the conflict and writes nothing.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpResponseRedirect

from .api.viewsets import ServiceSet
from .exceptions import INTEGRITY_MESSAGE, StaleVersionError
from .models import IdempotencyRecord

STALE_ADMIN_MESSAGE = (
    "Someone else saved this record since you opened it (it is now at version {current}). "
    "Nothing was saved: reload the page to see their change, then apply yours again."
)


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


class VersionGuardForm(forms.ModelForm):
    """An admin form that carries the version it was opened at, and refuses (as a form
    error, keeping the input) a save when the stored row has moved on since."""

    opened_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["opened_version"].initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        opened = cleaned.get("opened_version")
        if self.instance.pk and opened is not None:
            current = (
                type(self.instance)
                ._base_manager.filter(pk=self.instance.pk)
                .values_list("version", flat=True)
                .first()
            )
            if current != opened:
                raise ValidationError(STALE_ADMIN_MESSAGE.format(current=current))
        return cleaned


class VersionGuardAdmin(OpsPermissionsMixin, admin.ModelAdmin):
    """An admin whose saves are guarded by `version` (for models without services, such as
    the user admin): `UPDATE ... WHERE version = <opened>`, else a conflict message."""

    form = VersionGuardForm

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        if obj is None:
            return fieldsets
        # The hidden version travels with the form whatever fieldsets the admin declares.
        return [*fieldsets, (None, {"fields": ["opened_version"], "classes": ["hidden"]})]

    def opened_version(self, form, obj) -> int:
        opened = form.cleaned_data.get("opened_version")
        return obj.version if opened is None else opened

    def save_model(self, request, obj, form, change):
        if not change:
            return super().save_model(request, obj, form, change)
        obj.save_guarded(expected_version=self.opened_version(form, obj))

    def changeform_view(self, request, *args, **kwargs):
        try:
            with transaction.atomic():
                return super().changeform_view(request, *args, **kwargs)
        except StaleVersionError as exc:
            self.message_user(
                request, STALE_ADMIN_MESSAGE.format(current=exc.current_version), messages.ERROR
            )
        except IntegrityError:
            self.message_user(request, INTEGRITY_MESSAGE, messages.ERROR)
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
        except PermissionDenied as exc:
            self.message_user(request, str(exc), messages.ERROR)
        return HttpResponseRedirect(request.get_full_path())


class ServiceModelAdmin(VersionGuardAdmin):
    """Saves and deletes through the declared services (the same write rules as the app)."""

    services = ServiceSet()
    actions = None  # no bulk delete around the services

    def _data(self, form) -> dict:
        model_fields = {f.name for f in self.model._meta.get_fields()}
        return {
            name: form.cleaned_data[name]
            for name in form.cleaned_data
            if name in model_fields and name in form.fields
        }

    def save_model(self, request, obj, form, change):
        if change:
            if not self.services.update:
                raise PermissionDenied("This record is not edited here.")
            current = self.model._base_manager.get(pk=obj.pk)
            changed = {k: v for k, v in self._data(form).items() if k in form.changed_data}
            saved = self.services.update(
                actor=request.user,
                instance=current,
                data=changed,
                expected_version=self.opened_version(form, obj),
            )
        else:
            if not self.services.create:
                raise PermissionDenied("This record is not created here.")
            result = self.services.create(actor=request.user, **self._data(form))
            saved = result[0] if isinstance(result, tuple) else result
        obj.pk, obj.version = saved.pk, saved.version

    def save_related(self, request, form, formsets, change):
        # Many-to-many fields are written by the services; inlines are read-only.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request, obj):
        if not self.services.delete:
            raise PermissionDenied("This record is not deleted here.")
        self.services.delete(actor=request.user, instance=obj)

    def has_add_permission(self, request, *args):
        return bool(self.services.create) and super().has_add_permission(request, *args)

    def has_delete_permission(self, request, obj=None):
        return bool(self.services.delete) and super().has_delete_permission(request, obj)

    def delete_view(self, request, *args, **kwargs):
        try:
            with transaction.atomic():
                return super().delete_view(request, *args, **kwargs)
        except (PermissionDenied, ValidationError) as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


class ReadOnlyInline(OpsPermissionsMixin, admin.TabularInline):
    """Rows shown on their parent's page; each is edited on its own admin page (through
    its services), never through the parent's form."""

    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(OpsPermissionsMixin, admin.ModelAdmin):
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
