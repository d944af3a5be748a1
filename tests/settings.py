"""Settings for the test suite: production settings (DEBUG off) with test-only secrets."""

import os

os.environ.setdefault(
    "SECRET_KEY", "test-only-secret-key-not-for-any-deployment-5c8f2a91e7d4b3f6a0c9"
)
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")

from newsroom.settings import *  # noqa: F403

# No collectstatic in tests: serve from the apps' static folders.
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Pista's own hasher, as deployed: its Argon2id cost is lowered for the suite by
# tests/conftest.py (the real cost is checked by the tests marked real_kdf).
PASSWORD_HASHERS = [
    "newsroom.hashers.PistaPasswordHasher",
    "django.contrib.auth.hashers.MD5PasswordHasher",  # a hash "set outside Pista"
]

# The canary test greps the database file, so SQLite tests use a file, not memory.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    import tempfile

    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(tempfile.gettempdir(), f"pista-test-{os.getpid()}.sqlite3")
    }

# Threads (the live server, the claim race) must not keep connections open past a test:
# PostgreSQL then refuses to drop the test database at the end of the run.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405

# The suite submits far more tips per minute than any newsroom receives; the budgets
# have their own tests, which lower these.
PISTA_SUBMISSIONS_PER_MINUTE = 100_000
PISTA_PROOFLESS_SUBMISSIONS_PER_MINUTE = 100_000
PISTA_CHECK_FAILURES_PER_MINUTE = 100_000
PISTA_CHECK_PROVEN_FAILURES_PER_MINUTE = 100_000
# Easy challenges: tests solve them in Python and the browser tests in Chromium; the
# difficulty's own tests set what they measure.
PISTA_POW_MAXNUMBER = 500
PISTA_POW_MAXNUMBER_LIMIT = 8_000
