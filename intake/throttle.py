"""Global per-minute budgets in Django's cache: throttling without addresses.

Pista keeps no visitor addresses, so it cannot throttle per visitor. It caps the
total instead: every attempt of a kind is counted in the current minute before
any expensive work (Argon2id), and refused once the minute's budget is spent.
With several workers the cache must be shared (Redis, via ``REDIS_URL``).
"""

from __future__ import annotations

import contextlib
import time

from django.core.cache import cache


def _minute_key(name: str) -> str:
    return f"pista:{name}:{int(time.time()) // 60}"


def budget_reserve(name: str, per_minute: int) -> tuple[str, bool]:
    """Count one attempt of ``name`` in this minute; return its cache key and whether
    it is within ``per_minute``. Counting first keeps the budget honest under bursts."""
    key = _minute_key(name)
    cache.add(key, 0, timeout=120)
    try:
        count = cache.incr(key)
    except ValueError:  # the key expired between add and incr
        cache.set(key, 1, timeout=120)
        count = 1
    return key, count <= per_minute


def budget_spent(name: str, per_minute: int) -> bool:
    """Whether this minute's budget of ``name`` is already used up (nothing is counted)."""
    count = cache.get(_minute_key(name))
    return count is not None and int(count) >= per_minute


def budget_refund(key: str) -> None:
    """Give back an attempt that should not count (for example a successful check-back)."""
    with contextlib.suppress(ValueError):
        cache.decr(key)
