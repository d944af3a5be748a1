"""The public pages. They set no cookie but CSRF's, are never cached, and log nothing
about the visitor."""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from .exceptions import NotSetUp
from .forms import MAX_BODY_LENGTH, TipForm
from .services import tip_submit
from .throttle import budget_reserve

logger = logging.getLogger(__name__)

TOO_MANY = _(
    "Many tips are arriving right now, so nothing was sent or stored. What you wrote is "
    "still below: please wait a minute and send it again."
)


NOT_ACCEPTING = _(
    "Sorry, the newsroom cannot accept tips at the moment, so nothing was sent or stored. "
    "What you wrote is still below: please keep a copy and try again later."
)


@never_cache
@sensitive_post_parameters("body", "links", "contact")
@require_http_methods(["GET", "POST"])
def submit(request: HttpRequest) -> HttpResponse:
    """Show the tip form; on a valid post, seal the tip and show the receipt once.

    The receipt is rendered in the POST response itself rather than after a
    redirect, so the passphrase is never stored anywhere to survive the redirect.
    """
    form = TipForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        # Only submissions that reach the receipt's Argon2id run count against the budget.
        if (
            form.is_valid()
            and not budget_reserve("submissions", settings.PISTA_SUBMISSIONS_PER_MINUTE)[1]
        ):
            # A flood must not exhaust the server. Nothing is stored; the text stays.
            form.add_error(None, TOO_MANY)
            response = render(
                request,
                "intake/submit.html",
                {"form": form, "max_body_length": MAX_BODY_LENGTH},
                status=429,
            )
            response["Retry-After"] = "60"
            return response
        if form.is_valid():
            try:
                submission = tip_submit(
                    body=form.cleaned_data["body"],
                    links=form.cleaned_data["links"],
                    contact=form.cleaned_data["contact"],
                    desk=form.cleaned_data["desk"],
                )
            except NotSetUp:
                # The newsroom is not set up to receive tips (no recovery key or no
                # triage desk). Say so, store nothing, and keep what the reader typed.
                logger.error("A tip could not be sealed: the newsroom is not fully set up.")
                form.add_error(None, NOT_ACCEPTING)
                status = 503
            else:
                words = submission.passphrase.split(" ")
                return render(
                    request,
                    "intake/receipt.html",
                    {"passphrase": submission.passphrase, "words": words},
                )
    return render(
        request,
        "intake/submit.html",
        {"form": form, "max_body_length": MAX_BODY_LENGTH},
        status=status,
    )
