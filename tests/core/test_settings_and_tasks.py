import datetime
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils import timezone

from core.models import IdempotencyRecord
from core.tasks import purge_idempotency_keys_task

ROOT = Path(__file__).resolve().parents[2]


def _settings_env(**overrides):
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    env.update(overrides)
    return env


def test_production_settings_refuse_to_start_without_secret_key():
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE']="
            "'config.settings'; django.setup()",
        ],
        cwd=ROOT,
        env=_settings_env(DEBUG="false"),
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_debug_is_off_unless_asked_for():
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings'; "
        "django.setup(); from django.conf import settings; print(settings.DEBUG)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=_settings_env(SECRET_KEY="x" * 50),
        capture_output=True,
        text=True,
    )
    assert result.stdout.strip() == "False", result.stderr


def test_redis_url_switches_celery_from_in_process_to_redis():
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings'; "
        "django.setup(); from django.conf import settings as s; "
        "print(s.CELERY_TASK_ALWAYS_EAGER, s.CELERY_BROKER_URL, s.CACHES['default']['BACKEND'])"
    )
    eager = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**_settings_env(DEBUG="true"), "REDIS_URL": ""},
    )
    assert eager.stdout.split()[:2] == ["True", "memory://"], eager.stderr
    redis = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**_settings_env(DEBUG="true"), "REDIS_URL": "redis://127.0.0.1:6390/1"},
    )
    assert redis.stdout.split() == [
        "False",
        "redis://127.0.0.1:6390/1",
        "django.core.cache.backends.redis.RedisCache",
    ], redis.stderr


@pytest.mark.django_db
def test_purge_task_drops_only_expired_idempotency_records(settings):
    settings.IDEMPOTENCY_KEY_TTL_HOURS = 24
    old = IdempotencyRecord.objects.create(principal="user:1", key="old", request_hash="x")
    IdempotencyRecord.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - datetime.timedelta(hours=25)
    )
    IdempotencyRecord.objects.create(principal="user:1", key="new", request_hash="y")
    assert purge_idempotency_keys_task.apply().get() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]


@pytest.mark.django_db
def test_healthz_reports_an_unreachable_redis(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["redis"].startswith("error")
    assert response.json()["database"] == "ok"
