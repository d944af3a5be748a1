"""Staff logins: one key derivation per login, a per-account lockout, a newsroom-wide budget
of failed logins, and no trace of where anyone logged in from."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from intake import crypto
from newsroom.exceptions import LoginRefused
from newsroom.models import AuditEvent, LoginState, PersonalKey
from newsroom.services.logins import login_attempt, login_unlock
from tests.factories import PASSWORD, Newsroom, logged_in_client, make_staff
from tests.helpers import all_at_once, database_rows_holding, messages_text

Action = AuditEvent.Action
LOGIN = "/admin/login/"
#: What a visitor's browser and network would reveal; none of it may be stored anywhere.
ADDRESS = "203.0.113.77"
AGENT = "Mozilla/5.0 (X11; Pista-canary-agent)"


@pytest.fixture
def derivations(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count every Argon2id run (crypto._argon2 is the only place one happens)."""
    calls: list[int] = []
    real = crypto._argon2

    def counted(*args: Any, **kwargs: Any) -> bytes:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(crypto, "_argon2", counted)
    return calls


def _post_login(username: str, password: str, client: Client | None = None) -> Any:
    return (client or Client()).post(LOGIN, {"username": username, "password": password})


# --- one memory-hard derivation per login -----------------------------------------------


def test_a_staff_login_costs_exactly_one_key_derivation(
    newsroom: Newsroom, derivations: list[int]
) -> None:
    response = _post_login("editor", PASSWORD)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/verify/")
    assert len(derivations) == 1, "the password check and the key unwrap share one derivation"
    assert "pista_key" in response.cookies, "and that one derivation unlocked the personal key"


def test_the_page_asked_for_keeps_its_whole_query_through_the_password_step(
    newsroom: Newsroom,
) -> None:
    asked = "/admin/newsroom/followup/?assigned=all&state=any"
    response = Client().post(
        f"{LOGIN}?{urlencode({'next': asked})}", {"username": "editor", "password": PASSWORD}
    )
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == "/admin/verify/"
    assert parse_qs(location.query) == {"next": [asked]}, "no part of the query is lost"


def test_a_wrong_password_costs_one_derivation_and_changes_no_key(
    newsroom: Newsroom, derivations: list[int]
) -> None:
    before = bytes(PersonalKey.objects.get(user=newsroom.users["editor"]).wrapped_private_key)
    response = _post_login("editor", "not the password")
    assert response.status_code == 200
    assert len(derivations) == 1
    assert bytes(PersonalKey.objects.get(user=newsroom.users["editor"]).wrapped_private_key) == (
        before
    )


def test_an_unknown_username_costs_the_same_derivation_and_the_same_answer(
    newsroom: Newsroom, derivations: list[int]
) -> None:
    unknown = _post_login("nobody-here", "whatever")
    known = _post_login("editor", "whatever")
    assert len(derivations) == 2
    assert messages_text(unknown) == messages_text(known)
    assert unknown.content.count(b"correct username and password") == 1
    assert known.content.count(b"correct username and password") == 1


# --- the per-account lockout -----------------------------------------------------------


def test_an_account_locks_after_the_limit_with_a_clear_message(
    newsroom: Newsroom, settings: Any, derivations: list[int]
) -> None:
    settings.PISTA_LOGIN_FAILURES_BEFORE_LOCK = 3
    settings.PISTA_LOGIN_LOCK_MINUTES = 30
    editor = newsroom.users["editor"]
    for _ in range(2):
        assert b"correct username and password" in _post_login("editor", "wrong").content
    locking = _post_login("editor", "wrong")
    assert b"This account is locked after too many failed logins" in locking.content
    assert b"unlocks by itself at" in locking.content

    # Locked: even the right password is refused, and no key derivation runs at all.
    before = len(derivations)
    refused = _post_login("editor", PASSWORD)
    assert refused.status_code == 200
    assert b"This account is locked" in refused.content
    assert "pista_key" not in refused.cookies
    assert len(derivations) == before, "a locked account costs the server nothing"

    assert AuditEvent.objects.filter(action=Action.LOGIN_FAILED, subject_user=editor).count() == 3
    assert AuditEvent.objects.filter(action=Action.LOGIN_LOCKED, subject_user=editor).count() == 1

    # It unlocks by itself after the lock period.
    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        assert _post_login("editor", PASSWORD).status_code == 302
    state = LoginState.objects.get(user=editor)
    assert (state.failures, state.locked_until) == (0, None), "a good login resets the count"


def test_an_administrator_unlocks_an_account_and_it_is_audited(
    newsroom: Newsroom, settings: Any
) -> None:
    settings.PISTA_LOGIN_FAILURES_BEFORE_LOCK = 2
    editor = newsroom.users["editor"]
    for _ in range(2):
        _post_login("editor", "wrong")
    assert b"locked" in _post_login("editor", PASSWORD).content

    make_staff("root", is_superuser=True)
    admin = logged_in_client("root")
    users = admin.get("/admin/auth/user/").content.decode()
    assert "field-locked" in users
    response = admin.post(
        "/admin/auth/user/",
        {"action": "unlock_login", "_selected_action": [editor.pk]},
        follow=True,
    )
    assert "1 login unlocked." in messages_text(response)
    assert _post_login("editor", PASSWORD).status_code == 302
    unlock = AuditEvent.objects.get(action=Action.LOGIN_UNLOCKED)
    assert (unlock.actor.get_username(), unlock.subject_user_id) == ("root", editor.pk)  # type: ignore[union-attr]
    assert login_unlock(user=editor, actor=editor) is False, "nothing left to unlock"


def test_an_unknown_username_locks_the_same_way_and_is_never_written_down(
    newsroom: Newsroom, settings: Any
) -> None:
    settings.PISTA_LOGIN_FAILURES_BEFORE_LOCK = 2
    answers = [_post_login("ghost-of-a-password", "x").content for _ in range(3)]
    assert b"correct username and password" in answers[0]
    assert b"This account is locked" in answers[2], "no difference between real and unknown"
    assert database_rows_holding([b"ghost-of-a-password"]) == []


def test_concurrent_failures_on_one_account_are_all_counted(
    newsroom: Newsroom, settings: Any, transactional_db: None
) -> None:
    settings.PISTA_LOGIN_FAILURES_BEFORE_LOCK = 100
    user = get_user_model().objects.get(username="latam_journalist")

    def fail() -> str:
        try:
            login_attempt(username="latam_journalist", password="wrong")
        except LoginRefused as exc:
            return str(exc)
        return "let in"

    results = all_at_once([fail] * 8, timeout=60)
    assert all("correct username and password" in str(r) for r in results)
    assert LoginState.objects.get(user=user).failures == 8
    assert AuditEvent.objects.filter(action=Action.LOGIN_FAILED, subject_user=user).count() == 8


# --- the newsroom-wide budget ----------------------------------------------------------


def test_the_global_budget_pauses_every_login_for_the_rest_of_the_minute(
    newsroom: Newsroom, settings: Any, cleared_cache: None
) -> None:
    settings.PISTA_LOGIN_FAILURES_PER_MINUTE = 3
    start = timezone.now().replace(second=5, microsecond=0)
    with time_machine.travel(start, tick=False):
        for name in ("editor", "latam_coord", "nobody"):
            _post_login(name, "wrong")
        paused = _post_login("latam_journalist", PASSWORD)
        assert paused.status_code == 200
        assert b"Too many failed logins across the newsroom" in paused.content
        assert not LoginState.objects.filter(
            user__username="latam_journalist", failures__gt=0
        ).exists(), "a paused login is not counted against the account"
    with time_machine.travel(start + timedelta(minutes=1), tick=False):
        assert _post_login("latam_journalist", PASSWORD).status_code == 302


# --- no trace of where a login came from ---------------------------------------------------


def test_no_address_or_user_agent_is_stored_after_logins_failures_and_lockouts(
    newsroom: Newsroom, settings: Any
) -> None:
    settings.PISTA_LOGIN_FAILURES_BEFORE_LOCK = 2
    client = Client(REMOTE_ADDR=ADDRESS, HTTP_USER_AGENT=AGENT, HTTP_X_FORWARDED_FOR=ADDRESS)
    for password in ("wrong", "wrong", PASSWORD):
        client.post(LOGIN, {"username": "editor", "password": password})
    good = Client(REMOTE_ADDR=ADDRESS, HTTP_USER_AGENT=AGENT)
    good.post(LOGIN, {"username": "latam_coord", "password": PASSWORD})
    assert AuditEvent.objects.filter(action=Action.LOGIN_LOCKED).exists()
    assert database_rows_holding([ADDRESS.encode(), AGENT.encode()]) == []
