"""Background jobs a person starts from a page: a large CSV export today, imports later.

    job = start_job(actor=user, kind="accounts-csv", title="Accounts export", params={...})

stores a Job and queues `run_job_task` (Celery; in-process without REDIS_URL) once the
transaction commits. The job's function, registered by dotted path in settings.KEYPLAN_JOBS
(the one registry; core imports no app), is called as

    fn(job) -> (filename, total, rows)   # rows: an iterable of CSV rows, header first

and its rows are written out with the progress (rows done of `total`) published as they go,
for the job page to poll (htmx). The file is
written to the default storage; only the job's owner may see the job or download it.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import Job
from .pages import csv_safe

logger = logging.getLogger(__name__)
PROGRESS_EVERY = 1000  # rows between progress writes


def start_job(*, actor, kind: str, title: str, params: dict[str, Any]) -> Job:
    if kind not in settings.KEYPLAN_JOBS:
        raise ValueError(f"Unknown job kind {kind!r}")
    job = Job.objects.create(kind=kind, owner=actor, title=title, params=params)
    from .tasks import run_job_task

    transaction.on_commit(lambda: run_job_task.delay(job.pk))
    return job


def run_job(job_id: int) -> Job | None:
    """Run a queued job (the task's body). A job already finished is left as it is, so a
    retried task never runs it twice."""
    claimed = Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
        status=Job.Status.RUNNING, started_at=timezone.now()
    )
    job = Job.objects.filter(pk=job_id).first()
    if not claimed or job is None:
        return job
    function: Callable = import_string(settings.KEYPLAN_JOBS[job.kind])

    def report(done: int) -> None:
        Job.objects.filter(pk=job.pk).update(progress=done)

    try:
        filename, total, rows = function(job)
        Job.objects.filter(pk=job.pk).update(total=total)
        content = _csv_bytes(rows, report)
        job.progress, job.total = total, total
        job.filename = filename
        job.file.save(filename, ContentFile(content), save=False)
        job.status, job.finished_at = Job.Status.DONE, timezone.now()
        job.save(update_fields=["file", "filename", "status", "finished_at", "progress", "total"])
    except Exception as exc:  # noqa: BLE001 - the job page must say it failed, whatever it was
        logger.exception("Job %s (%s) failed", job.pk, job.kind)
        Job.objects.filter(pk=job.pk).update(
            status=Job.Status.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
    job.refresh_from_db()
    return job


def _csv_bytes(rows: Iterable[Iterable[Any]], report: Callable[[int], None]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for done, row in enumerate(rows):
        writer.writerow([csv_safe(value) for value in row])
        if done and done % PROGRESS_EVERY == 0:
            report(done)
    return buffer.getvalue().encode("utf-8")
