"""Staff accounts beyond Django's user: failed-login state, and sessions by user.

No IP address, user agent or other trace of where a login came from is ever
stored: the lockout is per account and the global budget lives in the cache.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.utils.translation import gettext_lazy as _


class LoginState(models.Model):
    """Failed password attempts on one staff account, and its lockout."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="login_state"
    )
    #: Failed attempts since the last successful login or unlock.
    failures = models.PositiveIntegerField(default=0)
    #: Set when the failures reached the limit; empty when the account is not locked.
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)

    class Meta:
        verbose_name = _("login state")

    def __str__(self) -> str:
        return f"Login state of {self.user}"


class StaffSession(AbstractBaseSession):
    """Django's database session with the user it belongs to, so that every session of a
    person can be ended at once ("log out everywhere", a password or factor change).

    Readers' check-back sessions have no user: ``user_id`` stays empty.
    """

    user_id = models.BigIntegerField(null=True, db_index=True)

    class Meta:
        verbose_name = _("session")

    @classmethod
    def get_session_store_class(cls) -> type:
        from newsroom.sessions import SessionStore

        return SessionStore
