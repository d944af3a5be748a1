"""The authentication backend: a password is checked by unlocking the personal key.

The admin's login page calls ``newsroom.services.logins.login_attempt`` itself (it
needs the unlocked key and the specific refusal); this backend serves Django's
``authenticate()`` everywhere else with the same check, lockout and budget.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import User
from django.http import HttpRequest

from .exceptions import LoginRefused


class StaffBackend(ModelBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        from .services.logins import login_attempt  # services import models; keep start-up light

        if username is None or password is None:
            return None
        try:
            return login_attempt(username=username, password=password).user
        except LoginRefused:
            return None
