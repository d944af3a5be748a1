"""Keep the visitor's identifying request data out of reach of everything downstream."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

#: Request headers that identify a reader's network or browser. Nothing in Pista
#: needs them, so they are removed before any view, log record or error report sees them.
IDENTIFYING_META = (
    "REMOTE_ADDR",
    "REMOTE_HOST",
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_REAL_IP",
    "HTTP_FORWARDED",
    "HTTP_CF_CONNECTING_IP",
    "HTTP_TRUE_CLIENT_IP",
    "HTTP_USER_AGENT",
    "HTTP_REFERER",
)


class VisitorAnonymityMiddleware:
    """Blank identifying request metadata for every request, staff included.

    Staff sessions lose nothing by it, and one rule for all paths is one rule
    that cannot be routed around.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        for key in IDENTIFYING_META:
            request.META.pop(key, None)
        return self.get_response(request)
