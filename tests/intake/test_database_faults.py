"""The database going away during a submission (``intake.views``): the reader gets a clear
503 page that keeps what they typed, nothing half-written remains, and once the database
is back the same submission works. One test stops a PostgreSQL server of its own."""

from __future__ import annotations

import faulthandler
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from django.db import OperationalError
from django.forms import ModelChoiceField
from django.test import Client
from django.utils.html import escape

from intake.models import SealedKey, Tip
from tests.factories import Newsroom
from tests.helpers import (
    gunicorn_serving,
    newsroom_set_up,
    receipt_words,
    server_environment,
    throwaway_postgres,
    tip_form_fields,
    tip_post,
)
from tests.http_client import LoopbackClient

BODY = "The harbour master's ledger <page 12> & the night shift's names."
#: The whole PostgreSQL test, enforced from C even if a call hangs.
TEST_BOUND_SECONDS = 180


@pytest.fixture
def watchdog() -> Iterator[None]:
    faulthandler.dump_traceback_later(TEST_BOUND_SECONDS, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


def _keeps_the_text(html: str) -> None:
    assert "its database is not answering" in html
    assert escape(BODY) in html, "what the reader typed is kept"


@pytest.mark.django_db
@pytest.mark.usefixtures("cleared_cache")
def test_a_failure_between_the_tip_and_its_seals_leaves_neither(
    newsroom: Newsroom, monkeypatch
) -> None:
    def dying(rows: list[SealedKey]) -> None:
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(SealedKey.objects, "bulk_create", dying)
    client = Client(raise_request_exception=False)
    data = tip_post(body=BODY, desk=str(newsroom.latam.pk)) | tip_form_fields(client)

    response = client.post("/en/", data)

    assert response.status_code == 503
    html = response.content.decode()
    _keeps_the_text(html)
    # The region stays chosen, in a hidden field: the list of regions needs the database.
    assert f'<input type="hidden" name="desk" value="{newsroom.latam.pk}"' in html
    assert not Tip.objects.exists()
    assert not SealedKey.objects.exists()

    monkeypatch.undo()
    again = client.post("/en/", data, follow=True)  # the very same post, once it is back
    assert again.status_code == 200
    assert len(receipt_words(again.content.decode())) == 7
    assert Tip.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.usefixtures("cleared_cache")
def test_a_database_that_fails_while_the_form_is_checked_gets_the_same_page(
    newsroom: Newsroom, monkeypatch
) -> None:
    def unreachable(self: object, value: object) -> None:
        raise OperationalError("could not connect to server")

    client = Client(raise_request_exception=False)
    fields = tip_form_fields(client)
    # Looking the chosen region up is the form's one query.
    monkeypatch.setattr(ModelChoiceField, "to_python", unreachable)
    response = client.post("/en/", tip_post(body=BODY, desk=str(newsroom.latam.pk)) | fields)
    assert response.status_code == 503
    _keeps_the_text(response.content.decode())
    assert not Tip.objects.exists()


def test_other_server_errors_keep_djangos_own_page(db: None, monkeypatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr("intake.views.tip_form_page", broken)
    response = Client(raise_request_exception=False).get("/en/")
    assert response.status_code == 500
    assert b"Server Error (500)" in response.content


def test_postgresql_stopped_during_a_submission_then_restarted(
    tmp_path: Path, watchdog: None
) -> None:
    started = time.monotonic()
    with throwaway_postgres() as postgres:
        env = server_environment(postgres.url, tmp_path / "data")
        newsroom_set_up(env)
        with gunicorn_serving(env, tmp_path / "logs") as base_url:
            reader = LoopbackClient(base_url, timeout=30)
            first = reader.get("/en/")
            sent = reader.post(
                "/en/",
                tip_post(
                    body="Sent while all was well",
                    csrfmiddlewaretoken=first.csrf_token,
                    submission_token=first.hidden("submission_token"),
                ),
            )
            assert sent.status == 303
            assert reader.get("/en/receipt/").status == 200

            form = reader.get("/en/")  # the reader starts writing the next tip...
            typed = tip_post(
                body=BODY,
                csrfmiddlewaretoken=form.csrf_token,
                submission_token=form.hidden("submission_token"),
            )
            postgres.stop()  # ...and the database goes away before they send it
            down = reader.post("/en/", typed)
            assert down.status == 503, down.body[:500]
            _keeps_the_text(down.body)

            postgres.start()
            back = reader.post("/en/", typed)  # the same submission, after the restart
            assert back.status == 303, back.body[:500]
            receipt = reader.get("/en/receipt/")
            assert receipt.status == 200
            assert len(receipt_words(receipt.body)) == 7

        with psycopg.connect(postgres.url.replace("postgres://", "postgresql://")) as db:
            tips = db.execute("SELECT count(*) FROM intake_tip").fetchone()
            unsealed = db.execute(
                "SELECT count(*) FROM intake_tip t WHERE NOT EXISTS "
                "(SELECT 1 FROM intake_sealedkey s WHERE s.tip_id = t.id)"
            ).fetchone()
            orphans = db.execute(
                "SELECT count(*) FROM intake_sealedkey s WHERE NOT EXISTS "
                "(SELECT 1 FROM intake_tip t WHERE t.id = s.tip_id)"
            ).fetchone()
    assert tips == (2,), "the tip sent during the outage was not stored; its resend was"
    assert unsealed == (0,)
    assert orphans == (0,)
    assert time.monotonic() - started < TEST_BOUND_SECONDS
