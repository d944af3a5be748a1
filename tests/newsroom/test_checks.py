"""The start-up check that refuses a database left by Pista 0.1."""

from __future__ import annotations

from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from newsroom.checks import migration_history_check


def test_a_current_database_passes(db: None) -> None:
    assert migration_history_check(databases=["default"]) == []


def test_a_database_with_migrations_from_0_1_is_refused_with_what_to_do(db: None) -> None:
    MigrationRecorder(connection).record_applied("intake", "0006_queue_covering_indexes")
    [error] = migration_history_check(databases=["default"])
    assert error.id == "pista.E001"
    assert "intake.0006_queue_covering_indexes" in error.msg
    assert "delete the data/ folder" in (error.hint or "")


def test_migrations_of_other_apps_are_not_pistas_business(db: None) -> None:
    MigrationRecorder(connection).record_applied("someone_elses_app", "0042_gone")
    assert migration_history_check(databases=["default"]) == []
