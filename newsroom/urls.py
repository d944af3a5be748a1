from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from django.views.i18n import JavaScriptCatalog
from django_otp_webauthn import views as webauthn

from newsroom.account_views import PasskeyRegistrationCompleteView

#: django-otp-webauthn's ceremony endpoints (passkeys as a second factor after the
#: password), with its registration recorded as Pista records every new factor.
webauthn_urls = (
    [
        path(
            "registration/begin/",
            webauthn.BeginCredentialRegistrationView.as_view(),
            name="credential-registration-begin",
        ),
        path(
            "registration/complete/",
            PasskeyRegistrationCompleteView.as_view(),
            name="credential-registration-complete",
        ),
        path(
            "authentication/begin/",
            webauthn.BeginCredentialAuthenticationView.as_view(),
            name="credential-authentication-begin",
        ),
        path(
            "authentication/complete/",
            webauthn.CompleteCredentialAuthenticationView.as_view(),
            name="credential-authentication-complete",
        ),
        path(
            "jsi18n/",
            JavaScriptCatalog.as_view(packages=["django_otp_webauthn"]),
            name="js-i18n-catalog",
        ),
    ],
    "otp_webauthn",
)

urlpatterns = [
    # Desks moved to the public package's models in 0.2 (their public keys seal tips), so
    # the admin serves them under /admin/intake/desk/; old links and bookmarks still work.
    re_path(
        r"^admin/newsroom/desk/(?P<rest>.*)$",
        RedirectView.as_view(url="/admin/intake/desk/%(rest)s", permanent=True, query_string=True),
    ),
    path("admin/webauthn/", include(webauthn_urls)),
    path("admin/", admin.site.urls),
    *i18n_patterns(path("", include("intake.urls")), prefix_default_language=True),
]

# A database that stops answering gets a plain "reload in a few minutes" page (503), on
# every path and whichever middleware met it first; any other error, Django's own page.
handler500 = "intake.views.server_error"
