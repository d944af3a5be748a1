"""Production settings refuse to start half-configured, naming what is missing.

Each case runs in a fresh interpreter: settings are read once per process, and the
test process itself runs with tests.settings.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings

PRINT_DATABASE = (
    "import django; django.setup(); from django.conf import settings; "
    "db = settings.DATABASES['default']; print(db['ENGINE']); print(db['NAME']); "
    "print(settings.DEBUG)"
)
#: Variables the settings read; none may leak in from the environment running pytest.
SETTINGS_VARIABLES = (
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "PISTA_DATA_DIR",
    "CSRF_TRUSTED_ORIGINS",
    "SESSION_COOKIE_SECURE",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_PROXY_SSL_HEADER",
)


def start(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Load newsroom.settings in a new process with exactly the given variables set."""
    clean = {key: value for key, value in os.environ.items() if key not in SETTINGS_VARIABLES}
    clean.update(
        DJANGO_SETTINGS_MODULE="newsroom.settings",
        PISTA_DATA_DIR=str(tmp_path / "data"),
        **env,
    )
    return subprocess.run(
        [sys.executable, "-c", PRINT_DATABASE],
        env=clean,
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


#: A key as `get_random_secret_key()` makes them: long and varied.
STRONG_KEY = "k3#x9!v@2mq-8z$w7r&5t^1y(0u)p4o+6i_e=n*a[b]c{d}f;g:h,j.l/s?"
PRODUCTION = {"SECRET_KEY": STRONG_KEY, "ALLOWED_HOSTS": "tips.example.org"}


def test_without_debug_a_missing_secret_key_stops_startup_naming_it(tmp_path: Path) -> None:
    result = start(tmp_path, ALLOWED_HOSTS="tips.example.org")

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY must be set" in result.stderr


def test_a_blank_secret_key_counts_as_missing(tmp_path: Path) -> None:
    result = start(tmp_path, SECRET_KEY="   ", ALLOWED_HOSTS="tips.example.org")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_without_debug_missing_allowed_hosts_stops_startup_naming_it(tmp_path: Path) -> None:
    result = start(tmp_path, SECRET_KEY=STRONG_KEY)

    assert result.returncode != 0
    assert "ALLOWED_HOSTS must be set" in result.stderr
    assert "SECRET_KEY" not in result.stderr


@pytest.mark.parametrize(
    "weak",
    ["x" * 50, "short-but-varied-0123456789", "django-insecure-" + STRONG_KEY],
    ids=["one character repeated", "too short", "django's insecure prefix"],
)
def test_a_weak_secret_key_stops_startup_saying_how_to_make_one(tmp_path: Path, weak: str) -> None:
    result = start(tmp_path, SECRET_KEY=weak, ALLOWED_HOSTS="tips.example.org")

    assert result.returncode != 0
    assert "SECRET_KEY is too weak" in result.stderr
    assert "get_random_secret_key" in result.stderr
    assert weak not in result.stderr, "the key itself is never printed"


def test_with_secret_key_and_allowed_hosts_production_settings_load(tmp_path: Path) -> None:
    result = start(tmp_path, **PRODUCTION)

    assert result.returncode == 0, result.stderr
    engine, _name, debug = result.stdout.split()
    assert engine == "django.db.backends.sqlite3"
    assert debug == "False"


@pytest.mark.parametrize("value", ["maybe", "2", "ja"])
def test_an_unreadable_debug_value_stops_startup_naming_debug(tmp_path: Path, value: str) -> None:
    result = start(tmp_path, DEBUG=value, **PRODUCTION)

    assert result.returncode != 0
    assert f"DEBUG must be true or false, not '{value}'" in result.stderr


@pytest.mark.parametrize(("value", "debug"), [("true", "True"), ("ON", "True"), ("0", "False")])
def test_debug_accepts_the_usual_spellings(tmp_path: Path, value: str, debug: str) -> None:
    result = start(tmp_path, DEBUG=value, **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-1] == debug


def test_debug_on_starts_without_secret_key_or_allowed_hosts(tmp_path: Path) -> None:
    result = start(tmp_path, DEBUG="true")
    assert result.returncode == 0, result.stderr


def test_database_url_selects_postgresql(tmp_path: Path) -> None:
    result = start(
        tmp_path, DATABASE_URL="postgres://pista:secret@db.internal:5432/pista", **PRODUCTION
    )

    assert result.returncode == 0, result.stderr
    engine, name, _debug = result.stdout.split()
    assert engine == "django.db.backends.postgresql"
    assert name == "pista"
    assert not (tmp_path / "data").exists(), "no SQLite folder is made when Postgres is used"


def test_without_database_url_sqlite_lives_in_the_data_folder(tmp_path: Path) -> None:
    result = start(tmp_path, **PRODUCTION)

    assert result.returncode == 0, result.stderr
    engine, name, _debug = result.stdout.split()
    assert engine == "django.db.backends.sqlite3"
    assert Path(name) == tmp_path / "data" / "pista.sqlite3"
    assert (tmp_path / "data").is_dir(), "the data folder is created for SQLite"
