"""A tip sent through the real form leaves no readable trace anywhere on disk."""

from __future__ import annotations

import logging
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection

from tests.factories import make_newsroom
from tests.helpers import (
    database_rows_holding,
    files_under,
    holders,
    postgres_data_dir,
    receipt_words,
    submit_tip,
)

pytestmark = pytest.mark.usefixtures("role_groups_restored")


@pytest.mark.django_db(transaction=True)
def test_canary_sent_through_the_form_is_nowhere_on_disk(client, settings, tmp_path) -> None:
    make_newsroom()
    canary = f"CANARY-{uuid.uuid4().hex}"
    settings.MEDIA_ROOT = tmp_path / "media"
    log_file = tmp_path / "pista.log"
    handler = logging.FileHandler(log_file)
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)  # the most talkative the server could ever be
    started = time.time() - 1
    try:
        response = submit_tip(
            client,
            body=f"The body {canary} of a tip.",
            links=f"https://leak.example/{canary}",
            contact_choice="contact",
            contact=f"mail {canary}@example.org",
            meta={"REMOTE_ADDR": "198.51.100.23", "HTTP_USER_AGENT": f"Agent-{canary}"},
        )
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        handler.close()
    assert response.status_code == 200
    passphrase = " ".join(receipt_words(response.content.decode()))
    assert len(passphrase.split()) == 7, "the receipt shows the passphrase"

    needles = [canary.encode(), canary.encode("utf-16-le"), b"198.51.100.23"]
    needles.append(passphrase.encode())

    assert database_rows_holding(needles) == []
    db_name = connection.settings_dict["NAME"]
    candidates: list[Path] = []
    if connection.vendor == "sqlite":
        candidates = [Path(f"{db_name}{suffix}") for suffix in ("", "-wal", "-journal", "-shm")]
        assert Path(db_name).exists(), "the SQLite test database must be a file for this test"
    assert holders(iter(p for p in candidates if p.exists()), needles) == []
    pg_dir = postgres_data_dir()
    if pg_dir is not None:
        assert holders(files_under(pg_dir, since=started), needles) == []
    assert holders(files_under(tmp_path), needles) == []  # media folder and the log file
    assert holders(files_under(Path(tempfile.gettempdir()), since=started), needles) == []
    assert canary not in log_file.read_text()


def test_scanner_finds_a_planted_canary(tmp_path) -> None:
    """The scan above would notice a leak: plant one and look for it."""
    (tmp_path / "leak.bin").write_bytes(b"xx CANARY-planted yy")
    (tmp_path / "clean.bin").write_bytes(b"nothing to see")
    assert holders(files_under(tmp_path), [b"CANARY-planted", b"absent"]) == [
        f"{tmp_path / 'leak.bin'}: {b'CANARY-planted'!r}"
    ]


def test_database_scan_finds_a_planted_canary_in_text_and_in_bytes(db: None) -> None:
    """The database scan above would notice a leak, in a text column or a binary one."""
    from intake.models import Desk, RecoveryKey

    Desk.objects.create(name="Planted", slug="planted", description="xx CANARY-text yy")
    RecoveryKey.objects.create(public_key=b"xx CANARY-bytes yy")
    found = database_rows_holding([b"CANARY-text", b"CANARY-bytes", b"CANARY-absent"])
    assert sorted(found) == ["Desk: b'CANARY-text'", "RecoveryKey: b'CANARY-bytes'"]
