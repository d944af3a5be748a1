"""E-mail notifications: who gets which, that they carry no content, that a reminder run
twice sends nothing twice, and that a failing mail server leads to retries and a recorded
failure, never to silence."""

from __future__ import annotations

import logging
import smtplib
from datetime import UTC, date, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from newsroom.models import FollowUp, Notification, NotificationPreference
from newsroom.services import notifications
from newsroom.services.desks import desk_member_remove, desk_update
from newsroom.services.followups import followup_reassign, followup_reschedule, followup_set_status
from newsroom.services.notifications import (
    MAX_ATTEMPTS,
    notification_deliver,
    notification_queue,
    notify_tip_accepted,
)
from tests.factories import Newsroom, logged_in_client
from tests.helpers import accepted_tip, add_member, assign

Kind = Notification.Kind
NStatus = Notification.Status
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
DATABASE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
TIP_TEXT = "The minister's cousin signed the dam contract"
BRIEF = "Check the land registry in Cusco"


class FailingBackend(BaseEmailBackend):
    """A mail server that refuses every message."""

    def send_messages(self, email_messages: Any) -> int:
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


@pytest.fixture(autouse=True)
def _immediate_tasks(settings: Any) -> None:
    settings.TASKS = IMMEDIATE
    settings.PISTA_BASE_URL = "https://tips.example.org"


@pytest.fixture
def staffed(newsroom: Newsroom) -> Newsroom:
    """The test newsroom with e-mail addresses and a named Latin America coordinator."""
    for name, user in newsroom.users.items():
        user.email = f"{name}@newsroom.example"
        user.save(update_fields=["email"])
    desk_update(
        desk=newsroom.latam,
        actor=None,
        name=newsroom.latam.name,
        description="",
        languages="Spanish",
        coordinator=newsroom.users["latam_coord"],
        is_active=True,
    )
    return newsroom


@pytest.fixture
def committed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hand notifications to the task backend at once, as each service's commit would.

    The test's own transaction never commits, so on-commit callbacks would never run.
    """
    monkeypatch.setattr(
        notifications.transaction, "on_commit", lambda callback, **kwargs: callback()
    )


def assert_content_free(message: Any, *secrets: str) -> None:
    text = f"{message.subject}\n{message.body}"
    for secret in secrets:
        assert secret not in text, f"{secret!r} leaked into a notification"
    assert "Something is waiting for you in Pista" in message.body
    assert "https://tips.example.org/admin/" in message.body


def _remind(when: datetime) -> str:
    with time_machine.travel(when, tick=False):
        out = StringIO()
        call_command("followups_remind", stdout=out)
        return out.getvalue()


# --- each notification ------------------------------------------------------------------------


def test_the_coordinator_is_told_a_tip_was_accepted_without_a_word_of_it(
    staffed: Newsroom, django_capture_on_commit_callbacks: Any
) -> None:
    tip = accepted_tip(staffed, TIP_TEXT)
    with django_capture_on_commit_callbacks(execute=True):
        notify_tip_accepted(tip)

    (message,) = mail.outbox
    assert message.to == ["latam_coord@newsroom.example"]
    assert message.subject == "[Pista] A tip is waiting for your desk"
    assert "https://tips.example.org/admin/newsroom/followup/inbox/" in message.body
    assert_content_free(message, TIP_TEXT, tip.reference, str(tip.pk), "Latin America")
    notification = Notification.objects.get()
    assert (notification.status, notification.attempts) == (NStatus.SENT, 1)


def test_a_tip_accepted_twice_is_announced_once(staffed: Newsroom, committed: None) -> None:
    tip = accepted_tip(staffed)
    notify_tip_accepted(tip)
    notify_tip_accepted(tip)
    assert len(mail.outbox) == 1


def test_without_a_named_coordinator_every_coordinator_member_is_told(
    staffed: Newsroom, committed: None
) -> None:
    second = add_member(staffed, staffed.europe, "europe_coord", role="coordinator")
    second.email = "europe_coord@newsroom.example"
    second.save(update_fields=["email"])
    notify_tip_accepted(accepted_tip(staffed, desk=staffed.europe))
    assert [m.to for m in mail.outbox] == [["europe_coord@newsroom.example"]]


def test_the_assignee_is_told_of_a_new_follow_up_without_its_brief(
    staffed: Newsroom, committed: None
) -> None:
    tip = accepted_tip(staffed, TIP_TEXT)
    followup = assign(staffed, tip, brief=BRIEF)

    (message,) = mail.outbox
    assert message.to == ["latam_journalist@newsroom.example"]
    assert message.subject == "[Pista] A follow-up is waiting for you"
    assert_content_free(message, TIP_TEXT, BRIEF, tip.reference, str(tip.pk), str(followup.pk))


def test_the_new_assignee_is_told_of_a_reassignment(staffed: Newsroom, committed: None) -> None:
    newcomer = add_member(staffed, staffed.latam, "newcomer")
    newcomer.email = "newcomer@newsroom.example"
    newcomer.save(update_fields=["email"])
    tip = accepted_tip(staffed, TIP_TEXT)
    followup = assign(staffed, tip, brief=BRIEF)
    followup_reassign(followup=followup, assignee=newcomer, actor=staffed.users["latam_coord"])
    followup_reassign(
        followup=followup,
        assignee=staffed.users["latam_journalist"],
        actor=staffed.users["latam_coord"],
    )
    assert [m.to[0].split("@")[0] for m in mail.outbox] == [
        "latam_journalist",
        "newcomer",
        "latam_journalist",
    ]
    for message in mail.outbox:
        assert_content_free(message, TIP_TEXT, BRIEF, tip.reference)


def test_nobody_is_told_of_what_they_did_themselves(staffed: Newsroom, committed: None) -> None:
    assign(staffed, accepted_tip(staffed), assignee="latam_coord")
    assert mail.outbox == []


def test_the_assignee_is_reminded_the_day_before_the_due_date_once(
    staffed: Newsroom, committed: None
) -> None:
    tip = accepted_tip(staffed, TIP_TEXT)
    followup = assign(staffed, tip, brief=BRIEF, due=date(2026, 3, 10))

    mail.outbox.clear()
    _remind(datetime(2026, 3, 8, 7, tzinfo=UTC))
    assert mail.outbox == [], "two days before is not yet"

    output = _remind(datetime(2026, 3, 9, 7, tzinfo=UTC))
    assert "Queued 1 due-soon reminder(s)" in output
    (message,) = mail.outbox
    assert message.to == ["latam_journalist@newsroom.example"]
    assert message.subject == "[Pista] One of your follow-ups is due soon"
    assert_content_free(message, TIP_TEXT, BRIEF, tip.reference, str(followup.pk), "2026-03-10")

    _remind(datetime(2026, 3, 9, 8, tzinfo=UTC))
    _remind(datetime(2026, 3, 10, 7, tzinfo=UTC))
    assert len(mail.outbox) == 1, "cron runs again: nothing is sent twice"


def test_a_new_due_date_earns_a_new_reminder(staffed: Newsroom, committed: None) -> None:
    followup = assign(staffed, accepted_tip(staffed), due=date(2026, 3, 10))
    mail.outbox.clear()
    _remind(datetime(2026, 3, 9, 7, tzinfo=UTC))
    with time_machine.travel(datetime(2026, 3, 9, 9, tzinfo=UTC), tick=False):
        followup_reschedule(
            followup=followup,
            due_date=date(2026, 3, 20),
            priority=followup.priority,
            actor=staffed.users["latam_coord"],
        )
    _remind(datetime(2026, 3, 19, 7, tzinfo=UTC))
    assert len(mail.outbox) == 2


def test_the_coordinator_is_told_once_when_a_follow_up_is_overdue(
    staffed: Newsroom, committed: None
) -> None:
    tip = accepted_tip(staffed, TIP_TEXT)
    followup = assign(staffed, tip, brief=BRIEF, due=date(2026, 3, 10))
    done = assign(staffed, tip, due=date(2026, 3, 10))
    followup_set_status(
        followup=done, status=FollowUp.Status.DONE, actor=staffed.users["latam_journalist"]
    )
    _remind(datetime(2026, 3, 9, 7, tzinfo=UTC))
    mail.outbox.clear()

    _remind(datetime(2026, 3, 10, 23, 59, tzinfo=UTC))
    assert mail.outbox == [], "due today is not overdue yet"

    output = _remind(datetime(2026, 3, 11, 0, 5, tzinfo=UTC))
    assert "1 overdue alert(s)" in output
    (message,) = mail.outbox
    assert message.to == ["latam_coord@newsroom.example"]
    assert message.subject == "[Pista] A follow-up on your desk is overdue"
    assert "https://tips.example.org/admin/newsroom/followup/overview/" in message.body
    assert_content_free(message, TIP_TEXT, BRIEF, tip.reference, str(followup.pk))

    _remind(datetime(2026, 3, 12, 7, tzinfo=UTC))
    assert len(mail.outbox) == 1


def test_members_who_left_the_desk_are_not_reminded(staffed: Newsroom, committed: None) -> None:
    assign(staffed, accepted_tip(staffed), due=date(2026, 3, 10))
    desk_member_remove(desk=staffed.latam, user=staffed.users["latam_journalist"], actor=None)
    mail.outbox.clear()
    _remind(datetime(2026, 3, 9, 7, tzinfo=UTC))
    assert mail.outbox == []


# --- preferences ---------------------------------------------------------------------------------


def test_a_user_who_turned_a_kind_off_does_not_get_it(staffed: Newsroom, committed: None) -> None:
    NotificationPreference.objects.create(
        user=staffed.users["latam_journalist"], followup_assigned=False
    )
    assign(staffed, accepted_tip(staffed), due=date(2026, 3, 10))
    assert mail.outbox == []
    assert not Notification.objects.exists()
    _remind(datetime(2026, 3, 9, 7, tzinfo=UTC))
    assert len(mail.outbox) == 1, "due-soon reminders are still on"


def test_users_edit_their_own_preferences_in_the_admin(staffed: Newsroom) -> None:
    client = logged_in_client("latam_journalist")
    start = client.get("/admin/newsroom/notificationpreference/")
    assert start.status_code == 302
    assert start["Location"] == "/admin/newsroom/notificationpreference/add/"
    response = client.post(
        "/admin/newsroom/notificationpreference/add/",
        {"followup_assigned": "on", "followup_due_soon": ""},
    )
    assert response.status_code == 302
    own = NotificationPreference.objects.get(user=staffed.users["latam_journalist"])
    assert (own.followup_assigned, own.followup_due_soon, own.tip_accepted) == (True, False, False)
    assert client.get("/admin/newsroom/notificationpreference/")["Location"].endswith(
        f"/{own.pk}/change/"
    )

    theirs = NotificationPreference.objects.create(user=staffed.users["latam_coord"])
    other = client.get(f"/admin/newsroom/notificationpreference/{theirs.pk}/change/")
    assert other.status_code == 302, "someone else's preferences do not exist for you"
    client.post(
        f"/admin/newsroom/notificationpreference/{theirs.pk}/change/",
        {"tip_accepted": ""},
    )
    theirs.refresh_from_db()
    assert theirs.tip_accepted is True


# --- failures, retries and the worker ------------------------------------------------------


def test_a_failing_mail_server_is_retried_and_the_failure_recorded(
    staffed: Newsroom, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.EMAIL_BACKEND = "tests.newsroom.test_notifications.FailingBackend"
    with time_machine.travel(datetime(2026, 3, 1, 9, tzinfo=UTC), tick=False):
        notification = notification_queue(
            recipient=staffed.users["latam_coord"], kind=Kind.TIP_ACCEPTED, dedupe_key="t1"
        )
        assert notification is not None
        assert notification_deliver(str(notification.pk)) == NStatus.RETRYING
    notification.refresh_from_db()
    assert notification.attempts == 1
    assert notification.last_error.startswith("SMTPServerDisconnected")
    assert notification.next_attempt_at == datetime(2026, 3, 1, 9, 1, tzinfo=UTC)
    assert "retrying" in caplog.text

    # Not due yet: a reminder run leaves it alone.
    assert "re-queued 0" in _remind(datetime(2026, 3, 1, 9, 0, 30, tzinfo=UTC))
    # The mail server is back; the next run after the back-off sends it.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert "re-queued 1" in _remind(datetime(2026, 3, 1, 9, 2, tzinfo=UTC))
    notification.refresh_from_db()
    assert (notification.status, notification.attempts, notification.last_error) == (
        NStatus.SENT,
        2,
        "",
    )
    assert len(mail.outbox) == 1


def test_a_send_that_keeps_failing_ends_as_a_logged_failure(
    staffed: Newsroom, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.EMAIL_BACKEND = "tests.newsroom.test_notifications.FailingBackend"
    notification = notification_queue(
        recipient=staffed.users["latam_coord"], kind=Kind.TIP_ACCEPTED, dedupe_key="t1"
    )
    assert notification is not None
    when = datetime(2026, 3, 1, 9, tzinfo=UTC)
    for _attempt in range(MAX_ATTEMPTS):
        with time_machine.travel(when, tick=False):
            notification_deliver(str(notification.pk))
        notification.refresh_from_db()
        when = (notification.next_attempt_at or when) + timedelta(seconds=1)
    assert (notification.status, notification.attempts) == (NStatus.FAILED, MAX_ATTEMPTS)
    assert notification.last_error.startswith("SMTPServerDisconnected")
    failures = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(failures) == 1
    assert "failed for good" in failures[0].getMessage()
    # Given up means given up: a later run neither sends nor re-queues it.
    assert notification_deliver(str(notification.pk)) == "skipped"


def test_the_back_off_grows_between_attempts(staffed: Newsroom, settings: Any) -> None:
    settings.EMAIL_BACKEND = "tests.newsroom.test_notifications.FailingBackend"
    notification = notification_queue(
        recipient=staffed.users["latam_coord"], kind=Kind.TIP_ACCEPTED, dedupe_key="t1"
    )
    assert notification is not None
    delays = []
    when = datetime(2026, 3, 1, 9, tzinfo=UTC)
    for _attempt in range(MAX_ATTEMPTS - 1):
        with time_machine.travel(when, tick=False):
            notification_deliver(str(notification.pk))
        notification.refresh_from_db()
        assert notification.next_attempt_at is not None
        delays.append(notification.next_attempt_at - when)
        when = notification.next_attempt_at
    assert delays == list(notifications.BACKOFF)


def test_a_recipient_without_an_address_is_recorded_not_dropped(
    staffed: Newsroom, committed: None, caplog: pytest.LogCaptureFixture
) -> None:
    coordinator = staffed.users["latam_coord"]
    coordinator.email = ""
    coordinator.save(update_fields=["email"])
    notify_tip_accepted(accepted_tip(staffed))
    notification = Notification.objects.get()
    assert notification.status == NStatus.FAILED
    assert notification.last_error == "The user has no e-mail address."
    assert "has no e-mail address" in caplog.text


def test_a_notification_is_sent_once_even_if_delivered_twice(
    staffed: Newsroom, committed: None
) -> None:
    notify_tip_accepted(accepted_tip(staffed))
    notification = Notification.objects.get()
    assert notification_deliver(str(notification.pk)) == "skipped"
    assert len(mail.outbox) == 1


def test_a_notification_whose_task_was_lost_is_queued_again(
    staffed: Newsroom, settings: Any
) -> None:
    # No on-commit hand-off here: as if the process died before the task was queued.
    with time_machine.travel(datetime(2026, 3, 1, 9, tzinfo=UTC), tick=False):
        notify_tip_accepted(accepted_tip(staffed))
    assert mail.outbox == []
    assert "re-queued 0" in _remind(datetime(2026, 3, 1, 9, 5, tzinfo=UTC))
    assert "re-queued 1" in _remind(datetime(2026, 3, 1, 9, 30, tzinfo=UTC))
    assert len(mail.outbox) == 1


def test_the_database_worker_sends_queued_notifications_and_defers_retries(
    staffed: Newsroom,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # The worker closes "old" database connections between tasks; inside the test's
    # transaction that would close the test's own connection, so it is left open here.
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    settings.TASKS = DATABASE
    settings.EMAIL_BACKEND = "tests.newsroom.test_notifications.FailingBackend"
    with django_capture_on_commit_callbacks(execute=True):
        notify_tip_accepted(accepted_tip(staffed))
    task = DBTaskResult.objects.get()
    assert task.args_kwargs["args"] == [str(Notification.objects.get().pk)]
    assert mail.outbox == [], "nothing is sent in the request: the worker sends"

    call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)
    notification = Notification.objects.get()
    assert (notification.status, notification.attempts) == (NStatus.RETRYING, 1)
    retry = DBTaskResult.objects.exclude(pk=task.pk).get()
    assert retry.run_after == notification.next_attempt_at

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)
    assert mail.outbox == [], "the retry waits for its back-off"
    assert notification.next_attempt_at is not None
    with time_machine.travel(notification.next_attempt_at + timedelta(seconds=1), tick=False):
        call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)
    notification.refresh_from_db()
    assert notification.status == NStatus.SENT
    assert len(mail.outbox) == 1


def test_accepting_a_tip_in_the_review_queue_tells_the_coordinator(
    staffed: Newsroom, django_capture_on_commit_callbacks: Any
) -> None:
    from newsroom.services.review import tip_transition

    tip = staffed.submit(TIP_TEXT, desk=staffed.latam).tip
    with django_capture_on_commit_callbacks(execute=True):
        tip_transition(tip=tip, actor=staffed.users["editor"], to_status="accepted")

    (message,) = mail.outbox
    assert message.to == ["latam_coord@newsroom.example"]
    assert_content_free(message, TIP_TEXT, tip.reference, str(tip.pk), "Latin America")
    with django_capture_on_commit_callbacks(execute=True):
        tip_transition(tip=tip, actor=staffed.users["editor"], to_status="archived")
    assert len(mail.outbox) == 1, "only acceptance is announced"
