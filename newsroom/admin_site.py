"""Pista's admin site: a login that unlocks the personal key, the review dashboard on the
index, password changes that keep the personal key in step, and domain errors turned into
page messages in one place.

Pages run each service call through :func:`run`, which shows the service's own
message, a person's words, on failure and a success message otherwise. Anything
a page forgets to catch is caught by :meth:`NewsroomAdminSite.admin_view` and
shown by :func:`error_page`: a plain page with the message, never a 500.

This module is outside the ``newsroom.admin`` package on purpose: Django builds
the default site lazily while the package's modules register their pages on it,
so the site's own module must not import that package.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import LoginView, PasswordChangeView
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from intake.exceptions import PistaError

from .actor import acting_user
from .forms.auth import StaffPasswordChangeForm
from .models import DeskMembership
from .selectors.dashboard import dashboard_for
from .services.personal_keys import personal_key_unlock
from .unlocked_key import unlocked_key_store

_View = TypeVar("_View", bound=Callable[..., Any])
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
        {"title": gettext("This could not be done"), "message": str(error)},
        status=409,
    )


class StaffLoginView(LoginView):
    """Django's login; once the password is verified it unlocks the personal key and
    holds it for the session (``newsroom.unlocked_key``)."""

    def form_valid(self, form: AdminAuthenticationForm) -> HttpResponse:  # type: ignore[override]
        private_key = personal_key_unlock(
            user=form.get_user(), password=form.cleaned_data["password"]
        )
        response = super().form_valid(form)
        unlocked_key_store(self.request, response, private_key)
        return response


class NewsroomAdminSite(admin.AdminSite):
    site_header = _("Pista newsroom")
    site_title = _("Pista")
    index_title = _("Newsroom")

    def admin_view(self, view: _View, cacheable: bool = False) -> _View:
        """Every admin page, with domain errors that the page did not catch shown plainly."""

        @wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            try:
                return view(request, *args, **kwargs)  # type: ignore[no-any-return]
            except PistaError as exc:
                return error_page(request, exc)

        return cast(_View, super().admin_view(guarded, cacheable))

    def login(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if request.method == "GET" and self.has_permission(request):
            return HttpResponseRedirect(reverse("admin:index", current_app=self.name))
        context = {
            **self.each_context(request),
            "title": _("Log in"),
            "subtitle": None,
            "app_path": request.get_full_path(),
            "username": request.user.get_username(),
        }
        if REDIRECT_FIELD_NAME not in request.GET and REDIRECT_FIELD_NAME not in request.POST:
            context[REDIRECT_FIELD_NAME] = reverse("admin:index", current_app=self.name)
        context.update(extra_context or {})
        request.current_app = self.name
        view = StaffLoginView.as_view(
            extra_context=context,
            authentication_form=AdminAuthenticationForm,
            template_name="admin/login.html",
        )
        return cast(HttpResponse, view(request))

    def index(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> TemplateResponse:
        """The admin index, with the review dashboard for those who read tips."""
        context = dict(extra_context or {})
        user = acting_user(request)
        # Desk members only: a superuser on no desk reads no tips, so has no dashboard.
        if user.has_perm("intake.view_tip") and DeskMembership.objects.filter(user=user).exists():
            context["dashboard"] = dashboard_for(user)
        return super().index(request, context)

    def password_change(  # type: ignore[override]  # Django's view returns a redirect on success
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponseBase:
        """Django's own view with a form that re-wraps the personal key."""
        request.current_app = self.name
        view = PasswordChangeView.as_view(
            form_class=StaffPasswordChangeForm,
            success_url=reverse("admin:password_change_done", current_app=self.name),
            extra_context={**self.each_context(request), **(extra_context or {})},
        )
        return view(request)
