"""The reader's check-back pages: passphrase in, status and conversation out, nothing kept."""

from __future__ import annotations

import base64
import json
import re
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.db import connection
from django.test import Client

from intake import checkback, crypto
from intake.models import Message, Tip
from intake.services import Submission
from newsroom.models import StaffSession as Session
from tests.factories import Newsroom, logged_in_client
from tests.helpers import (
    check_form_fields,
    csrf_client,
    database_rows_holding,
    files_under,
    holders,
    message_to_reader,
    postgres_data_dir,
    pow_challenge,
    pow_solve,
    reader_key_of,
    submit_tip,
    tip_page,
)

# Each test starts with the throttles' budgets unspent; one test commits.
pytestmark = pytest.mark.usefixtures("cleared_cache", "role_groups_restored")

CHECK = "/en/check/"
CONVERSATION = "/en/check/conversation/"
LEAVE = "/en/check/leave/"
CSRF_INPUT = re.compile(rb'<input type="hidden" name="csrfmiddlewaretoken" value="[^"]*">')
#: Each page embeds a fresh proof-of-work challenge; it says nothing about the passphrase.
CHALLENGE = re.compile(rb'\schallenge="[^"]*"')


def _check_in(client: Client, passphrase: str) -> None:
    response = client.post(CHECK, {"passphrase": passphrase})
    assert response.status_code == 303, response.content[:500]
    assert response["Location"] == CONVERSATION


def _without_csrf(content: bytes) -> bytes:
    """The page without what is fresh on every page: the CSRF token and the challenge."""
    return CHALLENGE.sub(b"", CSRF_INPUT.sub(b"", content))


@pytest.fixture
def submission(newsroom: Newsroom) -> Submission:
    return newsroom.submit("The bridge tender was rigged", desk=newsroom.latam)


# --- the passphrase form ---------------------------------------------------------------


def test_check_page_is_never_cached_and_sets_only_the_csrf_cookie(client: Client) -> None:
    response = client.get(CHECK)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert set(response.cookies) <= {"csrftoken"}
    assert b'name="passphrase"' in response.content


@pytest.mark.parametrize(
    "typed",
    [
        lambda p: p.upper(),
        lambda p: "  " + p.replace(" ", "   ") + "  ",
        lambda p: p.replace(" ", "\r\n"),
        lambda p: p.replace(" ", "\t").title(),
        lambda p: "\n".join(p.split(" ")[:4]) + "\n\n " + " ".join(p.split(" ")[4:]),
    ],
    ids=["capitals", "extra-spaces", "line-breaks", "tabs-and-title-case", "pasted-in-lines"],
)
def test_passphrase_is_forgiving_of_case_spaces_and_line_breaks(
    client: Client, newsroom: Newsroom, submission: Submission, typed
) -> None:
    message_to_reader(newsroom, submission.tip, "Which port was it?")
    _check_in(client, typed(submission.passphrase))
    response = client.get(CONVERSATION)
    assert response.status_code == 200
    assert "Which port was it?" in response.content.decode(), "this tip's conversation opened"


def test_every_failure_gets_the_same_page_and_status(newsroom: Newsroom) -> None:
    other = newsroom.submit("Someone else's tip", desk=None)
    wrong_words = "abacus abdomen abdominal abide abiding ability ablaze"
    attempts = [
        wrong_words,
        "ablaze ability abiding abide abdominal abdomen abacus",
        "not a passphrase",  # malformed: three words
        other.passphrase + " extra",  # a real passphrase with an eighth word
        "",
        "x" * 5_000,
    ]
    responses = [Client().post(CHECK, {"passphrase": typed}) for typed in attempts]
    assert {r.status_code for r in responses} == {400}
    bodies = {_without_csrf(r.content) for r in responses}
    assert len(bodies) == 1
    assert b"No tip matches this passphrase" in bodies.pop()
    assert all(set(r.cookies) <= {"csrftoken"} for r in responses)


def test_every_failure_runs_the_key_derivation_once(newsroom: Newsroom, monkeypatch) -> None:
    derived: list[str] = []
    real = crypto.derive_receipt_secrets

    def counting(normalised: str) -> crypto.ReceiptSecrets:
        derived.append(normalised)
        return real(normalised)

    monkeypatch.setattr(crypto, "derive_receipt_secrets", counting)
    for typed in ["", "one", "one two three four five six seven eight", "x" * 5_000]:
        Client().post(CHECK, {"passphrase": typed})
    assert len(derived) == 4
    assert max(len(d) for d in derived) <= 1_000, "overlong input is cut before the derivation"


def test_the_passphrase_is_not_echoed_back(client: Client, db: None) -> None:
    typed = "abacus abdomen abdominal abide abiding ability ablaze"
    response = client.post(CHECK, {"passphrase": typed})
    assert typed.encode() not in response.content


# --- the conversation page -------------------------------------------------------------


def test_conversation_shows_status_and_the_newsrooms_message(
    client: Client, newsroom: Newsroom, submission: Submission
) -> None:
    message_to_reader(
        newsroom, submission.tip, "Do you have a copy of the contract?", by="latam_coord"
    )
    _check_in(client, submission.passphrase)
    response = client.get(CONVERSATION)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    assert "Received" in page
    assert "Do you have a copy of the contract?" in page
    assert "latam_coord" not in page, "never the name of who wrote"
    assert "Leave" in page


def test_status_never_says_who_holds_the_tip_or_why(
    client: Client, newsroom: Newsroom, submission: Submission
) -> None:
    Tip.objects.filter(pk=submission.tip.pk).update(
        status=Tip.Status.REJECTED, claimed_by=newsroom.users["latam_coord"]
    )
    _check_in(client, submission.passphrase)
    page = client.get(CONVERSATION).content.decode()
    assert "Closed" in page
    assert "latam_coord" not in page
    assert "Rejected" not in page
    assert "rejected" not in page


def test_another_tips_passphrase_shows_nothing_of_this_tip(
    client: Client, newsroom: Newsroom, submission: Submission
) -> None:
    message_to_reader(newsroom, submission.tip, "Only for the first reader")
    other = newsroom.submit("Another tip", desk=None)
    _check_in(client, other.passphrase)
    page = client.get(CONVERSATION).content.decode()
    assert "Only for the first reader" not in page
    assert "No messages yet" in page


def test_reader_replies_and_the_tip_is_marked_unread(
    client: Client, submission: Submission
) -> None:
    _check_in(client, submission.passphrase)
    response = client.post(CONVERSATION, {"kind": "reply", "reply-body": "Yes, I have it"})
    assert response.status_code == 303
    assert response["Location"] == f"{CONVERSATION}?sent=reply"
    message = Message.objects.get()
    assert (message.author_kind, message.kind, message.author) == ("reader", "message", None)
    assert b"Yes, I have it" not in bytes(message.body)
    submission.tip.refresh_from_db()
    assert submission.tip.has_unread_reply
    page = client.get(response["Location"]).content.decode()
    assert "Your reply was sealed and sent to the newsroom." in page
    assert "Yes, I have it" not in page, "the reader's own message is sealed to the newsroom"
    assert "You wrote" in page


def test_reader_adds_details_to_the_tip(client: Client, submission: Submission) -> None:
    _check_in(client, submission.passphrase)
    response = client.post(
        CONVERSATION, {"kind": "details", "details-body": "The meeting was on Friday"}
    )
    assert response.status_code == 303
    assert Message.objects.get().kind == "details"
    page = client.get(response["Location"]).content.decode()
    assert "Your details were sealed and added to your tip." in page
    assert "You added details" in page


def test_an_empty_reply_is_refused_and_nothing_is_stored(
    client: Client, submission: Submission
) -> None:
    _check_in(client, submission.passphrase)
    response = client.post(CONVERSATION, {"kind": "reply", "reply-body": "  \r\n "})
    assert response.status_code == 400
    assert b"Your reply was not sent" in response.content
    assert not Message.objects.exists()


def test_an_invalid_reply_keeps_what_was_typed(client: Client, submission: Submission) -> None:
    _check_in(client, submission.passphrase)
    response = client.post(CONVERSATION, {"kind": "details", "details-body": "x" * 50_001})
    assert response.status_code == 400
    assert b"x" * 50_001 in response.content
    assert b"the limit is 50000" in response.content


def test_without_a_visit_the_conversation_sends_the_reader_to_the_form(
    client: Client, db: None
) -> None:
    response = client.get(CONVERSATION)
    assert response.status_code == 303
    assert response["Location"] == CHECK
    response = client.post(CONVERSATION, {"kind": "reply", "reply-body": "hello"})
    assert b"Your text was not sent" in response.content
    assert not Message.objects.exists()


# --- the visit: what is kept, and for how long ----------------------------------------


def test_visit_cookies_are_strict_and_end_with_the_browser(
    client: Client, submission: Submission
) -> None:
    response = client.post(CHECK, {"passphrase": submission.passphrase})
    assert set(response.cookies) == {"sessionid", "pista_visit"}
    visit = response.cookies["pista_visit"]
    assert visit["httponly"] is True
    assert visit["secure"] is True
    assert visit["samesite"] == "Strict"
    assert visit["path"] == "/"
    assert not visit["max-age"]
    assert not visit["expires"]
    session = response.cookies["sessionid"]
    assert not session["max-age"]
    assert not session["expires"]
    assert session["httponly"] is True


def test_the_session_half_alone_names_no_tip_and_holds_no_key(
    client: Client, submission: Submission
) -> None:
    _check_in(client, submission.passphrase)
    reader_key = reader_key_of(submission)
    raw_session = repr(dict(client.session.items())).encode()
    stored = base64.b64decode(client.session[checkback.SESSION_FIELD])
    for needle in (reader_key, submission.tip.pk.bytes):
        assert needle not in stored
    for needle in (str(submission.tip.pk), submission.tip.pk.hex, submission.tip.reference):
        assert needle.encode() not in raw_session
    # Without the cookie half, the conversation is closed.
    del client.cookies["pista_visit"]
    assert client.get(CONVERSATION).status_code == 303


def test_a_tampered_visit_cookie_ends_the_visit(client: Client, submission: Submission) -> None:
    _check_in(client, submission.passphrase)
    client.cookies["pista_visit"] = base64.urlsafe_b64encode(b"x" * 32).decode()
    response = client.get(CONVERSATION)
    assert response.status_code == 303
    assert response["Location"] == CHECK


def test_the_visit_ends_after_20_minutes_idle(client: Client, submission: Submission) -> None:
    start = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as clock:
        _check_in(client, submission.passphrase)
        clock.shift(timedelta(minutes=19))
        assert client.get(CONVERSATION).status_code == 200
        clock.shift(timedelta(minutes=19))  # activity restarted the clock
        assert client.get(CONVERSATION).status_code == 200
        clock.shift(timedelta(minutes=20, seconds=1))
        response = client.get(CONVERSATION)
    assert response.status_code == 303
    assert response["Location"] == f"{CHECK}?from=ended"
    assert response.cookies["pista_visit"].value == ""
    assert response.cookies["sessionid"].value == ""
    assert checkback.SESSION_FIELD not in client.session
    page = client.get(f"{CHECK}?from=ended").content.decode()
    assert "Your visit ended after 20 minutes without activity." in page


def test_a_reply_sent_after_the_visit_ran_out_is_shown_back_not_stored(
    client: Client, submission: Submission
) -> None:
    with time_machine.travel(datetime(2026, 5, 1, 10, 0, tzinfo=UTC), tick=False) as clock:
        _check_in(client, submission.passphrase)
        clock.shift(timedelta(minutes=25))
        response = client.post(
            CONVERSATION, {"kind": "reply", "reply-body": "A long answer typed slowly"}
        )
    assert response.status_code == 200
    assert b"Your text was not sent" in response.content
    assert b"A long answer typed slowly" in response.content
    assert not Message.objects.exists()


def test_leave_destroys_the_visit(client: Client, submission: Submission) -> None:
    _check_in(client, submission.passphrase)
    session_key = client.session.session_key
    assert Session.objects.filter(session_key=session_key).exists()
    response = client.post(LEAVE)
    assert response.status_code == 303
    assert response["Location"] == f"{CHECK}?from=left"
    assert response.cookies["pista_visit"].value == ""
    assert response.cookies["pista_visit"]["path"] == "/"
    assert response.cookies["sessionid"].value == ""
    assert not Session.objects.filter(session_key=session_key).exists()
    assert client.get(CONVERSATION).status_code == 303
    assert "You have left." in client.get(f"{CHECK}?from=left").content.decode()


def test_leave_only_accepts_post(client: Client) -> None:
    assert client.get(LEAVE).status_code == 405


def test_leave_keeps_a_staff_login_in_the_same_browser(
    newsroom: Newsroom, submission: Submission
) -> None:
    client = logged_in_client("editor")
    _check_in(client, submission.passphrase)
    client.post(LEAVE)
    assert client.get("/admin/").status_code == 200
    assert checkback.SESSION_FIELD not in client.session
    # Still logged in with the personal key unlocked: the tip page decrypts the tip.
    page = tip_page(client, submission.tip.pk).decode()
    assert "The bridge tender was rigged" in page


def test_check_back_works_through_csrf_protection(submission: Submission) -> None:
    client, token = csrf_client(CHECK)
    response = client.post(
        CHECK, {"passphrase": submission.passphrase, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 303
    assert response["Location"] == CONVERSATION
    assert client.post(CHECK, {"passphrase": submission.passphrase}).status_code == 403


# --- throttling without addresses --------------------------------------------------------


def test_failed_attempts_are_throttled_globally_before_any_derivation(
    newsroom: Newsroom, submission: Submission, settings, monkeypatch
) -> None:
    settings.PISTA_CHECK_FAILURES_PER_MINUTE = 3
    derived: list[str] = []
    real = crypto.derive_receipt_secrets
    monkeypatch.setattr(crypto, "derive_receipt_secrets", lambda p: derived.append(p) or real(p))
    with time_machine.travel(datetime(2026, 5, 1, 10, 0, 5, tzinfo=UTC), tick=False) as clock:
        # Three readers, three browsers: no address or cookie ties them together.
        for word in ("one", "two", "three"):
            assert Client().post(CHECK, {"passphrase": word}).status_code == 400
        assert len(derived) == 3

        blocked = Client().post(CHECK, {"passphrase": submission.passphrase})
        assert blocked.status_code == 429
        assert blocked["Retry-After"] == "60"
        assert b"too many attempts" in blocked.content
        assert len(derived) == 3, "no Argon2id work once the budget is spent"

        clock.shift(timedelta(minutes=1))
        assert Client().post(CHECK, {"passphrase": submission.passphrase}).status_code == 303


def test_successful_check_ins_do_not_use_up_the_budget(submission: Submission, settings) -> None:
    settings.PISTA_CHECK_FAILURES_PER_MINUTE = 1
    with time_machine.travel(datetime(2026, 5, 1, 10, 0, 5, tzinfo=UTC), tick=False):
        for _ in range(4):
            assert Client().post(CHECK, {"passphrase": submission.passphrase}).status_code == 303
        assert Client().post(CHECK, {"passphrase": "wrong"}).status_code == 400
        assert Client().post(CHECK, {"passphrase": "wrong"}).status_code == 429


def test_the_throttle_page_matches_for_right_and_wrong_passphrases(
    submission: Submission, settings
) -> None:
    settings.PISTA_CHECK_FAILURES_PER_MINUTE = 0
    with time_machine.travel(datetime(2026, 5, 1, 10, 0, 5, tzinfo=UTC), tick=False):
        right = Client().post(CHECK, {"passphrase": submission.passphrase})
        wrong = Client().post(CHECK, {"passphrase": "wrong"})
    assert right.status_code == wrong.status_code == 429
    assert _without_csrf(right.content) == _without_csrf(wrong.content)


def test_a_flood_of_wrong_guesses_without_proofs_does_not_lock_out_a_proven_reader(
    submission: Submission, settings
) -> None:
    settings.PISTA_CHECK_FAILURES_PER_MINUTE = 5
    with time_machine.travel(datetime(2026, 5, 1, 10, 0, 5, tzinfo=UTC), tick=False):
        flood = [Client().post(CHECK, {"passphrase": f"guess {n}"}).status_code for n in range(9)]
        without_proof = Client().post(CHECK, {"passphrase": submission.passphrase})
        reader = Client()
        with_proof = reader.post(
            CHECK, {"passphrase": submission.passphrase} | check_form_fields(reader, proof=True)
        )
        conversation = reader.get(CONVERSATION)
    assert flood == [400] * 5 + [429] * 4
    assert without_proof.status_code == 429, "the proofless lane is spent for everyone in it"
    assert with_proof.status_code == 303
    assert conversation.status_code == 200


def test_proven_failures_have_a_last_resort_budget(submission: Submission, settings) -> None:
    settings.PISTA_CHECK_PROVEN_FAILURES_PER_MINUTE = 2
    with time_machine.travel(datetime(2026, 5, 1, 10, 0, 5, tzinfo=UTC), tick=False):
        statuses = []
        for n in range(3):
            client = Client()
            data = {"passphrase": f"guess {n}"} | check_form_fields(client, proof=True)
            statuses.append(client.post(CHECK, data).status_code)
        proofless = Client().post(CHECK, {"passphrase": submission.passphrase})
    assert statuses == [400, 400, 429]
    assert proofless.status_code == 303, "the lane without proofs has its own budget"


def test_a_replayed_proof_is_refused_before_any_derivation(
    client: Client, submission: Submission, monkeypatch
) -> None:
    fields = check_form_fields(client, proof=True)
    assert client.post(CHECK, {"passphrase": "wrong words"} | fields).status_code == 400
    derived: list[str] = []
    monkeypatch.setattr(crypto, "derive_receipt_secrets", lambda p: derived.append(p))
    replayed = client.post(CHECK, {"passphrase": submission.passphrase} | fields)
    assert replayed.status_code == 400
    html = replayed.content.decode()
    assert "had already been used" in html
    assert "Enter your passphrase again" in html
    assert submission.passphrase not in html
    assert derived == []


def test_a_proof_made_for_the_tip_form_does_not_open_the_check_page(
    client: Client, submission: Submission
) -> None:
    tip_form = client.get("/en/").content.decode()
    fields = {"altcha": pow_solve(pow_challenge(tip_form))}
    response = client.post(CHECK, {"passphrase": submission.passphrase} | fields)
    assert response.status_code == 400
    assert "could not be verified" in response.content.decode()


def test_the_check_page_embeds_its_own_challenge(client: Client) -> None:
    html = client.get(CHECK).content.decode()
    challenge = json.loads(pow_challenge(html))
    assert challenge["parameters"]["data"] == {"form": "check"}
    assert "<noscript>" in html


def test_redis_url_switches_the_throttle_to_a_shared_cache(monkeypatch) -> None:
    import importlib

    import newsroom.settings as live_settings

    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/3")
    monkeypatch.setenv("SECRET_KEY", "k3#x9!v@2mq-8z$w7r&5t^1y(0u)p4o+6i_e=n*a[b]c{d}f;g:h,j.l/s?")
    monkeypatch.setenv("ALLOWED_HOSTS", "testserver")
    try:
        reloaded = importlib.reload(live_settings)
        assert reloaded.CACHES["default"] == {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/3",
        }
    finally:
        monkeypatch.delenv("REDIS_URL")
        importlib.reload(live_settings)
    assert "LocMemCache" in live_settings.CACHES["default"]["BACKEND"]


def test_the_throttle_counter_works_on_redis(settings) -> None:
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/15", socket_timeout=0.5).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis server on 127.0.0.1:6379")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/15",
            "KEY_PREFIX": f"pista-test-{uuid.uuid4().hex}",
        }
    }
    settings.PISTA_CHECK_FAILURES_PER_MINUTE = 2
    from django.core.cache import caches

    try:
        with time_machine.travel(datetime(2026, 5, 1, 10, 0, 5, tzinfo=UTC), tick=False):
            assert checkback._attempt_reserve(proven=False)[1]
            assert checkback._attempt_reserve(proven=False)[1]
            key, allowed = checkback._attempt_reserve(proven=False)
            assert not allowed
            checkback._attempt_refund(key)
            checkback._attempt_refund(key)
            assert checkback._attempt_reserve(proven=False)[1]
    finally:
        caches["default"].clear()


# --- anonymity and what stays on disk --------------------------------------------------


def test_no_address_or_browser_is_stored_by_a_check_back(
    client: Client, submission: Submission
) -> None:
    address, agent = "203.0.113.77", f"Agent-{uuid.uuid4().hex}"
    meta = {"REMOTE_ADDR": address, "HTTP_USER_AGENT": agent, "HTTP_X_FORWARDED_FOR": address}
    client.post(CHECK, {"passphrase": submission.passphrase}, **meta)
    client.post(CONVERSATION, {"kind": "reply", "reply-body": "An answer"}, **meta)
    client.post(CHECK, {"passphrase": "wrong words"}, **meta)
    assert database_rows_holding([address.encode(), agent.encode()]) == []


def test_the_conversation_leaves_no_readable_trace_on_disk(
    committed_newsroom: Newsroom, tmp_path: Path, settings
) -> None:
    """Canaries written by both sides, read back through the pages, are nowhere on disk."""
    newsroom = committed_newsroom
    settings.MEDIA_ROOT = tmp_path / "media"
    started = time.time() - 1
    submission = newsroom.submit("A tip", desk=newsroom.latam)
    question, reply, details = (f"CANARY-{kind}-{uuid.uuid4().hex}" for kind in "QRD")
    editor = logged_in_client("editor")
    url = f"/admin/intake/tip/{submission.tip.pk}/conversation/"
    assert editor.post(url, {"body": question}).status_code == 302

    reader = Client()
    _check_in(reader, submission.passphrase)
    assert question in reader.get(CONVERSATION).content.decode()
    reader.post(CONVERSATION, {"kind": "reply", "reply-body": reply})
    reader.post(CONVERSATION, {"kind": "details", "details-body": details})
    assert reply in editor.get(url).content.decode()
    reader.post(LEAVE)

    needles = [c.encode() for c in (question, reply, details)]
    needles += [submission.passphrase.encode(), reader_key_of(submission)]
    assert database_rows_holding(needles) == []
    db_name = connection.settings_dict["NAME"]
    if connection.vendor == "sqlite":
        files = [Path(f"{db_name}{suffix}") for suffix in ("", "-wal", "-journal", "-shm")]
        assert holders(iter(p for p in files if p.exists()), needles) == []
    pg_dir = postgres_data_dir()
    if pg_dir is not None:
        assert holders(files_under(pg_dir, since=started), needles) == []
    assert holders(files_under(tmp_path), needles) == []
    temp = [
        p
        for p in files_under(Path(tempfile.gettempdir()), since=started)
        # A browser test's profile (another test's, in the same run) is not the server's.
        if "playwright" not in str(p) and "chromium" not in str(p).lower()
    ]
    assert holders(iter(temp), needles) == []


def test_the_receipt_and_the_tip_form_point_to_the_check_back_page(
    client: Client, newsroom: Newsroom
) -> None:
    form = client.get("/en/").content.decode()
    assert f'href="{CHECK}"' in form
    receipt = submit_tip(client, body="A tip").content.decode()
    assert "Your tip has been received" in receipt
    assert f'Check back later at <a href="{CHECK}">testserver{CHECK}</a>' in receipt


def test_check_back_pages_run_no_inline_script_or_style(
    client: Client, newsroom: Newsroom, submission: Submission
) -> None:
    message_to_reader(newsroom, submission.tip, "A question")
    pages = [client.get(CHECK)]
    _check_in(client, submission.passphrase)
    pages.append(client.get(CONVERSATION))
    for response in pages:
        html = response.content.decode()
        # The passphrase form loads the proof-of-work widget from our static files only.
        scripts = re.findall(r"<script\b[^>]*>(.*?)</script>", html, re.DOTALL)
        assert not [code for code in scripts if code.strip()], "inline script"
        assert all(
            re.search(r'\ssrc="/static/', tag) for tag in re.findall(r"<script\b[^>]*>", html)
        )
        assert "style=" not in html
        assert "<style" not in html
        assert "default-src 'self'" in response["Content-Security-Policy"]
        assert response["X-Frame-Options"] == "DENY"


@pytest.mark.real_kdf
def test_every_failure_pays_the_full_production_derivation(
    submission: Submission, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With production Argon2id, no failure is a shortcut: a wrong, short or malformed
    passphrase costs the same memory-hard run, with the same parameters, as the right one.
    (Counted rather than timed: a timing would depend on what else the machine runs.)"""
    runs: list[crypto.Argon2Params] = []
    real = crypto._argon2

    def counted(secret: bytes, salt: bytes, params: crypto.Argon2Params, length: int) -> bytes:
        runs.append(params)
        return real(secret, salt, params, length)

    monkeypatch.setattr(crypto, "_argon2", counted)
    costs = {}
    for typed in (
        submission.passphrase,
        "",
        "three short words",
        "abacus abdomen abdominal abide abiding ability ablaze",
    ):
        runs.clear()
        Client().post(CHECK, {"passphrase": typed})
        costs[typed] = list(runs)
    production = crypto.RECEIPT_KDF
    assert production.memory_kib >= 64 * 1024, "the marker gives the production parameters"
    assert all(cost == [production] for cost in costs.values()), costs
