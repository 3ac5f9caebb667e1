"""Shared model bases and the idempotency ledger, used by every app."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from .exceptions import StaleVersionError


def sync_index(name: str) -> models.Index:
    """The index a sync read (`?updated_since=`, ordered by (updated_at, id)) walks in order
    and stops at the page's end. Every synced model lists it in its Meta.indexes."""
    return models.Index(fields=["updated_at", "id"], name=name)


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

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


class Job(models.Model):
    """Long work a person started from a page (a large export, an import): run by Celery
    (core.jobs), its progress polled by the page, its result file downloaded by its owner."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=60)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    params = models.JSONField(default=dict, blank=True)
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(null=True, blank=True)
    file = models.FileField(upload_to="jobs/%Y/%m/", blank=True)
    filename = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["owner", "-created_at"], name="job_owner_recent")]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_status_display()})"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.total:
            return 0
        return min(99, int(self.progress * 100 / self.total))

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)
