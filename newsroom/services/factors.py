"""Second factors for staff: authenticator apps (TOTP), passkeys and security keys
(WebAuthn, registered through django-otp-webauthn's ceremony views), and one-time
recovery codes.

Every staff page past the login asks for a verified second factor
(``newsroom.admin_site``). Adding or removing a factor ends the user's other
sessions; an administrator's reset of someone's factors is audited against each
of their desks and e-mailed to them, as a password reset is. Codes and keys are
never logged; recovery codes are shown once and stored as django-otp stores them.
"""

from __future__ import annotations

import base64
import secrets
from datetime import timedelta
from typing import Any, Final

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp import devices_for_user, user_has_device
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from intake.exceptions import PistaError

from ..models import AuditEvent
from .audit import audit
from .notifications import notify_account_reset
from .personal_keys import _audit_against_desks
from .sessions import staff_sessions_end

Action = AuditEvent.Action
RECOVERY_CODE_COUNT: Final = 10
#: Twelve base32 characters: 60 bits each, and the device throttles guessing anyway.
_RECOVERY_CODE_LENGTH: Final = 12
RECOVERY_DEVICE_NAME: Final = "Recovery codes"
#: How long one QR code of an authenticator-app enrolment stays valid.
ENROLMENT_MINUTES: Final = 15


class FactorError(PistaError):
    """A second-factor change that cannot be made as asked."""


def factors_of(user: User) -> list[Device]:
    """The user's confirmed second factors, recovery codes last."""
    devices = list(devices_for_user(user, confirmed=True))
    return sorted(devices, key=lambda d: isinstance(d, StaticDevice))


def has_second_factor(user: User) -> bool:
    return bool(user_has_device(user, confirmed=True))


def has_primary_factor(user: User) -> bool:
    """An authenticator app or a passkey (recovery codes alone do not count)."""
    return any(not isinstance(d, StaticDevice) for d in factors_of(user))


def recovery_code_normalise(text: str) -> str:
    return "".join(char for char in text.lower() if char.isalnum())


# --- authenticator apps ---------------------------------------------------------------


@transaction.atomic
def totp_enrolment_start(*, user: User) -> TOTPDevice:
    """An unconfirmed authenticator-app device, to show as a QR code until confirmed.

    The same one for :data:`ENROLMENT_MINUTES`, so reloading the page does not undo a
    scan; after that, or once confirmed, a new one. Abandoned ones are removed.
    """
    since = timezone.now() - timedelta(minutes=ENROLMENT_MINUTES)
    unconfirmed = TOTPDevice.objects.filter(user=user, confirmed=False)
    unconfirmed.filter(created_at__lt=since).delete()
    device = unconfirmed.order_by("-created_at").first()
    if device is not None:
        return device
    return TOTPDevice.objects.create(user=user, name=_("Authenticator app"), confirmed=False)


def totp_enrolment_confirm(
    *, user: User, device_id: int, token: str, session_key: str | None
) -> TOTPDevice:
    """Confirm an authenticator app with a code it shows; end the user's other sessions."""
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=user, pk=device_id, confirmed=False)
            .first()
        )
        if device is None:
            raise FactorError(_("This set-up has expired. Start again to get a new QR code."))
        if not device.verify_token(token.strip().replace(" ", "")):
            raise FactorError(
                _(
                    "That code does not match. Check that the app shows Pista's entry and "
                    "type the six digits it shows now."
                )
            )
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        audit(action=Action.FACTOR_ADDED, actor=user, subject_user=user, detail="authenticator app")
    staff_sessions_end(user=user, keep_session_key=session_key, actor=user, reason="factor added")
    return device


def totp_qr_svg_data_uri(device: TOTPDevice) -> str:
    """The device's set-up QR code as an SVG data URI, drawn here (nothing from elsewhere)."""
    import segno

    return str(segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2))


def totp_secret_for_typing(device: TOTPDevice) -> str:
    """The secret in base32 groups, for an app that cannot scan."""
    secret = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


# --- recovery codes ---------------------------------------------------------------------


@transaction.atomic
def recovery_codes_create(*, user: User) -> list[str]:
    """Make a new set of one-time recovery codes (the old set stops working); return them
    for showing once."""
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_DEVICE_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    alphabet = "abcdefghijklmnopqrstuvwxyz234567"
    codes = [
        "".join(secrets.choice(alphabet) for _ in range(_RECOVERY_CODE_LENGTH))
        for _ in range(RECOVERY_CODE_COUNT)
    ]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    audit(
        action=Action.RECOVERY_CODES_CREATED,
        actor=user,
        subject_user=user,
        detail=f"{len(codes)} codes",
    )
    return codes


def recovery_codes_left(user: User) -> int:
    return int(StaticToken.objects.filter(device__user=user, device__confirmed=True).count())


def recovery_code_display(code: str) -> str:
    return " ".join(code[i : i + 4] for i in range(0, len(code), 4))


# --- verifying at login -------------------------------------------------------------------


def factor_verify(*, user: User, token: str) -> Device | None:
    """The device that accepts ``token`` (an app's code or a recovery code), or ``None``.

    Each device throttles its own failures (django-otp doubles the wait each time).
    A recovery code works once and its use is audited.
    """
    cleaned = token.strip().replace(" ", "")
    with transaction.atomic():
        if cleaned.isdigit():
            for device in TOTPDevice.objects.filter(user=user, confirmed=True).select_for_update():
                if device.verify_token(cleaned):
                    return device
            return None
        code = recovery_code_normalise(token)
        for static in StaticDevice.objects.filter(user=user, confirmed=True).select_for_update():
            if static.verify_token(code):
                audit(
                    action=Action.RECOVERY_CODE_USED,
                    actor=user,
                    subject_user=user,
                    detail=f"{recovery_codes_left(user)} left",
                )
                return static
    return None


def verification_throttled(user: User) -> bool:
    """Whether the user's factors make them wait before the next try (after wrong codes)."""
    return any(not device.verify_is_allowed()[0] for device in factors_of(user))


def verification_refused_reason(*, throttled_before: bool) -> str:
    """Why a code was refused, in words: a wait after wrong ones, or simply a wrong code."""
    if throttled_before:
        return _(
            "Too many wrong codes in a row: wait a few seconds before the next try (the "
            "wait doubles with each wrong code). Nothing was checked this time."
        )
    return _("That code is not right. Type the code your app shows now, or a recovery code.")


# --- removing and resetting ------------------------------------------------------------


def factor_remove(*, user: User, device: Device, session_key: str | None) -> None:
    """Remove one of the user's own factors; the last app or passkey cannot go."""
    if device.user_id != user.pk:
        raise FactorError(_("That is not one of your second factors."))
    if not isinstance(device, StaticDevice):
        others = [d for d in factors_of(user) if not isinstance(d, StaticDevice) and d != device]
        if not others:
            raise FactorError(
                _(
                    "This is your only authenticator app or passkey. Add another one first, "
                    "so that you can still log in."
                )
            )
    with transaction.atomic():
        name = _factor_kind(device)
        device.delete()
        audit(action=Action.FACTOR_REMOVED, actor=user, subject_user=user, detail=name)
    staff_sessions_end(user=user, keep_session_key=session_key, actor=user, reason="factor removed")


def factor_added(*, user: User, device: Device, session_key: str | None) -> None:
    """Record a factor registered through another flow (a passkey's ceremony)."""
    audit(action=Action.FACTOR_ADDED, actor=user, subject_user=user, detail=_factor_kind(device))
    staff_sessions_end(user=user, keep_session_key=session_key, actor=user, reason="factor added")


def factors_reset(*, user: User, actor: User) -> int:
    """An administrator removes every second factor of someone who lost theirs.

    They enrol again at their next login. Audited against each of their desks (the
    coordinators see who did it and when), e-mailed to them; every session ends.
    """
    if actor.pk == user.pk:
        raise FactorError(_("You cannot reset your own second factors; ask another administrator."))
    with transaction.atomic():
        removed = 0
        for device in list(devices_for_user(user, confirmed=None)):
            device.delete()
            removed += 1
        _audit_against_desks(
            user,
            action=Action.FACTORS_RESET,
            actor=actor,
            detail=f"{removed} factor(s) removed; the user enrols again at the next login",
        )
    staff_sessions_end(user=user, keep_session_key=None, actor=actor, reason="factors reset")
    notify_account_reset(user)
    return removed


def _factor_kind(device: Any) -> str:
    if isinstance(device, TOTPDevice):
        return "authenticator app"
    if isinstance(device, WebAuthnCredential):
        return "passkey"
    if isinstance(device, StaticDevice):
        return "recovery codes"
    return type(device).__name__
