"""Generic write helpers every app's services stand on.

A service checks the write-permission rule (its app's `access` module), then calls these:

- `model_create(model=..., data=..., fields=...)`: validate (clean, constraints) and insert,
  then set many-to-many fields;
- `model_update(instance=..., data=..., fields=..., expected_version=...)`: apply the changed
  fields with one guarded UPDATE (VersionedModel.save_guarded), then many-to-many fields;
- `model_delete(instance=..., expected_version=...)`.

`fields` is the whitelist of what the caller may set: a key outside it is refused with a
ValidationError naming it, never silently written or dropped.
"""

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models, transaction

from .exceptions import StaleVersionError

M = TypeVar("M", bound=models.Model)


def _check_fields(
    data: Mapping[str, Any], fields: Iterable[str], instance: models.Model | None = None
) -> None:
    """Refuse keys outside `fields`; on an update, only those whose value would change (a
    PUT may send back a field it cannot change, unchanged)."""
    allowed = set(fields)
    unknown = sorted(
        name
        for name in data
        if name not in allowed and (instance is None or _differs(instance, name, data[name]))
    )
    if unknown:
        word = "set" if instance is None else "changed"
        raise ValidationError({name: [f"This field cannot be {word} here."] for name in unknown})


def _split_many_to_many(
    model: type[models.Model], data: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, list]]:
    plain: dict[str, Any] = {}
    many: dict[str, list] = {}
    for name, value in data.items():
        field = model._meta.get_field(name)
        if field.many_to_many:
            many[name] = list(value or [])
        else:
            plain[name] = value
    return plain, many


def _pk_set(values: Iterable[Any]) -> set:
    return {value.pk if isinstance(value, models.Model) else value for value in values}


def _differs(instance: models.Model, name: str, value: Any) -> bool:
    try:
        field = instance._meta.get_field(name)
    except FieldDoesNotExist:
        return True
    if field.many_to_many:
        return _pk_set(value or []) != set(getattr(instance, name).values_list("pk", flat=True))
    if field.is_relation:
        new_id = value.pk if isinstance(value, models.Model) else value
        return getattr(instance, field.attname) != new_id
    return getattr(instance, name) != value


@transaction.atomic
def model_create(
    *, model: type[M], data: Mapping[str, Any], fields: Iterable[str] | None = None
) -> M:
    """Insert a row after the model's own validation (clean, constraints)."""
    if fields is not None:
        _check_fields(data, fields)
    plain, many = _split_many_to_many(model, data)
    instance = model(**plain)
    instance.full_clean()
    instance.save()
    for name, values in many.items():
        getattr(instance, name).set(values)
    return instance


@transaction.atomic
def model_update(
    *,
    instance: M,
    data: Mapping[str, Any],
    fields: Iterable[str],
    expected_version: int | None = None,
) -> tuple[M, bool]:
    """Apply `data` to `instance`, guarded by its `version` column.

    Only the fields whose value differs are written, in one
    `UPDATE ... WHERE id = ... AND version = expected`; of two people editing the same
    version only the first wins, the second gets StaleVersionError and nothing is written.
    Returns (instance, changed); an edit that changes nothing is a no-op that keeps the
    version, even when the caller's copy was older.
    """
    _check_fields(data, fields, instance)
    expected = instance.version if expected_version is None else expected_version
    plain, many = _split_many_to_many(type(instance), data)
    changed = [name for name, value in plain.items() if _differs(instance, name, value)]
    many_changed = {
        name: values
        for name, values in many.items()
        if _pk_set(values) != set(getattr(instance, name).values_list("pk", flat=True))
    }
    if not changed and not many_changed:
        return instance, False
    for name in changed:
        setattr(instance, name, plain[name])
    instance.full_clean()
    instance.save_guarded(expected_version=expected, update_fields=changed)
    for name, values in many_changed.items():
        getattr(instance, name).set(values)
    return instance, True


@transaction.atomic
def model_delete(*, instance: models.Model, expected_version: int | None = None) -> None:
    """Delete `instance`; with `expected_version`, only if nobody saved it since."""
    if expected_version is not None:
        model = type(instance)
        current = (
            model._base_manager.select_for_update()
            .filter(pk=instance.pk)
            .values_list("version", flat=True)
            .first()
        )
        if current != expected_version:
            raise StaleVersionError(current_version=current, submitted_version=expected_version)
    instance.delete()
