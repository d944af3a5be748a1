"""Reads of staff accounts for the user list: lockouts and second factors, in one query."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from ..models import LoginState


def staff_with_account_state(users: QuerySet[Any]) -> QuerySet[Any]:
    """``users`` annotated ``is_locked`` and ``has_factor`` (a confirmed second factor)."""

    def confirmed(model: Any) -> Exists:
        return Exists(model.objects.filter(user=OuterRef("pk"), confirmed=True))

    annotated: QuerySet[Any] = users.annotate(
        is_locked=Exists(
            LoginState.objects.filter(user=OuterRef("pk"), locked_until__gt=timezone.now())
        ),
        has_factor=confirmed(TOTPDevice) | confirmed(WebAuthnCredential) | confirmed(StaticDevice),
    )
    return annotated
