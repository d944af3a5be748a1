"""Pista's admin site: a login in two steps (the password unlocks the personal key, then a
second factor), the review dashboard on the index, password changes that rotate the
personal key, and domain errors shown plainly (``newsroom.admin_errors``).

Every admin page needs a verified second factor. A member who gave the right
password but has not proved one yet is sent to the second step (or, with no
factor at all, to enrolment) and sees nothing else.

This module is outside the ``newsroom.admin`` package on purpose: Django builds
the default site lazily while the package's modules register their pages on it,
so the site's own module must not import that package.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django import forms
from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth import login as auth_login
from django.contrib.auth.views import LoginView, PasswordChangeView
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, URLResolver, path, reverse
from django.utils.decorators import method_decorator
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters

from intake.exceptions import PistaError

from . import account_views
from .actor import acting_user
from .admin_errors import error_page
from .forms.auth import StaffPasswordChangeForm
from .models import DeskMembership
from .selectors.dashboard import dashboard_for
from .services.logins import login_attempt
from .services.sessions import staff_sessions_end
from .session_limits import staff_session_start
from .unlocked_key import unlocked_key, unlocked_key_store

_View = TypeVar("_View", bound=Callable[..., Any])

ENDED = {
    "idle": _("You were logged out after a while without activity. Log in again to go on."),
    "limit": _("Your session reached its time limit. Log in again to go on."),
}


class StaffLoginForm(forms.Form):
    """The password step. It validates the fields only; the view checks the password."""

    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, request: HttpRequest | None = None, *args: Any, **kwargs: Any) -> None:
        self.request = request
        super().__init__(*args, **kwargs)


class StaffLoginView(LoginView):
    """The password step: one key derivation checks the password and unlocks the personal
    key (``newsroom.services.logins``); then the second step."""

    form_class = StaffLoginForm  # type: ignore[assignment]

    def form_valid(self, form: StaffLoginForm) -> HttpResponse:  # type: ignore[override]
        try:
            outcome = login_attempt(
                username=form.cleaned_data["username"], password=form.cleaned_data["password"]
            )
        except PistaError as exc:
            form.add_error(None, str(exc))
            return self.form_invalid(form)  # type: ignore[arg-type]
        auth_login(self.request, outcome.user, backend="newsroom.backends.StaffBackend")
        staff_session_start(self.request)
        target = self.get_success_url()
        query = urlencode({REDIRECT_FIELD_NAME: target})
        response = HttpResponseRedirect(f"{reverse('admin:pista_verify')}?{query}")
        unlocked_key_store(self.request, response, outcome.private_key)
        return response


class StaffPasswordChangeView(PasswordChangeView):
    """Django's own page; the change rotates the personal key and ends other sessions."""

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["unlocked_private_key"] = unlocked_key(self.request)
        return kwargs

    def form_valid(self, form: StaffPasswordChangeForm) -> HttpResponse:
        response = super().form_valid(form)  # saves, then keeps this session logged in
        unlocked_key_store(self.request, response, form.new_private_key)
        staff_sessions_end(
            user=acting_user(self.request),
            keep_session_key=self.request.session.session_key,
            actor=acting_user(self.request),
            reason="password changed",
        )
        return response


class NewsroomAdminSite(admin.AdminSite):
    site_header = _("Pista newsroom")
    site_title = _("Pista")
    index_title = _("Newsroom")

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(
            user.is_active and user.is_staff and getattr(user, "is_verified", lambda: False)()
        )

    def admin_view(self, view: _View, cacheable: bool = False) -> _View:
        """Every admin page: the second factor first, and domain errors shown plainly."""

        @wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            try:
                return view(request, *args, **kwargs)  # type: ignore[no-any-return]
            except PistaError as exc:
                return error_page(request, exc)

        protected = super().admin_view(guarded, cacheable)

        @wraps(view)
        def second_factor_first(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            return account_views.second_factor_step(request) or protected(request, *args, **kwargs)

        return cast(_View, second_factor_first)

    def get_urls(self) -> list[URLResolver | URLPattern]:
        view = self.admin_view
        own = [
            path("verify/", account_views.verify_view, name="pista_verify"),
            path("enrol/", account_views.enrol_view, name="pista_enrol"),
            path("account/", view(account_views.account_view), name="pista_account"),
            path(
                "account/recovery-codes/",
                view(account_views.recovery_codes_view),
                name="pista_recovery_codes",
            ),
            path(
                "account/factors/<str:kind>/<int:device_id>/remove/",
                view(account_views.factor_remove_view),
                name="pista_factor_remove",
            ),
            path(
                "account/sessions/end/",
                view(account_views.logout_everywhere_view),
                name="pista_logout_everywhere",
            ),
            path(
                "account/desks/<int:desk_id>/ask-rotation/",
                view(account_views.rotation_request_view),
                name="pista_rotation_request",
            ),
        ]
        return [*own, *super().get_urls()]

    @method_decorator(sensitive_post_parameters("password"))
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
            "ended": ENDED.get(request.GET.get("ended", "")),
        }
        if REDIRECT_FIELD_NAME not in request.GET and REDIRECT_FIELD_NAME not in request.POST:
            context[REDIRECT_FIELD_NAME] = reverse("admin:index", current_app=self.name)
        context.update(extra_context or {})
        request.current_app = self.name
        view = StaffLoginView.as_view(extra_context=context, template_name="admin/login.html")
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
        request.current_app = self.name
        view = StaffPasswordChangeView.as_view(
            form_class=StaffPasswordChangeForm,
            success_url=reverse("admin:password_change_done", current_app=self.name),
            extra_context={**self.each_context(request), **(extra_context or {})},
        )
        return view(request)
