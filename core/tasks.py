from celery import shared_task

from .idempotency import purge_expired


@shared_task(time_limit=300, soft_time_limit=240)
def purge_idempotency_keys_task() -> int:
    """Nightly: drop stored Idempotency-Key answers older than the retention window."""
    return purge_expired()


@shared_task(acks_late=True, time_limit=60 * 30, soft_time_limit=60 * 28)
def run_job_task(job_id: int) -> str | None:
    """Run a page-started job (core.jobs): an export, an import."""
    from .jobs import run_job

    job = run_job(job_id)
    return job.status if job else None
