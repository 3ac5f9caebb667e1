"""Generic write helpers shared by every app's services."""

from typing import Any, TypeVar

from django.db import models, transaction

from .exceptions import StaleVersionError

M = TypeVar("M", bound=models.Model)


def _differs(instance: models.Model, name: str, value: Any) -> bool:
    field = instance._meta.get_field(name)
    if field.many_to_many:
        return False
    if field.is_relation:
        current_id = getattr(instance, field.attname)
        new_id = value.pk if isinstance(value, models.Model) else value
        return current_id != new_id
    return getattr(instance, name) != value


@transaction.atomic
def model_create(*, model: type[M], data: dict[str, Any]) -> M:
    """Create a row after the model's own validation (clean, constraints)."""
    instance = model(**data)
    instance.full_clean()
    instance.save()
    return instance


@transaction.atomic
def model_update(
    *, instance: M, data: dict[str, Any], expected_version: int | None = None
) -> tuple[M, bool]:
    """Apply `data` to `instance`, guarded by its `version` column.

    The version is bumped with `UPDATE ... WHERE version = expected`, so of two people
    editing the same version only the first wins; the second gets StaleVersionError and
    nothing is written. Returns (instance, changed); an edit that changes nothing is a
    no-op and keeps the version.
    """
    expected = instance.version if expected_version is None else expected_version
    changed = [name for name, value in data.items() if _differs(instance, name, value)]
    if not changed:
        # Same content as stored: nothing to write, even if the caller's copy was older.
        return instance, False
    for name in changed:
        setattr(instance, name, data[name])
    instance.full_clean()
    model = type(instance)
    bumped = model.objects.filter(pk=instance.pk, version=expected).update(version=expected + 1)
    if not bumped:
        current = model.objects.filter(pk=instance.pk).values_list("version", flat=True).first()
        raise StaleVersionError(current_version=current, submitted_version=expected)
    instance.version = expected + 1
    instance.save()
    return instance, True
