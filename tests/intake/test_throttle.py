"""Per-minute budgets in the cache (``intake.throttle``): every attempt is counted first,
refused past the budget, and counted afresh each minute, even under concurrent bursts."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.cache import cache

from intake import throttle
from intake.throttle import budget_refund, budget_reserve
from tests.helpers import all_at_once

pytestmark = pytest.mark.usefixtures("cleared_cache")

#: Ten seconds into a minute, so a test's few milliseconds never cross into the next one.
MINUTE = datetime(2026, 5, 1, 10, 0, 10, tzinfo=UTC)


def test_attempts_within_a_minute_count_up_and_stop_at_the_budget() -> None:
    with time_machine.travel(MINUTE, tick=False):
        outcomes = [budget_reserve("logins", 3) for _ in range(5)]
        counted = cache.get(outcomes[0][0])
    assert [allowed for _, allowed in outcomes] == [True, True, True, False, False]
    assert {key for key, _ in outcomes} == {f"pista:logins:{int(MINUTE.timestamp()) // 60}"}
    assert counted == 5, "refused attempts are counted too"


def test_a_new_minute_starts_a_fresh_budget() -> None:
    with time_machine.travel(MINUTE, tick=False) as clock:
        first_key, _ = budget_reserve("logins", 1)
        assert budget_reserve("logins", 1)[1] is False
        clock.shift(timedelta(seconds=50))  # the next minute
        key, allowed = budget_reserve("logins", 1)
    assert allowed
    assert key != first_key


def test_the_end_of_a_minute_is_still_that_minute() -> None:
    with time_machine.travel(MINUTE, tick=False) as clock:
        assert budget_reserve("logins", 1)[1]
        clock.shift(timedelta(seconds=49))  # 10:00:59
        assert budget_reserve("logins", 1)[1] is False


def test_a_refund_gives_one_attempt_back() -> None:
    with time_machine.travel(MINUTE, tick=False):
        key, _ = budget_reserve("checks", 2)
        assert budget_reserve("checks", 2)[1]
        budget_refund(key)
        assert budget_reserve("checks", 2)[1], "the refunded attempt is free again"
        assert budget_reserve("checks", 2)[1] is False
        assert cache.get(key) == 3


def test_a_refund_after_the_counter_expired_is_harmless() -> None:
    with time_machine.travel(MINUTE, tick=False):
        key, _ = budget_reserve("checks", 2)
        cache.delete(key)  # what the two-minute timeout does
        budget_refund(key)
        assert cache.get(key) is None


def test_each_kind_of_attempt_has_its_own_budget() -> None:
    with time_machine.travel(MINUTE, tick=False):
        assert budget_reserve("submissions", 1)[1]
        assert budget_reserve("checks", 1)[1]
        assert budget_reserve("submissions", 1)[1] is False


def test_a_counter_that_expires_between_add_and_incr_restarts_at_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_cache = throttle.cache

    class ExpiringCache:
        """The counter vanishes between ``add`` and ``incr``, as a timeout can make it."""

        def __getattr__(self, name: str) -> Any:
            return getattr(real_cache, name)

        def incr(self, key: str) -> int:
            real_cache.delete(key)
            return real_cache.incr(key)  # raises ValueError: the key is gone

    monkeypatch.setattr(throttle, "cache", ExpiringCache())
    with time_machine.travel(MINUTE, tick=False):
        key, allowed = budget_reserve("logins", 1)
        assert allowed
        assert real_cache.get(key) == 1


def test_concurrent_reservations_never_let_more_than_the_budget_through() -> None:
    budget, threads, attempts_each = 5, 8, 10
    started = time.monotonic()
    # The clock stands still for every thread: no minute boundary can double the budget.
    with time_machine.travel(MINUTE, tick=False):
        outcomes = all_at_once(
            [
                lambda: [budget_reserve("burst", budget)[1] for _ in range(attempts_each)]
                for _ in range(threads)
            ],
            timeout=20,
        )
    assert time.monotonic() - started < 20
    errors = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
    assert errors == []
    allowed = [ok for per_thread in outcomes for ok in per_thread]
    assert len(allowed) == threads * attempts_each
    assert sum(allowed) == budget
    with time_machine.travel(MINUTE, tick=False):
        assert cache.get(budget_reserve("burst", budget)[0]) == threads * attempts_each + 1
