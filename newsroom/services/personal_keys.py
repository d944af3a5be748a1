"""Personal keys: created with the password, unlocked at login, re-wrapped or replaced
when the password changes (flows 5 and 6 of the sealing design).

Every memory-hard derivation runs before the short transaction that stores its
result (``intake.kdf`` refuses otherwise).
"""

from __future__ import annotations

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.db import transaction

from intake import crypto, kdf, labels

from ..exceptions import KeyLocked
from ..models import AuditEvent, DeskKeyGrant, PersonalKey
from .audit import audit

Action = AuditEvent.Action


def _new_wrapped_keypair(user: User, password: str) -> tuple[crypto.KeyPair, bytes]:
    """A fresh personal key pair and its private half wrapped under ``password``.

    Runs the memory-hard derivation, so it is called before any transaction opens.
    """
    pair = crypto.generate_keypair()
    return pair, kdf.password_wrap(pair.private_key, password, label=labels.personal_key(user.pk))


def _personal_key_store(user: User, pair: crypto.KeyPair, wrapped: bytes) -> None:
    PersonalKey.objects.update_or_create(
        user=user, defaults={"public_key": pair.public_key, "wrapped_private_key": wrapped}
    )


def personal_key_create(*, user: User, password: str) -> bytes:
    """Give ``user`` a personal key pair wrapped under ``password``; return the private half."""
    pair, wrapped = _new_wrapped_keypair(user, password)
    with transaction.atomic():
        _personal_key_store(user, pair, wrapped)
        audit(action=Action.PERSONAL_KEY_CREATED, actor=user, subject_user=user)
    return pair.private_key


def personal_key_unlock(*, user: User, password: str) -> bytes:
    """Return the personal private key of a user who just proved ``password``.

    A user without a personal key (e.g. made by ``createsuperuser``) gets one. A
    personal key that the verified password no longer opens (the password was set
    outside Pista, e.g. ``changepassword``) cannot be saved, so it is replaced
    exactly as an administrator's reset would.
    """
    stored = PersonalKey.objects.filter(user=user).first()
    if stored is None:
        return personal_key_create(user=user, password=password)
    try:
        return kdf.password_unwrap(
            bytes(stored.wrapped_private_key), password, label=labels.personal_key(user.pk)
        )
    except crypto.DecryptionError:
        return personal_key_reset(user=user, new_password=password, actor=None)


def staff_password_change(*, user: User, old_password: str, new_password: str) -> None:
    """Set ``user``'s new password and re-wrap their personal key under it (flow 5).

    Every derivation (Django's password hash, opening the key with the old
    password, wrapping it under the new one) runs first; one transaction then
    stores the hash and the wrap together, so the two never disagree.
    """
    encoded = make_password(new_password)
    stored = PersonalKey.objects.filter(user=user).first()
    label = labels.personal_key(user.pk)
    if stored is None:
        pair, wrapped = _new_wrapped_keypair(user, new_password)
        before = None
    else:
        before = bytes(stored.wrapped_private_key)
        private_key = kdf.password_unwrap(before, old_password, label=label)
        wrapped = kdf.password_wrap(private_key, new_password, label=label)
    with transaction.atomic():
        user.password = encoded
        user.save(update_fields=["password"])
        if stored is None:
            _personal_key_store(user, pair, wrapped)
            audit(action=Action.PERSONAL_KEY_CREATED, actor=user, subject_user=user)
            return
        locked = PersonalKey.objects.select_for_update().get(pk=stored.pk)
        if bytes(locked.wrapped_private_key) != before:
            raise KeyLocked(
                "Your personal key was changed by another session while the password was "
                "being changed. Log in again and change the password once more."
            )
        locked.wrapped_private_key = wrapped
        locked.save(update_fields=["wrapped_private_key", "updated_at"])
        audit(action=Action.PERSONAL_KEY_REWRAPPED, actor=user, subject_user=user)


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
            personal_key_remove(user=user, actor=actor)
        return
    encoded = make_password(new_password)
    pair, wrapped = _new_wrapped_keypair(user, new_password)
    with transaction.atomic():
        user.password = encoded
        user.save(update_fields=["password"])
        _personal_key_replace(user, pair, wrapped, actor)


def _withdraw_grants(user: User) -> int:
    withdrawn, _ = DeskKeyGrant.objects.filter(user=user).delete()
    return withdrawn


def personal_key_reset(*, user: User, new_password: str, actor: User | None) -> bytes:
    """Replace a lost personal key (flow 6) and withdraw every desk-key grant of the user.

    Desk memberships stay; each becomes a pending grant until a member holding
    the desk key (or the recovery key) grants it again.
    """
    pair, wrapped = _new_wrapped_keypair(user, new_password)
    with transaction.atomic():
        _personal_key_replace(user, pair, wrapped, actor)
    return pair.private_key


def _personal_key_replace(
    user: User, pair: crypto.KeyPair, wrapped: bytes, actor: User | None
) -> None:
    withdrawn = _withdraw_grants(user)
    _personal_key_store(user, pair, wrapped)
    audit(
        action=Action.PERSONAL_KEY_RESET,
        actor=actor,
        subject_user=user,
        detail=f"{withdrawn} desk key grant(s) withdrawn",
    )


@transaction.atomic
def personal_key_remove(*, user: User, actor: User | None) -> None:
    """Remove the personal key of a user whose password login was disabled."""
    withdrawn = _withdraw_grants(user)
    PersonalKey.objects.filter(user=user).delete()
    audit(
        action=Action.PERSONAL_KEY_RESET,
        actor=actor,
        subject_user=user,
        detail=f"password login disabled; {withdrawn} desk key grant(s) withdrawn",
    )
