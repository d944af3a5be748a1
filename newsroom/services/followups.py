"""Follow-ups: a coordinator hands an accepted tip to a desk member, with a brief and a due date.

Every change runs in one transaction, checks the actor's role on the desk
(``newsroom.access``), records a :class:`FollowUpEvent` for the history and an
audit event, and queues the e-mail notification it calls for.

The brief, a drop reason and comments are encrypted under the tip's content key
(flow 2 of the sealing design opens it), so they are readable exactly by the
members of the desks the tip was sealed to. Plaintext passes through as
arguments only; it is never stored, logged or put in an exception message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _

from intake import crypto, labels
from intake.models import Desk, Tip

from .. import access
from ..exceptions import FollowUpError, NotAllowed
from ..models import AuditEvent, DeskMembership, FollowUp, FollowUpComment, FollowUpEvent
from ..unsealing import TipContent, sealed_text_open, tip_content_key, tip_decrypt
from ..workflow import FOLLOWUP_TRANSITIONS
from . import notifications
from .audit import audit

Action = AuditEvent.Action
Status = FollowUp.Status

#: Bounds on the sealed texts (they are padded to buckets before encryption).
MAX_BRIEF_LENGTH = 10_000
MAX_COMMENT_LENGTH = 10_000
MAX_REASON_LENGTH = 2_000


@dataclass(frozen=True, repr=False)
class FollowUpContent:
    """A follow-up decrypted for one response: the tip, the brief, the drop reason, comments."""

    tip: TipContent
    brief: str
    drop_reason: str
    comments: list[tuple[FollowUpComment, str]]

    def __repr__(self) -> str:
        return "FollowUpContent(<redacted>)"


def followup_desk_for(tip: Tip) -> Desk:
    """The desk that follows a tip up: its regional desk, or the general desk."""
    if tip.desk_id is not None:
        return tip.desk  # type: ignore[return-value]
    return Desk.objects.get(is_general=True)


def _require_member(desk: Desk, user: User, what: str) -> None:
    if not DeskMembership.objects.filter(desk=desk, user_id=user.pk).exists():
        raise FollowUpError(
            _("%(user)s is not a member of %(desk)s, so they cannot be %(what)s.")
            % {"user": user.get_username(), "desk": desk, "what": what}
        )


def _require_coordinator(desk: Desk, actor: User) -> None:
    if not access.can_coordinate(actor, desk):
        raise NotAllowed(
            _("Only a coordinator of %(desk)s can do this.") % {"desk": desk},
        )


def _require_visible(followup: FollowUp, actor: User) -> None:
    if not access.can_see_followup(actor, followup):
        raise NotAllowed(
            _("This follow-up belongs to %(desk)s and is not yours to see or change.")
            % {"desk": followup.desk}
        )


def _seal(text: str, content_key: bytes, label: bytes, limit: int, what: str) -> bytes:
    if len(text) > limit:
        raise FollowUpError(
            _("The %(what)s is too long: at most %(limit)d characters.")
            % {"what": what, "limit": limit}
        )
    return crypto.encrypt_text(text, content_key, label=label)


def _event(followup: FollowUp, kind: str, actor: User, **fields: object) -> FollowUpEvent:
    return FollowUpEvent.objects.create(followup=followup, kind=kind, actor=actor, **fields)


def _audit(action: str, followup: FollowUp, actor: User, **extra: object) -> None:
    audit(
        action=action,
        actor=actor,
        desk=followup.desk,
        tip_id=followup.tip_id,
        tip_reference=followup.tip.reference,
        **extra,  # type: ignore[arg-type]
    )


@transaction.atomic
def followup_create(
    *,
    tip: Tip,
    assignee: User,
    brief: str,
    due_date: date,
    priority: int = FollowUp.Priority.NORMAL,
    actor: User,
    personal_private_key: bytes | None,
) -> FollowUp:
    """Assign an accepted tip to a desk member (the desk's coordinator acts).

    Raises :class:`NotAllowed` for anyone but a coordinator of the tip's desk,
    :class:`FollowUpError` for a tip that is not accepted or an assignee who is
    not on the desk, and :class:`KeyLocked` when the actor cannot open the tip
    (the brief is sealed under its content key).
    """
    desk = followup_desk_for(tip)
    _require_coordinator(desk, actor)
    if tip.status != Tip.Status.ACCEPTED:
        raise FollowUpError(
            _("Only accepted tips are followed up; this one is %(status)s.")
            % {"status": tip.get_status_display().lower()}
        )
    _require_member(desk, assignee, _("assigned its follow-ups"))
    if not brief.strip():
        raise FollowUpError(_("Write a brief: what should be followed up, and how."))
    content_key = tip_content_key(tip=tip, user=actor, personal_private_key=personal_private_key)
    followup = FollowUp(
        tip=tip,
        desk=desk,
        assignee=assignee,
        created_by=actor,
        due_date=due_date,
        priority=priority,
    )
    followup.brief = _seal(
        brief,
        content_key,
        labels.followup_brief(tip.id, followup.id),
        MAX_BRIEF_LENGTH,
        _("brief"),
    )
    followup.save(force_insert=True)
    _event(
        followup,
        FollowUpEvent.Kind.CREATED,
        actor,
        to_assignee=assignee,
        to_status=Status.OPEN,
        detail=f"due {due_date:%Y-%m-%d}, priority {followup.get_priority_display().lower()}",
    )
    _audit(Action.FOLLOWUP_CREATED, followup, actor, subject_user=assignee)
    notifications.notify_followup_assigned(followup, actor=actor)
    return followup


@transaction.atomic
def followup_reassign(*, followup: FollowUp, assignee: User, actor: User) -> FollowUp:
    """Hand an open follow-up to another desk member; the history keeps who had it."""
    followup = (
        FollowUp.objects.select_for_update().select_related("desk", "tip").get(pk=followup.pk)
    )
    _require_coordinator(followup.desk, actor)
    if not followup.is_active:
        raise FollowUpError(_("Reopen this follow-up before reassigning it."))
    if assignee.pk == followup.assignee_id:
        raise FollowUpError(
            _("%(user)s already has this follow-up.") % {"user": assignee.get_username()}
        )
    _require_member(followup.desk, assignee, _("assigned its follow-ups"))
    previous_id = followup.assignee_id
    followup.assignee = assignee
    followup.save(update_fields=["assignee", "updated_at"])
    _event(
        followup,
        FollowUpEvent.Kind.REASSIGNED,
        actor,
        from_assignee_id=previous_id,
        to_assignee=assignee,
    )
    _audit(Action.FOLLOWUP_REASSIGNED, followup, actor, subject_user=assignee)
    notifications.notify_followup_assigned(followup, actor=actor)
    return followup


@transaction.atomic
def followup_set_status(
    *,
    followup: FollowUp,
    status: str,
    actor: User,
    reason: str = "",
    personal_private_key: bytes | None = None,
) -> FollowUp:
    """Move a follow-up along: open, in progress, done, dropped (with a reason), reopened.

    The assignee and the desk's coordinators may change it. A drop reason is
    sealed under the tip's content key, so dropping needs the actor's unlocked
    key; reopening clears the reason (the history keeps the change itself).
    """
    followup = (
        FollowUp.objects.select_for_update().select_related("desk", "tip").get(pk=followup.pk)
    )
    _require_visible(followup, actor)
    if status not in FOLLOWUP_TRANSITIONS.get(followup.status, frozenset()):
        raise FollowUpError(
            _("A follow-up that is %(from)s cannot be marked %(to)s.")
            % {
                "from": followup.get_status_display().lower(),
                "to": Status(status).label.lower() if status in Status.values else status,
            }
        )
    update_fields = ["status", "updated_at"]
    if status == Status.DROPPED:
        if not reason.strip():
            raise FollowUpError(_("Say why the follow-up is dropped."))
        content_key = tip_content_key(
            tip=followup.tip, user=actor, personal_private_key=personal_private_key
        )
        followup.drop_reason = _seal(
            reason,
            content_key,
            labels.followup_drop_reason(followup.tip_id, followup.id),
            MAX_REASON_LENGTH,
            _("reason"),
        )
        update_fields.append("drop_reason")
    elif followup.drop_reason:
        followup.drop_reason = b""
        update_fields.append("drop_reason")
    previous = followup.status
    followup.status = status
    followup.save(update_fields=update_fields)
    _event(followup, FollowUpEvent.Kind.STATUS, actor, from_status=previous, to_status=status)
    _audit(Action.FOLLOWUP_STATUS_CHANGED, followup, actor, detail=f"{previous} -> {status}")
    return followup


@transaction.atomic
def followup_reschedule(
    *, followup: FollowUp, due_date: date, priority: int, actor: User
) -> FollowUp:
    """Change the due date or priority (the desk's coordinators)."""
    followup = (
        FollowUp.objects.select_for_update().select_related("desk", "tip").get(pk=followup.pk)
    )
    _require_coordinator(followup.desk, actor)
    changes = []
    if due_date != followup.due_date:
        changes.append(f"due {followup.due_date:%Y-%m-%d} -> {due_date:%Y-%m-%d}")
    if priority != followup.priority:
        changes.append(
            f"priority {followup.get_priority_display().lower()} -> "
            f"{FollowUp.Priority(priority).label.lower()}"
        )
    if not changes:
        return followup
    followup.due_date = due_date
    followup.priority = priority
    followup.save(update_fields=["due_date", "priority", "updated_at"])
    detail = "; ".join(changes)
    _event(followup, FollowUpEvent.Kind.RESCHEDULED, actor, detail=detail)
    _audit(Action.FOLLOWUP_RESCHEDULED, followup, actor, detail=detail)
    return followup


@transaction.atomic
def followup_comment_add(
    *,
    followup: FollowUp,
    body: str,
    actor: User,
    personal_private_key: bytes | None,
) -> FollowUpComment:
    """Add a comment, sealed under the tip's content key (assignee and coordinators)."""
    followup = FollowUp.objects.select_related("desk", "tip").get(pk=followup.pk)
    _require_visible(followup, actor)
    if not body.strip():
        raise FollowUpError(_("The comment is empty."))
    content_key = tip_content_key(
        tip=followup.tip, user=actor, personal_private_key=personal_private_key
    )
    comment = FollowUpComment(followup=followup, author=actor)
    comment.body = _seal(
        body,
        content_key,
        labels.followup_comment(followup.tip_id, comment.id),
        MAX_COMMENT_LENGTH,
        _("comment"),
    )
    comment.save(force_insert=True)
    _audit(Action.FOLLOWUP_COMMENTED, followup, actor)
    return comment


@transaction.atomic
def followup_open(
    *, followup: FollowUp, user: User, personal_private_key: bytes | None
) -> FollowUpContent:
    """Decrypt a follow-up with its tip for someone who may see it, and record the reading.

    Raises :class:`NotAllowed` for anyone else and :class:`KeyLocked` (with a
    plain reason) when the user's key is locked or they hold no desk-key grant.
    """
    _require_visible(followup, user)
    tip = followup.tip
    content_key = tip_content_key(tip=tip, user=user, personal_private_key=personal_private_key)
    brief = sealed_text_open(
        bytes(followup.brief),
        content_key,
        label=labels.followup_brief(tip.id, followup.id),
        what="brief",
    )
    drop_reason = ""
    if followup.drop_reason:
        drop_reason = sealed_text_open(
            bytes(followup.drop_reason),
            content_key,
            label=labels.followup_drop_reason(tip.id, followup.id),
            what="drop reason",
        )
    comments = [
        (
            comment,
            sealed_text_open(
                bytes(comment.body),
                content_key,
                label=labels.followup_comment(tip.id, comment.id),
                what="comment",
            ),
        )
        for comment in followup.comments.select_related("author")
    ]
    content = FollowUpContent(
        tip=tip_decrypt(tip, content_key), brief=brief, drop_reason=drop_reason, comments=comments
    )
    audit(action=Action.TIP_READ, actor=user, tip_id=tip.pk, tip_reference=tip.reference)
    _audit(Action.FOLLOWUP_READ, followup, user)
    return content
