"""Retention (``newsroom.services.retention``, ``manage.py tips_purge``) with a frozen clock:
closed tips go once their status's period has run, with everything sealed to them and an
audit event without content; the dry run only counts; new, in-review and accepted tips,
and tips that arrived without a proof and are still new, are never purged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from intake.models import Message, MessageKey, SealedKey, Tip
from newsroom.models import AuditEvent, FollowUp, Note, StatusChange
from newsroom.selectors.retention import tip_retention
from newsroom.services.retention import tips_purge, tips_purge_in_background
from newsroom.services.review import note_add, tip_transition
from tests.factories import Newsroom, logged_in_client
from tests.helpers import (
    accepted_tip,
    assign,
    message_to_reader,
    tip_page,
    unlocked_key_of,
)

pytestmark = pytest.mark.django_db

Status = Tip.Status
START = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def _moved(newsroom: Newsroom, tip: Tip, status: str, **extra: object) -> Tip:
    tip_transition(tip=tip, actor=newsroom.users["editor"], to_status=status, **extra)  # type: ignore[arg-type]
    tip.refresh_from_db()
    return tip


def _submitted(newsroom: Newsroom, body: str, **extra: object) -> Tip:
    return newsroom.submit(body, desk=newsroom.latam, **extra).tip  # type: ignore[arg-type]


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def test_spam_goes_after_seven_days_and_not_a_day_before(newsroom: Newsroom, clock) -> None:
    tip = _moved(newsroom, _submitted(newsroom, "Buy watches"), Status.SPAM)
    clock.shift(timedelta(days=6, hours=23))
    assert tips_purge().total == 0
    clock.shift(timedelta(hours=1))
    report = tips_purge()
    assert report.total == 1
    assert report.tips == [(tip.reference, Status.SPAM)]
    assert not Tip.objects.filter(pk=tip.pk).exists()


def test_each_closed_status_has_its_own_period(newsroom: Newsroom, clock, settings) -> None:
    settings.PISTA_RETENTION_DAYS_REJECTED = 30
    settings.PISTA_RETENTION_DAYS_DUPLICATE = 20
    settings.PISTA_RETENTION_DAYS_ARCHIVED = 365
    original = _submitted(newsroom, "The original")
    rejected = _moved(newsroom, _submitted(newsroom, "Rejected"), Status.REJECTED)
    duplicate = _moved(
        newsroom, _submitted(newsroom, "Again"), Status.DUPLICATE, duplicate_of=original
    )
    archived = _moved(newsroom, _submitted(newsroom, "Archived"), Status.ARCHIVED)
    clock.shift(timedelta(days=20))
    assert tips_purge().tips == [(duplicate.reference, Status.DUPLICATE)]
    clock.shift(timedelta(days=10))
    assert tips_purge().tips == [(rejected.reference, Status.REJECTED)]
    clock.shift(timedelta(days=334))
    assert tips_purge().total == 0
    clock.shift(timedelta(days=1))
    assert tips_purge().tips == [(archived.reference, Status.ARCHIVED)]
    assert list(Tip.objects.all()) == [original]


def test_new_in_review_and_accepted_tips_are_never_purged(newsroom: Newsroom, clock) -> None:
    new_without_proof = _submitted(newsroom, "Sent with JavaScript off", arrived_with_proof=False)
    new_with_proof = _submitted(newsroom, "Sent with a proof", arrived_with_proof=True)
    in_review = _moved(newsroom, _submitted(newsroom, "Being read"), Status.IN_REVIEW)
    accepted = accepted_tip(newsroom, "Being followed up")
    clock.shift(timedelta(days=10 * 365))
    assert tips_purge().total == 0
    assert set(Tip.objects.all()) == {new_without_proof, new_with_proof, in_review, accepted}
    for tip in (new_without_proof, in_review, accepted):
        assert tip_retention(tip) is None


def test_the_period_counts_from_the_last_time_the_tip_entered_its_status(
    newsroom: Newsroom, clock
) -> None:
    editor = newsroom.users["editor"]
    tip = _moved(newsroom, _submitted(newsroom, "Looks like spam"), Status.SPAM)
    clock.shift(timedelta(days=5))
    _moved(
        newsroom,
        tip,
        Status.IN_REVIEW,
        reason="Not spam after all",
        personal_private_key=unlocked_key_of(editor),
    )
    clock.shift(timedelta(days=5))
    _moved(newsroom, tip, Status.SPAM)
    clock.shift(timedelta(days=6))
    assert tips_purge().total == 0, "six days since it became spam again"
    clock.shift(timedelta(days=1))
    assert tips_purge().total == 1


def test_a_tip_that_arrived_as_spam_counts_from_its_arrival(newsroom: Newsroom, clock) -> None:
    tip = _submitted(newsroom, "Caught by the honeypot", as_spam=True)
    assert not StatusChange.objects.filter(tip=tip).exists()
    clock.shift(timedelta(days=7))
    assert tips_purge().tips == [(tip.reference, Status.SPAM)]


def test_a_period_of_zero_keeps_the_tips(newsroom: Newsroom, clock, settings) -> None:
    settings.PISTA_RETENTION_DAYS_SPAM = 0
    tip = _moved(newsroom, _submitted(newsroom, "Spam, kept"), Status.SPAM)
    clock.shift(timedelta(days=1000))
    assert tips_purge().total == 0
    assert tip_retention(tip) is None
    assert Tip.objects.filter(pk=tip.pk).exists()


def test_the_dry_run_counts_and_deletes_nothing(newsroom: Newsroom, clock) -> None:
    spam = [_moved(newsroom, _submitted(newsroom, f"Spam {n}"), Status.SPAM) for n in range(2)]
    rejected = _moved(newsroom, _submitted(newsroom, "Rejected"), Status.REJECTED)
    clock.shift(timedelta(days=31))
    report = tips_purge(dry_run=True)
    assert report.dry_run
    assert dict(report.by_status) == {Status.SPAM: 2, Status.REJECTED: 1}
    assert {ref for ref, _ in report.tips} == {t.reference for t in [*spam, rejected]}
    assert report.summary() == "Would delete 3 tip(s): rejected 1, spam 2."
    assert Tip.objects.count() == 3
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.TIP_DELETED).exists()


def test_a_purge_removes_every_sealed_key_message_note_and_follow_up(
    newsroom: Newsroom, clock
) -> None:
    editor = newsroom.users["editor"]
    tip = accepted_tip(newsroom, "Followed up, then archived")
    assign(newsroom, tip)
    message_to_reader(newsroom, tip, "A question for the reader")
    note_add(
        tip=tip, actor=editor, text="Internal note", personal_private_key=unlocked_key_of(editor)
    )
    _moved(newsroom, tip, Status.ARCHIVED)
    kept = _submitted(newsroom, "Another tip, new")
    for model in (SealedKey, Message, MessageKey, Note, FollowUp, StatusChange):
        assert model.objects.filter(**_of(model, tip)).exists(), model
    clock.shift(timedelta(days=365))
    assert tips_purge().total == 1
    for model in (SealedKey, Message, MessageKey, Note, FollowUp, StatusChange):
        assert not model.objects.filter(**_of(model, tip)).exists(), model
    assert SealedKey.objects.filter(tip=kept).count() == 3, "other tips keep their seals"


def _of(model: type, tip: Tip) -> dict[str, object]:
    return {"message__tip_id": tip.pk} if model is MessageKey else {"tip_id": tip.pk}


def test_a_purge_is_audited_with_the_reference_and_reason_only(newsroom: Newsroom, clock) -> None:
    tip = _moved(newsroom, _submitted(newsroom, "Secret words in a spam tip"), Status.SPAM)
    clock.shift(timedelta(days=7))
    tips_purge()
    event = AuditEvent.objects.get(action=AuditEvent.Action.TIP_DELETED)
    assert event.tip_reference == tip.reference
    assert event.detail == "retention: spam after 7 days"
    assert event.actor is None
    assert "Secret" not in event.detail


def test_a_tip_reopened_after_the_list_was_read_is_not_purged(newsroom: Newsroom, clock) -> None:
    from newsroom.services import retention

    tip = _moved(newsroom, _submitted(newsroom, "Reopened at the last moment"), Status.SPAM)
    clock.shift(timedelta(days=8))
    due = list(retention.tips_due_for_deletion())
    Tip.objects.filter(pk=tip.pk).update(status=Status.IN_REVIEW)  # an editor, meanwhile
    assert retention._tip_purge(tip_id=due[0].pk, now=datetime.now(UTC)) is False
    assert Tip.objects.filter(pk=tip.pk).exists()


# --- the command and the background task ---------------------------------------------


def test_the_command_dry_run_prints_counts_and_references(newsroom: Newsroom, clock) -> None:
    tip = _moved(newsroom, _submitted(newsroom, "Spam"), Status.SPAM)
    clock.shift(timedelta(days=7))
    out = StringIO()
    call_command("tips_purge", "--dry-run", stdout=out)
    assert out.getvalue() == f"Would delete 1 tip(s): spam 1.\n  {tip.reference}  spam\n"
    assert Tip.objects.filter(pk=tip.pk).exists()
    call_command("tips_purge", stdout=out)
    assert "Deleted 1 tip(s): spam 1." in out.getvalue()
    assert not Tip.objects.filter(pk=tip.pk).exists()


def test_the_command_can_queue_the_purge_for_the_worker(newsroom: Newsroom, clock) -> None:
    tip = _moved(newsroom, _submitted(newsroom, "Spam"), Status.SPAM)
    clock.shift(timedelta(days=7))
    out = StringIO()
    call_command("tips_purge", "--background", stdout=out)
    assert "Queued the purge for the background worker" in out.getvalue()
    assert "1 tip(s) are due now" in out.getvalue()
    queued = DBTaskResult.objects.get()
    assert queued.task_path.endswith("tips_purge_in_background")
    assert Tip.objects.filter(pk=tip.pk).exists(), "nothing deleted until the worker runs it"
    assert tips_purge_in_background.call() == "Deleted 1 tip(s): spam 1."
    assert not Tip.objects.filter(pk=tip.pk).exists()


# --- the tip page says when --------------------------------------------------------------


def test_the_tip_page_says_when_the_tip_will_be_deleted(newsroom: Newsroom, clock) -> None:
    editor = logged_in_client("editor")
    spam = _moved(newsroom, _submitted(newsroom, "Spam"), Status.SPAM)
    new = _submitted(newsroom, "New")
    assert (
        "Will be deleted on 2026-03-08 (spam is kept 7 days)." in tip_page(editor, spam.pk).decode()
    )
    page = tip_page(editor, new.pk).decode()
    assert "Never deleted automatically: new, in-review and accepted tips are kept" in page
