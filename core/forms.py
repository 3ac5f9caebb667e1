"""Form pieces every app's edit pages share.

`VersionedModelForm` carries the `version` the user loaded, so a save based on an old copy
is refused (core.services.model_update) instead of silently overwriting, and a signed
snapshot of the values they loaded, so a stale edit can be merged with the other person's.
Views hand `service_data(form)` to the app's services, which own every write, and report a
service's ValidationError with `add_service_errors` (core.pages.save_form does both).
"""

import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth.models import AbstractUser
from django.core import signing
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models

# Hidden fields that guard an edit; never passed to a service as data.
CONTROL_FIELDS = {"version", "original"}
# A native date picker that posts ISO dates.
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def person_label(user: AbstractUser) -> str:
    """A person as a choice reads: "Ada Okafor (ada)", or the username alone."""
    full = user.get_full_name()
    return f"{full} ({user.username})" if full else user.username


class PersonChoiceField(forms.ModelChoiceField):
    """A choice of users, each labelled by `person_label`."""

    def label_from_instance(self, obj: AbstractUser) -> str:
        return person_label(obj)


def apply_bootstrap(form: forms.BaseForm) -> None:
    """Bootstrap classes on every widget; labels and help text come from the model."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.HiddenInput):
            continue
        if isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, forms.Select | forms.SelectMultiple):
            css = "form-select"
        else:
            css = "form-control"
        existing = widget.attrs.get("class", "")
        widget.attrs["class"] = f"{existing} {css}".strip()


def add_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Put a service's ValidationError on the form: on its field when the form has that
    field, else at the top of the form, so no message is ever lost."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.error_dict.items():
        target = name if name in form.fields and name != NON_FIELD_ERRORS else None
        form.add_error(target, errors)


def service_data(form: forms.BaseForm) -> dict[str, Any]:
    """The cleaned data a service takes: everything but the optimistic-lock controls."""
    return {k: v for k, v in form.cleaned_data.items() if k not in CONTROL_FIELDS}


# The value predates this module (it lived in accounts.forms). Changing it would invalidate
# the snapshot of every edit form open while a release goes out, so keep it as it is.
ORIGINAL_SALT = "keyplan.accounts.form-original"


def comparable(value: Any) -> Any:
    """One JSON-safe spelling per value, so loaded, typed and saved values compare equal.
    A set of rows (a many-to-many field's value) is its sorted ids."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, list | tuple | set | models.QuerySet):
        return sorted(item.pk if isinstance(item, models.Model) else item for item in value)
    if value == "":
        return None
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def field_value(instance: models.Model, name: str) -> Any:
    """What `instance` holds for the form field `name`: a foreign key's id (without loading
    the row), a many-to-many field's rows (a list), else the value."""
    field = instance._meta.get_field(name)
    if field.many_to_many:
        return list(getattr(instance, name).all()) if instance.pk else []
    return getattr(instance, field.attname)


class VersionedModelForm(forms.ModelForm):
    """A ModelForm for a VersionedModel.

    On an existing row it carries the version the user loaded (the service refuses a save
    based on an older one) and a signed snapshot of the values they loaded, so that after a
    conflict their edits can be merged with the other person's instead of either being lost.
    """

    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    original = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["version"].required = True
            self.fields["version"].initial = self.instance.version
            self.fields["original"].initial = self.snapshot(self.instance)
        else:
            del self.fields["version"]
            del self.fields["original"]

    def editable_names(self) -> list[str]:
        """The fields the user can change: not the lock controls, not disabled ones."""
        return [
            name
            for name, field in self.fields.items()
            if name not in CONTROL_FIELDS and not field.disabled
        ]

    def snapshot(self, instance: models.Model) -> str:
        """The editable values of `instance`, signed so a posted copy cannot be forged."""
        values = {name: comparable(field_value(instance, name)) for name in self.editable_names()}
        return signing.dumps(values, salt=ORIGINAL_SALT, compress=True)

    def original_values(self) -> dict[str, Any] | None:
        """The values the user loaded, or None when unknown (missing or tampered)."""
        try:
            return signing.loads(self.data.get(self.add_prefix("original"), ""), salt=ORIGINAL_SALT)
        except signing.BadSignature:
            return None

    @property
    def expected_version(self) -> int | None:
        """The version the user loaded (valid after is_valid())."""
        return self.cleaned_data.get("version")

    def rebase(self, current: models.Model) -> list[dict[str, Any]]:
        """After a stale save: merge the user's edit onto `current` (what is saved now).

        A field only the other person changed takes the saved value; a field the user changed
        keeps their value. The form's version and snapshot move to `current`, so saving again
        applies exactly what the form then shows. Returns one row per field the other person
        changed to something else than the user has: {"name", "yours", "theirs",
        "kept": "theirs" (the user had not touched it) | "yours" (both changed it)}.
        """
        original = self.original_values()
        data = self.data.copy()
        rows = []
        for name in self.editable_names():
            if name not in self.cleaned_data:
                continue
            yours = self.cleaned_data[name]
            if current._meta.get_field(name).many_to_many:
                theirs = field_value(current, name)
            else:
                theirs = getattr(current, name)
            if comparable(yours) == comparable(theirs):
                continue
            if original is not None and name in original:
                if original[name] == comparable(theirs):
                    continue  # only the user changed it: no conflict, theirs is unchanged
                untouched = original[name] == comparable(yours)
            else:
                untouched = False  # unknown starting point: never drop what the user typed
            rows.append(
                {
                    "name": name,
                    "yours": yours,
                    "theirs": theirs,
                    "kept": "theirs" if untouched else "yours",
                }
            )
            if untouched:
                self._set_raw(data, name, theirs)
        data[self.add_prefix("version")] = str(current.version)
        data[self.add_prefix("original")] = self.snapshot(current)
        self.data = data
        return rows

    def _set_raw(self, data: dict[str, Any], name: str, value: Any) -> None:
        key = self.add_prefix(name)
        data.pop(f"{key}_search", None)  # a reference picker's text: the id now decides
        if isinstance(self.fields[name].widget, forms.CheckboxInput):
            if value:
                data[key] = "on"
            else:
                data.pop(key, None)
            return
        raw = comparable(value)
        if isinstance(raw, list):  # a many-to-many field: one entry per id
            data.setlist(key, [str(pk) for pk in raw])
            return
        data[key] = "" if raw is None else str(raw)

    def _post_clean(self) -> None:
        super()._post_clean()
        # A CheckConstraint and the model's clean() may say the same thing; show it once,
        # next to its field.
        field_messages = {
            str(message)
            for name, errors in self.errors.items()
            if name != NON_FIELD_ERRORS
            for message in errors
        }
        if NON_FIELD_ERRORS in self._errors:
            kept = [e for e in self._errors[NON_FIELD_ERRORS] if str(e) not in field_messages]
            if kept:
                self._errors[NON_FIELD_ERRORS] = self.error_class(kept, error_class="nonfield")
            else:
                del self._errors[NON_FIELD_ERRORS]
