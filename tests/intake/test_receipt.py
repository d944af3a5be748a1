"""The receipt, once (``intake.receipt``, ``intake.tokens``, ``intake.views.receipt``):
the post redirects, the passphrase is shown on one page load and never stored in plain
on the way, and neither a reload nor a re-post ever makes a second tip."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.db import OperationalError, connection
from django.test import Client
from django.utils.html import escape

from intake import passphrase, tokens
from intake.models import Tip
from newsroom.models import StaffSession as Session
from tests.factories import Newsroom
from tests.helpers import (
    all_at_once,
    database_rows_holding,
    receipt_words,
    stored_values,
    submit_tip,
    tip_form_fields,
    tip_post,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("cleared_cache")]

BODY = "The customs office waves lorries through for a fee."
RECEIPT = "/en/receipt/"
CSS = Path(__file__).resolve().parents[2] / "intake" / "static" / "intake" / "css" / "pista.css"


@pytest.fixture
def generated(monkeypatch) -> list[str]:
    """Every passphrase handed out, as the server made it (so tests can look for it)."""
    made: list[str] = []
    real = passphrase.generate

    def recording(**kwargs: str) -> str:
        made.append(real(**kwargs))
        return made[-1]

    monkeypatch.setattr(passphrase, "generate", recording)
    return made


def test_the_post_redirects_and_the_receipt_shows_the_passphrase_once(
    client: Client, newsroom: Newsroom, generated: list[str]
) -> None:
    posted = submit_tip(client, follow=False, body=BODY)
    assert posted.status_code == 303
    assert posted["Location"] == RECEIPT
    assert generated[0].encode() not in posted.content

    shown = client.get(RECEIPT)
    assert shown.status_code == 200
    assert receipt_words(shown.content.decode()) == generated[0].split(" ")

    again = client.get(RECEIPT)
    assert again.status_code == 410
    html = again.content.decode()
    assert generated[0] not in html
    assert "Your passphrase was already shown" in html
    assert escape("cannot show it again") in html
    assert "send a new tip" in html, "the page says what to do without it"
    assert Tip.objects.count() == 1


def test_between_post_and_receipt_the_passphrase_is_stored_nowhere_in_plain(
    client: Client, newsroom: Newsroom, generated: list[str]
) -> None:
    submit_tip(client, follow=False, body=BODY)
    held = Session.objects.get()

    assert database_rows_holding([generated[0].encode()]) == []
    assert generated[0].split(" ")[0].encode() not in held.session_data.encode()
    # The session half alone does not open it: the key is only in the receipt cookie.
    assert client.cookies["pista_receipt"].value
    del client.cookies["pista_receipt"]
    gone = client.get(RECEIPT)
    assert gone.status_code == 410
    assert generated[0] not in gone.content.decode()


def test_showing_the_receipt_deletes_both_halves(client: Client, newsroom: Newsroom) -> None:
    submit_tip(client, follow=False, body=BODY)
    assert Session.objects.count() == 1
    response = client.get(RECEIPT)
    assert response.status_code == 200
    assert Session.objects.count() == 0, "the session row with the ciphertext is gone"
    assert response.cookies["pista_receipt"].value == ""
    assert response.cookies["pista_receipt"]["max-age"] == 0


def test_the_receipt_cookie_is_strict_and_goes_only_to_the_receipt_page(
    client: Client, newsroom: Newsroom
) -> None:
    cookie = submit_tip(client, follow=False, body=BODY).cookies["pista_receipt"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Strict"
    assert cookie["path"] == "/", "one cookie for every language's pages"
    assert cookie["secure"] is True  # as deployed (PISTA_VISIT_COOKIE_SECURE)


def test_a_reload_of_the_receipt_page_makes_no_second_tip(
    client: Client, newsroom: Newsroom
) -> None:
    submit_tip(client, body=BODY)
    for _ in range(3):
        client.get(RECEIPT)
    assert Tip.objects.count() == 1


def test_posting_the_same_form_again_makes_no_second_tip(
    client: Client, newsroom: Newsroom, generated: list[str]
) -> None:
    data = tip_post(body=BODY) | tip_form_fields(client)
    assert client.post("/en/", data).status_code == 303

    again = client.post("/en/", data)  # a reload of the POST, or Back and send again

    assert again.status_code == 409
    html = again.content.decode()
    assert "This tip was already sent" in html
    assert "send a new tip" in html
    assert Tip.objects.count() == 1
    assert len(generated) == 1, "no second passphrase was even made"


def test_posting_one_form_from_eight_threads_at_once_makes_one_tip(
    committed_newsroom: Newsroom, role_groups_restored: None
) -> None:
    data = tip_post(body=BODY) | tip_form_fields(Client())

    def post() -> int:
        try:
            return Client().post("/en/", data).status_code
        finally:
            connection.close()  # each thread's own connection; PostgreSQL drops the db after

    started = time.monotonic()
    outcomes = all_at_once([post] * 8, timeout=60)
    assert time.monotonic() - started < 60
    assert sorted(outcomes) == [303] + [409] * 7  # type: ignore[type-var]
    assert Tip.objects.count() == 1


def test_a_form_without_a_valid_token_is_refused_keeping_the_text(
    client: Client, newsroom: Newsroom
) -> None:
    for token in ("", "made-up", tokens.token_new() + "x"):
        response = client.post("/en/", tip_post(body=BODY, submission_token=token))
        assert response.status_code == 400
        html = response.content.decode()
        assert "opened more than a day ago" in html
        assert escape(BODY) in html
    assert not Tip.objects.exists()


def test_a_form_older_than_a_day_is_refused_and_the_new_one_works(
    client: Client, newsroom: Newsroom
) -> None:
    with time_machine.travel(datetime(2026, 5, 1, 10, 0, tzinfo=UTC), tick=False) as clock:
        data = tip_post(body=BODY) | tip_form_fields(client)
        clock.shift(timedelta(hours=25))
        refused = client.post("/en/", data)
        assert refused.status_code == 400
        fresh = re.search(r'name="submission_token" value="([^"]+)"', refused.content.decode())
        assert fresh is not None
        assert client.post("/en/", data | {"submission_token": fresh.group(1)}).status_code == 303
    assert Tip.objects.count() == 1


def test_a_used_token_is_remembered_by_its_hash_only(client: Client, newsroom: Newsroom) -> None:
    data = tip_post(body=BODY) | tip_form_fields(client)
    client.post("/en/", data)
    token = data["submission_token"]
    from django.core.cache import cache

    assert cache.get(tokens._key(token)) is not None
    assert token not in tokens._key(token)
    assert all(token.encode() not in value for value in stored_values())


def test_each_form_page_carries_its_own_token(client: Client, newsroom: Newsroom) -> None:
    first = tip_form_fields(client)["submission_token"]
    second = tip_form_fields(client)["submission_token"]
    assert first != second
    assert tokens.token_state(first) is tokens.TokenState.FRESH


# --- what the receipt page says and prints ------------------------------------------


def test_the_receipt_says_what_to_do_if_the_passphrase_cannot_be_kept(
    client: Client, newsroom: Newsroom
) -> None:
    html = submit_tip(client, body=BODY).content.decode()
    assert "If you cannot write it down" in html
    assert "send a new tip that says what the first one was about" in html
    assert "The newsroom cannot see it and cannot recover it" in html


def _classes(html: str, name: str) -> list[str]:
    """The classes of the first element that has class ``name``."""
    found = re.search(rf'class="((?:[^"]*\s)?{re.escape(name)}(?:\s[^"]*)?)"', html)
    assert found is not None, f"no element of class {name}"
    return found.group(1).split()


def test_the_receipt_prints_only_the_passphrase_and_the_advice(
    client: Client, newsroom: Newsroom
) -> None:
    html = submit_tip(client, body=BODY).content.decode()
    for left_out in ("site-header", "site-footer", "safety-note"):
        assert "no-print" in _classes(html, left_out), left_out
    for printed in ("receipt", "receipt-advice"):
        assert "no-print" not in _classes(html, printed), printed
    css = CSS.read_text()
    print_rules = css[css.index("@media print") :]
    assert re.search(r"\.no-print\s*\{\s*display:\s*none", print_rules)


# --- when the database fails at the wrong moment -------------------------------------


def test_if_the_session_cannot_hold_the_passphrase_it_is_shown_at_once(
    client: Client, newsroom: Newsroom, monkeypatch, generated: list[str]
) -> None:
    from django.contrib.sessions.backends.base import SessionBase

    def failing_save(self: SessionBase, must_create: bool = False) -> None:
        raise OperationalError("the database went away")

    monkeypatch.setattr("newsroom.sessions.SessionStore.save", failing_save)
    response = submit_tip(client, follow=False, body=BODY)

    assert response.status_code == 200
    assert receipt_words(response.content.decode()) == generated[0].split(" ")
    assert Tip.objects.count() == 1


def test_a_receipt_the_database_cannot_read_now_is_shown_after_a_reload(
    newsroom: Newsroom, monkeypatch, generated: list[str]
) -> None:
    client = Client(raise_request_exception=False)  # as served: the error page, not a raise
    submit_tip(client, follow=False, body=BODY)
    from newsroom.sessions import SessionStore

    real_load = SessionStore.load

    def failing_load(self: SessionStore) -> dict:
        raise OperationalError("the database went away")

    monkeypatch.setattr(SessionStore, "load", failing_load)
    unavailable = client.get(RECEIPT)
    assert unavailable.status_code == 503
    assert unavailable["Retry-After"] == "120"
    assert "reload it in a few minutes" in unavailable.content.decode()
    assert generated[0] not in unavailable.content.decode()

    monkeypatch.setattr(SessionStore, "load", real_load)
    shown = client.get(RECEIPT)
    assert shown.status_code == 200
    assert receipt_words(shown.content.decode()) == generated[0].split(" ")
