"""Django settings, read from the environment through :mod:`lawtrail.config` (fail loudly).

The embedded default needs nothing: SQLite and local media under ``LAWTRAIL_DATA_DIR`` (./var),
a secret key generated once into that directory. A server sets ``DATABASE_URL`` (PostgreSQL),
``LAWTRAIL_MEDIA_STORE`` (s3://…), ``LAWTRAIL_SECRET_KEY`` and ``LAWTRAIL_ALLOWED_HOSTS``.
The Django shell shares one database connection with the ledger (:mod:`lawtrail.web.ledgerdb`),
so a record, its ledger entry and the query tables are written in one transaction.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url

from lawtrail import config, filemodes

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = config.data_dir()
# Personal data lives here: 0700 whatever the umask, tightened at start-up if it was wider.
filemodes.private_data_dir(DATA_DIR)


def _secret_key() -> str:
    """LAWTRAIL_SECRET_KEY, or a key generated once and kept (0600) in the data directory."""
    explicit = config.env_optional("LAWTRAIL_SECRET_KEY")
    if explicit:
        return explicit
    path = DATA_DIR / "secret_key"
    if not path.exists():
        tmp = path.with_suffix(f".{secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # never readable by others
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(50))
        try:
            os.link(tmp, path)  # never overwrites: two first starts agree on one key
        except FileExistsError:
            pass  # another process created it first: use theirs
        finally:
            tmp.unlink()
    filemodes.tighten(path, "Django 密钥文件")
    return path.read_text().strip()


# Parameters bound by the server, and a statement run five times on a connection prepared: its
# plan is made once per connection, not on every run. Django leaves both off by default (for
# connection poolers in transaction mode, which LawTrail does not use); planning the case
# page's reads cost PostgreSQL more than running them (issue #18).
POSTGRES_STATEMENTS: dict[str, Any] = {"server_side_binding": True, "prepare_threshold": 5}
POSTGRES_ENGINE = "lawtrail.web.postgresql"


def _database() -> dict[str, Any]:
    url = config.database_url()
    db: dict[str, Any] = dict(dj_database_url.parse(url))
    if db["ENGINE"] == "django.db.backends.sqlite3":
        # Created 0600 before Django's connection opens it (SQLite gives its -wal and -shm the
        # same mode); an existing file readable by others is tightened (lawtrail.filemodes).
        filemodes.private_sqlite(Path(db["NAME"]))
        db["OPTIONS"] = {
            # One writer at a time takes the write lock before reading the log's head (as the
            # ledger's own connection does with BEGIN IMMEDIATE); WAL lets readers go on; FULL
            # makes every commit durable.
            "transaction_mode": "IMMEDIATE",
            "timeout": 60,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
            ),
        }
        # A connection per server thread kept between requests: opening one (and its PRAGMAs)
        # per request was a tenth of a case page's time (issue #18).
        db["CONN_MAX_AGE"] = config.env_int("LAWTRAIL_DB_CONN_MAX_AGE", 60)
        db["CONN_HEALTH_CHECKS"] = True
    elif db["ENGINE"] == "django.db.backends.postgresql":
        # A server-wide synchronous_commit=off would acknowledge commits before they are durable.
        # Options given in the URL (`?options=-csearch_path%3Dschema`) are kept.
        given = str(db.get("OPTIONS", {}).get("options", "")).strip()
        options = f"{given} -c synchronous_commit=on".strip()
        db["OPTIONS"] = {"options": options, "connect_timeout": 10, **POSTGRES_STATEMENTS}
        db["CONN_MAX_AGE"] = config.env_int("LAWTRAIL_DB_CONN_MAX_AGE", 60)
        db["CONN_HEALTH_CHECKS"] = True
        # Django's backend, its health check asking the kernel instead of the server.
        db["ENGINE"] = POSTGRES_ENGINE
    else:
        raise config.ConfigError(f"DATABASE_URL 只支持 sqlite 和 postgresql：{db['ENGINE']}")
    return db


SECRET_KEY = _secret_key()
DEBUG = config.env_bool("LAWTRAIL_DEBUG", False)
ALLOWED_HOSTS = config.env_list("LAWTRAIL_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = config.env_list("LAWTRAIL_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",  # serves Swagger UI from its own static files (no CDN)
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",  # failed sign-in limits (docs/architecture.md "Sign-in and tokens")
    "lawtrail.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "lawtrail.web.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Idle timeout and the mandatory second factor (after auth, OTP and messages).
    "lawtrail.web.signin.SignInMiddleware",
    # Each request's access entries, refusals with their reason (lawtrail.web.accessscope).
    "lawtrail.web.middleware.AccessLogMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into the Chinese lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "lawtrail.web.urls"
WSGI_APPLICATION = "lawtrail.web.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Django admin templates changed only where Django leaves English (admin_templates/).
        "DIRS": [BASE_DIR / "admin_templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "lawtrail.web.views.common.navigation",
            ],
        },
    },
]

DATABASES = {"default": _database()}
AUTH_USER_MODEL = "lawtrail.User"
# The password policy (等保 2.0 level 3): applied wherever a password is set through a form —
# the password change page, the admin — not to accounts seeded by `lawtrail demo`.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "lawtrail.web.passwords.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "lawtrail.web.passwords.CharacterClassesValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "lawtrail.web.passwords.PasswordHistoryValidator", "OPTIONS": {"keep": 5}},
]
# The axes backend first: it refuses a locked-out sign-in before any password is checked.
AUTHENTICATION_BACKENDS = [
    "lawtrail.web.signin.LockoutBackend",
    # ModelBackend, loading a session's user with their agency and second-factor device at once.
    "lawtrail.web.signin.UserBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
# Our own catalogue first: the few strings of Django's admin its zh_Hans catalogue leaves in
# English (locale/zh_Hans/LC_MESSAGES/django.po).
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = config.env_path("LAWTRAIL_STATIC_ROOT", DATA_DIR / "static")
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Without collectstatic (tests, the demo) WhiteNoise serves from the apps' static folders.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Django's database sessions, read with one SQL statement on every request (issue #18).
SESSION_ENGINE = "lawtrail.web.sessions"
SESSION_COOKIE_HTTPONLY = True
# The longest a session lives, however active; LAWTRAIL_IDLE_MINUTES ends it sooner without
# activity (lawtrail.web.signin.SignInMiddleware). The cookie ends with the browser.
SESSION_COOKIE_AGE = config.env_int("LAWTRAIL_SESSION_SECONDS", 8 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
LAWTRAIL_IDLE_SECONDS = 60 * config.env_int("LAWTRAIL_IDLE_MINUTES", 30)
if LAWTRAIL_IDLE_SECONDS <= 0:
    raise config.ConfigError("环境变量 LAWTRAIL_IDLE_MINUTES 应为正整数")


def _required_2fa_roles() -> list[str]:
    """LAWTRAIL_REQUIRE_2FA_ROLES: the roles that must sign in with a TOTP code, e.g.
    ``approver,supervisor,admin`` (empty or unset: the second factor is optional for all)."""
    from lawtrail.web.roles import ROLE_LABELS

    raw = os.environ.get("LAWTRAIL_REQUIRE_2FA_ROLES", "")
    roles = [role.strip() for role in raw.split(",") if role.strip()]
    unknown = [role for role in roles if role not in ROLE_LABELS]
    if unknown:
        raise config.ConfigError(
            f"环境变量 LAWTRAIL_REQUIRE_2FA_ROLES 含未知角色 {'、'.join(unknown)}"
            f"（可用：{'、'.join(ROLE_LABELS)}）"
        )
    return roles


LAWTRAIL_REQUIRE_2FA_ROLES = _required_2fa_roles()
OTP_TOTP_ISSUER = "执法留痕"

# Failed sign-ins (django-axes, database handler): after AXES_FAILURE_LIMIT failures of one
# username from one address the pair is locked for AXES_COOLOFF_TIME, and every further attempt
# during the lock starts the cool-off again (the backoff). A successful sign-in clears the count.
AXES_ENABLED = True
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = config.env_int("LAWTRAIL_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=config.env_int("LAWTRAIL_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_CLIENT_IP_CALLABLE = "lawtrail.web.views.common.client_ip"  # REMOTE_ADDR, as the ledger
AXES_LOCKOUT_CALLABLE = "lawtrail.web.signin.lockout_response"
AXES_VERBOSE = False
SESSION_COOKIE_SECURE = config.env_bool("LAWTRAIL_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# A refused form is answered in Chinese and its typed values given back (not Django's page).
CSRF_FAILURE_VIEW = "lawtrail.web.views.errors.csrf_failure"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Form posts without files stay small; media are streamed (lawtrail.web.views.media) and limited
# by LAWTRAIL_MAX_UPLOAD_BYTES instead.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
LAWTRAIL_MAX_UPLOAD_BYTES = config.env_int("LAWTRAIL_MAX_UPLOAD_BYTES", 20 * 1024**3)
# The supervisor's witness service (`lawtrail witness serve`): its alerts on the pages.
LAWTRAIL_WITNESS_URL = config.witness_url()
LAWTRAIL_MAX_SIGNATURE_BYTES = 5 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "lawtrail": {"handlers": ["console"], "level": "INFO"},
        "django.request": {"handlers": ["console"], "level": "WARNING"},
    },
}
