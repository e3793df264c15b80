"""Plaza settings: one module, driven by environment variables.

Embedded default (nothing set): SQLite in WAL mode under var/, local media, eager tasks,
in-memory channel layer, e-mail written to var/mail/.
Scaled: DATABASE_URL (PostgreSQL), REDIS_URL (cache, sessions, channel layer, Celery broker),
MEDIA_S3_* (S3-compatible media). See README.md for the full list.
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.conf.locale import LANG_INFO
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PLAZA_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once and kept under var/."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = VAR_DIR / "secret_key"
    if path.exists():
        return path.read_text().strip()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    path.write_text(key)
    path.chmod(0o600)
    return key


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
SITE_ID = 1

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "template_partials",
    # Before allauth: its templates under templates/allauth/ override allauth's own layouts.
    "plaza.accounts",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "plaza.core",
    "plaza.catalog",
    "plaza.inventory",
    "plaza.storefront",
    "plaza.backoffice",
    "plaza.payments",
    "plaza.orders",
    "plaza.web",
    "plaza.checkout",
    "plaza.social",
    "plaza.messaging",
    "plaza.connectors",
    "plaza.demo",
]

MIDDLEWARE = [
    "plaza.core.middleware.RequestSizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "plaza.checkout.middleware.AttributionMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "plaza" / "web" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "plaza.web.context_processors.site",
                "plaza.checkout.context_processors.cart",
            ],
            "builtins": ["template_partials.templatetags.partials"],
        },
    }
]

# --- Database ---------------------------------------------------------------
if os.environ.get("DATABASE_URL"):
    # Under an ASGI server every request runs in a thread of its own, so persistent
    # per-thread connections (CONN_MAX_AGE > 0) pile up until PostgreSQL refuses new ones.
    # The default is a connection per request; DB_POOL_MAX_SIZE turns on psycopg's pool (a
    # bounded number of connections per process, shared by its threads), the setting to use
    # under load.
    DATABASES = {
        "default": dj_database_url.parse(
            os.environ["DATABASE_URL"], conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "0"))
        )
    }
    postgres = DATABASES["default"]["ENGINE"].endswith("postgresql")
    if postgres and env_bool("DB_PREPARED_STATEMENTS", True):
        # Parameters bound by the server, and statements run five times on a connection kept
        # prepared there: PostgreSQL then skips parsing and planning them (a fifth less of its
        # CPU per chat message). Off behind a pooler in transaction mode (PgBouncer), which
        # cannot follow a connection's prepared statements.
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            server_side_binding=True, prepare_threshold=5
        )
    if int(os.environ.get("DB_POOL_MAX_SIZE") or 0) > 0:  # "0" or unset: no pool
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": 1,
            "max_size": int(os.environ["DB_POOL_MAX_SIZE"]),
            "timeout": float(os.environ.get("DB_POOL_TIMEOUT", "10")),
        }
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "plaza.sqlite3",
            "OPTIONS": {
                # read_uncommitted matters only to the tests' in-memory database, whose
                # connections share one cache: there a reader's table lock made a concurrent
                # writer fail at once ("database table is locked"), busy_timeout or not. A file
                # database (this one) has no shared cache, and the pragma changes nothing.
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000; "
                    "PRAGMA read_uncommitted=1;"
                ),
                "transaction_mode": "IMMEDIATE",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache, sessions, channel layer, broker -------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "plaza.core.cache.SharedPoolRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "plaza",
        }
    }
    SESSION_ENGINE = "plaza.core.sessions"  # cached_db, a new key not looked up first
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SESSION_ENGINE = "django.contrib.sessions.backends.db"
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL or env_bool("CELERY_EAGER")
if not CELERY_BROKER_URL:
    # Embedded default: tasks run in-process; the in-memory transport is never used to send.
    CELERY_BROKER_URL = "memory://localhost/"
CELERY_TASK_EAGER_PROPAGATES = True
# Periodic sweeps: `celery -A config beat` when scaled, the in-process ticker (config/ticker.py)
# in the embedded default. They only tidy up: no deadline waits for them.
CELERY_BEAT_SCHEDULE = {
    "stock-reservations-sweep": {"task": "inventory.stock_reservations_sweep", "schedule": 60.0},
    "orders-mails-due": {"task": "orders.order_send_due_mails", "schedule": 5.0},
    "connectors-deliveries-retry": {"task": "connectors.deliveries_retry_due", "schedule": 10.0},
    "connectors-private-replies": {"task": "connectors.private_replies_send", "schedule": 60.0},
    "connectors-events-prune": {"task": "connectors.inbound_events_prune", "schedule": 3600.0},
}
PLAZA_TICKER = env_bool("PLAZA_TICKER", default=True)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True

# --- Auth -------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if env_bool("PLAZA_FAST_PASSWORDS"):
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = os.environ.get("ACCOUNT_EMAIL_VERIFICATION", "optional")
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_GET = False
if env_bool("PLAZA_NO_RATE_LIMITS"):
    ACCOUNT_RATE_LIMITS = False
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Plaza"

# --- Languages, time, money -------------------------------------------------
LANG_INFO["tl"] = {
    "bidi": False,
    "code": "tl",
    "name": "Tagalog",
    "name_local": "Tagalog",
}
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("fr", _("French")),
    ("tl", _("Tagalog")),
    ("zh-hans", _("Simplified Chinese")),
    ("ja", _("Japanese")),
    ("af", _("Afrikaans")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")

# --- Static and media -------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
    ("vendor/alpinejs", BASE_DIR / "node_modules" / "alpinejs" / "dist"),
]
STATICFILES_DIRS = [(prefix, path) for prefix, path in STATICFILES_DIRS if path.exists()]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_S3_BUCKET = os.environ.get("MEDIA_S3_BUCKET", "")
if MEDIA_S3_BUCKET:
    STORAGES = {
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": MEDIA_S3_BUCKET,
                "endpoint_url": os.environ.get("MEDIA_S3_ENDPOINT_URL") or None,
                "access_key": os.environ.get("MEDIA_S3_ACCESS_KEY_ID") or None,
                "secret_key": os.environ.get("MEDIA_S3_SECRET_ACCESS_KEY") or None,
                "custom_domain": os.environ.get("MEDIA_S3_CUSTOM_DOMAIN") or None,
                "querystring_auth": False,
            },
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
else:
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }

# Request and upload limits. Product images may be up to 10 MB each.
PLAZA_MAX_IMAGE_BYTES = 10 * 1024 * 1024
# Videos, voice notes and documents customers send through a channel (plaza/messaging/files.py).
PLAZA_MAX_CHAT_FILE_BYTES = int(os.environ.get("PLAZA_MAX_CHAT_FILE_BYTES", 16 * 1024 * 1024))
# How long a checkout holds the units it is buying (seconds).
PLAZA_RESERVATION_SECONDS = int(os.environ.get("PLAZA_RESERVATION_SECONDS", 600))
PLAZA_MAX_REQUEST_BYTES = int(os.environ.get("PLAZA_MAX_REQUEST_BYTES", 32 * 1024 * 1024))
# HTTP requests one server process runs at once (plaza/core/admission.py); the others wait for a
# turn holding neither a thread nor a database connection. 0: no limit. By default 4 (the
# database pool's size when it is smaller): Python runs one thread at a time, and 4 requests
# at once are enough to fill the time one of them waits for the database (see
# docs/benchmarks.md: more only switched between threads more often).
_POOL_SIZE = int(os.environ.get("DB_POOL_MAX_SIZE") or 0)
PLAZA_REQUESTS_AT_ONCE = int(
    os.environ.get("PLAZA_REQUESTS_AT_ONCE", min(4, _POOL_SIZE) if _POOL_SIZE > 0 else 4)
)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

# --- E-mail -----------------------------------------------------------------
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Plaza <no-reply@plaza.localhost>")
if os.environ.get("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ["EMAIL_HOST"]
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"

# --- Security ---------------------------------------------------------------
# Behind HTTPS set SECURE_COOKIES=1 (and SECURE_SSL_REDIRECT=1, SECURE_HSTS_SECONDS=31536000 once
# the whole site is on HTTPS; TRUST_X_FORWARDED_PROTO=1 when a proxy terminates TLS).
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT")
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^livez$"]
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0"))
if env_bool("TRUST_X_FORWARDED_PROTO"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    "loggers": {"plaza": {"level": os.environ.get("LOG_LEVEL", "INFO")}},
}

# --- Payments (plaza.payments) ----------------------------------------------
# The providers this installation charges through, the default first. "test" is the built-in
# gateway (test card numbers, no money moves): the embedded default and the demo. With a Stripe
# secret key the default becomes "stripe"; PAYMENTS_PROVIDERS=stripe,test keeps both.
STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "https://api.stripe.com").rstrip("/")
STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
# Sent as Stripe-Version when set; empty uses the API version of the Stripe account.
STRIPE_API_VERSION = os.environ.get("STRIPE_API_VERSION", "")
STRIPE_TIMEOUT_SECONDS = float(os.environ.get("STRIPE_TIMEOUT_SECONDS", "20"))
PAYMENTS_PROVIDERS = env_list("PAYMENTS_PROVIDERS", "stripe" if STRIPE_SECRET_KEY else "test")

# --- Conversations and the networks -------------------------------------------------
# How long the bot's payment links stay valid, in seconds.
PLAZA_PAYMENT_LINK_SECONDS = int(os.environ.get("PLAZA_PAYMENT_LINK_SECONDS", 3600))
# The networks' APIs (tests point them at a local recorder).
META_GRAPH_URL = os.environ.get("META_GRAPH_URL", "https://graph.facebook.com").rstrip("/")
INSTAGRAM_GRAPH_URL = os.environ.get("INSTAGRAM_GRAPH_URL", "https://graph.instagram.com")
META_GRAPH_VERSION = os.environ.get("META_GRAPH_VERSION", "v25.0")
TELEGRAM_API_URL = os.environ.get("TELEGRAM_API_URL", "https://api.telegram.org").rstrip("/")
# The key channel credentials are encrypted with (SECRET_KEY when empty).
PLAZA_SECRETS_KEY = os.environ.get("PLAZA_SECRETS_KEY", "")
