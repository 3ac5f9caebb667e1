from celery import shared_task

from .idempotency import purge_expired


@shared_task(time_limit=300, soft_time_limit=240)
def purge_idempotency_keys_task() -> int:
    """Nightly: drop stored Idempotency-Key answers older than the retention window."""
    return purge_expired()
