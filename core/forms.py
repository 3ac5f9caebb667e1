"""Form pieces every app's edit pages share.

`VersionedModelForm` carries the `version` the user loaded, so a save based on an old copy
is refused (core.services.model_update) instead of silently overwriting, and a signed
snapshot of the values they loaded, so a stale edit can be merged with the other person's.
Views hand `service_data(form)` to the app's services, which own every write, and report a
service's ValidationError with `add_service_errors` (core.pages.save_form does both).
"""

import datetime
import re
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core import signing
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models

# Hidden fields that guard an edit; never passed to a service as data.
CONTROL_FIELDS = {"version", "original"}


# --- dates --------------------------------------------------------------------------
# One date format across the product (settings.KEYPLAN_DATE_INPUT_FORMAT, day-month-year by
# default). A text input, not <input type="date">: a native date input shows the browser's
# locale (mm/dd/yyyy in an en-US browser) whatever the page says, and it cannot be told
# otherwise without JavaScript. The text input shows and takes the product's format, with a
# placeholder and a pattern, and works without JavaScript; ISO dates are accepted too.

DATE_PLACEHOLDERS = {"%d": "dd", "%m": "mm", "%Y": "yyyy", "%y": "yy"}


def date_input_formats() -> list[str]:
    """The product's input format first, then ISO and a few unambiguous spellings."""
    first = settings.KEYPLAN_DATE_INPUT_FORMAT
    others = ["%Y-%m-%d", "%d %b %Y", "%d %B %Y"]
    return [first, *(f for f in others if f != first)]


def date_placeholder() -> str:
    text = settings.KEYPLAN_DATE_INPUT_FORMAT
    for code, word in DATE_PLACEHOLDERS.items():
        text = text.replace(code, word)
    return text


class KeyplanDateInput(forms.DateInput):
    def __init__(self, attrs=None):
        attrs = {
            "placeholder": date_placeholder(),
            "inputmode": "numeric",
            "autocomplete": "off",
            **(attrs or {}),
        }
        super().__init__(attrs=attrs, format=settings.KEYPLAN_DATE_INPUT_FORMAT)


class KeyplanDateField(forms.DateField):
    """A date typed in the product's format (27/11/2026 by default) or ISO (2026-11-27)."""

    widget = KeyplanDateInput
    default_error_messages = {"invalid": "Enter a date as %(example)s."}

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", date_input_formats())
        super().__init__(**kwargs)

    def to_python(self, value):
        try:
            return super().to_python(value.strip() if isinstance(value, str) else value)
        except ValidationError as exc:
            if exc.code != "invalid":
                raise
            example = datetime.date(2026, 11, 27).strftime(settings.KEYPLAN_DATE_INPUT_FORMAT)
            raise ValidationError(
                self.error_messages["invalid"] % {"example": f"{date_placeholder()} ({example})"},
                code="invalid",
            ) from None


# Kept for forms that name a widget: the product's date input.
DATE_INPUT = KeyplanDateInput()


def display_date(value: datetime.date | None) -> str:
    """A date as the pages print it (settings.KEYPLAN_DATE_FORMAT: 27 Nov 2026)."""
    from django.utils.dateformat import format as date_format

    return date_format(value, settings.KEYPLAN_DATE_FORMAT) if value else ""


# --- money --------------------------------------------------------------------------
# Browser forms accept thousands separators ("1,000,000", "1 000 000") and show amounts with
# them, behind a currency prefix; the API keeps plain decimals (DRF's own fields).

GROUPED = re.compile(r"^[-+]?\d{1,3}(?:([,\s\u00a0\u202f'])\d{3})?(?:\1\d{3})*(?:\.\d*)?$")


def parse_money(value: str) -> str:
    """ "1,250,000.50" -> "1250000.50"; one separator, in groups of three, or none at all."""
    text = value.strip()
    if GROUPED.match(text):
        return re.sub(r"[,\s\u00a0\u202f']", "", text)
    return text


class MoneyInput(forms.TextInput):
    template_name = "core/widgets/money.html"

    def __init__(self, attrs=None):
        super().__init__(attrs={"inputmode": "decimal", "autocomplete": "off", **(attrs or {})})

    def format_value(self, value):
        if isinstance(value, Decimal | int) and not isinstance(value, bool):
            text = f"{value:,.2f}"
            return text.removesuffix(".00")
        return super().format_value(value)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["currency"] = settings.KEYPLAN_CURRENCY
        return context


class MoneyField(forms.DecimalField):
    """An amount of money: thousands separators accepted and normalised, a currency prefix."""

    widget = MoneyInput
    default_error_messages = {"invalid": "Enter an amount such as 1,250,000 or 1250000.50."}

    def to_python(self, value):
        if isinstance(value, str):
            value = parse_money(value)
        return super().to_python(value)

    def widget_attrs(self, widget):
        return {}  # no step/min/max: a text input (DecimalField adds them to number inputs)


def person_label(user: AbstractUser) -> str:
    """A person as a choice reads: "Ada Okafor (ada)", or the username alone."""
    full = user.get_full_name()
    return f"{full} ({user.username})" if full else user.username


class PersonChoiceField(forms.ModelChoiceField):
    """A choice of users, each labelled by `person_label`."""

    def label_from_instance(self, obj: AbstractUser) -> str:
        return person_label(obj)


def keyplan_formfield(db_field: models.Field, **kwargs: Any) -> forms.Field | None:
    """The form field for a model field, with the product's date and money inputs: a
    ModelForm's `formfield_callback` (VersionedModelForm sets it)."""
    if isinstance(db_field, models.DateField) and not isinstance(db_field, models.DateTimeField):
        kwargs.setdefault("form_class", KeyplanDateField)
    elif isinstance(db_field, models.DecimalField) and db_field.decimal_places == 2:
        kwargs.setdefault("form_class", MoneyField)
    return db_field.formfield(**kwargs)


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


class KeyplanModelFormMetaclass(forms.models.ModelFormMetaclass):
    """Every model form of the product builds its date and money fields with
    `keyplan_formfield`, unless its Meta names another formfield_callback."""

    def __new__(mcs, name, bases, attrs):
        meta = attrs.get("Meta")
        if meta is not None and not hasattr(meta, "formfield_callback"):
            meta.formfield_callback = staticmethod(keyplan_formfield)
        return super().__new__(mcs, name, bases, attrs)


class VersionedModelForm(forms.ModelForm, metaclass=KeyplanModelFormMetaclass):
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
