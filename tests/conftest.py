"""Test-wide settings and fixtures.

Argon2id at production cost (64 MiB, about 0.2 s) would dominate a suite that
logs in and submits hundreds of times, so tests run with cheap parameters.
Production parameters are checked by ``tests/intake/test_crypto.py``
(``test_production_kdf_parameters_meet_the_design``), which reads the real
constants, and by any test marked ``real_kdf``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache
from pytest_django import DjangoDbBlocker

from intake import crypto
from newsroom.roles import role_groups_ensure
from tests.factories import Newsroom, make_newsroom

FAST_KDF = crypto.Argon2Params(memory_kib=8, iterations=1, lanes=1)
PRODUCTION_PASSWORD_KDF = crypto.PASSWORD_KDF
PRODUCTION_RECEIPT_KDF = crypto.RECEIPT_KDF


@pytest.fixture(autouse=True)
def _fast_kdf(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if request.node.get_closest_marker("real_kdf") is None:
        monkeypatch.setattr(crypto, "PASSWORD_KDF", FAST_KDF)
        monkeypatch.setattr(crypto, "RECEIPT_KDF", FAST_KDF)


@pytest.fixture(autouse=True)
def _secure_cookie_settings(settings: pytest.FixtureRequest) -> None:
    # Production flags, so tests see the cookies as deployed.
    settings.PISTA_UNLOCKED_KEY_COOKIE_SECURE = True  # type: ignore[attr-defined]


@pytest.fixture
def newsroom(db: None) -> Newsroom:
    return make_newsroom()


@pytest.fixture
def committed_newsroom(transactional_db: None) -> Newsroom:
    """``newsroom``, committed: other threads' connections and the live server see it."""
    return make_newsroom()


@pytest.fixture(scope="module")
def role_groups_restored(
    django_db_setup: None, django_db_blocker: DjangoDbBlocker
) -> Iterator[None]:
    """Recreate the role groups (migration ``newsroom.0002``) after the module's last test.

    A transactional test ends by emptying every table, so the groups are gone for
    the tests that follow. ``django_db_serialized_rollback`` cannot bring them back:
    once Playwright's event loop runs in the main thread, ``connections["default"]``
    is a context-local object without the serialized contents, and the restore is
    skipped silently. Flushing re-creates permissions (``post_migrate``), so only
    the groups need restoring: ``make_newsroom`` does it before each test, this
    fixture after a module whose tests commit. It needs ``django_db_setup`` so that
    it writes to the test database even when no test of the module used one.
    """
    yield
    with django_db_blocker.unblock():
        role_groups_ensure()


@pytest.fixture
def cleared_cache() -> Iterator[None]:
    """An empty cache before and after the test: the throttles' budgets start unspent."""
    cache.clear()
    yield
    cache.clear()
