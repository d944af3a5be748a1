"""A failed CSRF check on a public form (``intake.csrf``): the form comes back with what the
reader typed, a fresh token and one plain sentence (403); nothing is accepted without a
valid token; staff pages keep Django's own page."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils.html import escape

from intake.models import Message, Tip
from intake.services import Submission
from tests.factories import Newsroom
from tests.helpers import csrf_client, hidden_field, tip_post

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("cleared_cache")]

SENTENCE = "security check failed, usually because this browser"
BODY = "The minister's driver sells fuel vouchers <at night> & on weekends."


def _token(html: str) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert found is not None, "the page carries no CSRF token"
    return found.group(1)


def test_a_tip_without_the_csrf_cookie_comes_back_with_everything_typed(
    newsroom: Newsroom,
) -> None:
    client, _token_value = csrf_client()
    page = client.get("/en/").content.decode()
    typed = tip_post(
        body=BODY,
        links="https://example.org/vouchers",
        contact_choice="contact",
        contact="signal: @driver.watch",
        desk=str(newsroom.latam.pk),
        submission_token=hidden_field(page, "submission_token"),
        csrfmiddlewaretoken=_token(page),
    )
    client.cookies.clear()  # Tor Browser's "New Identity", or cookies cleared while writing

    response = client.post("/en/", typed)

    assert response.status_code == 403
    html = response.content.decode()
    assert SENTENCE in html
    assert "New Identity" in html
    assert escape(BODY) in html
    assert "https://example.org/vouchers" in html
    assert escape("signal: @driver.watch") in html
    assert re.search(rf'<option value="{newsroom.latam.pk}"[^>]*selected', html)
    assert re.search(r'value="contact"[^>]*checked|checked[^>]*value="contact"', html)
    assert not Tip.objects.exists(), "nothing is accepted without a valid token"

    # The page set a fresh cookie and token: sending it again works.
    assert response.cookies["csrftoken"].value
    again = client.post(
        "/en/",
        typed
        | {
            "csrfmiddlewaretoken": _token(html),
            "submission_token": hidden_field(html, "submission_token"),
        },
    )
    assert again.status_code == 303
    assert Tip.objects.count() == 1


def test_a_tip_with_a_wrong_csrf_token_is_not_accepted(newsroom: Newsroom) -> None:
    client, _token_value = csrf_client()
    page = client.get("/en/").content.decode()
    typed = tip_post(
        body=BODY, submission_token=hidden_field(page, "submission_token"), csrfmiddlewaretoken="x"
    )
    response = client.post("/en/", typed)
    assert response.status_code == 403
    assert escape(BODY) in response.content.decode()
    assert not Tip.objects.exists()


def test_the_check_page_comes_back_without_echoing_the_passphrase(
    newsroom: Newsroom, submission: Submission
) -> None:
    client, _token_value = csrf_client("/en/check/")
    client.cookies.clear()
    response = client.post("/en/check/", {"passphrase": submission.passphrase})
    assert response.status_code == 403
    html = response.content.decode()
    assert SENTENCE in html
    assert "Enter your passphrase again" in html
    assert submission.passphrase not in html, "the passphrase is never echoed back"
    assert 'name="passphrase"' in html
    assert _token(html)
    assert "sessionid" not in response.cookies, "no visit started"


def _checked_in(submission: Submission) -> Client:
    client, token = csrf_client("/en/check/")
    response = client.post(
        "/en/check/", {"passphrase": submission.passphrase, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 303
    return client


def test_a_reply_with_a_stale_token_comes_back_typed_in_the_live_visit(
    newsroom: Newsroom, submission: Submission
) -> None:
    client = _checked_in(submission)
    reply = "I can send the photos <tomorrow> & the ledger."
    response = client.post(
        "/en/check/conversation/",
        {"kind": "reply", "reply-body": reply, "csrfmiddlewaretoken": "stale"},
    )
    assert response.status_code == 403
    html = response.content.decode()
    assert SENTENCE in html
    assert "What you wrote is still below" in html
    assert escape(reply) in html
    assert not Message.objects.exists()
    token = _token(html)
    sent = client.post(
        "/en/check/conversation/",
        {"kind": "reply", "reply-body": reply, "csrfmiddlewaretoken": token},
    )
    assert sent.status_code == 303
    assert Message.objects.count() == 1


def test_added_details_come_back_in_their_own_form(
    newsroom: Newsroom, submission: Submission
) -> None:
    client = _checked_in(submission)
    details = "The depot is on Calle 9."
    response = client.post(
        "/en/check/conversation/",
        {"kind": "details", "details-body": details, "csrfmiddlewaretoken": "stale"},
    )
    assert response.status_code == 403
    html = response.content.decode()
    textarea = re.search(r'<textarea name="details-body"[^>]*>(.*?)</textarea>', html, re.DOTALL)
    assert textarea is not None
    assert details in textarea.group(1)


def test_a_reply_whose_visit_is_gone_is_shown_back_to_copy(
    newsroom: Newsroom, submission: Submission
) -> None:
    client = _checked_in(submission)
    client.cookies.clear()  # every cookie gone: the visit too
    reply = "Here is the name of the clerk."
    response = client.post("/en/check/conversation/", {"kind": "reply", "reply-body": reply})
    assert response.status_code == 403
    html = response.content.decode()
    assert SENTENCE in html
    assert "Your text was not sent" in html
    assert escape(reply) in html
    assert not Message.objects.exists()


def test_leaving_without_a_valid_token_is_not_done(
    newsroom: Newsroom, submission: Submission
) -> None:
    client = _checked_in(submission)
    response = client.post("/en/check/leave/", {"csrfmiddlewaretoken": "stale"})
    assert response.status_code == 403
    assert SENTENCE in response.content.decode()
    assert client.get("/en/check/conversation/").status_code == 200, "the visit goes on"


def test_staff_pages_keep_djangos_own_csrf_page(newsroom: Newsroom) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/admin/login/", {"username": "editor", "password": "x"})
    assert response.status_code == 403
    assert b"CSRF verification failed" in response.content
    assert SENTENCE.encode() not in response.content


@pytest.fixture
def submission(newsroom: Newsroom) -> Submission:
    return newsroom.submit("The depot pays in cash", desk=newsroom.latam)
