"""Staff logins: the password step, with a per-account lockout and a newsroom-wide budget.

No IP address, user agent or place is stored or used: a locked account is locked
for everyone, and the global budget counts failed logins across all accounts in
the shared cache (Redis when ``REDIS_URL`` is set). A locked account costs no key
derivation, so a guessing run cannot load the server either. Failed logins,
lockouts and unlocks of real accounts are audited; a username that matches no
account is never written anywhere (it may be a password typed in the wrong box).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import NoReturn

from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from intake import kdf
from intake.throttle import budget_reserve, budget_spent

from ..exceptions import LoginRefused
from ..models import AuditEvent, LoginState
from .audit import audit
from .personal_keys import staff_login

Action = AuditEvent.Action
_GLOBAL_BUDGET = "login-failures"
_WRONG = gettext_lazy(
    "Please enter the correct username and password for a staff account. Both fields may "
    "be case-sensitive."
)


@dataclass(frozen=True, repr=False)
class LoginOutcome:
    """A verified password: the user and their unlocked personal key."""

    user: User
    private_key: bytes

    def __repr__(self) -> str:
        return f"LoginOutcome(user={self.user.pk}, <key redacted>)"


def _locked_message(until: object) -> str:
    return _(
        "This account is locked after too many failed logins. It unlocks by itself at "
        "%(time)s, or an administrator can unlock it now."
    ) % {"time": formats.date_format(timezone.localtime(until), "DATETIME_FORMAT")}  # type: ignore[arg-type]


def login_attempt(*, username: str, password: str) -> LoginOutcome:
    """Check a staff login's password; raise :class:`LoginRefused` saying why not.

    The order matters: the global budget and the lockout are checked before any
    key derivation.
    """
    if budget_spent(_GLOBAL_BUDGET, settings.PISTA_LOGIN_FAILURES_PER_MINUTE):
        raise LoginRefused(
            _(
                "Too many failed logins across the newsroom in the last minute, so logins "
                "are paused for a moment. Please wait a minute and try again."
            )
        )
    user = User.objects.filter(username=username).select_related("login_state").first()
    if user is None or not (user.is_active and user.is_staff):
        _unknown_account_failure(username, password)
    state, _created = LoginState.objects.get_or_create(user=user)
    now = timezone.now()
    if state.locked_until is not None and state.locked_until > now:
        raise LoginRefused(_locked_message(state.locked_until))
    private_key = staff_login(user=user, password=password)
    if private_key is None:
        _account_failure(user, state)
        raise LoginRefused(str(_WRONG))
    if state.failures or state.locked_until:
        state.failures, state.locked_until = 0, None
        state.save(update_fields=["failures", "locked_until"])
    return LoginOutcome(user=user, private_key=private_key)


def _unknown_account_failure(username: str, password: str) -> NoReturn:
    # As long as a real login, so a stopwatch cannot tell which usernames exist.
    kdf.password_keys(password)
    budget_reserve(_GLOBAL_BUDGET, settings.PISTA_LOGIN_FAILURES_PER_MINUTE)
    # The same lockout message as for a real account, counted in the cache only, so the
    # lockout does not reveal which usernames exist either.
    key = (
        "pista:login-unknown:"
        + hashlib.sha256(f"{settings.SECRET_KEY}:{username}".encode()).hexdigest()
    )
    cache.add(key, 0, timeout=settings.PISTA_LOGIN_LOCK_MINUTES * 60)
    try:
        failures = cache.incr(key)
    except ValueError:
        failures = 1
    if failures > settings.PISTA_LOGIN_FAILURES_BEFORE_LOCK:
        raise LoginRefused(
            _locked_message(timezone.now() + timedelta(minutes=settings.PISTA_LOGIN_LOCK_MINUTES))
        )
    raise LoginRefused(str(_WRONG))


def _account_failure(user: User, state: LoginState) -> None:
    budget_reserve(_GLOBAL_BUDGET, settings.PISTA_LOGIN_FAILURES_PER_MINUTE)
    with transaction.atomic():
        LoginState.objects.filter(pk=state.pk).update(failures=F("failures") + 1)
        state.refresh_from_db(fields=["failures"])
        audit(action=Action.LOGIN_FAILED, subject_user=user, detail=f"failure {state.failures}")
        if state.failures >= settings.PISTA_LOGIN_FAILURES_BEFORE_LOCK:
            state.locked_until = timezone.now() + timedelta(
                minutes=settings.PISTA_LOGIN_LOCK_MINUTES
            )
            state.save(update_fields=["locked_until"])
            audit(
                action=Action.LOGIN_LOCKED,
                subject_user=user,
                detail=f"after {state.failures} failed logins, "
                f"for {settings.PISTA_LOGIN_LOCK_MINUTES} minutes",
            )
    if state.locked_until is not None:
        raise LoginRefused(_locked_message(state.locked_until))


@transaction.atomic
def login_unlock(*, user: User, actor: User) -> bool:
    """An administrator lifts a lockout; return whether there was one."""
    changed = LoginState.objects.filter(user=user).exclude(failures=0, locked_until=None)
    if not changed.update(failures=0, locked_until=None):
        return False
    audit(action=Action.LOGIN_UNLOCKED, actor=actor, subject_user=user)
    return True


def login_locked(user: User) -> bool:
    state = LoginState.objects.filter(user=user).first()
    return bool(state and state.locked_until and state.locked_until > timezone.now())
