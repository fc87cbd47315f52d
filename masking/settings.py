"""Settings for masking, read from the environment (see `.env.example` for every variable).

One settings module for every environment: development, tests and production differ only by
environment variables, so what the tests exercise is what production runs.
"""

from datetime import UTC
from pathlib import Path

import environ
from django.utils.dateparse import parse_datetime

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
    # Before django_tasks_db, so that its `db_worker` command is ours (masking/management).
    "masking",
    "django_tasks",
    "django_tasks_db",
    "callflows",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Each route's body limit, once its sender is known and before CSRF reads a form
    # (masking/bodies.py). It must come before CsrfViewMiddleware, whose check reads the body.
    "masking.bodies.BodyLimitMiddleware",
    "masking.querystrings.QueryStringMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
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
    # Django's backend plus client-side deadlines (masking/postgres/base.py).
    DATABASES["default"]["ENGINE"] = "masking.postgres"
    # Connecting to a server that accepts and never answers must fail, not hang: psycopg's
    # connect_timeout (seconds; 2 is its minimum). The Call Action's own deadline is tighter.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env.int("MASKING_DB_CONNECT_TIMEOUT_S", default=2)
    )
    # Behind PgBouncer in transaction mode (README, "PgBouncer"): the web's timeouts are set per
    # transaction instead of per connection, statements are bound client-side and never prepared,
    # and no server-side cursors (each would outlive the transaction that declared it).
    DATABASE_TRANSACTION_POOLING = env.bool("DATABASE_TRANSACTION_POOLING", default=False)
    DATABASES["default"]["OPTIONS"]["transaction_pooling"] = DATABASE_TRANSACTION_POOLING
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = DATABASE_TRANSACTION_POOLING
    # Server-side parameters, and psycopg preparing a statement once it has run five times on a
    # connection (psycopg's default; Django's is never): PostgreSQL then plans the Call Action's
    # two statements once per connection, not on every call. Planning the facts query cost more
    # than running it (pgbench, both statements, one client: 1.47 ms a call unprepared, 0.40 ms
    # prepared). Off behind a transaction pooler (above), whatever these say.
    DATABASES["default"]["OPTIONS"].setdefault(
        "server_side_binding",
        env.bool("DATABASE_SERVER_SIDE_BINDING", default=True) and not DATABASE_TRANSACTION_POOLING,
    )
    PREPARE_THRESHOLD = env.int("DATABASE_PREPARE_THRESHOLD", default=5)
    DATABASES["default"]["OPTIONS"].setdefault(
        "prepare_threshold", None if PREPARE_THRESHOLD < 0 else PREPARE_THRESHOLD
    )
    # Bound how long a web request may wait on PostgreSQL (the caller hears silence while the
    # Call Action waits): each statement, and each wait for a lock (a little shorter, so that a
    # lock is named as the cause). Set once per connection as a startup option, or per
    # transaction behind a pooler; neither costs a round trip (masking/postgres/timeouts.py).
    # Management commands (migrations, sweeps, retention) run without them: manage.py says so.
    STATEMENT_TIMEOUT_MS = env.int("MASKING_DB_STATEMENT_TIMEOUT_MS", default=300)
    LOCK_TIMEOUT_MS = env.int("MASKING_DB_LOCK_TIMEOUT_MS", default=250)
    web_timeouts = {
        name: ms
        for name, ms in (
            ("statement_timeout", STATEMENT_TIMEOUT_MS),
            ("lock_timeout", LOCK_TIMEOUT_MS),
        )
        if ms
    }
    if web_timeouts and not env.bool("MASKING_MANAGEMENT_COMMAND", default=False):
        DATABASES["default"]["OPTIONS"]["web_timeouts"] = web_timeouts
    # The server's statement timeout needs a server that answers. Web requests also give up
    # on any single answer after this long (far above every statement timeout, the relaxed 5 s
    # included), closing the connection: a hung server then costs a request seconds, not a
    # worker forever. Management commands wait as long as their work takes.
    ANSWER_TIMEOUT_S = env.float("MASKING_DB_ANSWER_TIMEOUT_S", default=10.0)
    if ANSWER_TIMEOUT_S and not env.bool("MASKING_MANAGEMENT_COMMAND", default=False):
        DATABASES["default"]["OPTIONS"]["answer_timeout"] = ANSWER_TIMEOUT_S
# Persistent connections save a connect per request on the Call Action path (PostgreSQL).
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Task queue -------------------------------------------------------------------------------

# Django's tasks API (django-tasks) on its database backend: a task is a row written in the
# transaction that enqueues it, so it exists exactly when the change that asked for it committed.
# `manage.py db_worker` runs them (README, "Callbacks").
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

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
    # Counted in the shared cache (CACHE_URL, below): one count per client across every worker and
    # host when it is Redis.
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="60/min"),
        "user": env.str("API_THROTTLE_USER", default="6000/min"),
    },
}
from masking.api.business_schemas import COMPONENTS as BUSINESS_COMPONENTS  # noqa: E402

SPECTACULAR_SETTINGS = {
    "TITLE": "masking API",
    "DESCRIPTION": "Phone number masking on 8x8: sessions, virtual numbers, recording consent.",
    "VERSION": "1.0.0",
    # The docs page's JavaScript and CSS are served from our own static files, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # What the business receives and answers about calls in no session (not a route of ours).
    "APPEND_COMPONENTS": BUSINESS_COMPONENTS,
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
# Whole-number lookups (admin search, API ?participant= and ?number=, the simulator's caller) a user
# without masking.view_full_numbers may make in any hour; the next is refused. Each is audited
# (README, "Security").
MASKING_NUMBER_LOOKUPS_PER_HOUR = env.int("MASKING_NUMBER_LOOKUPS_PER_HOUR", default=50)
MASKING_PROVIDER_IP_ALLOWLIST = env.list("MASKING_PROVIDER_IP_ALLOWLIST", default=[])
# How many reverse proxies in front of us append to X-Forwarded-For. 0: trust only the socket.
MASKING_TRUSTED_PROXIES = env.int("MASKING_TRUSTED_PROXIES", default=0)
# Request bodies, bounded per route (masking/bodies.py): larger ones are refused with 413 before
# they are read, chunked ones as soon as they pass the limit while being read.
# 8x8's webhooks, checked after their Authorization header (events are a few kilobytes):
MASKING_PROVIDER_MAX_BODY_BYTES = env.int("MASKING_PROVIDER_MAX_BODY_BYTES", default=65536)
# Except number updates: a SNAPSHOT lists the whole pool. Sized for the largest pool we support,
# 20,000 numbers, at 8x8's about 300 bytes a number plus room for indentation and long
# references (400 bytes): 8 MiB.
MASKING_NUMBER_UPDATE_MAX_BODY_BYTES = env.int(
    "MASKING_NUMBER_UPDATE_MAX_BODY_BYTES", default=8 * 1024 * 1024
)
# The API (after its token) and signed-in staff: Django's default, 2.5 MB.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)
# Everyone else (the admin's login form is a few hundred bytes).
MASKING_ANONYMOUS_MAX_BODY_BYTES = env.int("MASKING_ANONYMOUS_MAX_BODY_BYTES", default=16_384)

# Who must have opted in before a call is recorded: "every_party" or "caller_only".
MASKING_RECORDING_CONSENT = env.str("MASKING_RECORDING_CONSENT", default="every_party")

# How numbers are written in callflows: "digits" as in 8x8's examples ("6591230001"), or "e164"
# ("+6591230001").
MASKING_CALLFLOW_NUMBER_FORMAT = env.str("MASKING_CALLFLOW_NUMBER_FORMAT", default="digits")

# Callflow dialect: "auto" (the seed's until connect_8x8 has read the sub-account's voice
# catalogue, then the dialect whose voices it lists), or forced: "seed" (say&capture, language +
# generic voices, as the seed specifies) or "current" (8x8's sayAndCapture with promptMessage,
# speech profiles such as en-US-ZiraRUS). README, "Which dialect".
MASKING_CALLFLOW_DIALECT = env.str("MASKING_CALLFLOW_DIALECT", default="auto")

# PIN access (README, "Keypad flows"). PIN tries per call:
MASKING_PIN_TRIES = env.int("MASKING_PIN_TRIES", default=3)
# Lockouts. Within the window, the phone that keys MASKING_PIN_LOCK_AFTER wrong PINs on a number is
# refused PIN entry there, and a number on which MASKING_PIN_NUMBER_CEILING wrong PINs were keyed
# pauses PIN entry for every phone not in a session on it (a guesser rotating caller IDs), each for
# MASKING_PIN_LOCK_MINUTES. The counts look back over the whole window, so after a lockout ends,
# the next wrong PIN locks again at once: a guesser gets the ceiling's guesses, then one a period.
# 5 lets a participant mistype twice on each of two calls; 20 is four such callers at once.
MASKING_PIN_LOCK_AFTER = env.int("MASKING_PIN_LOCK_AFTER", default=5)
MASKING_PIN_NUMBER_CEILING = env.int("MASKING_PIN_NUMBER_CEILING", default=20)
MASKING_PIN_WINDOW_MINUTES = env.int("MASKING_PIN_WINDOW_MINUTES", default=24 * 60)
MASKING_PIN_LOCK_MINUTES = env.int("MASKING_PIN_LOCK_MINUTES", default=60)
# A number's pause spares phones that connected with a PIN to one of its open PIN sessions within
# this many days: a stranger can keep PIN entry shut only for phones new to the number.
MASKING_PIN_TRUSTED_DAYS = env.int("MASKING_PIN_TRUSTED_DAYS", default=30)
# The guessing bound, chosen with the PIN length. One stranger's guess on a number connects with
# chance (active PINs on the number) / 10**MASKING_PIN_LENGTH; allocation keeps it at most
# 1 in MASKING_PIN_GUESS_ONE_IN by holding at most 10**length / one_in PINs a number (a number
# named explicitly is refused beyond that). 1 in 10,000 with 6 digits (the length people already
# key for one-time codes) gives 100 PINs, 50 PIN sessions, a number; with the number's ceiling of
# 20 wrong PINs, a guesser rotating caller IDs gets through with at most 0.2% chance before the
# pause stops them. 4 digits could not hold even one session's two PINs within 1 in 10,000, and
# 1 in 1,000 would make that chance 2%. Every PIN is exactly MASKING_PIN_LENGTH digits: PINs of
# another length (made before a change) can no longer be keyed in; reissue them.
MASKING_PIN_LENGTH = env.int("MASKING_PIN_LENGTH", default=6)
# PINs are stored as HMAC-SHA256 over the virtual number and the PIN, keyed with this (default:
# SECRET_KEY). Changing it makes every stored PIN unmatchable: give sessions new PINs after.
MASKING_PIN_KEY = env.str("MASKING_PIN_KEY", default="") or SECRET_KEY
MASKING_PIN_GUESS_ONE_IN = env.int("MASKING_PIN_GUESS_ONE_IN", default=10_000)
# The key a pool's 8x8 API key is encrypted with in the database (a Fernet key:
# `python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`).
# Unset: derived from SECRET_KEY. Changing it makes stored API keys unreadable: enter them again.
MASKING_POOL_SECRETS_KEY = env.str("MASKING_POOL_SECRETS_KEY", default="") or SECRET_KEY

# Prompts are looked up in the caller's language (their preference, else their number's country),
# then in this one (a code of masking.voices.LANGUAGES).
MASKING_DEFAULT_LANGUAGE = env.str("MASKING_DEFAULT_LANGUAGE", default="en")

# Days call records keep the caller's number and raw provider events (`purge_call_records`).
MASKING_CALL_RETENTION_DAYS = env.int("MASKING_CALL_RETENTION_DAYS", default=90)
# Days after which call records, their Call Action events and finished callbacks are deleted
# (`purge_call_records`); until then anonymised calls still count in reports. 400: a year of
# monthly reports and their same month a year before. 0 keeps them for ever.
MASKING_CALL_DELETE_DAYS = env.int("MASKING_CALL_DELETE_DAYS", default=400)

# Serve /bench/floor/ and /bench/database-floor/, the load benchmark's floors (callflows/floor.py).
# Never in production: they answer without authentication.
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

# The Call Action's database work (deciding and recording) ends this many milliseconds after it
# starts, whatever the database does; then the caller gets the apology. With parsing and answering
# around it, the Call Action answers within 2 s (README, "Never fail a caller").
MASKING_CALL_ACTION_DB_DEADLINE_MS = env.int("MASKING_CALL_ACTION_DB_DEADLINE_MS", default=1000)

# --- Callbacks to the business backend (README, "Callbacks") ----------------------------------
# Where events are POSTed and the Standard Webhooks secret ("whsec_...") they are signed with.
# When the URL is set here, it wins over the one staff may set in the admin. Empty: the admin's.
MASKING_CALLBACK_URL = env.str("MASKING_CALLBACK_URL", default="")
MASKING_CALLBACK_SECRET = env.str("MASKING_CALLBACK_SECRET", default="")
# Rotating it: the secret before, which keeps signing (a second signature in the same header)
# until the overlap's end, an ISO 8601 time ("2026-03-03T09:00:00Z"; empty: until removed).
MASKING_CALLBACK_SECRET_PREVIOUS = env.str("MASKING_CALLBACK_SECRET_PREVIOUS", default="")
_previous_until = parse_datetime(env.str("MASKING_CALLBACK_SECRET_PREVIOUS_UNTIL", default=""))
MASKING_CALLBACK_SECRET_PREVIOUS_UNTIL = (
    _previous_until.replace(tzinfo=UTC)  # a time without a zone is UTC's
    if _previous_until and _previous_until.tzinfo is None
    else _previous_until
)
# A rotation in the admin keeps the secret before signing this many hours.
MASKING_CALLBACK_SECRET_OVERLAP_HOURS = env.float(
    "MASKING_CALLBACK_SECRET_OVERLAP_HOURS", default=24.0
)
# Seconds to wait for the receiver to connect, and for each read of its answer.
MASKING_CALLBACK_TIMEOUT_SECONDS = env.float("MASKING_CALLBACK_TIMEOUT_SECONDS", default=10.0)
# Seconds for the whole request (connect, send, read), enforced however the receiver drips its
# answer; at most half the lease (masking/services/callback_delivery.py).
MASKING_CALLBACK_DEADLINE_SECONDS = env.float("MASKING_CALLBACK_DEADLINE_SECONDS", default=30.0)
# Outbound requests (callbacks, 8x8's API) go only to https on public addresses, checked when
# connecting (masking/outbound.py). True allows plain http and private, loopback and link-local
# receivers on purpose (a backend inside the network); `check --deploy` names it when on.
MASKING_OUTBOUND_ALLOW_PRIVATE = env.bool("MASKING_OUTBOUND_ALLOW_PRIVATE", default=False)
# Tries per callback before it is marked failed. The first retry waits this many seconds, each
# next one three times longer (+ up to 10% jitter): 10 tries span about 27 hours.
MASKING_CALLBACK_ATTEMPTS = env.int("MASKING_CALLBACK_ATTEMPTS", default=10)
MASKING_CALLBACK_FIRST_RETRY_SECONDS = env.int("MASKING_CALLBACK_FIRST_RETRY_SECONDS", default=10)
# How long a worker holds a callback it is delivering. A worker that dies mid-delivery leaves it
# held; `requeue_callbacks` hands it to another worker once this has passed. Keep it well above
# the timeout.
MASKING_CALLBACK_LEASE_SECONDS = env.int("MASKING_CALLBACK_LEASE_SECONDS", default=120)
# An endpoint failing every attempt this long is disabled (as one answering 410 Gone at once):
# staff are told (dashboard, metric) and enable it again (README, "Callbacks").
MASKING_CALLBACK_DISABLE_AFTER_HOURS = env.float(
    "MASKING_CALLBACK_DISABLE_AFTER_HOURS", default=72.0
)

# --- Session rules and calls outside a session (README, "Session rules", "Calls outside a
# session") -------------------------------------------------------------------------------------
# The rules a new session gets unless its opener sets them: one-way (only A may call B), daily
# calling hours ("08:00-20:00"; empty: any hour) in a time zone (empty: the operations zone), and
# the most calls it bridges (0: no limit).
MASKING_SESSION_ONE_WAY = env.bool("MASKING_SESSION_ONE_WAY", default=False)
MASKING_SESSION_CALLING_HOURS = env.str("MASKING_SESSION_CALLING_HOURS", default="")
MASKING_SESSION_TIME_ZONE = env.str("MASKING_SESSION_TIME_ZONE", default="")
MASKING_SESSION_MAX_CALLS = env.int("MASKING_SESSION_MAX_CALLS", default=0)
# Where a call from a phone in no session on a number is POSTed for the business to decide
# (signed like the callbacks, with MASKING_OUT_OF_SESSION_SECRET, default the callback secret).
# Empty: nobody is asked.
MASKING_OUT_OF_SESSION_URL = env.str("MASKING_OUT_OF_SESSION_URL", default="")
MASKING_OUT_OF_SESSION_SECRET = env.str("MASKING_OUT_OF_SESSION_SECRET", default="")
# Whether the business is asked at all (given a URL): a pool may turn it off for its numbers, or
# on with a URL of its own, in the pool's admin page; this is what pools that say nothing do.
MASKING_OUT_OF_SESSION_ASK = env.bool("MASKING_OUT_OF_SESSION_ASK", default=True)
# The whole request to the business (connect, send, answer, read) ends this many milliseconds
# after it starts. Well inside the Call Action's database deadline (1,000 ms), which the request
# shares: what is left still opens the session and records the call, and a business that is
# late costs the caller this much silence at most, then the no-session flow.
MASKING_OUT_OF_SESSION_DEADLINE_MS = env.int("MASKING_OUT_OF_SESSION_DEADLINE_MS", default=400)
# The API user whose view of numbers the request gets: the caller's number goes whole only if
# that user may see full numbers (masking.view_full_numbers); else masked. Empty: masked.
MASKING_OUT_OF_SESSION_USER = env.str("MASKING_OUT_OF_SESSION_USER", default="")
# A support line: callers in no session (after the business, if asked, gave no usable answer),
# those whom a session rule turns away, and those who failed the PIN, hear the fallback prompt
# and are bridged here from the virtual number. Empty: the no-session flow.
MASKING_FALLBACK_LINE = env.str("MASKING_FALLBACK_LINE", default="")

# Spoken when the Call Action path fails and no apology prompt can be read from the database
# (the database may be the thing that failed).
MASKING_FALLBACK_APOLOGY = env.str(
    "MASKING_FALLBACK_APOLOGY",
    default="Sorry, we cannot connect your call right now. Please try again later.",
)

# --- Operations: workers, health, metrics, cache (README, "Production") ----------------------

# The task worker waits out database outages, up to this long between tries (its backoff's
# ceiling; masking/management/commands/db_worker.py).
MASKING_WORKER_MAX_BACKOFF_SECONDS = env.float("MASKING_WORKER_MAX_BACKOFF_SECONDS", default=30.0)

# Probes (masking/health.py) answer first, before the host check and the HTTPS redirect; answers
# to 8x8 are counted for the metrics (masking/metrics.py).
MIDDLEWARE = [
    "masking.health.HealthMiddleware",
    *MIDDLEWARE[:1],
    "masking.metrics.ProviderMetricsMiddleware",
    *MIDDLEWARE[1:],
]

# The cache every process shares (the API's throttles count in it): CACHE_URL, as
# "redis://127.0.0.1:6379/0" (Django's Redis backend) in production, where several workers and
# hosts must count one client's requests together. Local memory, per process, by default (make
# run, tests).
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}
# Keys carry this prefix, so that deployments (or test runs) can share one Redis.
CACHES["default"]["KEY_PREFIX"] = env.str("CACHE_KEY_PREFIX", default="masking")
# The API's throttles count there atomically (masking/api/throttles.py), same scopes and rates.
REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = [
    "masking.api.throttles.SharedAnonRateThrottle",
    "masking.api.throttles.SharedUserRateThrottle",
]

# Origins (scheme://host[:port]) the admin's forms may be posted from, besides this host itself:
# behind a proxy that does not pass the public port in Host ("https://masking.example.com:8443").
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Where collectstatic puts the static files WhiteNoise serves (restart gunicorn after it).
STATIC_ROOT = env.path("STATIC_ROOT", default=STATIC_ROOT)
