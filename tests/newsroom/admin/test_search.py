"""Searching the queue leaves no trace: the words travel in a POST body, never in a URL
or a log line, and the audit trail says a search was made, not which tips matched."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest

from newsroom.models import AuditEvent
from tests.factories import Newsroom, logged_in_client
from tests.helpers import QUEUE, messages_text, queue_search

SOURCE_NAME = "Wenceslao Quispe-Mamani"


@pytest.fixture
def every_log_record() -> Any:
    """Catch every log record of every logger, whatever its level."""
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Keep(level=logging.DEBUG)
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    loggers = [logging.getLogger(name) for name in ("django", "django.request", "django.server")]
    for logger in loggers:
        logger.addHandler(handler)
    yield records
    root.removeHandler(handler)
    root.setLevel(previous)
    for logger in loggers:
        logger.removeHandler(handler)


def test_a_text_search_leaves_its_words_and_its_matches_nowhere(
    newsroom: Newsroom, every_log_record: list[logging.LogRecord]
) -> None:
    match = newsroom.submit(f"{SOURCE_NAME} saw the invoices.", desk=newsroom.latam).tip
    other = newsroom.submit("Nothing about anyone.", desk=newsroom.latam).tip
    client = logged_in_client("editor")

    response = queue_search(client, SOURCE_NAME, status="all")
    page = response.content.decode()
    assert response.status_code == 200
    assert match.reference in page
    assert other.reference not in page
    assert "Searched the text of 2 tip(s)" in messages_text(response)

    # No address on the page carries the words: links, form targets, sort and filter links.
    addresses = re.findall(r'(?:href|action)="([^"]*)"', page)
    assert addresses
    assert not [a for a in addresses if "Quispe" in a or "Wenceslao" in a or "q=" in a]
    # The tip's own link does not carry them back in its "return to the list" filters.
    assert any(str(match.pk) in a for a in addresses)

    # The audit says that a search was made, over how many tips; not the words, not which
    # tips matched, and the previews shown for the results are counted, not named.
    searched = AuditEvent.objects.get(action=AuditEvent.Action.TIPS_SEARCHED)
    assert searched.detail == "searched the text of 2 tip(s); 1 matched"
    for event in AuditEvent.objects.all():
        assert SOURCE_NAME not in event.detail
        assert "Quispe" not in event.detail
    previews = AuditEvent.objects.filter(action=AuditEvent.Action.TIPS_PREVIEWED).last()
    assert previews is not None
    assert match.reference not in previews.detail
    assert previews.detail == "1 preview(s) of search results"

    # Nothing logged it either, at any level.
    logged = "\n".join(r.getMessage() for r in every_log_record)
    assert "Quispe" not in logged
    assert "Wenceslao" not in logged


def test_a_search_in_the_address_is_dropped_and_never_run(newsroom: Newsroom) -> None:
    newsroom.submit(f"{SOURCE_NAME} again.", desk=newsroom.latam)
    client = logged_in_client("editor")
    response = client.get(QUEUE, {"q": SOURCE_NAME, "status": "all"})
    assert response.status_code == 302
    assert response["Location"] == f"{QUEUE}?status=all"
    follow = client.get(response["Location"])
    assert "search words are never put in addresses" in messages_text(follow)
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.TIPS_SEARCHED).exists()


def test_the_search_box_posts_and_is_labelled(newsroom: Newsroom) -> None:
    page = logged_in_client("editor").get(QUEUE).content.decode()
    form = re.search(r'<form id="changelist-search"[^>]*>', page)
    assert form is not None
    assert 'method="post"' in form.group(0)
    assert '<label for="searchbar">Search the tips</label>' in page
    assert 'name="q"' not in page
