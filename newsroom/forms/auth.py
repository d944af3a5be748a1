"""Staff password forms: the personal key follows every password change."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.forms import AdminPasswordChangeForm, PasswordChangeForm

from ..actor import current_actor
from ..services.personal_keys import staff_password_change, staff_password_reset


class StaffPasswordChangeForm(PasswordChangeForm):
    """A staff member changes their own password: the personal key pair is rotated and
    every desk-key grant re-sealed to the new one (flow 5)."""

    def __init__(self, *args: Any, unlocked_private_key: bytes | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.unlocked_private_key = unlocked_private_key
        #: Set by :meth:`save`: the new personal private key, for this session.
        self.new_private_key = b""

    def save(self, commit: bool = True) -> Any:
        self.new_private_key = staff_password_change(
            user=self.user,
            new_password=self.cleaned_data["new_password1"],
            unlocked_private_key=self.unlocked_private_key,
            old_password=self.cleaned_data["old_password"],
        )
        return self.user


class StaffPasswordResetForm(AdminPasswordChangeForm):  # type: ignore[type-arg]  # not subscriptable at run time
    """An administrator sets someone's password without the old one (flow 6).

    The old personal key cannot be opened, so the user gets a new key pair and
    every desk-key grant they held is withdrawn until a desk member grants it again.
    """

    def save(self, commit: bool = True) -> Any:
        usable = self.cleaned_data.get("set_usable_password", True)
        staff_password_reset(
            user=self.user,
            new_password=self.cleaned_data["password1"] if usable else None,
            actor=current_actor(),
        )
        return self.user
