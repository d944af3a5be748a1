"""Opening a tip (flow 2 of the sealing design): a member's personal key opens their
desk-key grant, the desk key opens the tip's content key, and that opens this tip's
text only; the recovery key opens every desk key. Nothing stored opens anything alone."""

from __future__ import annotations

import pytest

from intake import crypto, labels
from intake.exceptions import SealBroken
from intake.models import DeskKey, SealedKey
from intake.selectors import desk_key_active
from newsroom.exceptions import KeyLocked, WrongRecoveryKey
from newsroom.models import DeskKeyGrant, PersonalKey
from newsroom.unsealing import (
    content_key_unseal,
    desk_private_key_from_recovery,
    tip_content_key,
    tip_decrypt,
)
from tests.factories import Newsroom
from tests.helpers import unlocked_key_of


def test_database_and_settings_alone_cannot_open_any_tip(newsroom: Newsroom) -> None:
    """Everything stored, tried with every key the database could offer: nothing opens."""
    tip = newsroom.submit("Nobody without a session", desk=newsroom.latam).tip
    label = labels.tip_content_key(tip.id)
    stored_keys = [bytes(k.public_key) for k in PersonalKey.objects.all()]
    stored_keys += [bytes(k.public_key) for k in DeskKey.objects.all()]
    stored_keys += [bytes(g.wrapped_private_key) for g in DeskKeyGrant.objects.all()]
    for sealed in SealedKey.objects.filter(tip=tip):
        for candidate in stored_keys:
            with pytest.raises(crypto.CryptoError):
                crypto.unseal(
                    bytes(sealed.sealed_content_key),
                    candidate[: crypto.PRIVATE_KEY_BYTES],
                    label=label,
                )
    with pytest.raises(KeyLocked, match="not unlocked"):
        tip_content_key(tip=tip, user=newsroom.users["editor"], personal_private_key=None)


def test_another_members_personal_key_does_not_open_my_grant(newsroom: Newsroom) -> None:
    tip = newsroom.submit("Stolen key", desk=newsroom.latam).tip
    with pytest.raises(KeyLocked, match="does not match"):
        tip_content_key(
            tip=tip,
            user=newsroom.users["latam_journalist"],
            personal_private_key=unlocked_key_of(newsroom.users["europe_journalist"]),
        )


def test_recovery_key_opens_every_desk_key_and_a_wrong_one_fails(newsroom: Newsroom) -> None:
    latam_tip = newsroom.submit("For Latin America", desk=newsroom.latam).tip
    europe_tip = newsroom.submit("For Europe", desk=newsroom.europe).tip
    cases = [
        (newsroom.general, latam_tip, "For Latin America"),
        (newsroom.latam, latam_tip, "For Latin America"),
        (newsroom.europe, europe_tip, "For Europe"),
    ]
    for desk, tip, body in cases:
        desk_key = desk_key_active(desk)
        desk_private_key = desk_private_key_from_recovery(
            desk_key=desk_key, recovery_private_key=newsroom.recovery.private_key
        )
        # The recovered key is that desk's own: it opens the desk's seal on its tip.
        sealed = SealedKey.objects.get(tip=tip, desk_key=desk_key)
        content_key = content_key_unseal(bytes(sealed.sealed_content_key), desk_private_key, tip)
        assert tip_decrypt(tip, content_key).body == body
    with pytest.raises(WrongRecoveryKey, match="does not open"):
        desk_private_key_from_recovery(
            desk_key=desk_key_active(newsroom.latam),
            recovery_private_key=crypto.generate_keypair().private_key,
        )


def test_content_moved_between_tips_does_not_open(newsroom: Newsroom) -> None:
    first = newsroom.submit("First tip", desk=newsroom.latam).tip
    second = newsroom.submit("Second tip", desk=newsroom.latam).tip
    second.body = first.body  # an attacker with write access swaps ciphertexts
    second.save(update_fields=["body"])
    personal = unlocked_key_of(newsroom.users["editor"])
    key = tip_content_key(tip=second, user=newsroom.users["editor"], personal_private_key=personal)
    with pytest.raises(SealBroken, match=f"text of tip {second.reference}"):
        tip_decrypt(second, key)
