"""Domain errors on staff pages, turned into page messages in one place.

Pages run each service call through :func:`run`, which shows the service's own
message, a person's words, on failure and a success message otherwise. Anything
a page forgets to catch is caught by the admin site (``NewsroomAdminSite.admin_view``)
and shown by :func:`error_page`: a plain page with the message, never a 500.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.contrib import messages
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from intake.exceptions import PistaError

T = TypeVar("T")


def run(
    request: HttpRequest,
    action: Callable[[], T],
    *,
    success: str | Callable[[T], str] | None = None,
) -> tuple[bool, T | None]:
    """Run ``action``; on a domain error show its message and return ``(False, None)``.

    On success show ``success`` (a text, or a function of the result) and return
    ``(True, result)``.
    """
    try:
        result = action()
    except PistaError as exc:
        messages.error(request, str(exc))
        return False, None
    if success is not None:
        messages.success(request, success(result) if callable(success) else success)
    return True, result


def error_page(request: HttpRequest, error: PistaError) -> TemplateResponse:
    """The page for a domain error no view caught: its message, with a way back."""
    return TemplateResponse(
        request,
        "admin/newsroom/error.html",
        {"title": _("This could not be done"), "message": str(error)},
        status=409,
    )
