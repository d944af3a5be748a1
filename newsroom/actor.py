"""Who is acting: the logged-in staff member of a request, and of the current request for
code that is handed no request (Django builds its password-reset form without one)."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

_actor: ContextVar[User | None] = ContextVar("pista_actor", default=None)


def acting_user(request: HttpRequest) -> User:
    """The logged-in staff member of an admin request; anyone else is refused (403).

    The one typed way to get the user of a staff request: the admin has already
    checked the login, this narrows the type and refuses the anonymous.
    """
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not user.is_authenticated:
        raise PermissionDenied
    return user


def current_actor() -> User | None:
    """The staff member acting in the current request, for audit rows written deep down."""
    return _actor.get()


class ActorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        token = _actor.set(user if isinstance(user, User) and user.is_authenticated else None)
        try:
            return self.get_response(request)
        finally:
            _actor.reset(token)
