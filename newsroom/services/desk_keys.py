"""Desk keys and who holds them: grants (flow 3), rotation and re-sealing (flow 4).

A desk key's private half is never stored in the clear: it is sealed to the
recovery key when made, and to each member's personal public key by a grant.
Passing it on needs it opened, by a member whose personal key is unlocked or
with the offline recovery key.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from intake import crypto, labels
from intake.exceptions import PistaError
from intake.models import Desk, DeskKey, MessageKey, SealedKey
from intake.selectors import desk_key_active, recovery_key_current
from intake.services import sealing_keys_changed

from ..access import can_manage_members
from ..exceptions import KeyLocked, MissingPersonalKey, NotAllowed
from ..models import AuditEvent, DeskKeyGrant, DeskMembership, PersonalKey
from ..selectors.desks import desk_retired_keys
from ..unsealing import desk_private_key_from_grant, unlocked_or_refuse
from .audit import audit
from .notifications import notify_desk_key_rotation_requested

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
    sealing_keys_changed()
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


def grant_fingerprint_check(*, member: User, typed: str, compared: bool) -> str:
    """Refuse a grant unless its granter compared ``member``'s fingerprint with them.

    ``typed`` is what the member read out from their own account page, by phone or
    in person: all 30 digits, or the last group of five. Returns the fingerprint.
    A wrong or missing comparison raises :class:`NotAllowed` with what to do.
    """
    personal = PersonalKey.objects.filter(user=member).first()
    if personal is None:
        raise MissingPersonalKey(member.get_username())
    printed = personal.fingerprint
    expected = crypto.fingerprint_normalise(printed)
    digits = crypto.fingerprint_normalise(typed)
    if not compared or not digits:
        raise NotAllowed(
            _(
                "Compare %(name)s's key fingerprint with them first, by phone or in person "
                "(not by e-mail or chat on this computer), and type the last five digits they "
                "read to you."
            )
            % {"name": member.get_username()}
        )
    if digits not in (expected, expected[-5:]):
        raise NotAllowed(
            _(
                "The digits do not match %(name)s's key fingerprint. Ask them to read it again "
                "from their account page. If it still differs, do not grant the key: someone "
                "else may control the account (for example after a password reset)."
            )
            % {"name": member.get_username()}
        )
    return printed


def desk_key_grant_confirmed(
    *,
    desk: Desk,
    member: User,
    granter: User,
    granter_personal_private_key: bytes | None,
    fingerprint_typed: str,
    compared: bool,
) -> DeskKeyGrant:
    """Pass the desk key to one pending member whose fingerprint the granter compared
    with them by another channel (flow 3 completed later; flow 6a).

    ``granter`` must hold the desk's active key with their personal key unlocked;
    otherwise :class:`KeyLocked` says so and nothing changes. Never in one routine
    click: a missing or wrong fingerprint raises :class:`NotAllowed`.
    """
    printed = grant_fingerprint_check(member=member, typed=fingerprint_typed, compared=compared)
    if not DeskMembership.objects.filter(desk=desk, user_id=member.pk).exists():
        raise NotAllowed(
            _("%(name)s is not a member of %(desk)s; add them first.")
            % {"name": member.get_username(), "desk": desk}
        )
    desk_private_key = desk_private_key_for_granting(
        desk=desk, granter=granter, granter_personal_private_key=granter_personal_private_key
    )
    with transaction.atomic():
        grant = _grant(desk_key_active(desk), member, desk_private_key)
        audit(
            action=Action.KEY_GRANTED,
            actor=granter,
            desk=desk,
            subject_user=member,
            detail=f"fingerprint {printed} compared",
        )
    return grant


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
    old.save(update_fields=["retired_at"])  # desk_key_new below renews the key generation
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


@transaction.atomic
def desk_key_rotation_request(*, desk: Desk, requester: User) -> None:
    """A member who fears their key was copied asks the desk's coordinators for a new desk
    key: only a rotation revokes a desk key someone may already hold."""
    if not DeskMembership.objects.filter(desk=desk, user_id=requester.pk).exists():
        raise NotAllowed(
            _("Only members of %(desk)s can ask for its key to be rotated.") % {"desk": desk}
        )
    audit(action=Action.DESK_KEY_ROTATION_REQUESTED, actor=requester, desk=desk)
    notify_desk_key_rotation_requested(desk, requester=requester)
