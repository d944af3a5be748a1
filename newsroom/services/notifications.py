"""E-mail notifications, sent in the background and never silently dropped.

An e-mail leaves the newsroom's control (mail servers, inboxes, phones), so it
carries no tip content and no reference: only that something is waiting and a
link to the admin page where it waits. Subject and body are rendered from the
notification's kind alone; nothing about the tip is stored with the
notification either.

Each notification is a :class:`Notification` row, created in the caller's
transaction under a unique ``dedupe_key`` (so a reminder run twice sends nothing
twice) and handed to the ``notification_send_in_background`` task once the transaction
commits. The task claims the row, sends, and records the outcome. A failed send
is recorded and retried with a growing delay, up to :data:`MAX_ATTEMPTS`; the last
failure is logged as an error and left visible in the admin. ``manage.py
followups_remind`` (run from cron) also re-queues any notification whose task was
lost, so a worker that was down only delays delivery.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from intake.models import Desk, Tip

from ..models import (
    AuditEvent,
    DeskMembership,
    FollowUp,
    Notification,
    NotificationPreference,
)
from .audit import audit

logger = logging.getLogger(__name__)

Kind = Notification.Kind
NStatus = Notification.Status

#: Attempts before a notification is given up on (recorded as failed and logged).
MAX_ATTEMPTS = 6
#: Delay before attempt n+1 after n failures: 1 min, 5 min, 30 min, 2 h, 6 h.
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
)
#: A send that has not reported back after this long is taken as lost (worker died).
SENDING_LEASE = timedelta(minutes=15)
#: A notification still waiting after this long had its task lost; it is queued again.
ENQUEUE_GRACE = timedelta(minutes=10)

PREFERENCE_FIELD = {
    Kind.TIP_ACCEPTED: "tip_accepted",
    Kind.FOLLOWUP_ASSIGNED: "followup_assigned",
    Kind.FOLLOWUP_DUE_SOON: "followup_due_soon",
    Kind.FOLLOWUP_OVERDUE: "followup_overdue",
}


@dataclass(frozen=True)
class Message:
    subject: str
    body: str


def _absolute(path: str) -> str:
    return f"{settings.PISTA_BASE_URL}{path}"


def notification_message(kind: str) -> Message:
    """The e-mail for ``kind``: the same words for every tip and follow-up."""
    subjects = {
        Kind.TIP_ACCEPTED: (_("A tip is waiting for your desk"), "admin:newsroom_followup_inbox"),
        Kind.FOLLOWUP_ASSIGNED: (
            _("A follow-up is waiting for you"),
            "admin:newsroom_followup_changelist",
        ),
        Kind.FOLLOWUP_DUE_SOON: (
            _("One of your follow-ups is due soon"),
            "admin:newsroom_followup_changelist",
        ),
        Kind.FOLLOWUP_OVERDUE: (
            _("A follow-up on your desk is overdue"),
            "admin:newsroom_followup_overview",
        ),
        Kind.ACCOUNT_RESET: (
            _("Your password or second factor was reset"),
            "admin:pista_account",
        ),
        Kind.DESK_KEY_ROTATION_REQUESTED: (
            _("A member of your desk asks for a new desk key"),
            "admin:intake_desk_changelist",
        ),
    }
    subject, url_name = subjects[Kind(kind)]
    if kind == Kind.ACCOUNT_RESET:
        body = _(
            "An administrator reset the password or the second factor of your Pista "
            "account. Your desks' keys were withdrawn from it until a desk member grants "
            "them again, after comparing your key's fingerprint with you.\n\n"
            "If you did not ask for this, tell your desk's coordinator at once, by phone "
            "or in person, not by replying to this e-mail.\n\n%(link)s\n"
        ) % {"link": _absolute(reverse(url_name))}
        return Message(subject=f"[Pista] {subject}", body=body)
    body = _(
        "Something is waiting for you in Pista.\n\n"
        "Open the newsroom to see it:\n%(link)s\n\n"
        "This e-mail says nothing more on purpose: what waits is readable only inside "
        "Pista, once you have logged in.\n\n"
        "To choose which e-mails you get: %(preferences)s\n"
    ) % {
        "link": _absolute(reverse(url_name)),
        "preferences": _absolute(reverse("admin:newsroom_notificationpreference_changelist")),
    }
    return Message(subject=f"[Pista] {subject}", body=body)


def notification_preferences_of(user: User) -> NotificationPreference:
    """The user's preferences; an unsaved all-on default when they never chose."""
    preference = NotificationPreference.objects.filter(user_id=user.pk).first()
    return preference or NotificationPreference(user_id=user.pk)


def _wants(user: User, kind: str) -> bool:
    field = PREFERENCE_FIELD.get(Kind(kind))
    if field is None:  # security notices are not optional
        return True
    return bool(getattr(notification_preferences_of(user), field))


@transaction.atomic
def notification_preferences_update(
    *,
    user: User,
    tip_accepted: bool,
    followup_assigned: bool,
    followup_due_soon: bool,
    followup_overdue: bool,
) -> NotificationPreference:
    """Save the user's own choice of e-mails."""
    preference, _created = NotificationPreference.objects.update_or_create(
        user_id=user.pk,
        defaults={
            "tip_accepted": tip_accepted,
            "followup_assigned": followup_assigned,
            "followup_due_soon": followup_due_soon,
            "followup_overdue": followup_overdue,
        },
    )
    off = [name for name, field in PREFERENCE_FIELD.items() if not getattr(preference, field)]
    audit(
        action=AuditEvent.Action.NOTIFICATION_PREFERENCES_CHANGED,
        actor=user,
        subject_user=user,
        detail="off: " + (", ".join(off) or "none"),
    )
    return preference


# --- queueing --------------------------------------------------------------------------


def notification_queue(*, recipient: User, kind: str, dedupe_key: str) -> Notification | None:
    """Record a notification and send it once the current transaction commits.

    Returns the new row, or ``None`` when nothing new was queued: the recipient
    is inactive, chose not to get this kind, or ``dedupe_key`` was queued before
    (nothing is sent twice). A recipient without an e-mail address gets a row
    marked failed, so the gap is visible rather than silent.
    """
    if not recipient.is_active or not _wants(recipient, kind):
        return None
    no_address = not getattr(recipient, "email", "")
    notification, created = Notification.objects.get_or_create(
        dedupe_key=f"{kind}:{recipient.pk}:{dedupe_key}",
        defaults={
            "recipient": recipient,
            "kind": kind,
            "status": NStatus.FAILED if no_address else NStatus.PENDING,
            "last_error": "The user has no e-mail address." if no_address else "",
        },
    )
    if created and no_address:
        logger.warning(
            "Notification %s not sent: user %s has no e-mail address", notification.pk, recipient.pk
        )
    elif created:
        transaction.on_commit(partial(_enqueue, notification.pk))
    return notification if created else None


def _enqueue(notification_id: uuid.UUID, run_after: datetime | None = None) -> None:
    """Hand a notification to the task backend; on failure the reminder run retries it."""
    delivery = notification_send_in_background
    try:
        if run_after is not None:
            if not delivery.get_backend().supports_defer:
                return  # no delayed tasks here: `followups_remind` re-queues it when due
            delivery = delivery.using(run_after=run_after)
        delivery.enqueue(str(notification_id))
    except Exception:  # a broken queue must not break the request that notified
        logger.exception(
            "Could not queue notification %s; `followups_remind` will queue it again",
            notification_id,
        )


# --- delivery --------------------------------------------------------------------------


@task()
def notification_send_in_background(notification_id: str) -> str:
    """The background task that sends one notification (see :func:`notification_deliver`)."""
    return notification_deliver(notification_id)


def _claim(notification_id: str, now: datetime) -> bool:
    """Take the notification for this worker; a second worker on the same row gets False."""
    claimable = Q(status__in=[NStatus.PENDING, NStatus.RETRYING]) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    return bool(
        Notification.objects.filter(claimable, pk=notification_id).update(
            status=NStatus.SENDING, next_attempt_at=now + SENDING_LEASE
        )
    )


def notification_deliver(notification_id: str) -> str:
    """Send one notification now, record the outcome and schedule a retry on failure.

    Returns the resulting status (``"skipped"`` when it was not claimable: already
    sent, given up, not yet due, or being sent by another worker).
    """
    now = timezone.now()
    if not _claim(notification_id, now):
        return "skipped"
    notification = Notification.objects.select_related("recipient").get(pk=notification_id)
    message = notification_message(notification.kind)
    notification.attempts += 1
    try:
        send_mail(
            message.subject,
            message.body,
            settings.DEFAULT_FROM_EMAIL,
            [notification.recipient.email],
            fail_silently=False,
        )
    except Exception as exc:  # any mail failure: record it, never drop it
        notification.last_error = f"{type(exc).__name__}: {exc}"[:300]
        if notification.attempts >= MAX_ATTEMPTS:
            notification.status = NStatus.FAILED
            notification.next_attempt_at = None
            logger.error(
                "Notification %s to user %s failed for good after %d attempts: %s",
                notification.pk,
                notification.recipient_id,
                notification.attempts,
                notification.last_error,
            )
        else:
            notification.status = NStatus.RETRYING
            notification.next_attempt_at = now + BACKOFF[notification.attempts - 1]
            logger.warning(
                "Notification %s failed (attempt %d), retrying after %s: %s",
                notification.pk,
                notification.attempts,
                notification.next_attempt_at.isoformat(),
                notification.last_error,
            )
    else:
        notification.status = NStatus.SENT
        notification.sent_at = now
        notification.next_attempt_at = None
        notification.last_error = ""
    notification.save(
        update_fields=["status", "attempts", "last_error", "next_attempt_at", "sent_at"]
    )
    if notification.status == NStatus.RETRYING:
        _enqueue(notification.pk, run_after=notification.next_attempt_at)
    return str(notification.status)


def notifications_requeue_due(now: datetime | None = None) -> int:
    """Queue again every notification whose retry is due or whose task was lost."""
    now = now or timezone.now()
    lost_send = Notification.objects.filter(status=NStatus.SENDING, next_attempt_at__lte=now)
    lost_send.update(status=NStatus.RETRYING)
    due = Notification.objects.filter(
        Q(status=NStatus.RETRYING, next_attempt_at__lte=now)
        | Q(status=NStatus.PENDING, created_at__lte=now - ENQUEUE_GRACE)
    ).values_list("pk", flat=True)
    ids = list(due)
    for notification_id in ids:
        _enqueue(notification_id)
    return len(ids)


# --- what is notified ------------------------------------------------------------------


def _coordinators_of(desk: Desk) -> list[User]:
    """The desk's named coordinator; without one, every member with the coordinator role."""
    if desk.coordinator_id is not None:
        return [desk.coordinator]  # type: ignore[list-item]
    User = get_user_model()
    return list(
        User.objects.filter(
            desk_memberships__desk=desk,
            desk_memberships__role=DeskMembership.Role.COORDINATOR,
        )
    )


def notify_tip_accepted(tip: Tip) -> list[Notification]:
    """Tell the coordinator of the tip's desk that a tip waits for assignment.

    Called by the review queue when a tip is accepted for a desk; at most one
    e-mail per tip and coordinator, however often it is accepted.
    """
    desk = tip.desk or Desk.objects.filter(is_general=True).first()
    if desk is None:
        return []
    queued = [
        notification_queue(recipient=coordinator, kind=Kind.TIP_ACCEPTED, dedupe_key=str(tip.pk))
        for coordinator in _coordinators_of(desk)
    ]
    return [n for n in queued if n is not None]


def notify_followup_assigned(followup: FollowUp, *, actor: User) -> Notification | None:
    """Tell the assignee a follow-up was assigned (or reassigned) to them.

    Not sent when they assigned it to themselves.
    """
    if followup.assignee_id == actor.pk:
        return None
    return notification_queue(
        recipient=followup.assignee,
        kind=Kind.FOLLOWUP_ASSIGNED,
        dedupe_key=f"{followup.pk}:{uuid.uuid4()}",  # every assignment is news
    )


def notify_account_reset(user: User) -> Notification | None:
    """Tell ``user`` that someone else reset their password or second factor."""
    return notification_queue(recipient=user, kind=Kind.ACCOUNT_RESET, dedupe_key=str(uuid.uuid4()))


def notify_desk_key_rotation_requested(desk: Desk, *, requester: User) -> list[Notification]:
    """Ask the desk's coordinators for a desk-key rotation (a member fears a compromise)."""
    queued = [
        notification_queue(
            recipient=coordinator,
            kind=Kind.DESK_KEY_ROTATION_REQUESTED,
            dedupe_key=f"{desk.pk}:{requester.pk}:{uuid.uuid4()}",
        )
        for coordinator in _coordinators_of(desk)
        if coordinator.pk != requester.pk
    ]
    return [n for n in queued if n is not None]


@dataclass(frozen=True)
class ReminderRun:
    due_soon: int
    overdue: int
    requeued: int


def followups_remind(today: date | None = None) -> ReminderRun:
    """Send the day-before reminders and overdue alerts; re-queue lost notifications.

    Idempotent: each reminder is keyed on the follow-up and its due date, so
    running it again (or every hour) sends nothing twice, while moving the due
    date earns a new reminder. Members who left the desk are not reminded.
    """
    today = today or timezone.localdate()
    active = (
        FollowUp.objects.filter(status__in=FollowUp.ACTIVE_STATUSES)
        .filter(assignee__desk_memberships__desk=F("desk"))
        .select_related("desk__coordinator", "assignee")
    )
    due_soon = 0
    # Due tomorrow, or today when yesterday's run was missed.
    for followup in active.filter(due_date__gte=today, due_date__lte=today + timedelta(days=1)):
        queued = notification_queue(
            recipient=followup.assignee,
            kind=Kind.FOLLOWUP_DUE_SOON,
            dedupe_key=f"{followup.pk}:{followup.due_date:%Y-%m-%d}",
        )
        due_soon += queued is not None
    overdue = 0
    coordinators: dict[int, list[User]] = {}
    for followup in FollowUp.objects.filter(
        status__in=FollowUp.ACTIVE_STATUSES, due_date__lt=today
    ).select_related("desk__coordinator"):
        if followup.desk_id not in coordinators:
            coordinators[followup.desk_id] = _coordinators_of(followup.desk)
        for coordinator in coordinators[followup.desk_id]:
            queued = notification_queue(
                recipient=coordinator,
                kind=Kind.FOLLOWUP_OVERDUE,
                dedupe_key=f"{followup.pk}:{followup.due_date:%Y-%m-%d}",
            )
            overdue += queued is not None
    return ReminderRun(due_soon=due_soon, overdue=overdue, requeued=notifications_requeue_due())
