"""Personal keys: made with the account, unlocked at login, rotated when the password
changes, replaced when an administrator resets it (flows 5 and 6 of the sealing design).

One Argon2id run over the password yields both the login verifier (Django's
password hash, ``newsroom.hashers``) and the key that wraps the personal private
key, so a login costs one memory-hard derivation. Every derivation runs before
the short transaction that stores its result (``intake.kdf`` refuses otherwise).
Private keys pass through as arguments only: never stored unwrapped, logged or
put in an exception message.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction

from intake import crypto, kdf, labels
from intake.models import Desk

from ..exceptions import KeyLocked
from ..hashers import stored_password_encode, stored_password_matches, stored_password_parse
from ..models import AuditEvent, DeskKeyGrant, DeskMembership, PersonalKey
from .audit import audit
from .notifications import notify_account_reset
from .sessions import staff_sessions_end

Action = AuditEvent.Action


def _wrapped_new_pair(user_id: int, keys: crypto.PasswordKeys) -> tuple[crypto.KeyPair, bytes]:
    pair = crypto.generate_keypair()
    return pair, crypto.wrap_with_password_keys(
        pair.private_key, keys, label=labels.personal_key(user_id)
    )


def _personal_key_store(user: User, pair: crypto.KeyPair, wrapped: bytes) -> None:
    PersonalKey.objects.update_or_create(
        user=user, defaults={"public_key": pair.public_key, "wrapped_private_key": wrapped}
    )


def staff_account_create(
    *, username: str, password: str, email: str = "", is_superuser: bool = False
) -> User:
    """Create a staff account with its personal key: one derivation, then one transaction."""
    keys = kdf.password_keys(password)
    with transaction.atomic():
        user = User(username=username, email=email, is_staff=True, is_superuser=is_superuser)
        user.password = stored_password_encode(keys)
        user.save()
        pair, wrapped = _wrapped_new_pair(user.pk, keys)
        _personal_key_store(user, pair, wrapped)
        audit(action=Action.PERSONAL_KEY_CREATED, actor=None, subject_user=user)
    return user


def staff_login(*, user: User, password: str) -> bytes | None:
    """Check ``password`` and unlock the personal key with the same derivation.

    Returns the personal private key, or ``None`` for a wrong password. The usual
    case costs exactly one memory-hard derivation. A user without a personal key
    (made by ``createsuperuser``) gets one; a key wrapped under another derivation
    (an earlier format) is re-wrapped; a key the verified password cannot open (the
    password was set outside Pista, for example by ``changepassword``) is replaced
    exactly as an administrator's reset would, and the event is audited.
    """
    stored = stored_password_parse(user.password)
    if stored is None:
        return _login_with_foreign_hash(user, password)
    keys = kdf.password_keys(password, salt=stored.salt, params=stored.params)
    if not stored_password_matches(stored, keys):
        return None
    if stored.params != crypto.PASSWORD_KDF:  # the cost was raised since: re-derive once
        keys = kdf.password_keys(password)
    personal = PersonalKey.objects.filter(user=user).first()
    label = labels.personal_key(user.pk)
    if personal is not None and crypto.password_wrap_matches(
        bytes(personal.wrapped_private_key), keys
    ):
        try:
            return crypto.unwrap_with_password_keys(
                bytes(personal.wrapped_private_key), keys, label=label
            )
        except crypto.DecryptionError:
            return _personal_key_replace(user, keys, actor=None, reason="did not open")
    if personal is not None:
        try:  # wrapped under another derivation: one more, then never again
            private_key = kdf.password_unwrap(
                bytes(personal.wrapped_private_key), password, label=label
            )
        except crypto.DecryptionError:
            return _personal_key_replace(user, keys, actor=None, reason="did not open")
        with transaction.atomic():
            personal.wrapped_private_key = crypto.wrap_with_password_keys(
                private_key, keys, label=label
            )
            personal.save(update_fields=["wrapped_private_key", "updated_at"])
            _password_hash_store(user, keys)
        return private_key
    pair, wrapped = _wrapped_new_pair(user.pk, keys)
    with transaction.atomic():
        _personal_key_store(user, pair, wrapped)
        _password_hash_store(user, keys)
        audit(action=Action.PERSONAL_KEY_CREATED, actor=user, subject_user=user)
    return pair.private_key


def _login_with_foreign_hash(user: User, password: str) -> bytes | None:
    """A password hash of another kind (set outside Pista): check it with Django, then
    move the account to Pista's hash with a new personal key (as a reset would)."""
    if not user.has_usable_password() or not user.check_password(password):
        return None
    keys = kdf.password_keys(password)
    return _personal_key_replace(user, keys, actor=None, reason="password set outside Pista")


def _password_hash_store(user: User, keys: crypto.PasswordKeys) -> None:
    user.password = stored_password_encode(keys)
    user.save(update_fields=["password"])


def _withdraw_grants(user: User) -> int:
    withdrawn, _ = DeskKeyGrant.objects.filter(user=user).delete()
    return withdrawn


def _personal_key_replace(
    user: User, keys: crypto.PasswordKeys, *, actor: User | None, reason: str
) -> bytes:
    """A new key pair under ``keys``; every grant is withdrawn (their holders must grant
    again), audited against each of the user's desks so its coordinators see it."""
    pair, wrapped = _wrapped_new_pair(user.pk, keys)
    with transaction.atomic():
        withdrawn = _withdraw_grants(user)
        _personal_key_store(user, pair, wrapped)
        _password_hash_store(user, keys)
        _audit_against_desks(
            user,
            action=Action.PERSONAL_KEY_RESET,
            actor=actor,
            detail=f"{reason}; {withdrawn} desk key grant(s) withdrawn",
        )
    return pair.private_key


def _audit_against_desks(user: User, *, action: str, actor: User | None, detail: str) -> None:
    """One audit row per desk of ``user`` (so each desk's coordinators see it), or one
    without a desk for someone on none."""
    desks: list[Desk | None] = [
        m.desk for m in DeskMembership.objects.filter(user=user).select_related("desk")
    ]
    for desk in desks or [None]:
        audit(action=action, actor=actor, subject_user=user, desk=desk, detail=detail)


def staff_password_change(
    *, user: User, new_password: str, unlocked_private_key: bytes | None, old_password: str
) -> bytes:
    """Change ``user``'s own password and rotate their personal key pair (flow 5).

    The old private key is at hand (``unlocked_private_key`` from the session, or
    opened with ``old_password``), so every desk-key grant is re-sealed to the new
    public key in the same transaction: nothing in the live database opens with
    the old key any more. Every other session of the user ends. Returns the new
    private key, for the session that made the change.
    """
    personal = PersonalKey.objects.filter(user=user).first()
    if personal is None:
        raise KeyLocked(
            "You have no personal key yet. Log out and log in again, then change the password."
        )
    old_private = unlocked_private_key
    if old_private is None:
        old_private = kdf.password_unwrap(
            bytes(personal.wrapped_private_key), old_password, label=labels.personal_key(user.pk)
        )
    keys = kdf.password_keys(new_password)
    pair, wrapped = _wrapped_new_pair(user.pk, keys)
    with transaction.atomic():
        locked = PersonalKey.objects.select_for_update().get(pk=personal.pk)
        if bytes(locked.public_key) != bytes(personal.public_key):
            raise KeyLocked(
                "Your personal key was changed by another session while the password was "
                "being changed. Log in again and change the password once more."
            )
        resealed = _grants_reseal(user, old_private, pair.public_key)
        locked.public_key = pair.public_key
        locked.wrapped_private_key = wrapped
        locked.save(update_fields=["public_key", "wrapped_private_key", "updated_at"])
        _password_hash_store(user, keys)
        audit(
            action=Action.PERSONAL_KEY_ROTATED,
            actor=user,
            subject_user=user,
            detail=f"new key {locked.fingerprint}; {resealed} desk key grant(s) re-sealed",
        )
    return pair.private_key


def _grants_reseal(user: User, old_private: bytes, new_public: bytes) -> int:
    grants = list(DeskKeyGrant.objects.select_for_update().filter(user=user))
    for grant in grants:
        label = labels.desk_key_grant(grant.desk_key_id, user.pk)
        try:
            desk_private = crypto.unseal(bytes(grant.wrapped_private_key), old_private, label=label)
        except crypto.CryptoError:
            grant.delete()  # it no longer opened anyway: the member must be granted again
            continue
        grant.wrapped_private_key = crypto.seal(desk_private, new_public, label=label)
        grant.save(update_fields=["wrapped_private_key"])
    return len(grants)


def staff_password_reset(*, user: User, new_password: str | None, actor: User | None) -> None:
    """An administrator sets ``user``'s password without the old one (flow 6).

    The old personal key cannot be opened, so the user gets a new key pair and
    every desk-key grant they held is withdrawn; the reset is audited against each
    of their desks (their coordinators see who did it and when), the user is told
    by e-mail, and every session of theirs ends. ``None`` disables password login:
    the personal key is removed.
    """
    if new_password is None:
        with transaction.atomic():
            user.set_unusable_password()
            user.save(update_fields=["password"])
            withdrawn = _withdraw_grants(user)
            PersonalKey.objects.filter(user=user).delete()
            _audit_against_desks(
                user,
                action=Action.PERSONAL_KEY_RESET,
                actor=actor,
                detail=f"password login disabled; {withdrawn} desk key grant(s) withdrawn",
            )
    else:
        _personal_key_replace(
            user, kdf.password_keys(new_password), actor=actor, reason="password reset"
        )
    staff_sessions_end(user=user, keep_session_key=None, actor=actor, reason="password reset")
    if actor is None or actor.pk != user.pk:
        notify_account_reset(user)
