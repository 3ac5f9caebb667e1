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


# Settings a test run may inherit from the environment but a production check must not.
DEPLOY_ENV_KEYS = {
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_PROXY_SSL_HEADER",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "DJANGO_SETTINGS_MODULE",
    "DJANGO_ALLOW_ASYNC_UNSAFE",  # set by the browser tests' conftest
}


def _production_env(**overrides):
    import secrets

    env = {k: v for k, v in _settings_env().items() if k not in DEPLOY_ENV_KEYS}
    env.update(DEBUG="false", SECRET_KEY=secrets.token_urlsafe(50), SECURE_HSTS_PRELOAD="true")
    env.update(overrides)
    return env


def test_the_deploy_check_is_clean_with_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_production_env(),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def _print_settings(names: str, **env) -> str:
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings'; "
        f"django.setup(); from django.conf import settings as s; print({names})"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_https_settings_default_on_in_production_and_off_in_development():
    names = (
        "s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, "
        "s.SECURE_HSTS_PRELOAD, getattr(s, 'SECURE_PROXY_SSL_HEADER', None)"
    )
    production = _production_env()
    del production["SECURE_HSTS_PRELOAD"]
    assert _print_settings(names, **production) == "True 31536000 True False None"
    development = {**_production_env(DEBUG="true")}
    del development["SECURE_HSTS_PRELOAD"]
    assert _print_settings(names, **development) == "False 0 False False None"
    proxied = _production_env(
        SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO,https",
        SECURE_SSL_REDIRECT="false",
        SECURE_HSTS_SECONDS="0",
    )
    assert (
        _print_settings(names, **proxied) == "False 0 True True ('HTTP_X_FORWARDED_PROTO', 'https')"
    )


def test_abuse_protection_settings_come_from_the_environment():
    names = (
        "s.AXES_FAILURE_LIMIT, s.AXES_COOLOFF_TIME.total_seconds(), s.AXES_LOCKOUT_PARAMETERS, "
        "s.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES'], s.IDEMPOTENCY_LEASE_SECONDS"
    )
    unset = {"AXES_FAILURE_LIMIT", "AXES_COOLOFF_MINUTES", "AXES_LOCKOUT_PARAMETERS"}
    unset |= {"API_THROTTLE_USER", "API_THROTTLE_ANON", "API_THROTTLE_SYNC"}
    unset |= {"IDEMPOTENCY_LEASE_SECONDS"}
    defaults = {k: v for k, v in _production_env().items() if k not in unset}
    assert _print_settings(names, **defaults) == (
        "5 900.0 ['username'] {'anon': '60/min', 'user': '1200/min', 'sync': '600/min'} 60"
    )
    custom = {
        **defaults,
        "AXES_FAILURE_LIMIT": "10",
        "AXES_COOLOFF_MINUTES": "30",
        "AXES_LOCKOUT_PARAMETERS": "username,ip_address+user_agent",
        "API_THROTTLE_USER": "100/hour",
        "API_THROTTLE_ANON": "5/min",
        "API_THROTTLE_SYNC": "30/min",
        "IDEMPOTENCY_LEASE_SECONDS": "120",
    }
    assert _print_settings(names, **custom) == (
        "10 1800.0 ['username', ['ip_address', 'user_agent']] "
        "{'anon': '5/min', 'user': '100/hour', 'sync': '30/min'} 120"
    )
