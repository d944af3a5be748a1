"""The public page at "/": strict headers, nothing from other origins, works without
JavaScript, keeps what the reader typed, and stores nothing about the visitor. The
receipt, proof of work, honeypot and one-time tokens have their own modules."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils.html import escape

from intake import crypto, passphrase
from intake.models import Tip
from intake.views import NOT_ACCEPTING
from newsroom.services.desks import desk_create
from newsroom.services.recovery import recovery_key_create
from tests.factories import Newsroom
from tests.helpers import (
    csrf_client,
    receipt_words,
    stored_values,
    submit_tip,
    tip_form_fields,
    tip_post,
)

pytestmark = pytest.mark.django_db


# --- GET -------------------------------------------------------------------------------


def test_the_form_page_is_served(client: Client, newsroom: Newsroom) -> None:
    response = client.get("/en/")

    assert response.status_code == 200
    html = response.content.decode()
    for name in ("body", "desk", "links", "contact_choice", "contact", "submission_token"):
        assert f'name="{name}"' in html
    assert 'method="post"' in html
    assert "<altcha-widget" in html, "the proof-of-work widget is on the form"
    assert escape(newsroom.latam.name) in html
    assert escape(newsroom.general.name) not in html


def test_the_form_page_is_never_cached(client: Client) -> None:
    cache_control = client.get("/en/")["Cache-Control"]
    assert "no-store" in cache_control
    assert "no-cache" in cache_control
    assert "private" in cache_control


def test_the_form_page_has_a_strict_content_security_policy(client: Client) -> None:
    policy = client.get("/en/")["Content-Security-Policy"]
    directives = {
        name: values
        for name, *values in (part.split() for part in policy.split(";") if part.strip())
    }

    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy


def test_the_form_page_leaks_no_referrer_to_other_sites_and_cannot_be_framed(
    client: Client,
) -> None:
    response = client.get("/en/")
    # Either policy keeps the page address from other origins; "same-origin" also
    # lets the browser send a real Origin header, which the CSRF check needs.
    assert response["Referrer-Policy"] in {"no-referrer", "same-origin"}
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


INLINE_SCRIPT = re.compile(r"<script\b[^>]*>(.*?)</script>", re.DOTALL)


def assert_self_contained(html: str) -> None:
    assert "http://" not in html
    assert "https://" not in html
    assert not re.search(r"""(?:src|href|action)\s*=\s*["']?//""", html)
    # Every script is a file from this origin; no inline script, no inline style.
    for script in re.findall(r"<script\b[^>]*>", html):
        assert re.search(r'\ssrc="/static/', script), script
    assert not [code for code in INLINE_SCRIPT.findall(html) if code.strip()], "inline script"
    assert not re.search(r"\sstyle\s*=", html)
    assert "<style" not in html
    assert not re.search(r"\son[a-z]+\s*=", html), "inline event handler"


def test_the_form_page_loads_nothing_from_another_origin(
    client: Client, newsroom: Newsroom
) -> None:
    assert_self_contained(client.get("/en/").content.decode())


def test_the_receipt_page_loads_nothing_from_another_origin(
    client: Client, newsroom: Newsroom
) -> None:
    response = submit_tip(client)
    assert response.status_code == 200
    assert receipt_words(response.content.decode()), "this is the receipt page"
    assert_self_contained(response.content.decode())


def test_the_error_page_has_no_inline_script_or_style(client: Client, newsroom: Newsroom) -> None:
    html = client.post("/en/", tip_post(body="")).content.decode()
    assert not [code for code in INLINE_SCRIPT.findall(html) if code.strip()]
    assert not re.search(r"\sstyle\s*=", html)


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_other_methods_are_refused(client: Client, method: str) -> None:
    assert getattr(client, method)("/en/").status_code == 405


def test_admin_redirects_to_the_login_page(client: Client) -> None:
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


# --- a valid POST ----------------------------------------------------------------------


def test_a_valid_post_shows_a_seven_word_receipt_and_stores_one_tip(newsroom: Newsroom) -> None:
    client, _token = csrf_client()

    posted = submit_tip(client, follow=False, desk=str(newsroom.latam.pk))
    assert posted.status_code == 303
    assert posted["Location"] == "/en/receipt/"
    response = client.get("/en/receipt/")

    assert response.status_code == 200
    html = response.content.decode()
    words = receipt_words(html)
    assert len(words) == passphrase.WORD_COUNT == 7
    assert set(words) <= set(passphrase.wordlist())
    assert f"<code>{' '.join(words)}</code>" in html
    tip = Tip.objects.get()
    assert tip.desk == newsroom.latam
    assert (tip.received_at.minute, tip.received_at.second, tip.received_at.microsecond) == (
        0,
        0,
        0,
    )


def test_a_post_without_the_csrf_token_is_refused(newsroom: Newsroom) -> None:
    client, _token = csrf_client()
    fields = tip_form_fields(client)
    del fields["csrfmiddlewaretoken"]
    response = client.post("/en/", tip_post() | fields)
    assert response.status_code == 403
    assert not Tip.objects.exists()


def test_the_receipt_passphrase_finds_the_stored_tip(client: Client, newsroom: Newsroom) -> None:
    response = submit_tip(client)

    shown = " ".join(receipt_words(response.content.decode()))

    lookup = crypto.derive_receipt_secrets(passphrase.normalise(shown)).lookup.hex()
    assert Tip.objects.get().receipt_lookup == lookup


def test_each_tip_gets_its_own_passphrase(client: Client, newsroom: Newsroom) -> None:
    first = receipt_words(submit_tip(client).content.decode())
    second = receipt_words(submit_tip(client).content.decode())
    assert first != second
    assert Tip.objects.count() == 2


def test_the_receipt_is_not_cached(client: Client, newsroom: Newsroom) -> None:
    posted = submit_tip(client, follow=False)
    assert "no-store" in posted["Cache-Control"]
    assert "no-store" in client.get("/en/receipt/")["Cache-Control"]


def test_once_the_receipt_is_shown_no_cookie_but_csrfs_is_left(newsroom: Newsroom) -> None:
    client, _token = csrf_client()

    posted = submit_tip(client, follow=False)
    # Between the post and the receipt, the passphrase is held split: session and cookie.
    assert set(posted.cookies) == {"sessionid", "pista_receipt"}
    held = posted.cookies["pista_receipt"]
    assert (held["path"], held["samesite"], held["httponly"]) == ("/", "Strict", True)
    assert not held["max-age"], "a browser-session cookie"
    response = client.get("/en/receipt/")

    assert response.status_code == 200
    assert {name for name, cookie in client.cookies.items() if cookie.value} <= {"csrftoken"}


def test_the_visitors_address_agent_and_referrer_are_stored_nowhere(
    client: Client, newsroom: Newsroom
) -> None:
    response = submit_tip(
        client,
        contact_choice="contact",
        contact="signal: @canary-contact",
        meta={
            "REMOTE_ADDR": "203.0.113.7",
            "HTTP_USER_AGENT": "CanaryAgent/1.0",
            "HTTP_REFERER": "https://ref.example/canary",
            "HTTP_X_FORWARDED_FOR": "198.51.100.23",
        },
    )
    assert response.status_code == 200
    assert Tip.objects.count() == 1

    stored = stored_values()

    assert stored, "the scan found no rows at all"
    for canary in (b"203.0.113.7", b"CanaryAgent", b"ref.example", b"198.51.100.23"):
        assert not [value for value in stored if canary in value], canary
    # The contact details themselves are sealed, not stored in plain either.
    assert not [value for value in stored if b"canary-contact" in value]


# --- an invalid POST -------------------------------------------------------------------


def test_an_invalid_post_is_refused_keeping_everything_typed(
    client: Client, newsroom: Newsroom
) -> None:
    body = "The mayor's brother <owns> the contractor & the quarry."
    links = "https://example.org/minutes\r\nnot a link"
    contact = "signal: @source.01"

    response = client.post(
        "/en/",
        tip_post(
            body=body,
            links=links,
            contact_choice="contact",
            contact=contact,
            desk=str(newsroom.latam.pk),
        ),
    )

    assert response.status_code == 400
    assert not Tip.objects.exists()
    html = response.content.decode()
    assert escape(body) in html
    assert escape(links) in html
    assert escape(contact) in html
    assert re.search(rf'<option value="{newsroom.latam.pk}"[^>]*selected', html)
    assert re.search(r'value="contact"[^>]*checked|checked[^>]*value="contact"', html)
    assert escape("“not a link” is not a web address.") in html
    assert "Nothing you typed has been lost" in html


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"body": ""}, "this field cannot be empty"),
        ({"body": "   "}, "the text contains only spaces"),
        ({"body": "x" * 50_001}, "50001 characters long; the limit is 50000"),
        ({"contact_choice": "contact"}, "You chose to leave contact details"),
        ({"contact": "me@example.org"}, "You chose to stay anonymous"),
        ({"desk": "999999"}, "That region is no longer available"),
    ],
)
def test_each_invalid_post_shows_its_specific_message(
    client: Client, newsroom: Newsroom, fields: dict[str, str], message: str
) -> None:
    response = client.post("/en/", tip_post(**fields))

    assert response.status_code == 400
    assert escape(message) in response.content.decode()
    assert not Tip.objects.exists()


def test_a_body_at_the_limit_with_browser_line_breaks_is_accepted(
    client: Client, newsroom: Newsroom
) -> None:
    shown = "\n".join(["z" * 99] * 500)  # 49,999 characters as the reader sees them
    response = submit_tip(client, body=shown.replace("\n", "\r\n") + ".")
    assert response.status_code == 200
    assert Tip.objects.count() == 1


# --- a newsroom that cannot take tips --------------------------------------------------


def assert_not_accepting(client: Client) -> None:
    body = "Cash changes hands at the weighbridge every Friday."
    response = submit_tip(client, follow=False, body=body)

    assert response.status_code == 503
    html = response.content.decode()
    assert escape(str(NOT_ACCEPTING)) in html
    assert escape(body) in html, "the reader's text was lost"
    assert "manage.py" not in html
    assert not Tip.objects.exists()


def test_without_a_general_desk_the_reader_sees_a_clear_error_not_a_crash(db: None) -> None:
    recovery_key_create()
    desk_create(name="Latin America", slug="latam")
    assert_not_accepting(Client(raise_request_exception=False))


def test_before_initialisation_the_reader_sees_a_clear_error_not_a_crash(db: None) -> None:
    assert_not_accepting(Client(raise_request_exception=False))


@pytest.mark.usefixtures("cleared_cache")
def test_a_flood_without_proofs_is_refused_before_any_key_derivation(
    client, newsroom, settings, monkeypatch
) -> None:
    settings.PISTA_PROOFLESS_SUBMISSIONS_PER_MINUTE = 2
    assert client.post("/en/", {"body": "", "contact_choice": "anonymous"}).status_code == 400
    # The invalid post did not count.
    assert submit_tip(client, follow=False, body="Flood test").status_code == 303
    assert submit_tip(client, follow=False, body="Flood test").status_code == 303
    derivations = []
    monkeypatch.setattr(crypto, "derive_receipt_secrets", lambda p: derivations.append(p))
    refused = submit_tip(client, follow=False, body="Third in a minute")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"
    assert b"Many tips are arriving right now" in refused.content
    assert b"Third in a minute" in refused.content
    assert derivations == []
    assert Tip.objects.count() == 2
