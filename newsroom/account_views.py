"""The staff member's own pages: the second step of the login, enrolling a second factor,
and "My account" (fingerprint, factors, recovery codes, sessions, desk-key rotation).

Routed by ``NewsroomAdminSite.get_urls``. The login's second step and the first
enrolment are open to a logged-in member who has not yet proved a second factor;
everything else needs one, like every other staff page.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential
from django_otp_webauthn.views import CompleteCredentialRegistrationView

from intake.models import Desk

from .actor import acting_user
from .admin_errors import run
from .models import DeskMembership, PersonalKey, StaffSession
from .services.desk_keys import desk_key_rotation_request
from .services.factors import (
    factor_added,
    factor_remove,
    factor_verify,
    factors_of,
    has_second_factor,
    recovery_code_display,
    recovery_codes_create,
    recovery_codes_left,
    totp_enrolment_confirm,
    totp_enrolment_start,
    totp_qr_svg_data_uri,
    totp_secret_for_typing,
    verification_refused_reason,
    verification_throttled,
)
from .services.sessions import staff_sessions_end

FACTOR_MODELS: dict[str, Any] = {
    "app": TOTPDevice,
    "passkey": WebAuthnCredential,
    "codes": StaticDevice,
}


class CodeInput(forms.TextInput):
    """A text box that never writes a typed code back into the page (a refused one neither)."""

    def format_value(self, value: Any) -> None:
        return None


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=40,
        help_text=gettext_lazy(
            "The six digits your authenticator app shows now, or one of your recovery codes."
        ),
        widget=CodeInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"}
        ),
    )


class ConfirmAppForm(forms.Form):
    device = forms.IntegerField(widget=forms.HiddenInput)
    code = forms.CharField(
        label=gettext_lazy("Code shown by the app"),
        max_length=10,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


# --- who may open these pages ----------------------------------------------------------


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME, "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("admin:index")


def logged_in_staff(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """For the login's second step: logged in with the password, not yet verified."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or not (user.is_authenticated and user.is_active and user.is_staff):
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        return view(request, *args, **kwargs)

    return never_cache(csrf_protect(wrapper))


def second_factor_step(request: HttpRequest) -> HttpResponseRedirect | None:
    """Where a logged-in member without a verified second factor must go first, if anywhere."""
    user = request.user
    if not user.is_authenticated or getattr(user, "is_verified", lambda: False)():
        return None
    name = "admin:pista_verify" if has_second_factor(acting_user(request)) else "admin:pista_enrol"
    # Encoded: a page address with its own query (``?a=1&b=2``) must come back whole.
    query = (
        f"?{urlencode({REDIRECT_FIELD_NAME: request.get_full_path()})}"
        if request.method == "GET"
        else ""
    )
    return HttpResponseRedirect(reverse(name) + query)


def _verified(user: Any) -> bool:
    """django-otp's mark, set on the request's user by its middleware."""
    return bool(getattr(user, "is_verified", lambda: False)())


def _page(request: HttpRequest, template: str, **context: Any) -> TemplateResponse:
    from django.contrib import admin  # the site, built before any page is served

    return TemplateResponse(request, template, {**admin.site.each_context(request), **context})


# --- the login's second step -------------------------------------------------------------


@sensitive_post_parameters("code")
@logged_in_staff
def verify_view(request: HttpRequest) -> HttpResponse:
    """Prove a second factor: an app's code, a recovery code, or a passkey (with JavaScript)."""
    user = acting_user(request)
    if _verified(user):
        return HttpResponseRedirect(_next_url(request))
    if not has_second_factor(user):
        # The page asked for comes along, so that enrolment ends there.
        query = urlencode({REDIRECT_FIELD_NAME: _next_url(request)})
        return HttpResponseRedirect(f"{reverse('admin:pista_enrol')}?{query}")
    form = CodeForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        throttled = verification_throttled(user)
        device = None if throttled else factor_verify(user=user, token=form.cleaned_data["code"])
        if device is not None:
            otp_login(request, device)
            if isinstance(device, StaticDevice):
                messages.warning(
                    request,
                    _(
                        "You used a recovery code; %(n)d left. Make new ones on your account "
                        "page if you are running out."
                    )
                    % {"n": recovery_codes_left(user)},
                )
            return HttpResponseRedirect(_next_url(request))
        # On the bound form: an unbound one has no cleaned data to add an error to (a 500).
        # The code itself is not shown again (CodeInput).
        form.add_error(None, verification_refused_reason(throttled_before=throttled))
        status = 400
    response = _page(
        request,
        "admin/newsroom/account/verify.html",
        title=_("Second step: prove it is you"),
        form=form,
        has_passkey=WebAuthnCredential.objects.filter(user=user, confirmed=True).exists(),
        has_app=TOTPDevice.objects.filter(user=user, confirmed=True).exists(),
        next=_next_url(request),
    )
    response.status_code = status
    return response


# --- enrolling a factor ----------------------------------------------------------------------


@sensitive_post_parameters("code")
@logged_in_staff
def enrol_view(request: HttpRequest) -> HttpResponse:
    """Add an authenticator app (or a passkey, with JavaScript).

    A member with no factor yet sees only this page after the password; one who has
    factors must have proved one first (adding a factor is then on their account page).
    """
    user = acting_user(request)
    first = not has_second_factor(user)
    if not first and not _verified(user):
        return HttpResponseRedirect(reverse("admin:pista_verify"))
    form = ConfirmAppForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        device_id, code = form.cleaned_data["device"], form.cleaned_data["code"]
        done, device = run(
            request,
            lambda: totp_enrolment_confirm(
                user=user,
                device_id=device_id,
                token=code,
                session_key=request.session.session_key,
            ),
        )
        if done and device is not None:
            if not _verified(user):
                otp_login(request, device)
            if first or recovery_codes_left(user) == 0:
                return _recovery_codes_page(request, recovery_codes_create(user=user), first=True)
            messages.success(request, _("The authenticator app was added."))
            return HttpResponseRedirect(reverse("admin:pista_account"))
        form = ConfirmAppForm()
    device = totp_enrolment_start(user=user)
    form.initial["device"] = device.pk
    form.fields["device"].initial = device.pk
    return _page(
        request,
        "admin/newsroom/account/enrol.html",
        title=_("Set up a second factor") if first else _("Add an authenticator app"),
        first=first,
        form=form,
        device=device,
        qr=totp_qr_svg_data_uri(device),
        secret=totp_secret_for_typing(device),
        next=_next_url(request),
    )


def _recovery_codes_page(request: HttpRequest, codes: list[str], *, first: bool) -> HttpResponse:
    response = _page(
        request,
        "admin/newsroom/account/recovery_codes.html",
        title=_("Your recovery codes"),
        codes=[recovery_code_display(code) for code in codes],
        first=first,
        next=_next_url(request),
    )
    response["Cache-Control"] = "no-store"
    return response


def recovery_codes_view(request: HttpRequest) -> HttpResponse:
    """Make a new set of recovery codes (POST) and show them once."""
    if request.method != "POST":
        return HttpResponseRedirect(reverse("admin:pista_account"))
    # From the enrolment page, after a first passkey: the codes page then goes on to the
    # page asked for at login, not to the account page.
    return _recovery_codes_page(
        request,
        recovery_codes_create(user=acting_user(request)),
        first=REDIRECT_FIELD_NAME in request.POST,
    )


class PasskeyRegistrationCompleteView(CompleteCredentialRegistrationView):  # type: ignore[misc]
    """django-otp-webauthn's registration, recorded like any other new factor."""

    def post(self, *args: Any, **kwargs: Any) -> HttpResponse:
        response: HttpResponse = super().post(*args, **kwargs)
        if response.status_code == 200:
            user = acting_user(self.request)
            device = WebAuthnCredential.objects.filter(user=user).order_by("-pk").first()
            if device is not None:
                factor_added(user=user, device=device, session_key=self.request.session.session_key)
        return response


# --- "My account" ----------------------------------------------------------------------


def account_view(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    personal = PersonalKey.objects.filter(user=user).first()
    factors = [
        {"kind": kind, "device": device}
        for device in factors_of(user)
        for kind, model in FACTOR_MODELS.items()
        if isinstance(device, model)
    ]
    return _page(
        request,
        "admin/newsroom/account/account.html",
        title=_("My account"),
        fingerprint=personal.fingerprint if personal else "",
        factors=factors,
        codes_left=recovery_codes_left(user),
        other_sessions=StaffSession.objects.filter(user_id=user.pk)
        .exclude(session_key=request.session.session_key)
        .count(),
        memberships=DeskMembership.objects.filter(user=user).select_related("desk"),
        can_remove_app_or_passkey=sum(1 for f in factors if f["kind"] != "codes") > 1,
    )


def factor_remove_view(request: HttpRequest, kind: str, device_id: int) -> HttpResponse:
    if request.method != "POST" or kind not in FACTOR_MODELS:
        raise Http404
    user = acting_user(request)
    device = get_object_or_404(FACTOR_MODELS[kind], pk=device_id, user=user)
    run(
        request,
        lambda: factor_remove(user=user, device=device, session_key=request.session.session_key),
        success=_("The second factor was removed; your other sessions were ended."),
    )
    return HttpResponseRedirect(reverse("admin:pista_account"))


def logout_everywhere_view(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        user = acting_user(request)
        ended = staff_sessions_end(
            user=user,
            keep_session_key=request.session.session_key,
            actor=user,
            reason="log out everywhere",
        )
        messages.success(
            request,
            _("Every other session was ended (%(n)d); this one stays.") % {"n": ended},
        )
    return HttpResponseRedirect(reverse("admin:pista_account"))


def rotation_request_view(request: HttpRequest, desk_id: int) -> HttpResponse:
    if request.method != "POST":
        raise Http404
    user = acting_user(request)
    desk = get_object_or_404(Desk, pk=desk_id, memberships__user=user)
    run(
        request,
        lambda: desk_key_rotation_request(desk=desk, requester=user),
        success=_(
            "Your coordinators were asked for a new %(desk)s key. Until it is rotated, "
            "a key that may have been copied still opens the desk's older tips."
        )
        % {"desk": desk},
    )
    return HttpResponseRedirect(reverse("admin:pista_account"))
