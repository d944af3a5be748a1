"""The staff member acting in the current request, for audit rows written deep in a form.

Django's admin builds its password-reset form without the request, yet the
audit trail must say who reset whom. A context variable set per request is the
narrowest way to carry that; nothing else reads it.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar

from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse

_actor: ContextVar[User | None] = ContextVar("pista_actor", default=None)


def current_actor() -> User | None:
    return _actor.get()


class ActorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        token = _actor.set(user if user is not None and user.is_authenticated else None)
        try:
            return self.get_response(request)
        finally:
            _actor.reset(token)
