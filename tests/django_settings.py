"""Django settings for the test run: the real settings module, on a throw-away data directory.

The web tests run on SQLite by default; with ``LAWTRAIL_TEST_WEB_DB=postgresql`` the same tests
run on the PostgreSQL server (``./run.sh test`` does both passes). Nothing is left in the
environment, so the CLI tests' subprocesses see exactly what they set.
"""

import os
import tempfile

import dj_database_url

from tests.pgurl import POSTGRES_URL

_DATA = tempfile.mkdtemp(prefix="lawtrail-django-")
_saved = dict(os.environ)
os.environ["LAWTRAIL_DATA_DIR"] = _DATA
os.environ["LAWTRAIL_SECRET_KEY"] = "test-only-secret-key-not-for-production-0123456789"
os.environ.pop("DATABASE_URL", None)
try:
    from lawtrail.web.settings import *  # noqa: F403
    from lawtrail.web.settings import (
        ALLOWED_HOSTS,
        DATABASES,
        POSTGRES_ENGINE,
        POSTGRES_STATEMENTS,
    )
finally:
    os.environ.clear()
    os.environ.update(_saved)

WEB_DB = os.environ.get("LAWTRAIL_TEST_WEB_DB", "sqlite")
if WEB_DB == "postgresql":
    DATABASES["default"] = {
        **dj_database_url.parse(POSTGRES_URL),
        "ENGINE": POSTGRES_ENGINE,  # as the server runs
        "OPTIONS": {
            "options": "-c synchronous_commit=on",
            "connect_timeout": 5,
            **POSTGRES_STATEMENTS,  # as the server runs
        },
    }
elif WEB_DB != "sqlite":
    raise RuntimeError(f"LAWTRAIL_TEST_WEB_DB must be sqlite or postgresql, not {WEB_DB!r}")

ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests
