"""Set-up shared by the benchmarks: a throwaway database, Django, machine details, statistics.

Adapted from the helpers of ``bench.bench_intake`` so each benchmark need not import
another's private functions.
"""

from __future__ import annotations

import os
import platform
import shutil
import sqlite3
import statistics
import tempfile
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from time import perf_counter_ns
from typing import Any
from urllib.parse import urlsplit, urlunsplit


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
    settings.DEBUG = False


def load_average() -> float:
    """The one-minute load average."""
    return float(Path("/proc/loadavg").read_text().split()[0])


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
            database = f"PostgreSQL {cursor.fetchone()[0]} (local, TCP)"
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
