"""The reader's side of the conversation: what the passphrase opens, what the reader's
messages are sealed to, what is kept of them and when, and where the tip stands.

Messages are sealed by ``intake.services.message_seal``, for both sides; the
newsroom's side of the conversation is ``tests/newsroom/test_conversation.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intake import crypto, labels
from intake.exceptions import MessageRefused, ReceiptKeyMismatch, SealBroken
from intake.models import Message, MessageKey, Tip
from intake.selectors import conversation_for_reader, reader_status
from intake.services import MAX_MESSAGE_LENGTH, reader_details_add, reader_message_add
from newsroom.models import AuditEvent
from newsroom.selectors.timeline import tip_timeline
from newsroom.services.conversation import conversation_open
from tests.factories import Newsroom
from tests.helpers import conversation_as, message_to_reader, reader_key_of, unlocked_key_of

Action = AuditEvent.Action


# --- who can read ----------------------------------------------------------------------


def test_newsroom_message_opens_with_the_receipt_passphrase(newsroom: Newsroom) -> None:
    submission = newsroom.submit("A tip", desk=newsroom.latam)
    message_to_reader(newsroom, submission.tip, "Do you have the invoice?")

    items = conversation_for_reader(
        tip=submission.tip, reader_private_key=reader_key_of(submission)
    )

    assert [(i.author_kind, i.body) for i in items] == [("newsroom", "Do you have the invoice?")]
    assert items[0].author_name == "", "the reader never learns who wrote"


def test_another_tips_passphrase_does_not_open_the_conversation(newsroom: Newsroom) -> None:
    mine = newsroom.submit("Mine", desk=newsroom.latam)
    other = newsroom.submit("Someone else's", desk=newsroom.latam)
    message_to_reader(newsroom, mine.tip, "Only for the first reader")

    with pytest.raises(ReceiptKeyMismatch, match="does not open this conversation"):
        conversation_for_reader(tip=mine.tip, reader_private_key=reader_key_of(other))
    assert conversation_for_reader(tip=other.tip, reader_private_key=reader_key_of(other)) == []


def test_reader_reply_is_sealed_to_the_desks_only_not_to_the_passphrase(
    newsroom: Newsroom,
) -> None:
    submission = newsroom.submit("A tip", desk=newsroom.latam)
    message = reader_message_add(tip=submission.tip, body="Yes, I have it")

    recipients = sorted(
        MessageKey.objects.filter(message=message).values_list("recipient", flat=True)
    )
    assert recipients == ["desk", "desk", "recovery"]
    items = conversation_for_reader(
        tip=submission.tip, reader_private_key=reader_key_of(submission)
    )
    assert [(i.author_kind, i.body) for i in items] == [("reader", None)]
    assert conversation_as(newsroom, submission.tip, "latam_journalist") == ["Yes, I have it"]
    assert conversation_as(newsroom, submission.tip, "editor") == ["Yes, I have it"]


def test_recovery_key_opens_every_message(newsroom: Newsroom) -> None:
    tip = newsroom.submit("A tip", desk=None).tip
    message_to_reader(newsroom, tip, "Question")
    reader_message_add(tip=tip, body="Answer")
    opened = []
    for message in tip.messages.order_by("position"):
        sealed = MessageKey.objects.get(message=message, recipient="recovery")
        label = labels.message_content_key(tip.id, message.id)
        content_key = crypto.unseal(
            bytes(sealed.sealed_content_key), newsroom.recovery.private_key, label=label
        )
        text = crypto.decrypt_text(
            bytes(message.body), content_key, label=labels.message_body(tip.id, message.id)
        )
        opened.append((message.author_kind, text))
    # Each message opens to its own text, in order: a swap or a duplicate fails.
    assert opened == [("newsroom", "Question"), ("reader", "Answer")]


def test_message_text_is_not_stored_in_plaintext(newsroom: Newsroom) -> None:
    tip = newsroom.submit("A tip", desk=newsroom.latam).tip
    message_to_reader(newsroom, tip, "NEWSROOM-CANARY-7781")
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
    first = message_to_reader(newsroom, submission.tip, "First")
    second = message_to_reader(newsroom, submission.tip, "Second")
    Message.objects.filter(pk=second.pk).update(body=bytes(first.body))

    with pytest.raises(ReceiptKeyMismatch):
        conversation_for_reader(tip=submission.tip, reader_private_key=reader_key_of(submission))
    with pytest.raises(SealBroken, match="message 2 of tip"):
        conversation_as(newsroom, submission.tip, "editor")


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


def test_a_reply_marks_the_tip_unread_until_a_desk_member_reads_it(newsroom: Newsroom) -> None:
    tip = newsroom.submit("A tip", desk=newsroom.latam).tip
    assert not tip.has_unread_reply
    reader_message_add(tip=tip, body="Reply")
    tip.refresh_from_db()
    assert tip.has_unread_reply

    conversation_as(newsroom, tip, "latam_journalist")
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
        tip=tip,
        user=newsroom.users["editor"],
        personal_private_key=unlocked_key_of(newsroom.users["editor"]),
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
        message_to_reader(newsroom, tip, "Question")
    with time_machine.travel(datetime(2026, 3, 4, 14, 50, tzinfo=UTC), tick=False):
        reader_message_add(tip=tip, body="Answer")
    assert conversation_as(newsroom, tip, "editor") == ["Question", "Answer"]
    assert list(tip.messages.values_list("position", flat=True)) == [1, 2]


@pytest.mark.parametrize("body", ["", "   ", "\n\r\n\t"])
def test_empty_messages_are_refused_and_nothing_is_stored(newsroom: Newsroom, body: str) -> None:
    tip = newsroom.submit("A tip", desk=newsroom.latam).tip
    with pytest.raises(MessageRefused, match="cannot be empty"):
        reader_message_add(tip=tip, body=body)
    with pytest.raises(MessageRefused, match="cannot be empty"):
        message_to_reader(newsroom, tip, body)
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
    reader_key = reader_key_of(submission)
    message_to_reader(newsroom, submission.tip, body)
    items = conversation_for_reader(tip=submission.tip, reader_private_key=reader_key)
    assert items[-1].body == body.replace("\r\n", "\n").replace("\r", "\n")


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
