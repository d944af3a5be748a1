"""Desk keys after a member leaves (flow 4 of the sealing design): the key is rotated,
the departed member's copy opens no new tip, and older tips are re-sealed to the new key
in batches, after which the retired key is deleted."""

from __future__ import annotations

import pytest

from intake import crypto, labels
from intake.models import DeskKey, SealedKey
from intake.selectors import desk_key_active
from newsroom.exceptions import KeyLocked
from newsroom.models import DeskKeyGrant
from newsroom.services.desk_keys import desk_reseal_batch
from newsroom.services.desks import desk_member_remove
from newsroom.services.tips import tip_open
from newsroom.unsealing import desk_private_key_from_grant
from tests.factories import Newsroom
from tests.helpers import unlocked_key_of


def test_removed_member_cannot_open_tips_after_rotation(newsroom: Newsroom) -> None:
    old_tip = newsroom.submit("Before removal", desk=newsroom.latam).tip
    journalist = newsroom.users["latam_journalist"]
    old_key = desk_key_active(newsroom.latam)
    removed_personal = unlocked_key_of(newsroom.users["latam_journalist"])
    kept_old_private = desk_private_key_from_grant(
        desk_key=old_key, user=journalist, personal_private_key=removed_personal
    )  # what a departing member might have copied

    new_key = desk_member_remove(desk=newsroom.latam, user=journalist, actor=None)
    assert new_key.pk != old_key.pk
    assert not DeskKeyGrant.objects.filter(user=journalist).exists()
    new_tip = newsroom.submit("After removal", desk=newsroom.latam).tip
    new_seal = SealedKey.objects.get(tip=new_tip, desk_key__desk=newsroom.latam)
    assert new_seal.desk_key_id == new_key.pk
    with pytest.raises(crypto.DecryptionError):
        crypto.unseal(
            bytes(new_seal.sealed_content_key),
            kept_old_private,
            label=labels.tip_content_key(new_tip.id),
        )
    with pytest.raises(KeyLocked):
        tip_open(tip=new_tip, user=journalist, personal_private_key=removed_personal)

    # The coordinator still reads both: the old tip through the retired key, the new one directly.
    coord_personal = unlocked_key_of(newsroom.users["latam_coord"])
    coordinator = newsroom.users["latam_coord"]
    assert (
        tip_open(tip=old_tip, user=coordinator, personal_private_key=coord_personal).body
        == "Before removal"
    )
    assert (
        tip_open(tip=new_tip, user=coordinator, personal_private_key=coord_personal).body
        == "After removal"
    )


def test_reseal_moves_old_tips_in_batches_then_drops_the_retired_key(newsroom: Newsroom) -> None:
    tips = [newsroom.submit(f"Old tip {i}", desk=newsroom.latam).tip for i in range(5)]
    old_key = desk_key_active(newsroom.latam)
    coordinator = newsroom.users["latam_coord"]
    old_private = desk_private_key_from_grant(
        desk_key=old_key,
        user=coordinator,
        personal_private_key=unlocked_key_of(newsroom.users["latam_coord"]),
    )
    new_key = desk_member_remove(
        desk=newsroom.latam, user=newsroom.users["latam_journalist"], actor=None
    )

    assert (
        desk_reseal_batch(
            old_key=old_key, old_private_key=old_private, actor=coordinator, batch_size=2
        )
        == 2
    )
    assert SealedKey.objects.filter(desk_key=old_key).count() == 3
    assert (
        desk_reseal_batch(
            old_key=old_key, old_private_key=old_private, actor=coordinator, batch_size=2
        )
        == 2
    )
    assert (
        desk_reseal_batch(
            old_key=old_key, old_private_key=old_private, actor=coordinator, batch_size=2
        )
        == 1
    )
    assert not DeskKey.objects.filter(pk=old_key.pk).exists()
    assert SealedKey.objects.filter(desk_key=new_key).count() == 5
    personal = unlocked_key_of(newsroom.users["latam_coord"])
    for i, tip in enumerate(tips):
        assert (
            tip_open(tip=tip, user=coordinator, personal_private_key=personal).body
            == f"Old tip {i}"
        )


def test_reseal_with_the_wrong_key_changes_nothing(newsroom: Newsroom) -> None:
    newsroom.submit("Stays put", desk=newsroom.latam)
    old_key = desk_key_active(newsroom.latam)
    desk_member_remove(desk=newsroom.latam, user=newsroom.users["latam_journalist"], actor=None)
    before = list(
        SealedKey.objects.filter(desk_key=old_key).values_list("sealed_content_key", flat=True)
    )
    with pytest.raises(KeyLocked, match="nothing was re-sealed"):
        desk_reseal_batch(
            old_key=old_key, old_private_key=crypto.generate_keypair().private_key, actor=None
        )
    after = list(
        SealedKey.objects.filter(desk_key=old_key).values_list("sealed_content_key", flat=True)
    )
    assert [bytes(b) for b in before] == [bytes(a) for a in after]
