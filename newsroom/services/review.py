"""Reviewing a tip: status transitions, claims, notes, moving it to another desk, and the
bulk forms of these (all-or-nothing).

Who may review is decided per desk (``newsroom.access.can_review``). Reasons and
notes can name people, so they are encrypted under the tip's content key:
whoever can read the tip can read them, nobody else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from intake import crypto, labels
from intake.exceptions import PistaError
from intake.models import Desk, DeskKey, SealedKey, Tip
from intake.selectors import desk_key_active

from ..access import can_review
from ..exceptions import ClaimError, ReviewError
from ..models import AuditEvent, FollowUp, Note, StatusChange
from ..selectors.tips import tips_visible_to
from ..unsealing import tip_content_key
from ..workflow import ALLOWED_TRANSITIONS, is_reopening
from .audit import audit
from .conversation import message_keys_follow_tip
from .notifications import notify_tip_accepted
from .tips import tip_delete

Status = Tip.Status
Action = AuditEvent.Action


def _ensure_can_review(tip: Tip, actor: User) -> None:
    if not tips_visible_to(actor).filter(pk=tip.pk).exists():
        raise ReviewError("This tip was not sent to any of your desks.")
    if not can_review(tip, actor):
        raise ReviewError("Only the editors of this tip's desks can change its status or move it.")


@transaction.atomic
def tip_transition(
    *,
    tip: Tip,
    actor: User,
    to_status: str,
    reason: str = "",
    duplicate_of: Tip | None = None,
    personal_private_key: bytes | None = None,
) -> StatusChange:
    """Move ``tip`` to ``to_status`` if the review rules allow it.

    A reopening needs a reason; a reason is sealed under the tip's content key,
    so it needs the actor's unlocked key. A duplicate needs the tip it repeats.
    """
    _ensure_can_review(tip, actor)
    locked = Tip.objects.select_for_update().get(pk=tip.pk)
    from_status = locked.status
    if to_status not in Status.values:
        raise ReviewError(f"“{to_status}” is not a tip status.")
    if to_status not in ALLOWED_TRANSITIONS[from_status]:
        raise ReviewError(
            f"A tip that is {Status(from_status).label.lower()} cannot become "
            f"{Status(to_status).label.lower()}."
        )
    reason = reason.strip()
    if is_reopening(from_status, to_status) and not reason:
        raise ReviewError("Reopening a tip needs a reason: say why it goes back to review.")
    if to_status == Status.DUPLICATE:
        if duplicate_of is None:
            raise ReviewError("Say which tip this one repeats (its reference).")
        if duplicate_of.pk == locked.pk:
            raise ReviewError("A tip cannot be a duplicate of itself.")
        if not tips_visible_to(actor).filter(pk=duplicate_of.pk).exists():
            raise ReviewError("The original tip must be one you can see.")
    elif duplicate_of is not None:
        raise ReviewError("Only a duplicate links to another tip.")

    change = StatusChange(tip=locked, actor=actor, from_status=from_status, to_status=to_status)
    if reason:
        content_key = tip_content_key(
            tip=locked, user=actor, personal_private_key=personal_private_key
        )
        change.reason = crypto.encrypt_text(
            reason, content_key, label=labels.status_reason(locked.id, change.id)
        )
    change.save(force_insert=True)

    locked.status = to_status
    locked.duplicate_of = duplicate_of if to_status == Status.DUPLICATE else None
    locked.save(update_fields=["status", "duplicate_of"])
    tip.status, tip.duplicate_of = locked.status, locked.duplicate_of
    audit(
        action=Action.STATUS_CHANGED,
        actor=actor,
        tip_id=locked.pk,
        tip_reference=locked.reference,
        detail=f"{from_status} -> {to_status}",
    )
    if to_status == Status.ACCEPTED:
        # The desk's coordinator decides who follows it up; the e-mail leaves after commit.
        notify_tip_accepted(locked)
    return change


def tips_transition(*, tips: Iterable[Tip], actor: User, to_status: str) -> tuple[int, list[str]]:
    """Bulk version of :func:`tip_transition` without reasons.

    All-or-nothing: if any tip cannot move, nothing moves and the errors say which.
    """
    return _all_or_nothing(
        tips, lambda tip: tip_transition(tip=tip, actor=actor, to_status=to_status)
    )


def _all_or_nothing(tips: Iterable[Tip], action: Callable[[Tip], object]) -> tuple[int, list[str]]:
    """Apply ``action`` to every tip in one transaction; on any refusal undo them all and
    return the refusals, each naming its tip."""
    tips = list(tips)
    with transaction.atomic():
        errors = []
        for tip in tips:
            try:
                action(tip)
            except PistaError as exc:
                errors.append(f"{tip.reference}: {exc}")
        if errors:
            transaction.set_rollback(True)
            return 0, errors
    return len(tips), []


# --- claims ----------------------------------------------------------------------------


@transaction.atomic
def tip_claim(*, tip: Tip, actor: User) -> None:
    """Claim an unclaimed tip. Of two editors claiming at once, exactly one wins."""
    _ensure_can_review(tip, actor)
    won = Tip.objects.filter(pk=tip.pk, claimed_by__isnull=True).update(
        claimed_by=actor, claimed_at=timezone.now()
    )
    if not won:
        holder = (
            Tip.objects.filter(pk=tip.pk).values_list("claimed_by__username", flat=True).first()
        )
        raise ClaimError(
            f"{holder} already holds this tip. Take it over (with a reason) if you must."
        )
    tip.refresh_from_db(fields=["claimed_by", "claimed_at"])
    audit(action=Action.TIP_CLAIMED, actor=actor, tip_id=tip.pk, tip_reference=tip.reference)


@transaction.atomic
def tip_release(*, tip: Tip, actor: User) -> None:
    """Release a claim the actor holds."""
    released = Tip.objects.filter(pk=tip.pk, claimed_by=actor).update(
        claimed_by=None, claimed_at=None
    )
    if not released:
        raise ClaimError("You do not hold this tip, so there is nothing to release.")
    tip.claimed_by, tip.claimed_at = None, None
    audit(action=Action.TIP_RELEASED, actor=actor, tip_id=tip.pk, tip_reference=tip.reference)


@transaction.atomic
def tip_take_over(
    *, tip: Tip, actor: User, reason: str, personal_private_key: bytes | None
) -> None:
    """Take over another editor's claim; the reason is kept as a sealed note."""
    _ensure_can_review(tip, actor)
    # ``of``: PostgreSQL cannot lock the nullable side of the outer join to the holder.
    locked = Tip.objects.select_for_update(of=("self",)).select_related("claimed_by").get(pk=tip.pk)
    if locked.claimed_by_id is None:
        raise ClaimError("Nobody holds this tip: claim it instead.")
    if locked.claimed_by_id == actor.pk:
        raise ClaimError("You already hold this tip.")
    if not reason.strip():
        raise ClaimError("Taking over someone's tip needs a reason.")
    previous = locked.claimed_by.get_username() if locked.claimed_by else ""
    note_add(
        tip=locked,
        actor=actor,
        text=f"Took over from {previous}: {reason.strip()}",
        personal_private_key=personal_private_key,
    )
    locked.claimed_by, locked.claimed_at = actor, timezone.now()
    locked.save(update_fields=["claimed_by", "claimed_at"])
    tip.claimed_by, tip.claimed_at = locked.claimed_by, locked.claimed_at
    audit(
        action=Action.TIP_TAKEN_OVER,
        actor=actor,
        tip_id=locked.pk,
        tip_reference=locked.reference,
        detail=f"from {previous}",
    )


# --- notes -----------------------------------------------------------------------------


@transaction.atomic
def note_add(*, tip: Tip, actor: User, text: str, personal_private_key: bytes | None) -> Note:
    """Add an internal note, sealed under the tip's content key."""
    text = text.strip()
    if not text:
        raise ReviewError("A note cannot be empty.")
    content_key = tip_content_key(tip=tip, user=actor, personal_private_key=personal_private_key)
    note = Note(tip=tip, author=actor)
    note.body = crypto.encrypt_text(text, content_key, label=labels.note(tip.id, note.id))
    note.save(force_insert=True)
    audit(action=Action.NOTE_ADDED, actor=actor, tip_id=tip.pk, tip_reference=tip.reference)
    return note


# --- moving to another desk ------------------------------------------------------------


@transaction.atomic
def tip_move(*, tip: Tip, actor: User, target: Desk, personal_private_key: bytes | None) -> None:
    """Hand a tip to another regional desk: re-seal its content key to the target
    desk's public key and delete the source regional desk's sealed copy.

    The general desk and the recovery key keep their copies. The actor must be
    able to open the tip (through any desk key they hold).
    """
    _ensure_can_review(tip, actor)
    if target.is_general:
        raise ReviewError("Every tip is already with the general desk; choose a regional desk.")
    if not target.is_active:
        raise ReviewError(f"{target} is not active.")
    if tip.desk_id == target.pk:
        raise ReviewError(f"This tip is already with {target}.")
    active = [FollowUp.Status.OPEN, FollowUp.Status.IN_PROGRESS]
    if FollowUp.objects.filter(tip=tip, status__in=active).exists():
        # Its follow-ups belong to the current desk; moving the tip under them would
        # leave that desk working on a tip it can no longer read.
        raise ReviewError(
            f"This tip has follow-ups in progress on {tip.desk}: mark them done or dropped "
            "before moving it."
        )
    content_key = tip_content_key(tip=tip, user=actor, personal_private_key=personal_private_key)
    source = tip.desk
    if source is not None:
        SealedKey.objects.filter(tip=tip, desk_key__desk=source).delete()
    target_key: DeskKey = desk_key_active(target)
    SealedKey.objects.create(
        tip=tip,
        desk_key=target_key,
        sealed_content_key=crypto.seal(
            content_key, bytes(target_key.public_key), label=labels.tip_content_key(tip.id)
        ),
    )
    # The conversation's messages are sealed to the tip's desks: they move with it.
    message_keys_follow_tip(tip=tip, user=actor, personal_private_key=personal_private_key)
    tip.desk = target
    tip.save(update_fields=["desk"])
    audit(
        action=Action.TIP_MOVED,
        actor=actor,
        desk=target,
        tip_id=tip.pk,
        tip_reference=tip.reference,
        detail=f"from {source or 'general only'} to {target}",
    )


def tips_move(
    *,
    tips: Iterable[Tip],
    actor: User,
    target: Desk,
    personal_private_key: bytes | None,
) -> tuple[int, list[str]]:
    """Bulk :func:`tip_move`, all-or-nothing like :func:`tips_transition`."""
    return _all_or_nothing(
        tips,
        lambda tip: tip_move(
            tip=tip, actor=actor, target=target, personal_private_key=personal_private_key
        ),
    )


def tips_delete(*, tips: Iterable[Tip], actor: User) -> tuple[int, list[str]]:
    """Delete tips for good (flow 8), all-or-nothing, only by their desks' editors.

    Each goes with every sealed copy of its content key, its notes, conversation
    and follow-ups, in one transaction; the audit trail keeps its reference.
    """
    tips = list(tips)
    with transaction.atomic():
        errors = [
            f"{tip.reference}: only the editors of this tip's desks can delete it."
            for tip in tips
            if not can_review(tip, actor)
        ]
        if errors:
            return 0, errors
        for tip in tips:
            tip_delete(tip=tip, actor=actor)
    return len(tips), []
