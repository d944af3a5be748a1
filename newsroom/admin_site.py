"""Pista's admin site: the login unlocks the personal key into the split session."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.views import PasswordChangeView
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .forms import UNLOCKED_KEY_ATTR, KeyringAuthenticationForm, KeyringPasswordChangeForm
from .keyring import keyring_store, staff_user


class NewsroomAdminSite(admin.AdminSite):
    site_header = _("Pista newsroom")
    site_title = _("Pista")
    index_title = _("Newsroom")
    login_form = KeyringAuthenticationForm

    def login(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().login(request, extra_context)
        private_key = getattr(request, UNLOCKED_KEY_ATTR, None)
        if private_key is not None and request.user.is_authenticated:
            keyring_store(request, response, private_key)
        return response

    def index(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> TemplateResponse:
        """The admin index, with the review dashboard for those who read tips."""
        # Imported here: the admin site module loads before the apps' models.
        from intake.review import WAITING
        from intake.selectors import dashboard_for

        from .models import DeskMembership

        context = dict(extra_context or {})
        user = staff_user(request)
        # Desk members only: a superuser on no desk reads no tips, so has no dashboard.
        if user.has_perm("intake.view_tip") and DeskMembership.objects.filter(user=user).exists():
            context["dashboard"] = dashboard_for(user, waiting=WAITING)
        return super().index(request, context)

    def password_change(  # type: ignore[override]  # Django's view returns a redirect on success
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponseBase:
        """Django's own view with a form that re-wraps the personal key."""
        request.current_app = self.name
        view = PasswordChangeView.as_view(
            form_class=KeyringPasswordChangeForm,
            success_url=reverse("admin:password_change_done", current_app=self.name),
            extra_context={**self.each_context(request), **(extra_context or {})},
        )
        return view(request)
