"""The tip form's proof of work and honeypot, as a reader (or a bot) meets them: a valid
proof or none at all is accepted, each in its own lane; a refused proof is explained and
loses nothing typed; a filled honeypot is stored as spam behind the usual receipt."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.utils.html import escape

from intake import crypto
from intake.models import Tip
from tests.factories import Newsroom
from tests.helpers import (
    pow_challenge,
    pow_solve,
    receipt_words,
    submit_tip,
    tip_form_fields,
    tip_post,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("cleared_cache")]

BODY = "The port authority's night shift takes cash for berths."
MINUTE = datetime(2026, 5, 1, 10, 0, 10, tzinfo=UTC)


def _refused_keeping_the_text(response, message: str) -> None:
    assert response.status_code == 400
    html = response.content.decode()
    assert escape(message) in html
    assert escape(BODY) in html, "what the reader typed is kept"
    assert "Nothing you typed has been lost" in html


def test_a_tip_with_a_valid_proof_arrives_with_proof(client: Client, newsroom: Newsroom) -> None:
    response = submit_tip(client, proof=True, body=BODY)
    assert response.status_code == 200
    assert len(receipt_words(response.content.decode())) == 7
    assert Tip.objects.get().arrived_with_proof is True


def test_a_tip_without_a_proof_is_accepted_and_marked(client: Client, newsroom: Newsroom) -> None:
    response = submit_tip(client, body=BODY)
    assert response.status_code == 200
    assert len(receipt_words(response.content.decode())) == 7
    tip = Tip.objects.get()
    assert tip.arrived_with_proof is False
    assert tip.status == Tip.Status.NEW


def test_a_replayed_proof_is_refused_with_the_text_kept(client: Client, newsroom: Newsroom) -> None:
    fields = tip_form_fields(client, proof=True)
    assert client.post("/en/", tip_post(body=BODY) | fields).status_code == 303
    again = tip_form_fields(client) | {"altcha": fields["altcha"]}  # a new form, an old proof

    response = client.post("/en/", tip_post(body=BODY) | again)

    _refused_keeping_the_text(response, "anti-spam check of this page had already been used")
    assert Tip.objects.count() == 1


def test_an_expired_proof_is_refused_with_the_text_kept(
    client: Client, newsroom: Newsroom, settings
) -> None:
    settings.PISTA_POW_CHALLENGE_MINUTES = 60
    with time_machine.travel(MINUTE, tick=False) as clock:
        fields = tip_form_fields(client, proof=True)
        clock.shift(timedelta(minutes=61))
        response = client.post("/en/", tip_post(body=BODY) | fields)
    _refused_keeping_the_text(response, "anti-spam check of this page had run out")
    assert not Tip.objects.exists()


def test_a_proof_of_an_easier_difficulty_than_signed_is_refused(
    client: Client, newsroom: Newsroom
) -> None:
    fields = tip_form_fields(client)
    challenge = json.loads(pow_challenge(client.get("/en/").content.decode()))
    challenge["parameters"]["keyPrefix"] = "0"  # one try in sixteen instead of the signed one
    fields["altcha"] = pow_solve(json.dumps(challenge))

    response = client.post("/en/", tip_post(body=BODY) | fields)

    _refused_keeping_the_text(response, "anti-spam check of this page could not be verified")
    assert not Tip.objects.exists()


def test_a_wrong_solution_is_refused_with_the_text_kept(client: Client, newsroom: Newsroom) -> None:
    fields = tip_form_fields(client, proof=True)
    payload = json.loads(base64.b64decode(fields["altcha"]))
    payload["solution"]["derivedKey"] = "00" * 32
    fields["altcha"] = base64.b64encode(json.dumps(payload).encode()).decode()

    response = client.post("/en/", tip_post(body=BODY) | fields)

    _refused_keeping_the_text(response, "could not be verified")
    assert not Tip.objects.exists()


def test_a_refused_proof_costs_no_key_derivation(
    client: Client, newsroom: Newsroom, monkeypatch
) -> None:
    derivations: list[str] = []
    monkeypatch.setattr(crypto, "derive_receipt_secrets", lambda p: derivations.append(p))
    fields = tip_form_fields(client) | {"altcha": "forged"}
    assert client.post("/en/", tip_post(body=BODY) | fields).status_code == 400
    assert derivations == []


def test_after_a_refused_proof_the_page_carries_a_new_challenge_that_works(
    client: Client, newsroom: Newsroom
) -> None:
    fields = tip_form_fields(client) | {"altcha": "forged"}
    refused = client.post("/en/", tip_post(body=BODY) | fields).content.decode()
    fields["altcha"] = pow_solve(pow_challenge(refused))
    assert client.post("/en/", tip_post(body=BODY) | fields).status_code == 303
    assert Tip.objects.get().arrived_with_proof


# --- the two lanes ------------------------------------------------------------------------


def test_a_flood_without_proofs_does_not_keep_out_a_tip_with_a_proof(
    client: Client, newsroom: Newsroom, settings
) -> None:
    settings.PISTA_PROOFLESS_SUBMISSIONS_PER_MINUTE = 3
    settings.PISTA_SUBMISSIONS_PER_MINUTE = 1_000
    with time_machine.travel(MINUTE, tick=False):
        statuses = [
            submit_tip(Client(), follow=False, body=f"Flood {n}").status_code for n in range(8)
        ]
        with_proof = submit_tip(client, proof=True, body=BODY)
    assert statuses == [303] * 3 + [429] * 5
    assert with_proof.status_code == 200
    assert Tip.objects.filter(arrived_with_proof=True).count() == 1
    assert Tip.objects.filter(arrived_with_proof=False).count() == 3


def test_proven_tips_have_a_last_resort_budget_of_their_own(
    client: Client, newsroom: Newsroom, settings
) -> None:
    settings.PISTA_SUBMISSIONS_PER_MINUTE = 2
    with time_machine.travel(MINUTE, tick=False):
        proven = [submit_tip(Client(), proof=True, follow=False).status_code for _ in range(3)]
        proofless = submit_tip(client, follow=False).status_code
    assert proven == [303, 303, 429]
    assert proofless == 303, "the proofless lane has its own budget"


def test_a_refused_budget_gives_the_proof_back(
    client: Client, newsroom: Newsroom, settings
) -> None:
    settings.PISTA_SUBMISSIONS_PER_MINUTE = 0
    fields = tip_form_fields(client, proof=True)
    assert client.post("/en/", tip_post(body=BODY) | fields).status_code == 429
    settings.PISTA_SUBMISSIONS_PER_MINUTE = 10
    assert client.post("/en/", tip_post(body=BODY) | fields).status_code == 303


# --- the honeypot ---------------------------------------------------------------------


def test_the_honeypot_is_hidden_from_people_and_out_of_the_tab_order(
    client: Client, newsroom: Newsroom
) -> None:
    html = client.get("/en/").content.decode()
    start = html.index('class="pista-hp"')
    block = html[html.rindex("<div", 0, start) : html.index("</div>", start)]
    assert 'aria-hidden="true"' in block
    assert 'tabindex="-1"' in block
    assert 'autocomplete="off"' in block
    assert 'name="website"' in block
    assert "Leave this field empty" in block


def test_a_filled_honeypot_is_stored_as_spam_behind_the_usual_receipt(
    client: Client, newsroom: Newsroom
) -> None:
    human = submit_tip(Client(), body=BODY)
    bot = submit_tip(client, body="Buy cheap watches", website="https://spam.example")

    assert bot.status_code == human.status_code == 200
    assert bot.redirect_chain == human.redirect_chain == [("/en/receipt/", 303)]
    assert len(receipt_words(bot.content.decode())) == 7, "a bot sees the usual receipt"
    assert {tip.status for tip in Tip.objects.all()} == {Tip.Status.NEW, Tip.Status.SPAM}
    assert Tip.objects.filter(status=Tip.Status.SPAM).count() == 1
