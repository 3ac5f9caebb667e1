"""Shared model bases and the idempotency ledger, used by every app."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from .exceptions import StaleVersionError


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        abstract = True


class VersionedModel(TimeStampedModel):
    """An editable row. `version` guards against lost updates.

    `save_guarded(expected_version=n, update_fields=[...])` writes the row with one
    `UPDATE ... SET ..., version = n + 1 WHERE id = ... AND version = n`: of two people who
    edited version n only the first wins, the second gets StaleVersionError and nothing is
    written. It is an ordinary `save()` otherwise, so history (django-simple-history) and
    `auto_now` behave as usual. core.services.model_update is the one caller in services.
    """

    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        abstract = True

    @property
    def etag(self) -> str:
        return f'"{self.pk}-{self.version}"'

    def save_guarded(self, *, expected_version: int, update_fields: list[str] | None = None):
        self._version_guard = expected_version
        self.version = expected_version + 1
        if update_fields is not None:
            update_fields = sorted({*update_fields, "version", "updated_at"})
        try:
            self.save(update_fields=update_fields)
        except StaleVersionError:
            self.version = expected_version
            raise
        finally:
            del self._version_guard

    def _do_update(self, base_qs, using, pk_val, values, update_fields, forced_update):
        guard = getattr(self, "_version_guard", None)
        if guard is None:
            return super()._do_update(base_qs, using, pk_val, values, update_fields, forced_update)
        updated = super()._do_update(
            base_qs.filter(version=guard), using, pk_val, values, update_fields, True
        )
        if not updated:
            current = (
                base_qs.model._base_manager.using(using)
                .filter(pk=pk_val)
                .values_list("version", flat=True)
                .first()
            )
            raise StaleVersionError(current_version=current, submitted_version=guard)
        return updated


def idempotency_lease_deadline() -> datetime:
    """Until when a request that starts now holds its Idempotency-Key."""
    return timezone.now() + timedelta(seconds=settings.IDEMPOTENCY_LEASE_SECONDS)


class IdempotencyRecord(models.Model):
    """The first answer to a POST sent with an Idempotency-Key, replayed for repeats.

    While the request runs, status_code is NULL and the key is held until `leased_until`;
    a repeat after that takes it over (see core.idempotency)."""

    principal = models.CharField(max_length=64)
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_headers = models.JSONField(default=dict, blank=True)
    response_body = models.BinaryField(null=True, blank=True)
    leased_until = models.DateTimeField(default=idempotency_lease_deadline)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["principal", "key"], name="idempotency_unique_key")
        ]

    def __str__(self) -> str:
        return f"{self.principal} {self.key}"
