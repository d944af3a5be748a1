"""What the benchmarks share: a throwaway database, Django, machine details, statistics.

Each benchmark's ``main`` runs inside :func:`benchmark_environment`, which creates the
database (SQLite by default, PostgreSQL with ``--database-url``) and sets Django up;
the report starts with :func:`report_heading`, which names the machine it ran on.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import shutil
import sqlite3
import statistics
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from time import perf_counter_ns
from typing import Any
from urllib.parse import urlsplit, urlunsplit

# --- the database and Django --------------------------------------------------------------


def add_database_argument(parser: argparse.ArgumentParser, name_prefix: str) -> None:
    """Add ``--database-url``; a URL naming no database gets ``<name_prefix>_<pid>``."""
    parser.add_argument(
        "--database-url",
        help=(
            f"postgres://USER@HOST:PORT/NAME: create NAME (default {name_prefix}_<pid>), "
            "run there, drop it (default: a temporary SQLite file)"
        ),
    )


def check_database_argument(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Stop with a usage error unless ``--database-url`` is absent or a PostgreSQL URL."""
    if args.database_url and not args.database_url.startswith(("postgres://", "postgresql://")):
        parser.error("--database-url must be a postgres:// URL (SQLite is the default)")


@contextlib.contextmanager
def benchmark_environment(database_url: str | None, name_prefix: str) -> Iterator[float]:
    """Create the database, set Django up; yield the load average at start; drop it all after.

    Warns on stderr when the machine is already busy, since the timings will be noisy.
    """
    load_at_start = load_average()
    if load_at_start > 0.5 * (os.cpu_count() or 1):
        print(
            f"Warning: the machine is busy (load average {load_at_start:.2f}); "
            "the timings will be noisy.",
            file=sys.stderr,
        )
    if database_url:
        url, drop_database = postgres_database(
            database_url, default_name=f"{name_prefix}_{os.getpid()}"
        )
    else:
        url, drop_database = sqlite_database()
    data_dir = tempfile.mkdtemp(prefix="pista-bench-data-")
    try:
        setup_django(url, data_dir)
        yield load_at_start
    finally:
        drop_database()
        shutil.rmtree(data_dir, ignore_errors=True)


def sqlite_database() -> tuple[str, Callable[[], None]]:
    """A SQLite file in a new temporary folder, and a function removing the folder."""
    folder = tempfile.mkdtemp(prefix="pista-bench-")
    return f"sqlite:///{folder}/bench.sqlite3", lambda: shutil.rmtree(folder, ignore_errors=True)


def postgres_database(url: str, default_name: str) -> tuple[str, Callable[[], None]]:
    """Create the database named by ``url`` (or ``default_name``); return its URL and a dropper.

    Refuses a database that already exists: a benchmark only runs on one it creates.
    """
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.strip("/") or default_name
    maintenance_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance_url, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            raise SystemExit(
                f"The database {name!r} already exists. The benchmark only runs on a database "
                "it creates (and drops afterwards): give another name, or none in the URL."
            )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    def drop() -> None:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(maintenance_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))

    return urlunsplit(parts._replace(path="/" + name)), drop


def setup_django(database_url: str, data_dir: str) -> None:
    """Configure Django for a benchmark; must run before anything imports a model."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "newsroom.settings"
    # DEBUG=true only lets the settings load without production secrets.
    os.environ["DEBUG"] = "true"
    os.environ["DATABASE_URL"] = database_url
    os.environ["PISTA_DATA_DIR"] = data_dir
    # WhiteNoise warns that collectstatic never ran; the pages timed need no static file.
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
    import django
    from django.conf import settings

    django.setup()
    # Time requests as production runs them: no query log, no template debugging.
    # Switched off before anything (system checks included) builds a template engine.
    settings.DEBUG = False


# --- the machine ----------------------------------------------------------------------------


def load_average() -> float:
    """The one-minute load average: other work on the machine makes the timings noisy."""
    return os.getloadavg()[0]


def report_heading(title: str, load_at_start: float) -> list[str]:
    """A report's first lines: its title with today's date, then the machine table."""
    lines = [f"{title}, {datetime.now(tz=UTC).date().isoformat()}", ""]
    lines += ["| machine | |", "| --- | --- |"]
    lines += [f"| {name} | {value} |" for name, value in machine(load_at_start)]
    return lines


def machine(load_at_start: float) -> list[tuple[str, str]]:
    """What to print with the figures: hardware, software versions, database, load."""
    from django.db import connection

    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next(
        (line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")),
        platform.processor() or "unknown",
    )
    memory = next(
        (
            line.split()[1]
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal:")
        ),
        "0",
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
        database = f"PostgreSQL {version} ({_postgres_link(connection.settings_dict['HOST'])})"
    else:
        database = f"SQLite {sqlite3.sqlite_version} (file in {tempfile.gettempdir()})"
    return [
        ("CPU", cpu),
        ("cores", str(os.cpu_count())),
        ("memory", f"{int(memory) / 1024**2:.1f} GiB"),
        ("OS", f"{platform.system()} {platform.release()}"),
        ("Python", platform.python_version()),
        ("cryptography", metadata.version("cryptography")),
        ("Django", metadata.version("django")),
        ("database", database),
        ("1-min load average at start / end", f"{load_at_start:.2f} / {load_average():.2f}"),
    ]


def _postgres_link(host: str) -> str:
    """How the benchmark reaches PostgreSQL: a network round trip is part of every query."""
    if not host or host.startswith("/"):
        return "local, Unix socket"
    if host in ("127.0.0.1", "::1", "localhost"):
        return "local, TCP"
    return f"host {host}, TCP"


# --- timing and statistics ----------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    median_ns: float
    p95_ns: float
    min_ns: float
    n: int


def summarise(samples_ns: Sequence[int]) -> Summary:
    p95 = statistics.quantiles(samples_ns, n=20, method="inclusive")[18]
    return Summary(
        median_ns=statistics.median(samples_ns),
        p95_ns=p95,
        min_ns=min(samples_ns),
        n=len(samples_ns),
    )


class TimedClient:
    """Django's test client, timing only the server side: middleware, view and render.

    After each request, ``last_ns`` holds its server time.
    """

    def __init__(self) -> None:
        from django.test import Client

        self.client = Client()
        self.last_ns = 0
        inner = self.client.handler.get_response

        def timed(request: Any) -> Any:
            start = perf_counter_ns()
            try:
                return inner(request)
            finally:
                self.last_ns = perf_counter_ns() - start

        self.client.handler.get_response = timed  # type: ignore[method-assign]
