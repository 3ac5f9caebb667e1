"""The one Celery app. The beat schedule lives here, in one place."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("keyplan")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Beat schedule (times in settings.TIME_ZONE):
app.conf.beat_schedule = {
    # 03:15 every night: drop idempotency records past their retention window.
    "purge-idempotency-keys": {
        "task": "core.tasks.purge_idempotency_keys_task",
        "schedule": crontab(hour=3, minute=15),
    },
}
