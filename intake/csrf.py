"""What a reader sees when a public form fails Django's CSRF check (``CSRF_FAILURE_VIEW``).

Readers lose the CSRF cookie for ordinary reasons: Tor Browser's "New Identity",
cookies cleared while they write, a browser restarted with the page still open.
Django's own answer is a bare 403 page, and what they typed is gone. Here the
public forms come back instead, with what was typed, a fresh token and one plain
sentence; nothing is accepted without a valid token. Staff pages keep Django's page.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import csrf as django_csrf
from django.views.decorators.cache import never_cache

from . import checkback
from .forms import TipForm
from .views import SEND_AGAIN, tip_form_page


def _reason() -> str:
    return _(
        "This page's security check failed, usually because this browser's cookies were "
        "cleared after the page was opened (Tor Browser's “New Identity” does this), so "
        "nothing was sent or stored."
    )


@never_cache
def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Show a public form again after a failed CSRF check; Django's page for anything else."""
    if request.method == "POST":
        if request.path == reverse("intake:submit"):
            # Unbound, with what was typed as initial values: the fields were not checked.
            typed = {name: request.POST.get(name, "") for name in TipForm.base_fields}
            typed.pop("website", None)
            return tip_form_page(
                request, TipForm(initial=typed), status=403, notice=f"{_reason()} {SEND_AGAIN}"
            )
        public = {
            reverse(name)
            for name in ("intake:check", "intake:check_conversation", "intake:check_leave")
        }
        if request.path in public:
            return checkback.after_csrf_failure(request, _reason())
    return django_csrf.csrf_failure(request, reason)
