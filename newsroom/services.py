"""State changes of the staff side: keyrings, desks, desk keys and their grants.

Every function runs in one transaction and writes an audit event. Private keys
pass through as arguments only: they are never stored unwrapped, never logged
and never put in an exception message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from uuid import UUID

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils import timezone

from intake import crypto, kdf, labels
from intake.models import MessageKey, SealedKey

from .exceptions import (
    AlreadyInitialised,
    KeyLocked,
    MissingKeyring,
    NotAllowed,
    NotInitialised,
    WrongRecoveryKey,
)
from .models import AuditEvent, Desk, DeskKey, DeskKeyGrant, DeskMembership, Keyring, RecoveryKey
from .roles import ROLE_GROUPS

Action = AuditEvent.Action

#: How many content keys one re-seal batch handles (flow 4 of the sealing design).
RESEAL_BATCH_SIZE = 500


def audit(
    *,
    action: str,
    actor: User | None = None,
    desk: Desk | None = None,
    subject_user: User | None = None,
    detail: str = "",
    tip_id: UUID | None = None,
    tip_reference: str = "",
) -> AuditEvent:
    """Record an audit event. ``detail`` must never contain tip content."""
    return AuditEvent.objects.create(
        action=action,
        actor=actor,
        desk=desk,
        subject_user=subject_user,
        detail=detail,
        tip_id=tip_id,
        tip_reference=tip_reference,
    )


# --- recovery key --------------------------------------------------------------------


def recovery_key_current() -> RecoveryKey:
    key = RecoveryKey.objects.order_by("-created_at").first()
    if key is None:
        raise NotInitialised()
    return key


@transaction.atomic
def recovery_key_create() -> crypto.KeyPair:
    """Create the newsroom recovery key and return the pair.

    Only the public half is stored; the caller must hand the private half to a
    person for offline keeping.
    """
    if RecoveryKey.objects.exists():
        raise AlreadyInitialised()
    pair = crypto.generate_keypair()
    RecoveryKey.objects.create(public_key=pair.public_key)
    audit(
        action=Action.NEWSROOM_INITIALISED,
        detail=f"fingerprint {crypto.fingerprint(pair.public_key)}",
    )
    return pair


# --- personal keyrings ---------------------------------------------------------------


def _new_wrapped_keypair(user: User, password: str) -> tuple[crypto.KeyPair, bytes]:
    """A fresh personal key pair and its private half wrapped under ``password``.

    Runs the memory-hard derivation, so it is called before any transaction opens.
    """
    pair = crypto.generate_keypair()
    return pair, kdf.password_wrap(pair.private_key, password, label=labels.personal_key(user.pk))


def _keyring_store(user: User, pair: crypto.KeyPair, wrapped: bytes) -> None:
    Keyring.objects.update_or_create(
        user=user, defaults={"public_key": pair.public_key, "wrapped_private_key": wrapped}
    )


def keyring_create(*, user: User, password: str) -> bytes:
    """Give ``user`` a personal key pair wrapped under ``password``; return the private half."""
    pair, wrapped = _new_wrapped_keypair(user, password)
    with transaction.atomic():
        _keyring_store(user, pair, wrapped)
        audit(action=Action.KEYRING_CREATED, actor=user, subject_user=user)
    return pair.private_key


def keyring_unlock(*, user: User, password: str) -> bytes:
    """Return the personal private key of a user who just proved ``password``.

    A user without a keyring (e.g. made by ``createsuperuser``) gets one. A
    keyring that the verified password no longer opens (the password was set
    outside Pista, e.g. ``changepassword``) cannot be saved, so it is replaced
    exactly as an administrator's reset would.
    """
    keyring = Keyring.objects.filter(user=user).first()
    if keyring is None:
        return keyring_create(user=user, password=password)
    try:
        return kdf.password_unwrap(
            bytes(keyring.wrapped_private_key), password, label=labels.personal_key(user.pk)
        )
    except crypto.DecryptionError:
        return keyring_reset(user=user, new_password=password, actor=None)


def staff_password_change(*, user: User, old_password: str, new_password: str) -> None:
    """Set ``user``'s new password and re-wrap their personal key under it (flow 5).

    Every derivation (Django's password hash, opening the key with the old
    password, wrapping it under the new one) runs first; one transaction then
    stores the hash and the wrap together, so the two never disagree.
    """
    encoded = make_password(new_password)
    keyring = Keyring.objects.filter(user=user).first()
    label = labels.personal_key(user.pk)
    if keyring is None:
        pair, wrapped = _new_wrapped_keypair(user, new_password)
        before = None
    else:
        before = bytes(keyring.wrapped_private_key)
        private_key = kdf.password_unwrap(before, old_password, label=label)
        wrapped = kdf.password_wrap(private_key, new_password, label=label)
    with transaction.atomic():
        user.password = encoded
        user.save(update_fields=["password"])
        if keyring is None:
            _keyring_store(user, pair, wrapped)
            audit(action=Action.KEYRING_CREATED, actor=user, subject_user=user)
            return
        locked = Keyring.objects.select_for_update().get(pk=keyring.pk)
        if bytes(locked.wrapped_private_key) != before:
            raise KeyLocked(
                "Your personal key was changed by another session while the password was "
                "being changed. Log in again and change the password once more."
            )
        locked.wrapped_private_key = wrapped
        locked.save(update_fields=["wrapped_private_key", "updated_at"])
        audit(action=Action.KEYRING_REWRAPPED, actor=user, subject_user=user)


def staff_password_reset(*, user: User, new_password: str | None, actor: User | None) -> None:
    """An administrator sets ``user``'s password without the old one (flow 6).

    The old personal key cannot be opened, so the user gets a new key pair and
    every desk-key grant they held is withdrawn. ``None`` disables password login:
    the personal key is removed. Derivations first, then one transaction.
    """
    if new_password is None:
        with transaction.atomic():
            user.set_unusable_password()
            user.save(update_fields=["password"])
            keyring_remove(user=user, actor=actor)
        return
    encoded = make_password(new_password)
    pair, wrapped = _new_wrapped_keypair(user, new_password)
    with transaction.atomic():
        user.password = encoded
        user.save(update_fields=["password"])
        _keyring_replace(user, pair, wrapped, actor)


def _withdraw_grants(user: User) -> int:
    withdrawn, _ = DeskKeyGrant.objects.filter(user=user).delete()
    return withdrawn


def keyring_reset(*, user: User, new_password: str, actor: User | None) -> bytes:
    """Replace a lost personal key (flow 6) and withdraw every desk-key grant of the user.

    Desk memberships stay; each becomes a pending grant until a member holding
    the desk key (or the recovery key) grants it again.
    """
    pair, wrapped = _new_wrapped_keypair(user, new_password)
    with transaction.atomic():
        _keyring_replace(user, pair, wrapped, actor)
    return pair.private_key


def _keyring_replace(user: User, pair: crypto.KeyPair, wrapped: bytes, actor: User | None) -> None:
    withdrawn = _withdraw_grants(user)
    _keyring_store(user, pair, wrapped)
    audit(
        action=Action.KEYRING_RESET,
        actor=actor,
        subject_user=user,
        detail=f"{withdrawn} desk key grant(s) withdrawn",
    )


@transaction.atomic
def keyring_remove(*, user: User, actor: User | None) -> None:
    """Remove the personal key of a user whose password login was disabled."""
    withdrawn = _withdraw_grants(user)
    Keyring.objects.filter(user=user).delete()
    audit(
        action=Action.KEYRING_RESET,
        actor=actor,
        subject_user=user,
        detail=f"password login disabled; {withdrawn} desk key grant(s) withdrawn",
    )


def role_groups_sync(user: User) -> None:
    """Make ``user``'s role groups exactly those of the roles they hold on some desk.

    Groups only open admin pages; what someone may do to a tip is still decided per
    desk. Keeping them in step means a demoted or removed member loses the pages too.
    """
    held = set(DeskMembership.objects.filter(user=user).values_list("role", flat=True))
    role_groups = Group.objects.filter(name__in=ROLE_GROUPS.values())
    user.groups.remove(*role_groups.exclude(name__in=[ROLE_GROUPS[r] for r in held]))
    user.groups.add(*role_groups.filter(name__in=[ROLE_GROUPS[r] for r in held]))


# --- desks and desk keys ---------------------------------------------------------------


def _new_desk_key(desk: Desk) -> tuple[DeskKey, bytes]:
    recovery = recovery_key_current()
    pair = crypto.generate_keypair()
    desk_key = DeskKey(desk=desk, public_key=pair.public_key, recovery_key=recovery)
    desk_key.recovery_wrapped_private_key = crypto.seal(
        pair.private_key, bytes(recovery.public_key), label=labels.desk_key_recovery(desk_key.id)
    )
    desk_key.save()
    return desk_key, pair.private_key


def desk_key_active(desk: Desk) -> DeskKey:
    return DeskKey.objects.get(desk=desk, retired_at__isnull=True)


@transaction.atomic
def desk_create(
    *,
    name: str,
    slug: str,
    is_general: bool = False,
    description: str = "",
    members: Sequence[tuple[User, str]] = (),
    actor: User | None = None,
) -> Desk:
    """Create a desk with a fresh key pair wrapped to the recovery key and to ``members``.

    Only public keys are needed: the private half is at hand while it is generated.
    """
    desk = Desk.objects.create(name=name, slug=slug, is_general=is_general, description=description)
    desk_key, private_key = _new_desk_key(desk)
    audit(action=Action.DESK_CREATED, actor=actor, desk=desk, detail=f"key {desk_key.fingerprint}")
    for user, role in members:
        desk_member_add(desk=desk, user=user, role=role, actor=actor, desk_private_key=private_key)
    return desk


def _grant(desk_key: DeskKey, user: User, desk_private_key: bytes) -> DeskKeyGrant:
    keyring = Keyring.objects.filter(user=user).first()
    if keyring is None:
        raise MissingKeyring(user.get_username())
    wrapped = crypto.seal(
        desk_private_key,
        bytes(keyring.public_key),
        label=labels.desk_key_grant(desk_key.id, user.pk),
    )
    grant, _ = DeskKeyGrant.objects.update_or_create(
        desk_key=desk_key, user=user, defaults={"wrapped_private_key": wrapped}
    )
    return grant


@transaction.atomic
def desk_member_add(
    *,
    desk: Desk,
    user: User,
    role: str,
    actor: User | None,
    desk_private_key: bytes | None = None,
) -> DeskMembership:
    """Add ``user`` to ``desk`` (flow 3). With the desk private key at hand, grant it too;
    without it the membership waits as a pending grant (see :func:`desk_key_grant`)."""
    if actor is not None and actor.pk == user.pk:
        # Nobody lets themselves in: an administrator on no desk must not become a reader
        # by adding themselves and waiting for a routine grant.
        raise NotAllowed("You cannot add yourself to a desk; ask one of its members.")
    membership, _ = DeskMembership.objects.update_or_create(
        desk=desk, user=user, defaults={"role": role}
    )
    if desk.coordinator_id == user.pk and role != DeskMembership.Role.COORDINATOR:
        desk.coordinator = None  # the coordinator must hold the coordinator role
        desk.save(update_fields=["coordinator"])
    role_groups_sync(user)
    audit(action=Action.MEMBER_ADDED, actor=actor, desk=desk, subject_user=user, detail=role)
    if desk_private_key is not None:
        desk_key_grant(desk=desk, user=user, desk_private_key=desk_private_key, actor=actor)
    return membership


@transaction.atomic
def desk_key_grant(
    *, desk: Desk, user: User, desk_private_key: bytes, actor: User | None
) -> DeskKeyGrant:
    """Seal the desk's active private key to a member's personal public key."""
    if not DeskMembership.objects.filter(desk=desk, user=user).exists():
        raise KeyLocked(f"{user.get_username()} is not a member of {desk}; add them first.")
    grant = _grant(desk_key_active(desk), user, desk_private_key)
    audit(action=Action.KEY_GRANTED, actor=actor, desk=desk, subject_user=user)
    return grant


def desk_private_key_from_grant(
    *,
    desk_key: DeskKey,
    user: User,
    personal_private_key: bytes,
    grant: DeskKeyGrant | None = None,
) -> bytes:
    """Open ``user``'s grant of ``desk_key`` with their unlocked personal key.

    Pass ``grant`` when it is already loaded, to save the query.
    """
    if grant is None:
        grant = DeskKeyGrant.objects.filter(desk_key=desk_key, user=user).first()
    if grant is None:
        raise KeyLocked(
            f"You have no copy of the {desk_key.desk} desk key yet. A desk member whose key "
            "is unlocked must grant it to you."
        )
    try:
        return crypto.unseal(
            bytes(grant.wrapped_private_key),
            personal_private_key,
            label=labels.desk_key_grant(desk_key.id, user.pk),
        )
    except crypto.CryptoError as exc:
        raise KeyLocked(
            "Your copy of this desk key does not match your personal key (it was replaced). "
            "Ask a desk member to grant the desk key to you again."
        ) from exc


def desk_private_key_from_recovery(*, desk_key: DeskKey, recovery_private_key: bytes) -> bytes:
    """Open a desk key with the newsroom recovery key (read from the offline file)."""
    try:
        return crypto.unseal(
            bytes(desk_key.recovery_wrapped_private_key),
            recovery_private_key,
            label=labels.desk_key_recovery(desk_key.id),
        )
    except crypto.CryptoError as exc:
        raise WrongRecoveryKey() from exc


@transaction.atomic
def desk_member_remove(*, desk: Desk, user: User, actor: User | None) -> DeskKey:
    """Remove a member (flow 4): delete their grants, then rotate the desk key.

    The new key pair is sealed to the remaining members' public keys and to the
    recovery key, so no private key is needed here. Tips already sealed to the
    old key stay readable to the remaining members until
    :func:`desk_reseal_batch` moves them to the new key.
    """
    DeskKeyGrant.objects.filter(desk_key__desk=desk, user=user).delete()
    DeskMembership.objects.filter(desk=desk, user=user).delete()
    role_groups_sync(user)
    if desk.coordinator_id == user.pk:
        desk.coordinator = None
        desk.save(update_fields=["coordinator"])
    audit(action=Action.MEMBER_REMOVED, actor=actor, desk=desk, subject_user=user)
    return desk_key_rotate(desk=desk, actor=actor)


@transaction.atomic
def desk_key_rotate(*, desk: Desk, actor: User | None) -> DeskKey:
    """Retire the desk's active key and start a new one for future tips."""
    old = DeskKey.objects.select_for_update().get(desk=desk, retired_at__isnull=True)
    old.retired_at = timezone.now()
    old.save(update_fields=["retired_at"])
    new_key, private_key = _new_desk_key(desk)
    members = DeskMembership.objects.filter(desk=desk).select_related("user")
    granted = 0
    for membership in members:
        # Only members who held the old key get the new one: a pending grant stays pending.
        if DeskKeyGrant.objects.filter(desk_key=old, user=membership.user).exists():
            _grant(new_key, membership.user, private_key)
            granted += 1
    audit(
        action=Action.DESK_KEY_ROTATED,
        actor=actor,
        desk=desk,
        detail=f"new key {new_key.fingerprint}, granted to {granted} member(s)",
    )
    return new_key


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
        content_key = crypto.unseal(bytes(sealed.sealed_content_key), old_private_key, label=label)
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
        content_key = crypto.unseal(
            bytes(message_key.sealed_content_key), old_private_key, label=label
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


# --- desk details and pending grants (issue 4) -----------------------------------------


@transaction.atomic
def desk_update(
    *,
    desk: Desk,
    actor: User | None,
    name: str,
    description: str,
    languages: str,
    coordinator: User | None,
    is_active: bool,
) -> Desk:
    """Change a desk's plain details. The coordinator must be a coordinator member."""
    desk.name = name
    desk.description = description
    desk.languages = languages
    desk.coordinator = coordinator
    desk.is_active = is_active
    desk.full_clean(exclude=["slug", "members"])
    desk.save(update_fields=["name", "description", "languages", "coordinator", "is_active"])
    audit(
        action=Action.DESK_UPDATED,
        actor=actor,
        desk=desk,
        subject_user=coordinator,
        detail="details changed",
    )
    return desk


@dataclass
class PendingGrantsResult:
    """What :func:`desk_grants_complete_pending` did, in words the page can show."""

    granted: list[User] = field(default_factory=list)
    #: Members still waiting, each with the reason and what would resolve it.
    waiting: list[tuple[User, str]] = field(default_factory=list)


def desk_pending_members(desk: Desk) -> list[DeskMembership]:
    """Members without a grant of the desk's active key: pending grants."""
    active = desk_key_active(desk)
    granted_ids = DeskKeyGrant.objects.filter(desk_key=active).values("user_id")
    return list(
        DeskMembership.objects.filter(desk=desk)
        .exclude(user_id__in=granted_ids)
        .select_related("user")
        .order_by("user__username")
    )


@transaction.atomic
def desk_grants_complete_pending(
    *,
    desk: Desk,
    granter: User,
    granter_personal_private_key: bytes | None,
    member_id: int | None = None,
) -> PendingGrantsResult:
    """Grant the desk key to every member still waiting for it (flow 3, completed later).

    ``granter`` must hold the desk's active key and have their personal key
    unlocked; otherwise :class:`KeyLocked` says so and nothing changes. Members
    without a personal key yet (never logged in) keep waiting, with the reason.
    With ``member_id`` only that member is granted: the desk page grants one named
    person at a time, so nobody is let in unseen among others.
    """
    if granter_personal_private_key is None:
        raise KeyLocked(
            "Your personal key is not unlocked in this session, so you cannot pass the desk "
            "key on. Log out and log in again to unlock it."
        )
    if not DeskMembership.objects.filter(desk=desk, user_id=granter.pk).exists():
        raise KeyLocked(
            f"You are not a member of {desk}, so you hold no copy of its key to pass on."
        )
    desk_private_key = desk_private_key_from_grant(
        desk_key=desk_key_active(desk),
        user=granter,
        personal_private_key=granter_personal_private_key,
    )
    result = PendingGrantsResult()
    for membership in desk_pending_members(desk):
        if member_id is not None and membership.user_id != member_id:
            continue
        member = membership.user
        if not Keyring.objects.filter(user=member).exists():
            result.waiting.append((member, str(MissingKeyring(member.get_username()))))
            continue
        desk_key_grant(desk=desk, user=member, desk_private_key=desk_private_key, actor=granter)
        result.granted.append(member)
    return result
