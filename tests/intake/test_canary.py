"""A tip sent through the real form leaves no readable trace anywhere on disk."""

from __future__ import annotations

import logging
import os
import re
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.apps import apps
from django.db import connection

from tests.factories import make_newsroom

MAX_SCAN_BYTES = 64 * 1024 * 1024


def _files_under(root: Path, since: float | None = None) -> Iterator[Path]:
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            path = Path(dirpath) / name
            try:
                stat = path.stat()
            except OSError:
                continue
            if not path.is_file() or stat.st_size > MAX_SCAN_BYTES:
                continue
            if since is not None and stat.st_mtime < since:
                continue
            yield path


def _holders(paths: Iterator[Path], needles: list[bytes]) -> list[str]:
    found = []
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError:
            continue
        found += [f"{path}: {needle!r}" for needle in needles if needle in data]
    return found


def _database_rows_holding(needles: list[bytes]) -> list[str]:
    found = []
    for model in apps.get_models():
        for row in model.objects.all().values_list():
            blob = repr(row).encode() + b"".join(
                bytes(v) for v in row if isinstance(v, (bytes, memoryview))
            )
            found += [f"{model.__name__}: {n!r}" for n in needles if n in blob]
    return found


def _postgres_data_dir() -> Path | None:
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("CHECKPOINT")  # flush shared buffers and WAL to disk
        cursor.execute("SHOW data_directory")
        (data_directory,) = cursor.fetchone()
    path = Path(data_directory)
    return path if os.access(path, os.R_OK) else None


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
        response = client.post(
            "/",
            {
                "body": f"The body {canary} of a tip.",
                "links": f"https://leak.example/{canary}",
                "contact_choice": "contact",
                "contact": f"mail {canary}@example.org",
            },
            REMOTE_ADDR="198.51.100.23",
            HTTP_USER_AGENT=f"Agent-{canary}",
        )
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        handler.close()
    assert response.status_code == 200
    match = re.search(r'class="passphrase-line"><code>([a-z -]+)</code>', response.content.decode())
    assert match, "the receipt shows the passphrase"
    passphrase = match.group(1)

    needles = [canary.encode(), canary.encode("utf-16-le"), b"198.51.100.23"]
    needles.append(passphrase.encode())

    assert _database_rows_holding(needles) == []
    db_name = connection.settings_dict["NAME"]
    candidates: list[Path] = []
    if connection.vendor == "sqlite":
        candidates = [Path(f"{db_name}{suffix}") for suffix in ("", "-wal", "-journal", "-shm")]
        assert Path(db_name).exists(), "the SQLite test database must be a file for this test"
    assert _holders(iter(p for p in candidates if p.exists()), needles) == []
    pg_dir = _postgres_data_dir()
    if pg_dir is not None:
        assert _holders(_files_under(pg_dir, since=started), needles) == []
    assert _holders(_files_under(tmp_path), needles) == []  # media folder and the log file
    assert _holders(_files_under(Path(tempfile.gettempdir()), since=started), needles) == []
    assert canary not in log_file.read_text()


def test_scanner_finds_a_planted_canary(tmp_path) -> None:
    """The scan above would notice a leak: plant one and look for it."""
    (tmp_path / "leak.bin").write_bytes(b"xx CANARY-planted yy")
    assert _holders(_files_under(tmp_path), [b"CANARY-planted"]) != []
