"""Global per-minute counts in Django's cache: budgets and rates without addresses.

Pista keeps no visitor addresses, so it cannot throttle per visitor. It counts
the total instead: every attempt of a kind is counted in the current minute
before any expensive work (Argon2id), and refused once the minute's budget is
spent. The same counts measure how busy a form is, which sets the proof-of-work
difficulty (``intake.pow``). With several workers the cache must be shared
(Redis, via ``REDIS_URL``).
"""

from __future__ import annotations

import contextlib
import time

from django.core.cache import cache


def _minute() -> int:
    return int(time.time()) // 60


def _key(name: str, minute: int) -> str:
    return f"pista:{name}:{minute}"


def count_one(name: str) -> tuple[str, int]:
    """Count one event of ``name`` in this minute; return its cache key and the new count."""
    key = _key(name, _minute())
    cache.add(key, 0, timeout=120)
    try:
        count = cache.incr(key)
    except ValueError:  # the key expired between add and incr
        cache.set(key, 1, timeout=120)
        count = 1
    return key, count


def budget_reserve(name: str, per_minute: int) -> tuple[str, bool]:
    """Count one attempt of ``name`` in this minute; return its cache key and whether
    it is within ``per_minute``. Counting first keeps the budget honest under bursts."""
    key, count = count_one(name)
    return key, count <= per_minute


def budget_spent(name: str, per_minute: int) -> bool:
    """Whether this minute's budget of ``name`` is already used up (nothing is counted)."""
    count = cache.get(_key(name, _minute()))
    return count is not None and int(count) >= per_minute


def budget_refund(key: str) -> None:
    """Give back an attempt that should not count (for example a successful check-back)."""
    with contextlib.suppress(ValueError):
        cache.decr(key)


def rate_recent(name: str) -> int:
    """How many events of ``name`` were counted in this minute or the last, whichever is
    more: a flood keeps counting as one for a minute after it stops."""
    minute = _minute()
    counts = cache.get_many([_key(name, minute), _key(name, minute - 1)])
    return max((int(value) for value in counts.values()), default=0)


def timeout_until_hour_after(timestamp: float) -> int:
    """Seconds from now to the first full hour after ``timestamp``: a cache entry given this
    timeout expires on the hour, so its expiry tells the hour and nothing finer."""
    expiry = (int(timestamp) // 3600 + 1) * 3600
    return max(1, expiry - int(time.time()))
