"""Settings for a real server that tests start in a subprocess (gunicorn): production
settings (DEBUG off, persistent connections with health checks), static files served
from the apps' folders so no collectstatic is needed, cheap password hashing."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-any-deployment")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")

from newsroom.settings import *  # noqa: F403

STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
WHITENOISE_USE_FINDERS = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed; not under test
