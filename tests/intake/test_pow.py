"""Proof of work (``intake.pow``): a solved challenge is accepted once, for its own form,
until it expires; altered, wrong, replayed, expired and missing proofs are told apart,
and the difficulty rises with the rate of posts without ever invalidating a fair proof."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime, timedelta

import altcha
import pytest
import time_machine
from django.core.cache import cache

from intake import pow
from intake.pow import Outcome
from tests.helpers import all_at_once, pow_solve

pytestmark = pytest.mark.usefixtures("cleared_cache")

#: Ten seconds into a minute, so a test's few milliseconds never cross into the next one.
MINUTE = datetime(2026, 5, 1, 10, 0, 10, tzinfo=UTC)


def _payload(challenge: dict, solution: dict) -> str:
    return base64.b64encode(
        json.dumps({"challenge": challenge, "solution": solution}).encode()
    ).decode()


def _decoded(payload: str) -> dict:
    return json.loads(base64.b64decode(payload))


def test_a_solved_challenge_is_accepted() -> None:
    proof = pow.proof_check(pow_solve(pow.challenge_new("submit")), "submit")
    assert proof.outcome is Outcome.VALID
    assert proof.valid
    assert not proof.refused


def test_a_solved_challenge_is_accepted_only_once() -> None:
    payload = pow_solve(pow.challenge_new("submit"))
    assert pow.proof_check(payload, "submit").outcome is Outcome.VALID
    replayed = pow.proof_check(payload, "submit")
    assert replayed.outcome is Outcome.REPLAYED
    assert replayed.refused


def test_one_solution_posted_from_eight_threads_at_once_is_accepted_once() -> None:
    payload = pow_solve(pow.challenge_new("check"))
    started = time.monotonic()
    outcomes = all_at_once([lambda: pow.proof_check(payload, "check")] * 8, timeout=20)
    assert time.monotonic() - started < 20
    kinds = [proof.outcome for proof in outcomes]  # type: ignore[attr-defined]
    assert kinds.count(Outcome.VALID) == 1
    assert kinds.count(Outcome.REPLAYED) == 7


def test_a_challenge_past_its_lifetime_is_refused_as_expired(settings) -> None:
    settings.PISTA_POW_CHALLENGE_MINUTES = 30
    with time_machine.travel(MINUTE, tick=False) as clock:
        payload = pow_solve(pow.challenge_new("submit"))
        clock.shift(timedelta(minutes=29))
        assert pow.proof_check(payload, "submit").outcome is Outcome.VALID
        payload = pow_solve(pow.challenge_new("submit"))
        clock.shift(timedelta(minutes=31))
        assert pow.proof_check(payload, "submit").outcome is Outcome.EXPIRED


def test_an_expired_challenge_made_to_look_fresh_is_refused() -> None:
    with time_machine.travel(MINUTE, tick=False) as clock:
        payload = _decoded(pow_solve(pow.challenge_new("submit")))
        clock.shift(timedelta(days=1))
        payload["challenge"]["parameters"]["expiresAt"] = int(time.time()) + 3600
        forged = _payload(payload["challenge"], payload["solution"])
        assert pow.proof_check(forged, "submit").outcome is Outcome.INVALID


@pytest.mark.parametrize(
    ("parameter", "value"),
    [
        # An easier difficulty: a short prefix matches after a handful of tries.
        ("keyPrefix", "0"),
        ("cost", 0),
        ("algorithm", "SHA-512"),
        ("nonce", "00" * 16),
    ],
)
def test_a_challenge_with_altered_parameters_is_refused(parameter: str, value: object) -> None:
    payload = _decoded(pow_solve(pow.challenge_new("submit")))
    payload["challenge"]["parameters"][parameter] = value
    tampered = _payload(payload["challenge"], payload["solution"])
    assert pow.proof_check(tampered, "submit").outcome is Outcome.INVALID


def test_a_solution_to_an_easier_challenge_we_did_not_sign_is_refused() -> None:
    easy = altcha.create_challenge(
        pow.ALGORITHM,
        1,
        counter=1,
        expires_at=int(time.time()) + 600,
        data={"form": "submit"},
        hmac_secret="somebody else's key",
    )
    payload = pow_solve(json.dumps(easy.to_dict()))
    assert pow.proof_check(payload, "submit").outcome is Outcome.INVALID


def test_a_wrong_solution_is_refused_and_does_not_use_the_challenge_up() -> None:
    challenge = pow.challenge_new("submit")
    right = _decoded(pow_solve(challenge))
    wrong = dict(right["solution"], counter=right["solution"]["counter"] + 1)
    assert pow.proof_check(_payload(right["challenge"], wrong), "submit").outcome is (
        Outcome.INVALID
    )
    assert pow.proof_check(_payload(right["challenge"], right["solution"]), "submit").valid


def test_a_proof_for_one_form_is_refused_on_the_other_and_stays_usable_there() -> None:
    payload = pow_solve(pow.challenge_new("check"))
    assert pow.proof_check(payload, "submit").outcome is Outcome.INVALID
    assert pow.proof_check(payload, "check").outcome is Outcome.VALID


def test_no_proof_is_told_apart_from_a_bad_one() -> None:
    missing = pow.proof_check("", "submit")
    assert missing.outcome is Outcome.NONE
    assert not missing.valid
    assert not missing.refused


@pytest.mark.parametrize(
    "payload",
    [
        "not base64 at all!",
        base64.b64encode(b"[1, 2, 3]").decode(),
        base64.b64encode(b'{"challenge": {"parameters": "x"}, "solution": {}}').decode(),
        base64.b64encode(b'{"challenge": null, "solution": null, "test": true}').decode(),
        base64.b64encode(b"\xff\xfe").decode(),
        "A" * (pow.MAX_PAYLOAD_LENGTH + 4),
    ],
    ids=["garbage", "a-list", "no-parameters", "widget-test-mode", "not-utf8", "too-long"],
)
def test_anything_that_is_not_a_solution_is_refused_cheaply(payload: str) -> None:
    assert pow.proof_check(payload, "submit").outcome is Outcome.INVALID


def test_a_released_proof_can_be_used_again() -> None:
    payload = pow_solve(pow.challenge_new("submit"))
    proof = pow.proof_check(payload, "submit")
    pow.proof_release(proof)
    assert pow.proof_check(payload, "submit").valid


def test_the_replay_memory_expires_on_the_hour_after_the_challenge(settings) -> None:
    settings.PISTA_POW_CHALLENGE_MINUTES = 30
    recorded: dict[str, int] = {}
    real_add = cache.add

    def add(key: str, value: object, timeout: int) -> bool:
        recorded[key] = timeout
        return real_add(key, value, timeout=timeout)

    with time_machine.travel(MINUTE, tick=False):
        payload = pow_solve(pow.challenge_new("submit"))
        cache.add = add  # type: ignore[method-assign]
        try:
            proof = pow.proof_check(payload, "submit")
        finally:
            del cache.add
        expiry = time.time() + recorded[proof.used_key]
    # Issued 10:00:10, valid until 10:30:10: remembered until 11:00, not a second less.
    assert datetime.fromtimestamp(expiry, UTC) == datetime(2026, 5, 1, 11, 0, tzinfo=UTC)


# --- the difficulty ----------------------------------------------------------------------


def _maxnumber(challenge_json: str) -> int:
    """The counter hidden in a challenge is below the difficulty: solve to find it."""
    return altcha.solve_challenge(altcha.Challenge.from_dict(json.loads(challenge_json))).counter


def test_the_difficulty_doubles_for_each_rate_step_up_to_the_limit(settings) -> None:
    settings.PISTA_POW_MAXNUMBER = 1_000
    settings.PISTA_POW_RATE_STEP = 10
    settings.PISTA_POW_MAXNUMBER_LIMIT = 5_000
    with time_machine.travel(MINUTE, tick=False):
        assert pow.difficulty("submit") == 1_000
        for _ in range(10):
            pow.post_counted("submit")
        assert pow.difficulty("submit") == 2_000
        for _ in range(10):
            pow.post_counted("submit")
        assert pow.difficulty("submit") == 4_000
        for _ in range(100):
            pow.post_counted("submit")
        assert pow.difficulty("submit") == 5_000, "capped at the limit"
        assert pow.difficulty("check") == 1_000, "each form has its own rate"


def test_the_difficulty_stays_up_for_a_minute_after_a_flood_then_falls(settings) -> None:
    settings.PISTA_POW_MAXNUMBER = 1_000
    settings.PISTA_POW_RATE_STEP = 10
    with time_machine.travel(MINUTE, tick=False) as clock:
        for _ in range(20):
            pow.post_counted("check")
        clock.shift(timedelta(minutes=1))
        assert pow.difficulty("check") == 4_000
        clock.shift(timedelta(minutes=1))
        assert pow.difficulty("check") == 1_000


def test_challenges_hide_a_counter_below_the_difficulty(settings) -> None:
    settings.PISTA_POW_MAXNUMBER = 50
    counters = {_maxnumber(pow.challenge_new("submit")) for _ in range(40)}
    assert max(counters) <= 50
    assert len(counters) > 10, "the counter is random"


def test_a_proof_issued_before_the_difficulty_rose_is_still_accepted(settings) -> None:
    settings.PISTA_POW_MAXNUMBER = 100
    settings.PISTA_POW_RATE_STEP = 5
    with time_machine.travel(MINUTE, tick=False):
        calm = pow.challenge_new("submit")
        for _ in range(50):
            pow.post_counted("submit")
        assert pow.difficulty("submit") > 100
        assert pow.proof_check(pow_solve(calm), "submit").valid


# --- the signing key ---------------------------------------------------------------------


def test_challenges_are_signed_with_a_key_derived_for_this_purpose(settings) -> None:
    key = pow._hmac_key()
    assert key != settings.SECRET_KEY
    assert settings.SECRET_KEY not in key
    settings.SECRET_KEY = "another-secret-key-for-this-test"
    assert pow._hmac_key() != key


def test_a_configured_key_signs_instead_and_old_proofs_stop_working(settings) -> None:
    payload = pow_solve(pow.challenge_new("submit"))
    settings.PISTA_POW_HMAC_KEY = "an operator's own key, shared by every host"
    assert pow._hmac_key() == "an operator's own key, shared by every host"
    assert pow.proof_check(payload, "submit").outcome is Outcome.INVALID
    assert pow.proof_check(pow_solve(pow.challenge_new("submit")), "submit").valid
