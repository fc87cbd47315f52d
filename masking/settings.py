"""Settings for masking, read from the environment (see `.env.example` for every variable).

One settings module for every environment: development, tests and production differ only by
environment variables, so what the tests exercise is what production runs.
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A local `.env` is a convenience for development; production passes real environment variables.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# --- Core -------------------------------------------------------------------------------------

DEBUG = env.bool("DEBUG", default=False)
# A throwaway key is only acceptable while DEBUG is on; `check --deploy` flags a missing one.
SECRET_KEY = env.str("SECRET_KEY", default="insecure-development-key-change-me" if DEBUG else "")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "phonenumber_field",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "masking",
    "callflows",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "masking.privacy.ViewerMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "masking.urls"
WSGI_APPLICATION = "masking.wsgi.application"

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
                "masking.timezones.operations_zone",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Server-side parameters let psycopg prepare the Call Action's two statements once per
    # connection instead of PostgreSQL parsing and planning them on every call.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "server_side_binding", env.bool("DATABASE_SERVER_SIDE_BINDING", default=True)
    )
    # Bound how long a web request may wait on PostgreSQL (the caller hears silence while the
    # Call Action waits). Set once per connection as a startup option, so it costs no round trip.
    # Management commands (migrations, sweeps, retention) run without it: manage.py says so.
    STATEMENT_TIMEOUT_MS = env.int("MASKING_DB_STATEMENT_TIMEOUT_MS", default=300)
    if STATEMENT_TIMEOUT_MS and not env.bool("MASKING_MANAGEMENT_COMMAND", default=False):
        DATABASES["default"]["OPTIONS"]["options"] = f"-c statement_timeout={STATEMENT_TIMEOUT_MS}"
# Persistent connections save a connect per request on the Call Action path (PostgreSQL).
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Internationalisation ---------------------------------------------------------------------

LANGUAGE_CODE = "en-us"
# Times are stored in UTC. Staff read and type them in the operations time zone, which every admin
# page names (an IANA name such as "Asia/Singapore"; masking/timezones.py).
MASKING_OPERATIONS_TIME_ZONE = env.str("MASKING_OPERATIONS_TIME_ZONE", default="UTC")
TIME_ZONE = MASKING_OPERATIONS_TIME_ZONE
USE_I18N = True
USE_TZ = True
# Times with minutes and their zone ("24 Nov 2026, 17:05 +08"), whatever the locale's default.
FORMAT_MODULE_PATH = ["masking.formats"]

# Numbers are stored as E.164 ("+6591230001") and never reformatted in the database.
PHONENUMBER_DB_FORMAT = "E164"
PHONENUMBER_DEFAULT_FORMAT = "E164"
PHONENUMBER_DEFAULT_REGION = env.str("PHONENUMBER_DEFAULT_REGION", default=None)

# --- Static files -----------------------------------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- REST framework ---------------------------------------------------------------------------

REST_FRAMEWORK = {
    # Strict by default: every endpoint says who may call it.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PARSER_CLASSES": [
        "masking.parsers.SafeJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "masking.api.errors.exception_handler",
    # Per process (local memory cache): a guard against a runaway client, not a quota.
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="60/min"),
        "user": env.str("API_THROTTLE_USER", default="6000/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "masking API",
    "DESCRIPTION": "Phone number masking on 8x8: sessions, virtual numbers, recording consent.",
    "VERSION": "1.0.0",
    # The docs page's JavaScript and CSS are served from our own static files, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- Security (production) --------------------------------------------------------------------

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG

# --- Logging ----------------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    # Every record passes the redaction filter: no full phone number reaches a log.
    "filters": {"redact_numbers": {"()": "masking.privacy.RedactPhoneNumbersFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_numbers"],
        },
        # runserver's request lines ("GET /admin/...?q=+6591230001"), redacted like the rest.
        "server": {
            "class": "logging.StreamHandler",
            "formatter": "server",
            "filters": ["redact_numbers"],
        },
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # Django's own defaults give these loggers handlers without our filter (its console handler
    # prints with DEBUG on, quoting database errors whole): replace them. `MaskingConfig.ready()`
    # also puts the filter on any handler a library adds, so the rule holds for every handler.
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.server": {"handlers": ["server"], "level": "INFO", "propagate": False},
        # httpx logs every request to 8x8 at INFO; our client logs what matters (retries, failures).
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}

# --- The product's own settings ---------------------------------------------------------------

# The exact value 8x8 sends as `Authorization` (the webhook's `httpAuthHeader`), for example
# "Bearer 3f9c1e7a5b2d4c6e". Empty means every provider request is refused, and `check --deploy`
# fails with DEBUG off.
WEBHOOK_AUTH_HEADER = env.str("WEBHOOK_AUTH_HEADER", default="")
# During a rotation, the old value, still accepted until 8x8's webhooks all send the new one.
WEBHOOK_AUTH_HEADER_PREVIOUS = env.str("WEBHOOK_AUTH_HEADER_PREVIOUS", default="")

# Provider endpoints accept requests only from these networks (CIDR), when set. 8x8's published
# ranges are in README's Security section. Empty: any address with the right Authorization.
MASKING_PROVIDER_IP_ALLOWLIST = env.list("MASKING_PROVIDER_IP_ALLOWLIST", default=[])
# How many reverse proxies in front of us append to X-Forwarded-For. 0: trust only the socket.
MASKING_TRUSTED_PROXIES = env.int("MASKING_TRUSTED_PROXIES", default=0)
# Largest provider request body we read, in bytes (8x8's events are a few kilobytes).
MASKING_PROVIDER_MAX_BODY_BYTES = env.int("MASKING_PROVIDER_MAX_BODY_BYTES", default=65536)

# Who must have opted in before a call is recorded: "every_party" or "caller_only".
MASKING_RECORDING_CONSENT = env.str("MASKING_RECORDING_CONSENT", default="every_party")

# How numbers are written in callflows: "digits" as in 8x8's examples ("6591230001"), or "e164"
# ("+6591230001").
MASKING_CALLFLOW_NUMBER_FORMAT = env.str("MASKING_CALLFLOW_NUMBER_FORMAT", default="digits")

# Callflow dialect: "seed" (say&capture, language + generic voices, as the seed specifies) or
# "current" (8x8's sayAndCapture with promptMessage, speech profiles such as en-US-ZiraRUS).
MASKING_CALLFLOW_DIALECT = env.str("MASKING_CALLFLOW_DIALECT", default="seed")

# PIN access: generated PINs' length, tries per call, and the lockout after repeated wrong PINs.
MASKING_PIN_LENGTH = env.int("MASKING_PIN_LENGTH", default=4)
MASKING_PIN_TRIES = env.int("MASKING_PIN_TRIES", default=3)
MASKING_PIN_LOCK_AFTER = env.int("MASKING_PIN_LOCK_AFTER", default=10)
MASKING_PIN_LOCK_MINUTES = env.int("MASKING_PIN_LOCK_MINUTES", default=15)

# Prompts are looked up in the caller's language (their preference, else their number's country),
# then in this one (a code of masking.voices.LANGUAGES).
MASKING_DEFAULT_LANGUAGE = env.str("MASKING_DEFAULT_LANGUAGE", default="en")

# Days call records keep the caller's number and raw provider events (`purge_call_records`).
MASKING_CALL_RETENTION_DAYS = env.int("MASKING_CALL_RETENTION_DAYS", default=90)

# Serve /bench/floor/, the load benchmark's constant-answer endpoint. Never in production.
MASKING_BENCH_FLOOR = env.bool("MASKING_BENCH_FLOOR", default=False)

# Open sessions one virtual number may hold. Allocation skips full numbers; the dashboard warns
# from 80%. Routing keys already keep each person to one session per number; this bounds the
# blast radius of one number going bad (every pairing on it must move).
MASKING_NUMBER_CAPACITY = env.int("MASKING_NUMBER_CAPACITY", default=1000)

# --- 8x8's REST APIs (callflows/voice_api.py; README, "Pointing 8x8 at it") -----------------------
# With no API key or sub-account id, everything that asks 8x8 says it is off; calls still work.
EIGHTX8_API_KEY = env.str("EIGHTX8_API_KEY", default="")
EIGHTX8_SUBACCOUNT_ID = env.str("EIGHTX8_SUBACCOUNT_ID", default="")
EIGHTX8_API_BASE_URL = env.str("EIGHTX8_API_BASE_URL", default="https://voice.8x8.com")
# Seconds to wait for 8x8: to connect, and for each read of the answer.
EIGHTX8_CONNECT_TIMEOUT = env.float("EIGHTX8_CONNECT_TIMEOUT", default=5.0)
EIGHTX8_READ_TIMEOUT = env.float("EIGHTX8_READ_TIMEOUT", default=15.0)
# Tries per request when 8x8 times out or answers 429/5xx (reads and deletes; a create only when
# it never reached 8x8).
EIGHTX8_ATTEMPTS = env.int("EIGHTX8_ATTEMPTS", default=3)
# Seconds before the first retry, doubling after each (a Retry-After of up to 30 s wins).
EIGHTX8_RETRY_BACKOFF = env.float("EIGHTX8_RETRY_BACKOFF", default=0.5)
# This deployment's public HTTPS address, which 8x8's webhooks point at (connect_8x8).
MASKING_PUBLIC_BASE_URL = env.str("MASKING_PUBLIC_BASE_URL", default="")
# Where 8x8 pushes recordings (S3 or SFTP); set by connect_8x8 when EIGHTX8_RECORDING_PROTOCOL is.
EIGHTX8_RECORDING_PROTOCOL = env.str("EIGHTX8_RECORDING_PROTOCOL", default="")
EIGHTX8_RECORDING_HOST = env.str("EIGHTX8_RECORDING_HOST", default="")
EIGHTX8_RECORDING_PORT = env.int("EIGHTX8_RECORDING_PORT", default=0)
EIGHTX8_RECORDING_USERNAME = env.str("EIGHTX8_RECORDING_USERNAME", default="")
EIGHTX8_RECORDING_PASSWORD = env.str("EIGHTX8_RECORDING_PASSWORD", default="")
EIGHTX8_RECORDING_PATH = env.str("EIGHTX8_RECORDING_PATH", default="")

# Spoken when the Call Action path fails and no apology prompt can be read from the database
# (the database may be the thing that failed).
MASKING_FALLBACK_APOLOGY = env.str(
    "MASKING_FALLBACK_APOLOGY",
    default="Sorry, we cannot connect your call right now. Please try again later.",
)
