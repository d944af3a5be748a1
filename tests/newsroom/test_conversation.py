"""The newsroom's side of the conversation through its services: who may read and write,
what a newsroom message is sealed to, withdrawing, and how the conversation follows the
tip's keys when the desk key rotates, the tip moves or is deleted."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from intake.exceptions import MessageRefused
from intake.models import DeskKey, Message, MessageKey
from intake.selectors import conversation_for_reader, desk_key_active
from intake.services import reader_message_add
from newsroom.exceptions import KeyLocked
from newsroom.models import AuditEvent
from newsroom.services.conversation import (
    conversation_open,
    message_send_to_reader,
    message_withdraw,
)
from newsroom.services.desk_keys import desk_reseal_batch
from newsroom.services.desks import desk_member_remove
from newsroom.services.review import tip_move
from newsroom.services.tips import tip_delete
from newsroom.unsealing import desk_private_key_from_grant
from tests.factories import Newsroom
from tests.helpers import conversation_as, message_to_reader, reader_key_of, unlocked_key_of

Action = AuditEvent.Action


# --- who can read and write ------------------------------------------------------------


def test_newsroom_message_is_sealed_to_desks_recovery_and_reader(newsroom: Newsroom) -> None:
    tip = newsroom.submit("A tip", desk=newsroom.latam).tip
    message = message_to_reader(newsroom, tip, "A question")

    seals = MessageKey.objects.filter(message=message)
    assert sorted(seals.values_list("recipient", flat=True)) == [
        "desk",
        "desk",
        "reader",
        "recovery",
    ]
    tip_desk_keys = set(
        tip.sealed_keys.filter(desk_key__isnull=False).values_list("desk_key", flat=True)
    )
    assert set(seals.filter(recipient="desk").values_list("desk_key", flat=True)) == tip_desk_keys


def test_member_of_another_desk_can_neither_read_nor_write(newsroom: Newsroom) -> None:
    tip = newsroom.submit("Latin American matter", desk=newsroom.latam).tip
    reader_message_add(tip=tip, body="Reply for the latam desk")
    outsider = newsroom.users["europe_journalist"]
    personal = unlocked_key_of(newsroom.users["europe_journalist"])

    with pytest.raises(KeyLocked, match="not sent to any of your desks"):
        conversation_open(tip=tip, user=outsider, personal_private_key=personal)
    with pytest.raises(KeyLocked):
        message_send_to_reader(tip=tip, user=outsider, personal_private_key=personal, body="Hi")
    assert Message.objects.filter(author_kind="newsroom").count() == 0
    assert not AuditEvent.objects.filter(action=Action.CONVERSATION_READ).exists()


def test_a_locked_keyring_cannot_read_or_write(newsroom: Newsroom) -> None:
    tip = newsroom.submit("A tip", desk=newsroom.latam).tip
    editor = newsroom.users["editor"]
    with pytest.raises(KeyLocked, match="not unlocked"):
        message_send_to_reader(tip=tip, user=editor, personal_private_key=None, body="Hi")
    with pytest.raises(KeyLocked, match="not unlocked"):
        conversation_open(tip=tip, user=editor, personal_private_key=None)


def test_newsroom_messages_keep_their_exact_time_and_author(newsroom: Newsroom) -> None:
    tip = newsroom.submit("A tip", desk=newsroom.latam).tip
    at = datetime(2026, 3, 4, 14, 37, 21, tzinfo=UTC)
    with time_machine.travel(at, tick=False):
        message = message_to_reader(newsroom, tip, "Question", by="latam_coord")
    assert message.created_at == at
    assert message.author == newsroom.users["latam_coord"]
    event = AuditEvent.objects.get(action=Action.MESSAGE_SENT)
    assert event.actor == newsroom.users["latam_coord"]
    assert event.tip_id == tip.pk
    assert event.detail == ""


# --- withdrawing ------------------------------------------------------------------------


def test_withdrawn_message_no_longer_opens_for_the_reader(newsroom: Newsroom) -> None:
    submission = newsroom.submit("A tip", desk=newsroom.latam)
    message = message_to_reader(newsroom, submission.tip, "Sent to the wrong reader")
    message_withdraw(
        message=message,
        user=newsroom.users["editor"],
        personal_private_key=unlocked_key_of(newsroom.users["editor"]),
    )

    assert not MessageKey.objects.filter(message=message, recipient="reader").exists()
    assert (
        conversation_for_reader(tip=submission.tip, reader_private_key=reader_key_of(submission))
        == []
    )
    items = conversation_open(
        tip=submission.tip,
        user=newsroom.users["editor"],
        personal_private_key=unlocked_key_of(newsroom.users["editor"]),
    )
    assert [(i.body, i.is_visible_to_reader) for i in items] == [
        ("Sent to the wrong reader", False)
    ]
    assert AuditEvent.objects.filter(action=Action.MESSAGE_WITHDRAWN).count() == 1


def test_reader_messages_cannot_be_withdrawn(newsroom: Newsroom) -> None:
    tip = newsroom.submit("A tip", desk=newsroom.latam).tip
    message = reader_message_add(tip=tip, body="Mine")
    with pytest.raises(MessageRefused, match="Only the newsroom"):
        message_withdraw(
            message=message,
            user=newsroom.users["editor"],
            personal_private_key=unlocked_key_of(newsroom.users["editor"]),
        )


# --- the conversation follows the tip's keys ------------------------------------------


def test_rotation_and_reseal_carry_the_conversation_to_the_new_desk_key(
    newsroom: Newsroom,
) -> None:
    tip = newsroom.submit("A tip", desk=newsroom.latam).tip
    message_to_reader(newsroom, tip, "Question", by="latam_coord")
    reader_message_add(tip=tip, body="Answer")
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

    # The tip's seal takes the first slot of the batch, the messages the rest.
    assert (
        desk_reseal_batch(old_key=old_key, old_private_key=old_private, actor=None, batch_size=2)
        == 2
    )
    assert DeskKey.objects.filter(pk=old_key.pk).exists(), "a message still needs the old key"
    assert desk_reseal_batch(old_key=old_key, old_private_key=old_private, actor=None) == 1
    assert not DeskKey.objects.filter(pk=old_key.pk).exists()
    assert MessageKey.objects.filter(desk_key=new_key).count() == 2
    assert conversation_as(newsroom, tip, "latam_coord") == ["Question", "Answer"]


def test_moving_a_tip_moves_its_conversation_to_the_new_desk(newsroom: Newsroom) -> None:
    submission = newsroom.submit("A tip", desk=newsroom.latam)
    tip = submission.tip
    message_to_reader(newsroom, tip, "Question")
    reader_message_add(tip=tip, body="Answer")

    tip_move(
        tip=tip,
        actor=newsroom.users["editor"],
        target=newsroom.europe,
        personal_private_key=unlocked_key_of(newsroom.users["editor"]),
    )

    assert conversation_as(newsroom, tip, "europe_journalist") == ["Question", "Answer"]
    assert not MessageKey.objects.filter(desk_key__desk=newsroom.latam).exists()
    with pytest.raises(KeyLocked):
        conversation_as(newsroom, tip, "latam_journalist")
    # The reader still reads the newsroom's message with the same passphrase.
    items = conversation_for_reader(tip=tip, reader_private_key=reader_key_of(submission))
    assert [i.body for i in items] == ["Question", None]


def test_deleting_a_tip_deletes_its_conversation_with_every_seal(newsroom: Newsroom) -> None:
    tip = newsroom.submit("A tip", desk=newsroom.latam).tip
    message_to_reader(newsroom, tip, "Question")
    reader_message_add(tip=tip, body="Answer")
    tip_delete(tip=tip, actor=newsroom.users["editor"])
    assert not Message.objects.exists()
    assert not MessageKey.objects.exists()


def test_reading_the_conversation_costs_the_same_queries_for_two_or_ten_messages(
    newsroom: Newsroom,
) -> None:
    def count_queries(n: int) -> int:
        tip = newsroom.submit("A tip", desk=newsroom.latam).tip
        for i in range(n):
            reader_message_add(tip=tip, body=f"Message {i}")
        personal = unlocked_key_of(newsroom.users["latam_journalist"])
        with CaptureQueriesContext(connection) as queries:
            conversation_open(
                tip=tip, user=newsroom.users["latam_journalist"], personal_private_key=personal
            )
        return len(queries)

    assert count_queries(2) == count_queries(10)
