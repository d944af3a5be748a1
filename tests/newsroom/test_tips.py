"""Reading and deleting a tip through the services: its desks' members read it and each
reading is audited; anyone else is refused; deleting removes every sealed copy of its key."""

from __future__ import annotations

import pytest

from intake.models import SealedKey, Tip
from newsroom.exceptions import KeyLocked
from newsroom.models import AuditEvent
from newsroom.services.tips import tip_delete, tip_open
from tests.factories import Newsroom
from tests.helpers import unlocked_key_of


@pytest.mark.parametrize("reader", ["editor", "latam_coord", "latam_journalist"])
def test_members_of_the_sealed_desks_can_read(newsroom: Newsroom, reader: str) -> None:
    tip = newsroom.submit("Readable by its desks", desk=newsroom.latam, contact="signal: @x").tip
    content = tip_open(
        tip=tip,
        user=newsroom.users[reader],
        personal_private_key=unlocked_key_of(newsroom.users[reader]),
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
            personal_private_key=unlocked_key_of(newsroom.users["europe_journalist"]),
        )
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.TIP_READ).exists()


def test_deleting_a_tip_removes_every_sealed_copy_of_its_key(newsroom: Newsroom) -> None:
    tip = newsroom.submit("Delete me", desk=newsroom.latam).tip
    reference = tip.reference
    tip_delete(tip=tip, actor=newsroom.users["editor"])
    assert not Tip.objects.filter(reference=reference).exists()
    assert not SealedKey.objects.filter(tip_id=tip.id).exists()
    event = AuditEvent.objects.get(action=AuditEvent.Action.TIP_DELETED)
    assert event.tip_reference == reference
