"""The tip form and its receipt. Never cached, they log nothing about the visitor, and
whatever goes wrong the reader keeps what they typed.

A valid post runs these steps, cheapest first, and stops at the first refusal:
the form's fields; the one-time submission token (a used one gets the "already
sent" page); the proof of work (a refused one is explained); the budget of its
lane, with or without a proof (``intake.throttle``); then the tip is sealed and
stored, and the reader is redirected to the receipt page, which shows the
passphrase once (``intake.receipt``).
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from . import pow, tokens
from .exceptions import NotSetUp
from .forms import MAX_BODY_LENGTH, TipForm, TipFormOffline
from .language import switching, typed
from .receipt import receipt_forget, receipt_hold, receipt_peek
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
DATABASE_DOWN = _(
    "The tip line cannot store tips at this moment (its database is not answering), so "
    "nothing was sent or stored. What you wrote is still below: keep a copy, and press "
    "“Send the tip” again in a few minutes."
)
FORM_TOO_OLD = _(
    "This form was opened more than a day ago, or did not come from this site, so nothing "
    "was sent. What you wrote is still below: press “Send the tip” again."
)
SEND_AGAIN = _("What you wrote is still below: press “Send the tip” again.")
#: The tip form's fields a reader types, kept across a change of language.
TYPED_FIELDS = ("body", "desk", "links", "contact_choice", "contact")


def tip_form_page(
    request: HttpRequest, form: TipForm, *, status: int = 200, notice: Any = None
) -> HttpResponse:
    """The form with a fresh challenge and a fresh one-time token, whatever came before."""
    return render(
        request,
        "intake/submit.html",
        {
            "form": form,
            "max_body_length": MAX_BODY_LENGTH,
            "pow_challenge": pow.challenge_new("submit"),
            "submission_token": tokens.token_new(),
            "notice": notice,
            "switch_form": "tip-form",
        },
        status=status,
    )


def _refused(request: HttpRequest, form: TipForm, message: Any, status: int) -> HttpResponse:
    form.add_error(None, message)
    response = tip_form_page(request, form, status=status)
    if status == 429:
        response["Retry-After"] = "60"
    return response


def _already_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "intake/already_sent.html", status=409)


def _receipt_page(request: HttpRequest, passphrase: str) -> HttpResponse:
    return render(
        request,
        "intake/receipt.html",
        {
            "passphrase": passphrase,
            "words": passphrase.split(" "),
            # A language link would leave this page, and the passphrase is shown only here.
            "language_switch_off": True,
        },
    )


@never_cache
@sensitive_post_parameters("body", "links", "contact", "website")
@require_http_methods(["GET", "POST"])
def submit(request: HttpRequest) -> HttpResponse:
    """Show the tip form; on a valid post, seal the tip and send the reader to the receipt."""
    if request.method == "GET":
        return tip_form_page(request, TipForm())
    if switching(request):  # the language switcher: the same form, in the new language
        return tip_form_page(request, TipForm(initial=typed(request, *TYPED_FIELDS)))
    pow.post_counted("submit")  # every post, valid or not, raises the difficulty
    try:
        return _submit(request)
    except DatabaseError:
        # Nothing half-written stays (the tip and its seals are one transaction). The
        # form cannot list the regions without the database, so it keeps the choice hidden.
        logger.error("A tip could not be stored: the database is not answering.")
        return _refused(request, TipFormOffline(request.POST), DATABASE_DOWN, 503)


def _submit(request: HttpRequest) -> HttpResponse:
    form = TipForm(request.POST)
    if not form.is_valid():
        return tip_form_page(request, form, status=400)
    token = request.POST.get(tokens.FIELD, "")
    state = tokens.token_state(token)
    if state is tokens.TokenState.USED:
        return _already_sent(request)
    if state is tokens.TokenState.INVALID:
        return _refused(request, form, FORM_TOO_OLD, 400)
    proof = pow.proof_check(request.POST.get(pow.FIELD, ""), "submit")
    if proof.refused:
        return _refused(request, form, f"{pow.refusal(proof)} {SEND_AGAIN}", 400)
    # Counted before the receipt's Argon2id run; a flood without proofs spends only its
    # own lane's budget, so readers whose browsers did the work are not kept out.
    if proof.valid:
        allowed = budget_reserve("submissions-proven", settings.PISTA_SUBMISSIONS_PER_MINUTE)[1]
    else:
        allowed = budget_reserve(
            "submissions-proofless", settings.PISTA_PROOFLESS_SUBMISSIONS_PER_MINUTE
        )[1]
    if not allowed:
        pow.proof_release(proof)
        return _refused(request, form, TOO_MANY, 429)
    if not tokens.token_use(token):  # another post with this token got here first
        return _already_sent(request)
    try:
        submission = tip_submit(
            body=form.cleaned_data["body"],
            links=form.cleaned_data["links"],
            contact=form.cleaned_data["contact"],
            desk=form.cleaned_data["desk"],
            arrived_with_proof=proof.valid,
            as_spam=form.caught_by_honeypot,
            language=get_language(),
        )
    except (NotSetUp, DatabaseError) as exc:
        # Nothing was stored: the same form, sent again, must work.
        tokens.token_release(token)
        pow.proof_release(proof)
        if isinstance(exc, DatabaseError):
            raise
        logger.error("A tip could not be sealed: the newsroom is not fully set up.")
        return _refused(request, form, NOT_ACCEPTING, 503)

    response = HttpResponseRedirect(reverse("intake:receipt"), status=303)
    try:
        receipt_hold(request, response, submission.passphrase)
        request.session.save()
    except DatabaseError:
        # The tip is stored, but the session cannot hold its passphrase for the redirect:
        # show it now, in this response, rather than lose it.
        logger.error("A receipt could not be held for the redirect: the database failed.")
        request.session.modified = False
        return _receipt_page(request, submission.passphrase)
    return response


@never_cache
@require_GET
def receipt(request: HttpRequest) -> HttpResponse:
    """Show the new tip's passphrase once; a reload says it was shown and what to do.

    If the database cannot be read, nothing is destroyed: :func:`server_error` asks the
    reader to reload, and the reload shows it.
    """
    passphrase = receipt_peek(request)
    if passphrase is None:
        response = render(request, "intake/receipt_gone.html", status=410)
    else:
        response = _receipt_page(request, passphrase)
    try:
        receipt_forget(request, response)
    except DatabaseError:
        # The cookie half is deleted with this response, so the session half, left until
        # `clearsessions` removes it, opens nothing.
        logger.error("A shown receipt's session could not be deleted: the database failed.")
        request.session.modified = False
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: a database that stopped answering is a 503 with what to do; any other
    error gets Django's own page. Runs inside the handler of the exception."""
    error = sys.exc_info()[1]
    if isinstance(error, DatabaseError):
        response = render(request, "intake/unavailable.html", status=503)
        response["Retry-After"] = "120"
        return response
    return defaults.server_error(request)
