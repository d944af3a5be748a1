"""Staff forms that keep the personal keyring in step with the password."""

from __future__ import annotations

from typing import Any

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AdminPasswordChangeForm, PasswordChangeForm

from .actor import current_actor
from .services import keyring_unlock, staff_password_change, staff_password_reset

#: Attribute set on the request when a login unlocked the personal key.
UNLOCKED_KEY_ATTR = "pista_unlocked_key"


class KeyringAuthenticationForm(AdminAuthenticationForm):
    """Admin login that also unlocks the personal key while the password is at hand."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        user = self.get_user()
        if user is not None and self.request is not None:
            private_key = keyring_unlock(user=user, password=cleaned["password"])
            setattr(self.request, UNLOCKED_KEY_ATTR, private_key)
        return cleaned


class KeyringPasswordChangeForm(PasswordChangeForm):
    """A staff member changes their own password: the personal key is re-wrapped (flow 5)."""

    def save(self, commit: bool = True) -> Any:
        staff_password_change(
            user=self.user,
            old_password=self.cleaned_data["old_password"],
            new_password=self.cleaned_data["new_password1"],
        )
        return self.user


class KeyringAdminPasswordChangeForm(AdminPasswordChangeForm):  # type: ignore[type-arg]  # not subscriptable at run time
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
