"""Django settings for Pista, read from environment variables.

Development defaults apply only when ``DEBUG=true``. With ``DEBUG`` off (the
default) the process refuses to start until ``SECRET_KEY`` and
``ALLOWED_HOSTS`` are set, naming the missing variable.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
import django_stubs_ext
from django.core.checks.security.base import (
    SECRET_KEY_INSECURE_PREFIX,
    SECRET_KEY_MIN_LENGTH,
    SECRET_KEY_MIN_UNIQUE_CHARACTERS,
)
from django.core.exceptions import ImproperlyConfigured

django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    normalised = value.strip().lower()
    if normalised in {"1", "true", "yes", "on"}:
        return True
    if normalised in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}.")


def _env_list(name: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None


def _required_in_production(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(
            f"The environment variable {name} must be set when DEBUG is off. "
            "For local development set DEBUG=true."
        )
    return value


DEBUG = _env_bool("DEBUG")

if DEBUG:
    SECRET_KEY = os.environ.get("SECRET_KEY") or "dev-only-insecure-key-never-use-in-production"
    ALLOWED_HOSTS = _env_list("ALLOWED_HOSTS") or ["127.0.0.1", "localhost", "[::1]", "testserver"]
else:
    SECRET_KEY = _required_in_production("SECRET_KEY")
    if (  # the rule behind Django's warning W009, as an error
        len(SECRET_KEY) < SECRET_KEY_MIN_LENGTH
        or len(set(SECRET_KEY)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS
        or SECRET_KEY.startswith(SECRET_KEY_INSECURE_PREFIX)
    ):
        raise ImproperlyConfigured(
            "SECRET_KEY is too weak: it must have at least 50 characters, at least 5 of them "
            "different, and must not start with 'django-insecure-'. Make one with: python -c "
            "'from django.core.management.utils import get_random_secret_key as k; print(k())'"
        )
    _required_in_production("ALLOWED_HOSTS")
    ALLOWED_HOSTS = _env_list("ALLOWED_HOSTS")

CSRF_TRUSTED_ORIGINS = _env_list("CSRF_TRUSTED_ORIGINS")
DATA_DIR = Path(os.environ.get("PISTA_DATA_DIR") or BASE_DIR / "data")

INSTALLED_APPS = [
    "newsroom.apps.NewsroomAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "intake.apps.IntakeConfig",
    "newsroom.apps.NewsroomConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "intake.middleware.VisitorAnonymityMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The public pages' language comes from their URL (/es/, /fr/, /en/, /ar/); "/" picks
    # one from the browser's Accept-Language, falling back to PISTA_DEFAULT_LANGUAGE.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "newsroom.session_limits.StaffSessionLimitsMiddleware",
    "newsroom.unlocked_key.UnlockedKeyCookieMiddleware",
    "newsroom.actor.ActorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "newsroom.urls"
WSGI_APPLICATION = "newsroom.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "intake.context_processors.site",
            ],
        },
    },
]

if not os.environ.get("DATABASE_URL"):
    DATA_DIR.mkdir(parents=True, exist_ok=True)  # SQLite needs its folder to exist
DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{DATA_DIR / 'pista.sqlite3'}",
        conn_max_age=60,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several threads write at once (runserver and gunicorn threads). A deferred
    # transaction that starts reading and then writes fails at once with "database is
    # locked" when another holds the write lock; an immediate one waits its turn
    # (``timeout`` seconds). WAL lets readers go on while one thread writes.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The verifier half of the personal key's one derivation (newsroom.hashers); the others
# only so that a password set outside Pista can be checked once and then moved over.
PASSWORD_HASHERS = [
    "newsroom.hashers.PistaPasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# A login checks the password by unlocking the personal key (one derivation for both),
# with the per-account lockout and the newsroom-wide budget (newsroom.services.logins).
AUTHENTICATION_BACKENDS = ["newsroom.backends.StaffBackend"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

#: The languages the newsroom publishes in: every public page comes in each of them.
LANGUAGES = [
    ("es", "Español"),
    ("fr", "Français"),
    ("en", "English"),
    ("ar", "العربية"),
]
#: The language for a visitor whose browser asks for none of those (PISTA_DEFAULT_LANGUAGE).
LANGUAGE_CODE = os.environ.get("PISTA_DEFAULT_LANGUAGE", "en").strip().lower()
if LANGUAGE_CODE not in dict(LANGUAGES):
    raise ImproperlyConfigured(
        f"PISTA_DEFAULT_LANGUAGE must be one of {', '.join(dict(LANGUAGES))}, "
        f"not {LANGUAGE_CODE!r}."
    )
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
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
MEDIA_ROOT = DATA_DIR / "media"

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

LOGIN_URL = "admin:login"

# --- sessions and the unlocked key -------------------------------------------------
# A staff member's unlocked personal key lives in the session store encrypted under a
# random key that only the browser holds, in its own cookie (see newsroom.unlocked_key).
# The absolute limit of a staff session; the idle limit is PISTA_STAFF_IDLE_MINUTES.
SESSION_COOKIE_AGE = _env_int("PISTA_STAFF_SESSION_HOURS", 8) * 60 * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# A browser-session cookie: a year-long csrftoken would tell whoever seizes a reader's
# device that it visited the tip line.
CSRF_COOKIE_AGE = None
# Expired sessions are deleted when they are next presented (see newsroom.sessions);
# `manage.py clearsessions` from cron removes the rest (docs/deployment.md).
SESSION_ENGINE = "newsroom.sessions"

# --- cache: the throttles' shared counters ---------------------------------------------
# The throttles (intake.throttle), the proof-of-work difficulty and replay memory
# (intake.pow) and the one-time submission tokens (intake.tokens) live in the cache.
# Process-local memory is enough for one worker; with several workers or hosts set
# REDIS_URL (e.g. redis://127.0.0.1:6379/0) so they share one budget and one memory.
CACHES: dict[str, dict[str, object]]
if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
        }
    }
else:
    # Room for a day of one-time submission tokens and used proofs of work: the default
    # 300 entries would be culled under a flood, letting a replay through.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    }

# --- transport and browser hardening -----------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = _env_bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = 0 if DEBUG else int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
if os.environ.get("SECURE_PROXY_SSL_HEADER") == "X-Forwarded-Proto":
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Powerful browser features are off for every page; WebAuthn only for this origin
# (passkeys and security keys for staff).
PERMISSIONS_POLICY: dict[str, list[str]] = {
    "accelerometer": [],
    "camera": [],
    "display-capture": [],
    "geolocation": [],
    "gyroscope": [],
    "magnetometer": [],
    "microphone": [],
    "payment": [],
    "usb": [],
    "publickey-credentials-create": ["self"],
    "publickey-credentials-get": ["self"],
}

# A failed CSRF check on a public form shows the form again with what the reader typed
# (intake.csrf); staff pages get Django's own page.
CSRF_FAILURE_VIEW = "intake.csrf.csrf_failure"

# Nothing is loaded from another origin and no inline script or style runs.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- logging ---------------------------------------------------------------------------
# Errors go to stderr only. Django's default e-mail handler is left out on purpose: its
# reports would carry request data (addresses, user agents, form fields) off the server.
# Every handler carries intake.logfilter's filter: IP addresses, user agents and query
# strings are cut out of every record before it is written, so logs can be handed to anyone.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"anonymous": {"()": "intake.logfilter.AnonymousLogFilter"}},
    "formatters": {"plain": {"format": "{levelname} {name} {message}", "style": "{"}},
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["anonymous"],
        }
    },
    "root": {"handlers": ["stderr"], "level": "WARNING"},
    "loggers": {
        "django": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        # The development server logs request lines; keep them free of addresses.
        "django.server": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        # A reader's rejected form is not worth a timestamped log line that could place
        # their visit in time: only server errors are logged.
        "django.request": {"handlers": ["stderr"], "level": "ERROR", "propagate": False},
        "django.security.csrf": {"handlers": ["stderr"], "level": "ERROR", "propagate": False},
    },
}

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "pista@localhost")
# The SMTP server for notification e-mails (with EMAIL_BACKEND=...smtp.EmailBackend).
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _env_bool("EMAIL_USE_TLS")
# A hung mail server fails the attempt (and it is retried) instead of blocking the worker.
EMAIL_TIMEOUT = 30

# --- background tasks (notifications) ---------------------------------------------------
# Tasks are stored in the database and run by `python manage.py db_worker` next to the
# web server. Notification e-mails link to the admin at PISTA_BASE_URL (e.g.
# https://tips.example.org); without it the links are paths only.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# --- Pista's own settings ---------------------------------------------------------------
# Every PISTA_* setting is here, with its default, and each can be set from the
# environment variable of the same name. Code reads them as settings.PISTA_*.

#: The public pages' language when the browser asks for none of LANGUAGES (read above).
PISTA_DEFAULT_LANGUAGE = LANGUAGE_CODE
#: The newsroom's name, shown on the public pages.
PISTA_NEWSROOM_NAME = os.environ.get("PISTA_NEWSROOM_NAME", "Pista newsroom")
#: Absolute base of links in notification e-mails (e.g. https://tips.example.org).
PISTA_BASE_URL = os.environ.get("PISTA_BASE_URL", "").rstrip("/")
#: Where SQLite, media and the demo recovery key live (PISTA_DATA_DIR, read above).
PISTA_DATA_DIR = DATA_DIR
# Floods are turned away by proof of work (intake.pow), not by one global lock-out: a
# reader whose browser solved the page's challenge is limited only by the large
# last-resort budgets; posts without a proof (JavaScript off) have budgets of their
# own, so a flood without proofs cannot keep the others out.
#: Tip submissions with a valid proof of work accepted per minute, newsroom-wide (last resort).
PISTA_SUBMISSIONS_PER_MINUTE = _env_int("PISTA_SUBMISSIONS_PER_MINUTE", 600)
#: Tip submissions without a proof of work (JavaScript off) accepted per minute.
PISTA_PROOFLESS_SUBMISSIONS_PER_MINUTE = _env_int("PISTA_PROOFLESS_SUBMISSIONS_PER_MINUTE", 30)
#: Failed check-back attempts without a proof of work allowed per minute, newsroom-wide.
PISTA_CHECK_FAILURES_PER_MINUTE = _env_int("PISTA_CHECK_FAILURES_PER_MINUTE", 30)
#: Failed check-back attempts with a valid proof of work allowed per minute (last resort).
PISTA_CHECK_PROVEN_FAILURES_PER_MINUTE = _env_int("PISTA_CHECK_PROVEN_FAILURES_PER_MINUTE", 600)
#: The HMAC key that signs proof-of-work challenges; empty: derived from SECRET_KEY.
PISTA_POW_HMAC_KEY = os.environ.get("PISTA_POW_HMAC_KEY", "")
#: The largest counter a browser may have to try (SHA-256) while the forms are calm.
PISTA_POW_MAXNUMBER = _env_int("PISTA_POW_MAXNUMBER", 100_000)
#: The difficulty doubles for every this many posts to a form in a minute...
PISTA_POW_RATE_STEP = _env_int("PISTA_POW_RATE_STEP", 30)
#: ...up to this largest counter.
PISTA_POW_MAXNUMBER_LIMIT = _env_int("PISTA_POW_MAXNUMBER_LIMIT", 5_000_000)
#: How long a challenge embedded in a page stays valid, in minutes.
PISTA_POW_CHALLENGE_MINUTES = _env_int("PISTA_POW_CHALLENGE_MINUTES", 240)
# Retention (newsroom.services.retention, `manage.py tips_purge`): a tip in one of these
# statuses is deleted for good this many days after it entered the status; 0 keeps it.
# New, in-review and accepted tips are never deleted automatically.
#: Days a tip marked as spam is kept.
PISTA_RETENTION_DAYS_SPAM = _env_int("PISTA_RETENTION_DAYS_SPAM", 7)
#: Days a rejected tip is kept.
PISTA_RETENTION_DAYS_REJECTED = _env_int("PISTA_RETENTION_DAYS_REJECTED", 30)
#: Days a duplicate is kept.
PISTA_RETENTION_DAYS_DUPLICATE = _env_int("PISTA_RETENTION_DAYS_DUPLICATE", 30)
#: Days an archived tip is kept.
PISTA_RETENTION_DAYS_ARCHIVED = _env_int("PISTA_RETENTION_DAYS_ARCHIVED", 365)
#: The cookie holding the browser's half of a staff member's unlocked key.
PISTA_UNLOCKED_KEY_COOKIE = os.environ.get("PISTA_UNLOCKED_KEY_COOKIE", "pista_key")
PISTA_UNLOCKED_KEY_COOKIE_SECURE = _env_bool(
    "PISTA_UNLOCKED_KEY_COOKIE_SECURE", default=SESSION_COOKIE_SECURE
)
#: A reader's check-back visit holds their receipt key the same way (intake.checkback).
PISTA_VISIT_COOKIE_SECURE = _env_bool("PISTA_VISIT_COOKIE_SECURE", default=SESSION_COOKIE_SECURE)
#: A staff session ends after this long without a request; the unlocked key goes with it.
PISTA_STAFF_IDLE_MINUTES = _env_int("PISTA_STAFF_IDLE_MINUTES", 30)
#: ... and after this long whatever the activity (also the session cookie's age).
PISTA_STAFF_SESSION_HOURS = SESSION_COOKIE_AGE // 3600
#: Failed password attempts on one account before it is locked ...
PISTA_LOGIN_FAILURES_BEFORE_LOCK = _env_int("PISTA_LOGIN_FAILURES_BEFORE_LOCK", 5)
#: ... for this long, unless an administrator unlocks it sooner.
PISTA_LOGIN_LOCK_MINUTES = _env_int("PISTA_LOGIN_LOCK_MINUTES", 60)
#: Failed logins per minute across all accounts before logins pause for the minute.
PISTA_LOGIN_FAILURES_PER_MINUTE = _env_int("PISTA_LOGIN_FAILURES_PER_MINUTE", 100)
#: Staff password derivations (64 MiB each) run at once per process, at low CPU priority.
PISTA_KDF_THREADS = _env_int("PISTA_KDF_THREADS", 1)
#: WebAuthn relying party: the site's domain (default: the request's host) and the
#: origins passkeys may be used from (default: the request's own origin).
PISTA_WEBAUTHN_RP_ID = os.environ.get("PISTA_WEBAUTHN_RP_ID", "")
PISTA_WEBAUTHN_ORIGINS = _env_list("PISTA_WEBAUTHN_ORIGINS")

# --- second factors (django-otp, django-otp-webauthn) ------------------------------------
OTP_TOTP_ISSUER = PISTA_NEWSROOM_NAME
OTP_WEBAUTHN_RP_NAME = PISTA_NEWSROOM_NAME
OTP_WEBAUTHN_HELPER_CLASS = "newsroom.webauthn.StaffWebAuthnHelper"
OTP_WEBAUTHN_RP_ID_CALLABLE = "newsroom.webauthn.relying_party_id"
# The allowed origin is the request's own (its host already passed ALLOWED_HOSTS) unless
# PISTA_WEBAUTHN_ORIGINS lists them: newsroom.webauthn.StaffWebAuthnHelper. The library's
# check only looks for a fixed list, so it is silenced here.
SILENCED_SYSTEM_CHECKS = ["otp_webauthn.E030"]
# A passkey is a second factor after the password, never instead of it: the password is
# what unlocks the personal key.
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
