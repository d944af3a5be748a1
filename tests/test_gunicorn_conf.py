"""The repository's ``gunicorn.conf.py``: its access log format carries nothing that
identifies a visitor or dates a tip, and after real requests through gunicorn started from
it (a real subprocess on a free port, access log on), no log line holds an IP address, a
user agent, a query string or tip text."""

from __future__ import annotations

import re
import runpy
import uuid
from pathlib import Path

import pytest

from tests.helpers import (
    REPOSITORY,
    gunicorn_serving,
    log_leaks,
    newsroom_set_up,
    server_environment,
    visit_leaving_traces,
)

CONFIG = runpy.run_path(str(REPOSITORY / "gunicorn.conf.py"))


def test_the_access_log_is_off_and_its_format_identifies_nobody() -> None:
    assert CONFIG["accesslog"] is None
    atoms = set(re.findall(r"%\((\{[^}]*\}[a-z]|[a-zA-Z]+)\)s", CONFIG["access_log_format"]))
    assert atoms == {"m", "s", "B", "M"}
    # h: address; a: user agent; f: referrer; q, r, U: query, request line, path; t: time.
    for atom in ("h", "a", "f", "q", "r", "U", "t", "l", "u"):
        assert atom not in atoms


def test_gunicorn_refuses_debug_logging(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GUNICORN_LOGLEVEL", "debug")
    with pytest.raises(SystemExit, match="logs request details"):
        runpy.run_path(str(REPOSITORY / "gunicorn.conf.py"))


def test_after_real_requests_through_gunicorn_no_log_line_identifies_anyone(
    tmp_path: Path,
) -> None:
    canary = f"CANARY-{uuid.uuid4().hex}"
    env = server_environment(f"sqlite:///{tmp_path / 'pista.sqlite3'}", tmp_path / "data")
    newsroom_set_up(env)
    logs = tmp_path / "logs"
    with gunicorn_serving(env, logs) as base_url:
        visit_leaving_traces(base_url, canary)
    access = (logs / "access.log").read_text()
    error = (logs / "error.log").read_text()
    stderr = (logs / "stderr.log").read_text()

    # The logs were written, with the lines that carried traces (now cleaned).
    assert access.count('"GET"') >= 5
    assert '"POST" 303' in access
    assert "Booting worker" in error
    assert "Listening at: http://[address]:" in error
    assert "Invalid HTTP_HOST header: '[address]'" in stderr
    for name, text in (("access", access), ("error", error), ("stderr", stderr)):
        assert log_leaks(text, canary) == [], name
