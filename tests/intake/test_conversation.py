"""The tipster conversation through its services: who can read what, and what is kept."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intake import crypto, labels
from intake.exceptions import MessageRefused, ReceiptKeyMismatch, SealBroken
from intake.models import DeskKey, Message, MessageKey, Tip
from intake.selectors import conversation_for_reader, desk_key_active, reader_status
from intake.services import MAX_MESSAGE_LENGTH, Submission, reader_details_add, reader_message_add
from newsroom.exceptions import KeyLocked
from newsroom.models import AuditEvent
from newsroom.selectors.timeline import tip_timeline
from newsroom.services.conversation import (
    conversation_open,
    message_send_to_reader,
    message_withdraw,
)
from newsroom.services.desk_keys import desk_reseal_batch
from newsroom.services.desks import desk_member_remove
from newsroom.services.personal_keys import personal_key_unlock
from newsroom.services.review import tip_move
from newsroom.services.tips import tip_delete
from newsroom.unsealing import desk_private_key_from_grant
from tests.factories import PASSWORD, Newsroom

Action = AuditEvent.Action


def _personal(newsroom: Newsroom, name: str) -> bytes:
    return personal_key_unlock(user=newsroom.users[name], password=PASSWORD)


def _reader_key(submission: Submission) -> bytes:
    return crypto.derive_receipt_secrets(submission.passphrase).keypair.private_key


def _ask(newsroom: Newsroom, tip: Tip, body: str, *, by: str = "editor") -> Message:
    return message_send_to_reader(
        tip=tip, user=newsroom.users[by], personal_private_key=_personal(newsroom, by), body=body
    )


def _staff_view(newsroom: Newsroom, tip: Tip, name: str) -> list[str | None]:
    items = conversation_open(
        tip=tip, user=newsroom.users[name], personal_private_key=_personal(newsroom, name)
    )
    return [item.body for item in items]


# --- who can read ----------------------------------------------------------------------


def test_newsroom_message_opens_with_the_receipt_passphrase(newsroom: Newsroom) -> None:
    submission = newsroom.submit("A tip", desk=newsroom.latam)
    _ask(newsroom, submission.tip, "Do you have the invoice?")

    items = conversation_for_reader(tip=submission.tip, reader_private_key=_reader_key(submission))

    assert [(i.author_kind, i.body) for i in items] == [("newsroom", "Do you have the invoice?")]
    assert items[0].author_name == "", "the reader never learns who wrote"


def test_another_tips_passphrase_does_not_open_the_conversation(newsroom: Newsroom) -> None:
    mine = newsroom.submit("Mine", desk=newsroom.latam)
    other = newsroom.submit("Someone else's", desk=newsroom.latam)
    _ask(newsroom, mine.tip, "Only for the first reader")

    with pytest.raises(ReceiptKeyMismatch, match="does not open this conversation"):
        conversation_for_reader(tip=mine.tip, reader_private_key=_reader_key(other))
    assert conversation_for_reader(tip=other.tip, reader_private_key=_reader_key(other)) == []


def test_newsroom_message_is_sealed_to_desks_recovery_and_reader(newsroom: Newsroom) -> None:
    tip = newsroom.submit("A tip", desk=newsroom.latam).tip
    message = _ask(newsroom, tip, "A question")

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


def test_reader_reply_is_sealed_to_the_desks_only_not_to_the_passphrase(
    newsroom: Newsroom,
) -> None:
    submission = newsroom.submit("A tip", desk=newsroom.latam)
    message = reader_message_add(tip=submission.tip, body="Yes, I have it")

    recipients = sorted(
        MessageKey.objects.filter(message=message).values_list("recipient", flat=True)
    )
    assert recipients == ["desk", "desk", "recovery"]
    items = conversation_for_reader(tip=submission.tip, reader_private_key=_reader_key(submission))
    assert [(i.author_kind, i.body) for i in items] == [("reader", None)]
    assert _staff_view(newsroom, submission.tip, "latam_journalist") == ["Yes, I have it"]
    assert _staff_view(newsroom, submission.tip, "editor") == ["Yes, I have it"]


def test_member_of_another_desk_can_neither_read_nor_write(newsroom: Newsroom) -> None:
    tip = newsroom.submit("Latin American matter", desk=newsroom.latam).tip
    reader_message_add(tip=tip, body="Reply for the latam desk")
    outsider = newsroom.users["europe_journalist"]
    personal = _personal(newsroom, "europe_journalist")

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


def test_recovery_key_opens_every_message(newsroom: Newsroom) -> None:
    tip = newsroom.submit("A tip", desk=None).tip
    for message in (_ask(newsroom, tip, "Question"), reader_message_add(tip=tip, body="Answer")):
        sealed = MessageKey.objects.get(message=message, recipient="recovery")
        label = labels.message_content_key(tip.id, message.id)
        content_key = crypto.unseal(
            bytes(sealed.sealed_content_key), newsroom.recovery.private_key, label=label
        )
        text = crypto.decrypt_text(
            bytes(message.body), content_key, label=labels.message_body(tip.id, message.id)
        )
        assert text in {"Question", "Answer"}


def test_message_text_is_not_stored_in_plaintext(newsroom: Newsroom) -> None:
    tip = newsroom.submit("A tip", desk=newsroom.latam).tip
    _ask(newsroom, tip, "NEWSROOM-CANARY-7781")
    reader_message_add(tip=tip, body="READER-CANARY-1187")
    reader_details_add(tip=tip, body="DETAILS-CANARY-5521")
    stored = b"".join(bytes(m.body) for m in Message.objects.all()) + b"".join(
        bytes(k.sealed_content_key) for k in MessageKey.objects.all()
    )
    for canary in (b"NEWSROOM-CANARY-7781", b"READER-CANARY-1187", b"DETAILS-CANARY-5521"):
        assert canary not in stored
    # Padded to a bucket: a short message does not give away its length.
    assert {len(bytes(m.body)) for m in Message.objects.all()} == {4 + 12 + 512 + 16}


def test_a_message_body_moved_to_another_message_fails_to_open(newsroom: Newsroom) -> None:
    submission = newsroom.submit("A tip", desk=newsroom.latam)
    first = _ask(newsroom, submission.tip, "First")
    second = _ask(newsroom, submission.tip, "Second")
    Message.objects.filter(pk=second.pk).update(body=bytes(first.body))

    with pytest.raises(ReceiptKeyMismatch):
        conversation_for_reader(tip=submission.tip, reader_private_key=_reader_key(submission))
    with pytest.raises(SealBroken, match="message 2 of tip"):
        _staff_view(newsroom, submission.tip, "editor")


# --- what is kept, and when ------------------------------------------------------------


def test_reader_messages_are_rounded_to_the_hour_and_leave_no_audit_row(
    newsroom: Newsroom,
) -> None:
    tip = newsroom.submit("A tip", desk=newsroom.latam).tip
    events_before = AuditEvent.objects.count()
    with time_machine.travel(datetime(2026, 3, 4, 14, 37, 21, tzinfo=UTC), tick=False):
        message = reader_message_add(tip=tip, body="Reply")
        details = reader_details_add(tip=tip, body="More")
    hour = datetime(2026, 3, 4, 14, 0, tzinfo=UTC)
    assert message.created_at == hour
    assert details.created_at == hour
    # The message rows are the record: no audit row pins the reader's visit to the minute.
    assert AuditEvent.objects.count() == events_before
    # The tip's timeline still shows both, at the rounded hour, by nobody in particular.
    entries = [e for e in tip_timeline(tip=tip, content_key=None) if e.kind == "reader"]
    assert [(e.at, e.summary, e.actor) for e in entries] == [
        (hour, "Message received from the reader", ""),
        (hour, "Details added by the reader", ""),
    ]


def test_newsroom_messages_keep_their_exact_time_and_author(newsroom: Newsroom) -> None:
    tip = newsroom.submit("A tip", desk=newsroom.latam).tip
    at = datetime(2026, 3, 4, 14, 37, 21, tzinfo=UTC)
    with time_machine.travel(at, tick=False):
        message = _ask(newsroom, tip, "Question", by="latam_coord")
    assert message.created_at == at
    assert message.author == newsroom.users["latam_coord"]
    event = AuditEvent.objects.get(action=Action.MESSAGE_SENT)
    assert event.actor == newsroom.users["latam_coord"]
    assert event.tip_id == tip.pk
    assert event.detail == ""


def test_a_reply_marks_the_tip_unread_until_a_desk_member_reads_it(newsroom: Newsroom) -> None:
    tip = newsroom.submit("A tip", desk=newsroom.latam).tip
    assert not tip.has_unread_reply
    reader_message_add(tip=tip, body="Reply")
    tip.refresh_from_db()
    assert tip.has_unread_reply

    _staff_view(newsroom, tip, "latam_journalist")
    tip.refresh_from_db()
    assert not tip.has_unread_reply
    read = AuditEvent.objects.get(action=Action.CONVERSATION_READ)
    assert read.actor == newsroom.users["latam_journalist"]


def test_details_added_later_are_marked_as_details(newsroom: Newsroom) -> None:
    tip = newsroom.submit("A tip", desk=None).tip
    reader_details_add(tip=tip, body="The meeting was on Friday")
    tip.refresh_from_db()
    assert tip.has_unread_reply
    items = conversation_open(
        tip=tip, user=newsroom.users["editor"], personal_private_key=_personal(newsroom, "editor")
    )
    assert [(i.kind, i.body, i.author_name) for i in items] == [
        ("details", "The meeting was on Friday", "")
    ]
    reader_entries = [e for e in tip_timeline(tip=tip, content_key=None) if e.kind == "reader"]
    assert [e.summary for e in reader_entries] == ["Details added by the reader"]


def test_messages_keep_their_order_even_with_hour_rounded_reader_times(
    newsroom: Newsroom,
) -> None:
    tip = newsroom.submit("A tip", desk=newsroom.latam).tip
    with time_machine.travel(datetime(2026, 3, 4, 14, 10, tzinfo=UTC), tick=False):
        _ask(newsroom, tip, "Question")
    with time_machine.travel(datetime(2026, 3, 4, 14, 50, tzinfo=UTC), tick=False):
        reader_message_add(tip=tip, body="Answer")
    assert _staff_view(newsroom, tip, "editor") == ["Question", "Answer"]
    assert list(tip.messages.values_list("position", flat=True)) == [1, 2]


@pytest.mark.parametrize("body", ["", "   ", "\n\r\n\t"])
def test_empty_messages_are_refused_and_nothing_is_stored(newsroom: Newsroom, body: str) -> None:
    tip = newsroom.submit("A tip", desk=newsroom.latam).tip
    with pytest.raises(MessageRefused, match="cannot be empty"):
        reader_message_add(tip=tip, body=body)
    with pytest.raises(MessageRefused, match="cannot be empty"):
        _ask(newsroom, tip, body)
    assert not Message.objects.exists()
    tip.refresh_from_db()
    assert not tip.has_unread_reply


def test_overlong_messages_are_refused_with_the_limit(newsroom: Newsroom) -> None:
    tip = newsroom.submit("A tip", desk=newsroom.latam).tip
    with pytest.raises(MessageRefused, match="at most 50,000 characters"):
        reader_message_add(tip=tip, body="x" * (MAX_MESSAGE_LENGTH + 1))
    assert not Message.objects.exists()


# Each example makes its own tip, so sharing the newsroom between examples is intended.
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=st.text(min_size=1, max_size=300).filter(lambda s: s.strip()))
def test_any_text_round_trips_to_the_reader(newsroom: Newsroom, body: str) -> None:
    submission = newsroom.submit("A tip", desk=None)
    reader_key = _reader_key(submission)
    _ask(newsroom, submission.tip, body)
    items = conversation_for_reader(tip=submission.tip, reader_private_key=reader_key)
    assert items[-1].body == body.replace("\r\n", "\n").replace("\r", "\n")


def test_withdrawn_message_no_longer_opens_for_the_reader(newsroom: Newsroom) -> None:
    submission = newsroom.submit("A tip", desk=newsroom.latam)
    message = _ask(newsroom, submission.tip, "Sent to the wrong reader")
    message_withdraw(
        message=message,
        user=newsroom.users["editor"],
        personal_private_key=_personal(newsroom, "editor"),
    )

    assert not MessageKey.objects.filter(message=message, recipient="reader").exists()
    assert (
        conversation_for_reader(tip=submission.tip, reader_private_key=_reader_key(submission))
        == []
    )
    items = conversation_open(
        tip=submission.tip,
        user=newsroom.users["editor"],
        personal_private_key=_personal(newsroom, "editor"),
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
            personal_private_key=_personal(newsroom, "editor"),
        )


# --- where the tip stands ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "code"),
    [
        ("new", "received"),
        ("in_review", "being_looked_at"),
        ("accepted", "being_followed_up"),
        ("rejected", "closed"),
        ("spam", "closed"),
        ("duplicate", "closed"),
        ("archived", "closed"),
    ],
)
def test_reader_status_maps_every_internal_status(status: str, code: str) -> None:
    assert reader_status(Tip(status=status)).code == code


def test_every_internal_status_has_a_reader_status() -> None:
    assert {reader_status(Tip(status=s)).code for s in Tip.Status.values} == {
        "received",
        "being_looked_at",
        "being_followed_up",
        "closed",
    }


# --- the conversation follows the tip's keys ------------------------------------------


def test_rotation_and_reseal_carry_the_conversation_to_the_new_desk_key(
    newsroom: Newsroom,
) -> None:
    tip = newsroom.submit("A tip", desk=newsroom.latam).tip
    _ask(newsroom, tip, "Question", by="latam_coord")
    reader_message_add(tip=tip, body="Answer")
    old_key = desk_key_active(newsroom.latam)
    coordinator = newsroom.users["latam_coord"]
    old_private = desk_private_key_from_grant(
        desk_key=old_key, user=coordinator, personal_private_key=_personal(newsroom, "latam_coord")
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
    assert _staff_view(newsroom, tip, "latam_coord") == ["Question", "Answer"]


def test_moving_a_tip_moves_its_conversation_to_the_new_desk(newsroom: Newsroom) -> None:
    submission = newsroom.submit("A tip", desk=newsroom.latam)
    tip = submission.tip
    _ask(newsroom, tip, "Question")
    reader_message_add(tip=tip, body="Answer")

    tip_move(
        tip=tip,
        actor=newsroom.users["editor"],
        target=newsroom.europe,
        personal_private_key=_personal(newsroom, "editor"),
    )

    assert _staff_view(newsroom, tip, "europe_journalist") == ["Question", "Answer"]
    assert not MessageKey.objects.filter(desk_key__desk=newsroom.latam).exists()
    with pytest.raises(KeyLocked):
        _staff_view(newsroom, tip, "latam_journalist")
    # The reader still reads the newsroom's message with the same passphrase.
    items = conversation_for_reader(tip=tip, reader_private_key=_reader_key(submission))
    assert [i.body for i in items] == ["Question", None]


def test_deleting_a_tip_deletes_its_conversation_with_every_seal(newsroom: Newsroom) -> None:
    tip = newsroom.submit("A tip", desk=newsroom.latam).tip
    _ask(newsroom, tip, "Question")
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
        personal = _personal(newsroom, "latam_journalist")
        with CaptureQueriesContext(connection) as queries:
            conversation_open(
                tip=tip, user=newsroom.users["latam_journalist"], personal_private_key=personal
            )
        return len(queries)

    assert count_queries(2) == count_queries(10)
