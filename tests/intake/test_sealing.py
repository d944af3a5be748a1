"""Flow 1 of the sealing design: a tip is sealed on arrival with public keys only, to
the general desk, its regional desk and the recovery key, and nothing is stored in plain."""

from __future__ import annotations

import pytest

from intake import crypto
from intake.exceptions import NoGeneralDesk
from intake.models import SealedKey, Tip
from newsroom.exceptions import KeyLocked
from newsroom.unsealing import tip_content_key
from tests.factories import Newsroom
from tests.helpers import unlocked_key_of


def test_tip_is_sealed_to_general_regional_and_recovery_keys(newsroom: Newsroom) -> None:
    tip = newsroom.submit("Sealed three ways", desk=newsroom.latam).tip
    seals = SealedKey.objects.filter(tip=tip)
    desks = {s.desk_key.desk.slug for s in seals if s.desk_key}
    assert desks == {"general", "latam"}
    assert seals.filter(recovery_key__isnull=False).count() == 1
    assert seals.count() == 3


def test_not_sure_goes_to_the_general_desk_only(newsroom: Newsroom) -> None:
    tip = newsroom.submit("No region", desk=None).tip
    desks = {
        s.desk_key.desk.slug for s in SealedKey.objects.filter(tip=tip, desk_key__isnull=False)
    }
    assert desks == {"general"}
    with pytest.raises(KeyLocked, match="not sent to any of your desks"):
        tip_content_key(
            tip=tip,
            user=newsroom.users["latam_journalist"],
            personal_private_key=unlocked_key_of(newsroom.users["latam_journalist"]),
        )


def test_tip_body_is_not_stored_in_plaintext(newsroom: Newsroom) -> None:
    canary = "CANARY-7f3a-plaintext-check"
    tip = newsroom.submit(
        canary, desk=newsroom.latam, links="https://x.example/" + canary, contact=canary
    ).tip
    tip.refresh_from_db()
    for field in (tip.body, tip.links, tip.contact):
        assert canary.encode() not in bytes(field)
        assert bytes(field)[:3] == b"P\x02\x01"  # versioned symmetric blob


def test_the_accepting_path_needs_no_private_key(newsroom: Newsroom, monkeypatch) -> None:
    """Flow 1 uses public keys only: every decrypting primitive is made to explode."""

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("a private-key operation ran while accepting a tip")

    monkeypatch.setattr(crypto, "unseal", forbidden)
    monkeypatch.setattr(crypto, "decrypt_bytes", forbidden)
    monkeypatch.setattr(crypto, "unwrap_with_password", forbidden)
    submission = newsroom.submit("Public keys only", desk=newsroom.europe)
    assert Tip.objects.filter(pk=submission.tip.pk).exists()


def test_submission_time_is_rounded_to_the_hour(newsroom: Newsroom) -> None:
    tip = newsroom.submit("When?").tip
    assert (tip.received_at.minute, tip.received_at.second, tip.received_at.microsecond) == (
        0,
        0,
        0,
    )


def test_without_a_general_desk_the_tip_is_refused_not_half_stored(db) -> None:
    from intake.services import tip_submit
    from newsroom.services.recovery import recovery_key_create

    recovery_key_create()
    with pytest.raises(NoGeneralDesk):
        tip_submit(body="x", links="", contact="", desk=None)
    assert not Tip.objects.exists()
