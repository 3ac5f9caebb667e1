"""Keyplan settings, read from the environment (django-environ).

With no environment at all the app runs on an embedded default: SQLite in the project
folder, Celery tasks executed in-process, DEBUG on. Set DATABASE_URL / REDIS_URL to run on
PostgreSQL and Redis; set DEBUG=false (the default outside `make run`) for production,
which then refuses to start without SECRET_KEY.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off (set DEBUG=true for local development)."
        )
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "csp",
    "axes",
    "core",
    "teams",
    "accounts",
    "opportunities",
    "relationships",
    "metrics",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "core.middleware.RejectNulQueryMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "core.idempotency.IdempotencyMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.fiscal_year",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Wait for a writer instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "teams.User"

# Sign-in brute force (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one user
# name, that user name is locked out for AXES_COOLOFF_MINUTES, on /login/ and /admin/login/
# alike; a successful sign-in before the limit starts the count again. Axes' backend checks
# the lockout and needs the request: tests sign in with force_login or pass request=.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
# Comma-separated; join parameters with "+" to lock out a combination ("username+ip_address").
AXES_LOCKOUT_PARAMETERS = [
    item.split("+") if "+" in item else item
    for item in env.list("AXES_LOCKOUT_PARAMETERS", default=["username"])
]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "core.views.login_locked_out"
# axes.W006 warns that a lockout without ip_address can be dodged by rotating user agents or
# cookies. One keyed on the user name cannot be: every attempt at that name counts.
SILENCED_SYSTEM_CHECKS = ["axes.W006"] if "username" in AXES_LOCKOUT_PARAMETERS else []

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env.str("TIME_ZONE", default="Africa/Lagos")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Files the app writes (background exports); served only through views that check the owner.
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# Email: console in development, any EMAIL_URL (smtp://user:pass@host:587) otherwise.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="keyplan@localhost")

# Redis: broker, result backend and cache when REDIS_URL is set; otherwise tasks run eagerly.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
else:
    CELERY_BROKER_URL = "memory://"
    CELERY_RESULT_BACKEND = "cache+memory://"
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_TIME_LIMIT = 60 * 30
CELERY_TASK_SOFT_TIME_LIMIT = 60 * 25
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1

# Content Security Policy (django-csp): no inline script, no third-party origin. Our pages,
# the admin and Swagger UI (served from drf-spectacular-sidecar) all work under it.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Security headers for production.
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
# HTTPS only unless DEBUG: http redirects to https (but /healthz, which load balancers probe
# over plain http) and browsers are told to stay on https for a year (HSTS).
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
# Behind a proxy that terminates TLS, name the header it sets (and strips from clients), e.g.
# SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO,https. Unset, a client could claim https.
_proxy_ssl_header = env.list("SECURE_PROXY_SSL_HEADER", default=[])
if _proxy_ssl_header:
    if len(_proxy_ssl_header) != 2:
        raise ImproperlyConfigured(
            "SECURE_PROXY_SSL_HEADER takes a header and its value, "
            "e.g. HTTP_X_FORWARDED_PROTO,https"
        )
    SECURE_PROXY_SSL_HEADER = tuple(_proxy_ssl_header)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.KeyplanPagination",
    "PAGE_SIZE": 50,
    # One django-filter FilterSet per resource (search `q`, `sort`, references, updated_since),
    # the same one its page list uses.
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # JSON only: people explore the API in Swagger UI (/api/docs/). DRF's browsable pages
    # rely on inline styles that the Content Security Policy refuses.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # DRF's parsers, with JSON refusing absurdly deep nesting (a 400, not a RecursionError).
    "DEFAULT_PARSER_CLASSES": [
        "core.api.parsers.DepthLimitedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.KeyplanAutoSchema",
    "EXCEPTION_HANDLER": "core.api.exceptions.exception_handler",
    # Per user (per client IP when anonymous); counted in the default cache, which is Redis
    # when REDIS_URL is set and otherwise per process. Over the rate: 429 with Retry-After.
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="60/min"),
        "user": env.str("API_THROTTLE_USER", default="1200/min"),
        # The sync endpoints (PUT by external id, /bulk/): per user, on top of "user".
        "sync": env.str("API_THROTTLE_SYNC", default="600/min"),
    },
    "DATETIME_FORMAT": "iso-8601",
    "COERCE_DECIMAL_TO_STRING": True,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Keyplan API",
    "DESCRIPTION": "Account plans, pipeline, renewals and revenue for enterprise account managers.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # api.md: nothing but sign-in and /healthz answers anonymous requests. The schema answers
    # 401 to them; Swagger UI (config/urls.py) sends anonymous browsers to the sign-in page.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger groups operations by tag (core.api.schema.KeyplanAutoSchema): a viewset's
    # `schema_tag`, else the resource's first path segment after this prefix.
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "TAGS": [
        {"name": "people", "description": "Users, teams and quotas."},
        {"name": "accounts", "description": "Customer accounts and their virtual teams."},
        {"name": "agreements", "description": "Licensing agreements and renewal status."},
        {"name": "revenue", "description": "The AR ledger, one record or in bulk."},
        {"name": "deployments", "description": "Products deployed, seats and adoption."},
        {"name": "opportunities", "description": "The pipeline: opportunities and escalations."},
        {"name": "stages", "description": "The pipeline's stages (ops maintain them)."},
        {"name": "partners", "description": "Partners that attach to opportunities."},
        {"name": "stakeholders", "description": "The customer's people: the relationship map."},
        {"name": "interactions", "description": "Meetings, calls and briefings with stakeholders."},
        {"name": "surveys", "description": "RM survey scores per stakeholder and fiscal year."},
        {
            "name": "catalogues",
            "description": "Sectors, industries, territories and products (ops maintain them).",
        },
    ],
    # One name per choice set that several fields share.
    "ENUM_NAME_OVERRIDES": {
        "AgreementKindEnum": "accounts.models.Agreement.Kind",
        "OpportunityKindEnum": "opportunities.models.Opportunity.Kind",
        "PartnerKindEnum": "opportunities.models.Partner.Kind",
        "ForecastCategoryEnum": "opportunities.models.ForecastCategory",
    },
    # Served from our own static files (closed network, strict CSP).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Every operation documents the error answers it can give (api.md, Errors).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.schema.document_error_responses",
    ],
}

# --- Keyplan domain settings ----------------------------------------------------------
FISCAL_YEAR_START_MONTH = env.int("FISCAL_YEAR_START_MONTH", default=7)
LTP_MINIMUM = {
    "mature": env.int("LTP_MINIMUM_MATURE", default=1_000_000),
    "emerging": env.int("LTP_MINIMUM_EMERGING", default=500_000),
}
AM_ACCOUNT_CAPACITY = env.int("AM_ACCOUNT_CAPACITY", default=12)
# One date format across the product: how pages print dates (Django's date-filter codes) and
# how forms show and read them (strftime codes; ISO YYYY-MM-DD is always accepted too). The
# default is the Nigerian day-month order. The API always speaks ISO dates.
KEYPLAN_DATE_FORMAT = env.str("KEYPLAN_DATE_FORMAT", default="j M Y")
KEYPLAN_DATE_INPUT_FORMAT = env.str("KEYPLAN_DATE_INPUT_FORMAT", default="%d/%m/%Y")
# The relationship map marks a stakeholder stale after this many days without an interaction.
KEYPLAN_STAKEHOLDER_STALE_DAYS = env.int("KEYPLAN_STAKEHOLDER_STALE_DAYS", default=90)
# The currency money inputs are labelled with (amounts are stored without one).
KEYPLAN_CURRENCY = env.str("KEYPLAN_CURRENCY", default="USD")
AGREEMENT_DUE_DAYS = env.int("AGREEMENT_DUE_DAYS", default=180)
# An open opportunity nobody changed for this many days is flagged stale on the pipeline pages.
OPPORTUNITY_STALE_DAYS = env.int("OPPORTUNITY_STALE_DAYS", default=60)
# CSV exports longer than this run as a background job with a progress page (core.jobs).
EXPORT_ASYNC_ROWS = env.int("EXPORT_ASYNC_ROWS", default=5_000)
# Background jobs a page can start, by kind (core.jobs): the one registry of job functions.
KEYPLAN_JOBS = {
    "accounts-csv": "accounts.exports.accounts_csv_job",
    "renewals-csv": "accounts.exports.renewals_csv_job",
    "opportunities-csv": "opportunities.exports.opportunities_csv_job",
}
# The global search's providers (core.search), one per kind of record, in the order their
# groups show. A later app adds its own, e.g. "opportunities.search.OpportunitySearch".
KEYPLAN_SEARCH_PROVIDERS = [
    "accounts.search.AccountSearch",
    "opportunities.search.OpportunitySearch",
    "relationships.search.StakeholderSearch",
]
# API lists count their rows exactly up to this many; past it `count` is null (core/api/pagination).
LIST_COUNT_LIMIT = env.int("LIST_COUNT_LIMIT", default=10_000)
# Sync reads (updated_since): the margin taken off the commit-safe horizon `sync_until`, for
# the moment between the app stamping updated_at and the database starting the statement and
# for clock drift between app servers and the database (core/api/pagination).
SYNC_CLOCK_MARGIN_SECONDS = env.float("SYNC_CLOCK_MARGIN_SECONDS", default=2.0)
IDEMPOTENCY_KEY_TTL_HOURS = env.int("IDEMPOTENCY_KEY_TTL_HOURS", default=24)
# How long a POST in flight holds its Idempotency-Key before a retry may take it over (a
# worker killed mid-request). Keep it above the longest request (gunicorn's timeout: 30 s).
IDEMPOTENCY_LEASE_SECONDS = env.int("IDEMPOTENCY_LEASE_SECONDS", default=60)

# The sections an app above accounts adds to the account page (accounts.views.detail): the
# one registry, in page order. Each is a function (request, account) -> AccountSection | None.
KEYPLAN_ACCOUNT_SECTIONS = [
    "opportunities.sections.account_opportunities",
    "relationships.sections.account_relationships",
]

# The demo data (`manage.py seed_demo`): the one explicit registry of every app's demo part,
# run by core.demo.run_demo in this order, in one transaction. An app adds its part here;
# nothing is found by file name. Each part draws from its own seeded random generator, so
# the order changes no data, only which part sees which rows: a part comes after the parts
# whose rows it uses (seed_people makes the users and the ops actor every later part needs).
# Quotas and opportunities sit before revenue only so the seed summary lists what it made in
# its usual order (revenue, which grows every month, last).
KEYPLAN_DEMO_PARTS = [
    "teams.demo.seed_people",
    "accounts.demo.seed_catalogues",
    "accounts.demo.seed_accounts",
    "accounts.demo.seed_account_teams",
    "accounts.demo.seed_agreements",
    "accounts.demo.seed_deployments",
    "teams.demo.seed_quotas",
    "opportunities.demo.seed_opportunities",
    "relationships.demo.seed_relationships",
    "accounts.demo.seed_revenue",
]

# The large-book generator's parts (`manage.py generate_book`, core/book.py), in order. A later
# app adds its part after the ones it builds on, e.g. "opportunities.book.generate_opportunities".
KEYPLAN_BOOK_PARTS = [
    "teams.book.generate_people",
    "teams.book.generate_quotas",
    "accounts.book.generate_catalogues",
    "accounts.book.generate_accounts",
    "accounts.book.generate_account_teams",
    "accounts.book.generate_agreements",
    "accounts.book.generate_deployments",
    "accounts.book.generate_revenue",
    "opportunities.book.generate_opportunities",
]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # Django's own loggers go to the root handler only (not twice).
    "loggers": {"django": {"handlers": [], "level": "INFO", "propagate": True}},
}
