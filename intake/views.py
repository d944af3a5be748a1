"""The public pages. They set no cookie but CSRF's, are never cached, and log nothing
about the visitor."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from .forms import MAX_BODY_LENGTH, TipForm
from .services import tip_submit


@never_cache
@sensitive_post_parameters("body", "links", "contact")
@require_http_methods(["GET", "POST"])
def submit(request: HttpRequest) -> HttpResponse:
    """Show the tip form; on a valid post, seal the tip and show the receipt once.

    The receipt is rendered in the POST response itself rather than after a
    redirect, so the passphrase is never stored anywhere to survive the redirect.
    """
    form = TipForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        submission = tip_submit(
            body=form.cleaned_data["body"],
            links=form.cleaned_data["links"],
            contact=form.cleaned_data["contact"],
            desk=form.cleaned_data["desk"],
        )
        return render(
            request,
            "intake/receipt.html",
            {"passphrase": submission.passphrase, "words": submission.passphrase.split(" ")},
        )
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "intake/submit.html",
        {"form": form, "max_body_length": MAX_BODY_LENGTH},
        status=status,
    )
