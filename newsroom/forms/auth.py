"""Staff password forms: the personal key follows every password change."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.forms import AdminPasswordChangeForm, PasswordChangeForm

from ..actor import current_actor
from ..services.personal_keys import staff_password_change, staff_password_reset


class StaffPasswordChangeForm(PasswordChangeForm):
    """A staff member changes their own password: the personal key is re-wrapped (flow 5)."""

    def save(self, commit: bool = True) -> Any:
        staff_password_change(
            user=self.user,
            old_password=self.cleaned_data["old_password"],
            new_password=self.cleaned_data["new_password1"],
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
