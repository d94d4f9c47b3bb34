"""Settings, all from the environment (see docs/operations.md for every variable)."""

from pathlib import Path

from config.env import BASE_DIR, env

VAR_DIR = Path(env.str("OCPI_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)
(VAR_DIR / "static").mkdir(exist_ok=True)

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="dev-only-insecure-key-change-me-in-production-0123456789")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["*"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "ocpi.apps.OcpiConfig",
    "ocpi.locations.apps.LocationsConfig",
    "ocpi.tariffs.apps.TariffsConfig",
    "ocpi.tokens.apps.TokensConfig",
    "ocpi.sessions.apps.SessionsConfig",
    "ocpi.cdrs.apps.CdrsConfig",
    "ocpi.sync.apps.SyncConfig",
    "cpo.apps.CpoConfig",
    "emsp.apps.EmspConfig",
    "hub.apps.HubConfig",
]

MIDDLEWARE = [
    "ocpi.core.middleware.OcpiRequestMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + IMMEDIATE: the web server, the Celery worker and beat write the same file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
WHITENOISE_USE_FINDERS = True  # admin assets without a collectstatic step

# --- REST framework and OpenAPI -------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["ocpi.core.auth.OcpiTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["ocpi.core.auth.IsOcpiPartner"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["ocpi.core.parsers.OcpiJSONParser", "ocpi.core.parsers.LenientJSONParser"],
    "EXCEPTION_HANDLER": "ocpi.core.exceptions.ocpi_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "ocpi.core.openapi.OcpiAutoSchema",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "OCPI 2.2.1 platform",
    "DESCRIPTION": "OCPI 2.2.1 endpoints (CPO, eMSP, Hub). Every response is wrapped in the OCPI envelope.",
    "VERSION": "2.2.1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "OAS_VERSION": "3.1.0",
    "PREPROCESSING_HOOKS": ["ocpi.core.openapi.drop_slash_variants"],
}

# --- Celery ---------------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {"visibility_timeout": 3600}
else:
    # No server needed: kombu's filesystem transport, a real queue between real processes.
    _broker_dir = VAR_DIR / "broker"
    (_broker_dir / "queue").mkdir(parents=True, exist_ok=True)
    (_broker_dir / "processed").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_TIMEZONE = "UTC"

# --- OCPI: this platform and its own party --------------------------------------------------------
OCPI_BASE_URL = env.str("OCPI_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")
OCPI_COUNTRY_CODE = env.str("OCPI_COUNTRY_CODE", default="NL").upper()
OCPI_PARTY_ID = env.str("OCPI_PARTY_ID", default="OCP").upper()
OCPI_ROLES = [r.strip().upper() for r in env.list("OCPI_ROLES", default=["CPO", "EMSP"]) if r.strip()]
OCPI_BUSINESS_NAME = env.str("OCPI_BUSINESS_NAME", default="Open Charge Platform")
OCPI_BUSINESS_WEBSITE = env.str("OCPI_BUSINESS_WEBSITE", default="") or None
OCPI_HTTP_TIMEOUT = env.float("OCPI_HTTP_TIMEOUT", default=10.0)
OCPI_HTTP_TRUST_ENV = env.bool("OCPI_HTTP_TRUST_ENV", default=False)
OCPI_PAGE_LIMIT_DEFAULT = env.int("OCPI_PAGE_LIMIT_DEFAULT", default=100)

# --- Logging: one JSON object per event, carrying request id, partner and module ---------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"ocpi_context": {"()": "ocpi.core.logging.ContextFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "ts", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["ocpi_context"]},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.server": {"level": "WARNING"},
        "django.request": {"level": "ERROR"},
    },
}

# --- Sync: push outbox and pull -------------------------------------------------------------------
OCPI_PUSH_MAX_AGE_SECONDS = env.int("OCPI_PUSH_MAX_AGE_SECONDS", default=48 * 3600)
OCPI_PUSH_BACKOFF_BASE_SECONDS = env.float("OCPI_PUSH_BACKOFF_BASE_SECONDS", default=2.0)
OCPI_PUSH_BACKOFF_MAX_SECONDS = env.float("OCPI_PUSH_BACKOFF_MAX_SECONDS", default=600.0)
OCPI_PUSH_BREAKER_THRESHOLD = env.int("OCPI_PUSH_BREAKER_THRESHOLD", default=5)
OCPI_PUSH_BREAKER_MAX_SECONDS = env.float("OCPI_PUSH_BREAKER_MAX_SECONDS", default=300.0)
OCPI_PUSH_LEASE_SECONDS = env.float("OCPI_PUSH_LEASE_SECONDS", default=60.0)
OCPI_PUSH_TIMEOUT = env.float("OCPI_PUSH_TIMEOUT", default=10.0)
OCPI_PUSH_INLINE_WAIT_SECONDS = env.float("OCPI_PUSH_INLINE_WAIT_SECONDS", default=2.0)
OCPI_SWEEP_INTERVAL_SECONDS = env.float("OCPI_SWEEP_INTERVAL_SECONDS", default=10.0)
OCPI_PULL_INTERVAL_SECONDS = env.float("OCPI_PULL_INTERVAL_SECONDS", default=3600.0)
OCPI_PULL_PAGE_LIMIT = env.int("OCPI_PULL_PAGE_LIMIT", default=0)  # 0: each module's own page size
OCPI_AUTHORIZE_TIMEOUT = env.float("OCPI_AUTHORIZE_TIMEOUT", default=5.0)

# The OCPP central system (run_ocpp, docs/ocpp.md); every value may be set in the environment.
OCPP_HEARTBEAT_INTERVAL = env.int("OCPP_HEARTBEAT_INTERVAL", default=300)
OCPP_PING_INTERVAL = env.float("OCPP_PING_INTERVAL", default=30.0)
OCPP_RESPONSE_TIMEOUT = env.float("OCPP_RESPONSE_TIMEOUT", default=30.0)
OCPP_SEEN_INTERVAL_SECONDS = env.float("OCPP_SEEN_INTERVAL_SECONDS", default=60.0)
OCPP_OFFLINE_GRACE_SECONDS = env.float("OCPP_OFFLINE_GRACE_SECONDS", default=300.0)
OCPP_CLOCK_SKEW_SECONDS = env.float("OCPP_CLOCK_SKEW_SECONDS", default=300.0)
OCPP_STATUS_DEBOUNCE_SECONDS = env.float("OCPP_STATUS_DEBOUNCE_SECONDS", default=5.0)
OCPP_STATUS_MAX_DELAY_SECONDS = env.float("OCPP_STATUS_MAX_DELAY_SECONDS", default=30.0)
OCPP_SWEEP_SECONDS = env.float("OCPP_SWEEP_SECONDS", default=15.0)
OCPP_COMMAND_POLL_SECONDS = env.float(
    "OCPP_COMMAND_POLL_SECONDS", default=0.0
)  # 0: 10 s with Redis, else 1 s
OCPP_COMMAND_TTL_SECONDS = env.float("OCPP_COMMAND_TTL_SECONDS", default=120.0)
OCPP_DB_THREADS = env.int("OCPP_DB_THREADS", default=4)  # SQLite: always 1
OCPP_AUTH_THREADS = env.int("OCPP_AUTH_THREADS", default=8)
OCPP_BATCH_PROCESSES = env.int("OCPP_BATCH_PROCESSES", default=1)  # 0: on the database threads
OCPP_AUTHORIZE_DEADLINE_SECONDS = env.float("OCPP_AUTHORIZE_DEADLINE_SECONDS", default=15.0)
OCPP_AUTHORIZE_REUSE_SECONDS = env.float("OCPP_AUTHORIZE_REUSE_SECONDS", default=120.0)
OCPP_METER_BATCH_MAX = env.int("OCPP_METER_BATCH_MAX", default=500)
OCPP_RUNNING_COST_SECONDS = env.float("OCPP_RUNNING_COST_SECONDS", default=60.0)
OCPP_MESSAGE_LOG_SIZE = env.int("OCPP_MESSAGE_LOG_SIZE", default=100)
OCPP_LOG_FRAMES = env.bool("OCPP_LOG_FRAMES", default=False)
OCPP_PASSWORD_ITERATIONS = env.int("OCPP_PASSWORD_ITERATIONS", default=10_000)
OCPP_DEFAULT_CURRENCY = env.str("OCPP_DEFAULT_CURRENCY", default="EUR")
OCPP_DRAFT_COUNTRY = env.str("OCPP_DRAFT_COUNTRY", default="")  # ISO 3166-1 alpha-3 of draft locations
