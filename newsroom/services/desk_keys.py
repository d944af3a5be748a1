"""Desk keys and who holds them: grants (flow 3), rotation and re-sealing (flow 4).

A desk key's private half is never stored in the clear: it is sealed to the
recovery key when made, and to each member's personal public key by a grant.
Passing it on needs it opened, by a member whose personal key is unlocked or
with the offline recovery key.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from intake import crypto, labels
from intake.exceptions import PistaError
from intake.models import Desk, DeskKey, MessageKey, SealedKey
from intake.selectors import desk_key_active, recovery_key_current

from ..access import can_manage_members
from ..exceptions import KeyLocked, MissingPersonalKey, NotAllowed
from ..models import AuditEvent, DeskKeyGrant, DeskMembership, PersonalKey
from ..selectors.desks import desk_pending_members, desk_retired_keys
from ..unsealing import desk_private_key_from_grant, unlocked_or_refuse
from .audit import audit

Action = AuditEvent.Action

#: How many content keys one re-seal batch handles (flow 4 of the sealing design).
RESEAL_BATCH_SIZE = 500


def desk_key_new(desk: Desk) -> tuple[DeskKey, bytes]:
    """Make a desk key pair, store its public half and its private half sealed to the
    recovery key; return the stored key and the private half (for granting at once)."""
    recovery = recovery_key_current()
    pair = crypto.generate_keypair()
    desk_key = DeskKey(desk=desk, public_key=pair.public_key, recovery_key=recovery)
    desk_key.recovery_wrapped_private_key = crypto.seal(
        pair.private_key, bytes(recovery.public_key), label=labels.desk_key_recovery(desk_key.id)
    )
    desk_key.save()
    return desk_key, pair.private_key


def _grant(desk_key: DeskKey, user: User, desk_private_key: bytes) -> DeskKeyGrant:
    personal = PersonalKey.objects.filter(user=user).first()
    if personal is None:
        raise MissingPersonalKey(user.get_username())
    wrapped = crypto.seal(
        desk_private_key,
        bytes(personal.public_key),
        label=labels.desk_key_grant(desk_key.id, user.pk),
    )
    grant, _created = DeskKeyGrant.objects.update_or_create(
        desk_key=desk_key, user=user, defaults={"wrapped_private_key": wrapped}
    )
    return grant


@transaction.atomic
def desk_key_grant(
    *, desk: Desk, user: User, desk_private_key: bytes, actor: User | None
) -> DeskKeyGrant:
    """Seal the desk's active private key to a member's personal public key."""
    if not DeskMembership.objects.filter(desk=desk, user=user).exists():
        raise NotAllowed(f"{user.get_username()} is not a member of {desk}; add them first.")
    grant = _grant(desk_key_active(desk), user, desk_private_key)
    audit(action=Action.KEY_GRANTED, actor=actor, desk=desk, subject_user=user)
    return grant


def desk_private_key_for_granting(
    *, desk: Desk, granter: User, granter_personal_private_key: bytes | None
) -> bytes:
    """Open the desk's active key through ``granter``'s own grant, to pass it on.

    :class:`KeyLocked` says why not: their key is locked, they are not on the desk,
    or they hold no (matching) copy of its current key.
    """
    private_key = unlocked_or_refuse(granter_personal_private_key)
    if not DeskMembership.objects.filter(desk=desk, user_id=granter.pk).exists():
        raise KeyLocked(
            _("You are not a member of %(desk)s, so you hold no copy of its key to pass on.")
            % {"desk": desk}
        )
    return desk_private_key_from_grant(
        desk_key=desk_key_active(desk), user=granter, personal_private_key=private_key
    )


@dataclass
class PendingGrantsResult:
    """What :func:`desk_grants_complete_pending` did, in words the page can show."""

    granted: list[User] = field(default_factory=list)
    #: Members still waiting, each with the reason and what would resolve it.
    waiting: list[tuple[User, str]] = field(default_factory=list)


def desk_grants_complete_pending(
    *,
    desk: Desk,
    granter: User,
    granter_personal_private_key: bytes | None,
    member_id: int | None = None,
) -> PendingGrantsResult:
    """Grant the desk key to members still waiting for it (flow 3, completed later).

    ``granter`` must hold the desk's active key and have their personal key
    unlocked; otherwise :class:`KeyLocked` says so and nothing changes. Members
    without a personal key yet (never logged in) keep waiting, with the reason.
    With ``member_id`` only that member is granted: the desk page grants one named
    person at a time, so nobody is let in unseen among others.
    """
    desk_private_key = desk_private_key_for_granting(
        desk=desk, granter=granter, granter_personal_private_key=granter_personal_private_key
    )
    result = PendingGrantsResult()
    with transaction.atomic():
        for membership in desk_pending_members(desk):
            if member_id is not None and membership.user_id != member_id:
                continue
            member = membership.user
            if not PersonalKey.objects.filter(user=member).exists():
                result.waiting.append((member, str(MissingPersonalKey(member.get_username()))))
                continue
            desk_key_grant(desk=desk, user=member, desk_private_key=desk_private_key, actor=granter)
            result.granted.append(member)
    return result


@transaction.atomic
def desk_key_rotate(*, desk: Desk, actor: User | None, why: str = "") -> DeskKey:
    """Retire the desk's active key and start a new one for future tips.

    The new key pair is sealed to the members who held the old one (their public
    keys suffice) and to the recovery key; a pending grant stays pending. The
    retired key stays, with its grants, until every seal on it has moved
    (:func:`desk_reseal_batch`), so an interrupted re-seal loses nothing.
    """
    old = DeskKey.objects.select_for_update().get(desk=desk, retired_at__isnull=True)
    old.retired_at = timezone.now()
    old.save(update_fields=["retired_at"])
    new_key, private_key = desk_key_new(desk)
    holders = DeskKeyGrant.objects.filter(desk_key=old).values("user_id")
    members = DeskMembership.objects.filter(desk=desk, user_id__in=holders).select_related("user")
    granted = 0
    for membership in members:
        _grant(new_key, membership.user, private_key)
        granted += 1
    audit(
        action=Action.DESK_KEY_ROTATED,
        actor=actor,
        desk=desk,
        detail=f"new key {new_key.fingerprint}, granted to {granted} member(s)"
        + (f"; {why}" if why else ""),
    )
    return new_key


def desk_key_rotate_now(*, desk: Desk, actor: User) -> DeskKey:
    """Rotate the desk's key on demand, from the desk page: for its coordinators and
    editors (and administrators). Older tips then move in batches (:func:`desk_reseal_next`)."""
    if not can_manage_members(actor, desk):
        raise NotAllowed(
            _("Only the coordinators and editors of %(desk)s can rotate its key.") % {"desk": desk}
        )
    return desk_key_rotate(desk=desk, actor=actor, why="rotated on demand")


@transaction.atomic
def desk_reseal_batch(
    *,
    old_key: DeskKey,
    old_private_key: bytes,
    actor: User | None,
    batch_size: int = RESEAL_BATCH_SIZE,
) -> int:
    """Move up to ``batch_size`` content keys from a retired desk key to the desk's
    active key; return how many were moved. When none remain, the retired key and
    its grants are deleted, so an old grant no longer opens anything."""
    new_key = desk_key_active(old_key.desk)
    new_public = bytes(new_key.public_key)
    batch = list(
        SealedKey.objects.select_for_update().filter(desk_key=old_key).order_by("id")[:batch_size]
    )
    for sealed in batch:
        label = labels.tip_content_key(sealed.tip_id)
        content_key = _unseal_for_reseal(bytes(sealed.sealed_content_key), old_private_key, label)
        sealed.sealed_content_key = crypto.seal(content_key, new_public, label=label)
        sealed.desk_key = new_key
        sealed.save(update_fields=["sealed_content_key", "desk_key"])
    # Conversation messages are sealed to the same desk keys as their tip: move them too,
    # in what is left of the batch, before the old key (and its seals) can be deleted.
    message_batch = list(
        MessageKey.objects.select_for_update(of=("self",))
        .filter(desk_key=old_key)
        .select_related("message")
        .order_by("id")[: batch_size - len(batch)]
    )
    for message_key in message_batch:
        label = labels.message_content_key(message_key.message.tip_id, message_key.message_id)
        content_key = _unseal_for_reseal(
            bytes(message_key.sealed_content_key), old_private_key, label
        )
        message_key.sealed_content_key = crypto.seal(content_key, new_public, label=label)
        message_key.desk_key = new_key
        message_key.save(update_fields=["sealed_content_key", "desk_key"])
    if batch or message_batch:
        audit(
            action=Action.TIPS_RESEALED,
            actor=actor,
            desk=old_key.desk,
            detail=f"{len(batch)} tip(s) and {len(message_batch)} message(s) moved to key "
            f"{new_key.fingerprint}",
        )
    if not (
        SealedKey.objects.filter(desk_key=old_key).exists()
        or MessageKey.objects.filter(desk_key=old_key).exists()
    ):
        old_key.delete()
    return len(batch) + len(message_batch)


def _unseal_for_reseal(sealed: bytes, old_private_key: bytes, label: bytes) -> bytes:
    try:
        return crypto.unseal(sealed, old_private_key, label=label)
    except crypto.CryptoError as exc:
        raise KeyLocked(
            "The key given does not open what is sealed to the retired desk key, so nothing "
            "was re-sealed. Use that key's private half (from a member's grant or the "
            "recovery key)."
        ) from exc


@dataclass(frozen=True)
class ResealProgress:
    moved: int
    #: Tips and messages still sealed to a retired key of the desk after this batch.
    remaining: int


def desk_reseal_next(
    *, desk: Desk, actor: User, personal_private_key: bytes | None, batch_size: int
) -> ResealProgress:
    """Move one bounded batch from the oldest retired key ``actor`` holds a copy of.

    Raises :class:`NotAllowed` for someone not on the desk and :class:`KeyLocked`
    when their key is locked or they held none of the retired keys.
    """
    if not DeskMembership.objects.filter(desk=desk, user_id=actor.pk).exists():
        raise NotAllowed(_("Only members of %(desk)s can re-seal its tips.") % {"desk": desk})
    private_key = unlocked_or_refuse(personal_private_key)
    retired = list(
        DeskKey.objects.filter(desk=desk, retired_at__isnull=False).order_by("retired_at")
    )
    for old_key in retired:
        try:
            old_private = desk_private_key_from_grant(
                desk_key=old_key, user=actor, personal_private_key=private_key
            )
        except PistaError:
            continue
        moved = desk_reseal_batch(
            old_key=old_key, old_private_key=old_private, actor=actor, batch_size=batch_size
        )
        return ResealProgress(moved=moved, remaining=desk_retired_keys(desk).seals)
    if retired:
        raise KeyLocked(
            _(
                "You held no copy of the retired desk key, so you cannot re-seal its tips. "
                "A member who was on the desk before the rotation can, or an administrator "
                "with the recovery key (manage.py desk_remove_member --recovery-key)."
            )
        )
    return ResealProgress(moved=0, remaining=0)
