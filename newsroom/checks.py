"""System checks: a database left by Pista 0.1, whose migrations 0.2 replaced."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.checks import CheckMessage, Error
from django.db import DatabaseError, connections
from django.db.migrations.loader import MigrationLoader

PISTA_APPS = ("intake", "newsroom")


def migration_history_check(
    app_configs: Sequence[Any] | None = None, databases: Sequence[str] | None = None, **_: Any
) -> list[CheckMessage]:
    """Refuse a database whose applied Pista migrations no longer exist on disk."""
    errors: list[CheckMessage] = []
    for alias in databases or ():
        try:
            loader = MigrationLoader(connections[alias], ignore_no_migrations=True)
        except DatabaseError:
            continue  # no database yet: nothing to compare
        unknown = sorted(
            f"{app}.{name}"
            for app, name in loader.applied_migrations
            if app in PISTA_APPS and (app, name) not in loader.disk_migrations
        )
        if unknown:
            errors.append(
                Error(
                    f"The database {alias!r} was made by an earlier Pista (0.1): its applied "
                    f"migrations {', '.join(unknown)} were replaced in 0.2 (see CHANGELOG.md).",
                    hint="Recreate it: delete the data/ folder for SQLite (scripts/run sets it "
                    "up again) or drop and create the PostgreSQL database, then migrate.",
                    id="pista.E001",
                )
            )
    return errors
