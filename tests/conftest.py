"""Test-wide settings and fixtures.

Argon2id at production cost (64 MiB, about 0.2 s) would dominate a suite that
logs in and submits hundreds of times, so tests run with cheap parameters.
Production parameters are checked by ``tests/intake/test_crypto.py``
(``test_production_kdf_parameters_meet_the_design``), which reads the real
constants, and by any test marked ``real_kdf``.
"""

from __future__ import annotations

import pytest

from intake import crypto
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
