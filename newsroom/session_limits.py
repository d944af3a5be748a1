"""Staff sessions end after ``PISTA_STAFF_IDLE_MINUTES`` without a request and after
``PISTA_STAFF_SESSION_HOURS`` in all, whatever the activity.

Ending a session flushes it: its row goes, and with it the server half of the
unlocked personal key, so the browser's cookie half opens nothing any more. The
next page is the login, which says why. Enforced here, on the server, so a
browser kept open overnight holds nothing usable in the morning.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Final

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode

SEEN_FIELD: Final = "pista_staff_seen"
SINCE_FIELD: Final = "pista_staff_since"
#: Activity is written back at most this often, so a busy page does not write every time.
_SEEN_RESOLUTION: Final = 30


def staff_session_start(request: HttpRequest) -> None:
    """Mark the start of a staff session (called by the login)."""
    now = int(time.time())
    request.session[SINCE_FIELD] = now
    request.session[SEEN_FIELD] = now


class StaffSessionLimitsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            ended = self._ended(request)
            if ended:
                logout(request)
                login = reverse("admin:login")
                query = {"ended": ended}
                if request.method == "GET":
                    query["next"] = request.get_full_path()
                return HttpResponseRedirect(f"{login}?{urlencode(query)}")
        return self.get_response(request)

    @staticmethod
    def _ended(request: HttpRequest) -> str:
        now = int(time.time())
        session = request.session
        since = session.get(SINCE_FIELD)
        seen = session.get(SEEN_FIELD)
        if not isinstance(since, int) or not isinstance(seen, int):
            staff_session_start(request)  # a session from before these limits
            return ""
        if now - seen > settings.PISTA_STAFF_IDLE_MINUTES * 60:
            return "idle"
        if now - since > settings.PISTA_STAFF_SESSION_HOURS * 3600:
            return "limit"
        if now - seen >= _SEEN_RESOLUTION:
            session[SEEN_FIELD] = now
        return ""
