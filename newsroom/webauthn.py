"""Passkeys and security keys (WebAuthn) as Pista runs them: the relying party is the
site itself, known from settings or, by default, from the request's checked host."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.http.request import split_domain_port
from django_otp_webauthn.helpers import WebAuthnHelper


def relying_party_id(request: HttpRequest) -> str:
    """The site's domain: from settings, or the request's host (it passed ALLOWED_HOSTS);
    a port is never part of a relying party id."""
    if settings.PISTA_WEBAUTHN_RP_ID:
        return str(settings.PISTA_WEBAUTHN_RP_ID)
    domain, _port = split_domain_port(request.get_host())
    return domain


class StaffWebAuthnHelper(WebAuthnHelper):  # type: ignore[misc]  # untyped library
    def get_relying_party_domain(self) -> str:
        return relying_party_id(self.request)

    def get_relying_party_name(self) -> str:
        return str(settings.PISTA_NEWSROOM_NAME)

    def get_allowed_origins(self) -> list[str]:
        if settings.PISTA_WEBAUTHN_ORIGINS:
            return list(settings.PISTA_WEBAUTHN_ORIGINS)
        return [f"{self.request.scheme}://{self.request.get_host()}"]
