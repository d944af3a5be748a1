"""Flows 1-4 and 8 of the sealing design, through the services."""

from __future__ import annotations

import pytest

from intake import crypto, labels
from intake.exceptions import NoGeneralDesk, SealBroken
from intake.models import DeskKey, SealedKey, Tip
from intake.selectors import desk_key_active
from newsroom.exceptions import KeyLocked, WrongRecoveryKey
from newsroom.models import AuditEvent, DeskKeyGrant, PersonalKey
from newsroom.services.desk_keys import desk_reseal_batch
from newsroom.services.desks import desk_member_remove
from newsroom.services.personal_keys import personal_key_unlock
from newsroom.services.tips import tip_delete, tip_open
from newsroom.unsealing import (
    desk_private_key_from_grant,
    desk_private_key_from_recovery,
    tip_content_key,
    tip_decrypt,
)
from tests.factories import PASSWORD, Newsroom


def _personal(newsroom: Newsroom, name: str) -> bytes:
    return personal_key_unlock(user=newsroom.users[name], password=PASSWORD)


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
            personal_private_key=_personal(newsroom, "latam_journalist"),
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


@pytest.mark.parametrize("reader", ["editor", "latam_coord", "latam_journalist"])
def test_members_of_the_sealed_desks_can_read(newsroom: Newsroom, reader: str) -> None:
    tip = newsroom.submit("Readable by its desks", desk=newsroom.latam, contact="signal: @x").tip
    content = tip_open(
        tip=tip, user=newsroom.users[reader], personal_private_key=_personal(newsroom, reader)
    )
    assert content.body == "Readable by its desks"
    assert content.contact == "signal: @x"
    event = AuditEvent.objects.get(action=AuditEvent.Action.TIP_READ, actor=newsroom.users[reader])
    assert event.tip_id == tip.pk
    assert "Readable" not in event.detail


def test_another_desks_member_cannot_read(newsroom: Newsroom) -> None:
    tip = newsroom.submit("Latin America only", desk=newsroom.latam).tip
    with pytest.raises(KeyLocked):
        tip_open(
            tip=tip,
            user=newsroom.users["europe_journalist"],
            personal_private_key=_personal(newsroom, "europe_journalist"),
        )
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.TIP_READ).exists()


def test_another_members_personal_key_does_not_open_my_grant(newsroom: Newsroom) -> None:
    tip = newsroom.submit("Stolen key", desk=newsroom.latam).tip
    with pytest.raises(KeyLocked, match="does not match"):
        tip_content_key(
            tip=tip,
            user=newsroom.users["latam_journalist"],
            personal_private_key=_personal(newsroom, "europe_journalist"),
        )


def test_recovery_key_opens_every_desk_key_and_a_wrong_one_fails(newsroom: Newsroom) -> None:
    for desk in (newsroom.general, newsroom.latam, newsroom.europe):
        assert desk_private_key_from_recovery(
            desk_key=desk_key_active(desk), recovery_private_key=newsroom.recovery.private_key
        )
    with pytest.raises(WrongRecoveryKey, match="does not open"):
        desk_private_key_from_recovery(
            desk_key=desk_key_active(newsroom.latam),
            recovery_private_key=crypto.generate_keypair().private_key,
        )


def test_removed_member_cannot_open_tips_after_rotation(newsroom: Newsroom) -> None:
    old_tip = newsroom.submit("Before removal", desk=newsroom.latam).tip
    journalist = newsroom.users["latam_journalist"]
    old_key = desk_key_active(newsroom.latam)
    removed_personal = _personal(newsroom, "latam_journalist")
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
    coord_personal = _personal(newsroom, "latam_coord")
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
        desk_key=old_key, user=coordinator, personal_private_key=_personal(newsroom, "latam_coord")
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
    personal = _personal(newsroom, "latam_coord")
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


def test_deleting_a_tip_removes_every_sealed_copy_of_its_key(newsroom: Newsroom) -> None:
    tip = newsroom.submit("Delete me", desk=newsroom.latam).tip
    reference = tip.reference
    tip_delete(tip=tip, actor=newsroom.users["editor"])
    assert not Tip.objects.filter(reference=reference).exists()
    assert not SealedKey.objects.filter(tip_id=tip.id).exists()
    event = AuditEvent.objects.get(action=AuditEvent.Action.TIP_DELETED)
    assert event.tip_reference == reference


def test_content_moved_between_tips_does_not_open(newsroom: Newsroom) -> None:
    first = newsroom.submit("First tip", desk=newsroom.latam).tip
    second = newsroom.submit("Second tip", desk=newsroom.latam).tip
    second.body = first.body  # an attacker with write access swaps ciphertexts
    second.save(update_fields=["body"])
    personal = _personal(newsroom, "editor")
    key = tip_content_key(tip=second, user=newsroom.users["editor"], personal_private_key=personal)
    with pytest.raises(SealBroken, match=f"text of tip {second.reference}"):
        tip_decrypt(second, key)
