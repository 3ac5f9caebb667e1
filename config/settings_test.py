"""Settings for the test run: the production settings plus a throwaway key and a fast
password hasher. Database and Redis still come from DATABASE_URL / REDIS_URL."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-not-a-secret")

from .settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
WHITENOISE_USE_FINDERS = True
# The test client and the browser tests' live server speak plain http.
SECURE_SSL_REDIRECT = False

# Tests have no Celery worker: tasks run in-process even when REDIS_URL is set (Redis still
# serves as the cache and is checked by /healthz).
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
