"""Logs that can be handed to anyone (``intake.logfilter``): records with IP addresses, user
agents or query strings come out clean, whatever carries them (message, arguments,
traceback), and every handler the settings configure carries the filter."""

from __future__ import annotations

import io
import logging
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from intake.logfilter import ADDRESS, QUERY, USER_AGENT, AnonymousLogFilter, scrub
from tests.factories import Newsroom
from tests.helpers import log_leaks, visit_leaving_traces

CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "HeadlessChrome/120.0.6099.28 Safari/537.36"
)
TOR = "Mozilla/5.0 (Windows NT 10.0; rv:128.0) Gecko/20100101 Firefox/128.0"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("from 203.0.113.7 at once", f"from {ADDRESS} at once"),
        (
            "Invalid HTTP_HOST header: '198.51.100.23:8000'",
            f"Invalid HTTP_HOST header: '{ADDRESS}:8000'",
        ),
        ("peer 2001:db8::1 closed", f"peer {ADDRESS} closed"),
        ("peer [2001:db8::7]:443 closed", f"peer {ADDRESS}:443 closed"),
        ("loopback ::1 and ::ffff:192.0.2.1.", f"loopback {ADDRESS} and {ADDRESS}."),
        ("full 2001:0db8:85a3:0000:0000:8a2e:0370:7334", f"full {ADDRESS}"),
        ("zone fe80::1%eth0 up", f"zone {ADDRESS} up"),
        (f"agent {CHROME} end", f"agent {USER_AGENT} end"),
        (f"agent {TOR}", f"agent {USER_AGENT}"),
        ("curl/8.5.0 asked", f"{USER_AGENT} asked"),
        ("User-Agent: Some Odd Browser 3", f"User-Agent: {USER_AGENT}"),
        (
            "{'HTTP_USER_AGENT': 'CanaryAgent 1 (x)', 'x': 1}",
            f"{{'HTTP_USER_AGENT': {USER_AGENT}, 'x': 1}}",
        ),
        ('"GET /check/?from=left&x=1 HTTP/1.1" 200', f'"GET /check/{QUERY} HTTP/1.1" 200'),
        ("GET /?q=secret HTTP/1.1", f"GET /{QUERY} HTTP/1.1"),
        (
            "see https://tips.example.org/admin/?q=a%20name#top",
            f"see https://tips.example.org/admin/{QUERY}",
        ),
    ],
)
def test_addresses_agents_and_query_strings_are_cut_out(text: str, expected: str) -> None:
    assert scrub(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Not Found: /admin/intake/tip/12345678-aaaa-bbbb-cccc-1234567890ab/change/",
        '[01/May/2026:10:00:05 +0000] "POST" 303 0 12ms',
        "Booting worker with pid: 4242 at 10:00:05",
        "Is the server down? It answered 503.",
        "Django 5.2 on Python 3.11, HTTP/1.1",
        "Re-sealed 500 tip(s); 1,234 remain.",
    ],
)
def test_ordinary_log_text_is_left_alone(text: str) -> None:
    assert scrub(text) == text


def _record(msg: str, args: object = (), **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("django.request", logging.ERROR, __file__, 1, msg, args, None)
    record.__dict__.update(extra)
    return record


def _written(record: logging.LogRecord) -> str:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    handler.addFilter(AnonymousLogFilter())
    handler.handle(record)
    return stream.getvalue()


def test_arguments_are_cleaned_and_never_reach_the_formatter() -> None:
    record = _record("%s asked %s from %s", ("203.0.113.7", "/?q=x", CHROME))
    assert _written(record) == f"ERROR django.request {ADDRESS} asked /{QUERY} from {USER_AGENT}\n"
    assert record.args == ()


def test_dict_arguments_as_gunicorns_access_log_passes_them_are_cleaned() -> None:
    record = _record(
        '%(h)s "%(r)s" %(a)s', ({"h": "203.0.113.7", "r": "GET /?q=1 HTTP/1.1", "a": TOR},)
    )
    assert (
        _written(record) == f'ERROR django.request {ADDRESS} "GET /{QUERY} HTTP/1.1" {USER_AGENT}\n'
    )


def test_a_traceback_is_cleaned_too() -> None:
    try:
        raise ValueError("bad request from 198.51.100.23 for /check/?from=ended")
    except ValueError:
        record = _record("Internal Server Error: %s", ("/check/",), exc_info=sys.exc_info())
    written = _written(record)
    assert "198.51.100.23" not in written
    assert "from=ended" not in written
    assert f"bad request from {ADDRESS} for /check/{QUERY}" in written


def test_a_broken_format_string_still_logs_something_clean() -> None:
    written = _written(_record("%d items from %s", ("many", "203.0.113.7")))
    assert "203.0.113.7" not in written
    assert "items" in written


def test_the_filter_never_drops_a_record() -> None:
    assert AnonymousLogFilter().filter(_record("from 203.0.113.7")) is True


def test_every_handler_in_the_settings_carries_the_filter() -> None:
    handlers = settings.LOGGING["handlers"]
    assert handlers, "no handler configured"
    for name, handler in handlers.items():
        assert "anonymous" in handler.get("filters", []), name
    assert settings.LOGGING["filters"]["anonymous"]["()"] == "intake.logfilter.AnonymousLogFilter"


def test_the_configured_handlers_are_filtered_at_run_time() -> None:
    loggers = [logging.getLogger(), *(logging.getLogger(n) for n in settings.LOGGING["loggers"])]
    handlers = {handler for logger in loggers for handler in logger.handlers}
    configured = [h for h in handlers if h.get_name() in settings.LOGGING["handlers"]]
    assert configured, "Django configured no handler from LOGGING"
    for handler in configured:
        assert any(isinstance(f, AnonymousLogFilter) for f in handler.filters), handler


@pytest.mark.usefixtures("role_groups_restored")
def test_after_real_requests_through_the_test_server_no_log_line_identifies_anyone(
    committed_newsroom: Newsroom, live_server: object, tmp_path: Path
) -> None:
    """The handlers as configured, made as talkative as a server could be, write to a file."""
    canary = f"CANARY-{uuid.uuid4().hex}"
    names = ["", *settings.LOGGING["loggers"]]
    loggers = [logging.getLogger(name) for name in names]
    handlers = {h for logger in loggers for h in logger.handlers if h.get_name() == "stderr"}
    assert handlers, "the configured stderr handler is not installed"
    log_file = (tmp_path / "server.log").open("w")
    streams = {handler: handler.setStream(log_file) for handler in handlers}  # type: ignore[attr-defined]
    levels = {logger: logger.level for logger in loggers}
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
    try:
        visit_leaving_traces(str(live_server), canary)
    finally:
        for logger, level in levels.items():
            logger.setLevel(level)
        for handler, stream in streams.items():
            handler.setStream(stream)  # type: ignore[attr-defined]
        log_file.close()
    written = (tmp_path / "server.log").read_text()
    assert "Invalid HTTP_HOST header: '[address]'" in written
    assert "Not Found: /nothing-here/" in written
    assert log_leaks(written, canary) == []
