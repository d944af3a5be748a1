"""The reader's check-back pages: the receipt passphrase opens the tip's status and conversation.

What the server holds, and for how long:

- The passphrase arrives in one POST, is normalised, run through Argon2id
  (:func:`intake.kdf.receipt_secrets`) and dropped. It is never
  stored, logged or echoed back.
- For the rest of the visit, the tip's id and the reader's receipt private key
  are kept split (:class:`intake.splitkey.SplitSecret`): encrypted in the
  session store under a random key that lives only in the ``pista_visit``
  cookie (``HttpOnly``, ``SameSite=Strict``, ``Secure`` outside development,
  no ``Max-Age``, for this site only). The session half does not name
  the tip.
- The visit ends when the browser closes, at "Leave", or after
  :data:`VISIT_IDLE_SECONDS` without a request (enforced here, server-side).

Guessing is throttled without addresses, in two lanes (:func:`_attempt_reserve`):
the page carries a proof-of-work challenge (``intake.pow``), and failed attempts
with a valid proof share a large last-resort budget, those without one (JavaScript
off) a small budget of their own. So a flood of wrong guesses without proofs
cannot keep out a reader whose browser did the work. Every failure - wrong
passphrase, wrong word count, empty input - runs the same key derivation and
gets the same page and status.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any, Final

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from . import kdf, labels, passphrase, pow
from .exceptions import MessageRefused, ReceiptKeyMismatch
from .forms import MAX_PASSPHRASE_INPUT, ReaderDetailsForm, ReaderReplyForm
from .language import switching
from .models import Tip
from .selectors import conversation_for_reader, reader_status, tip_for_receipt
from .services import reader_details_add, reader_message_add
from .splitkey import SplitSecret
from .throttle import budget_refund, budget_reserve

#: A visit with no request for this long is over; the reader enters the passphrase again.
VISIT_IDLE_SECONDS: Final = 20 * 60
SESSION_FIELD: Final = "pista_visit"
#: When the visit last saw a request (seconds since the epoch), kept beside the split secret.
SESSION_SEEN_FIELD: Final = "pista_visit_seen"
COOKIE_NAME: Final = "pista_visit"
_TIP_ID_BYTES: Final = 16

NOT_FOUND = _(
    "No tip matches this passphrase. Check that you typed all seven words, in order, and try again."
)
TOO_MANY = _(
    "There have been too many attempts in the last minute. Please wait a minute and try again."
)
ENTER_AGAIN = _("Enter your passphrase again and press “Check”.")
PRESS_AGAIN = _("What you wrote is still below: press the button again.")
VISIT_ENDED = _(
    "Your visit ended after 20 minutes without activity. Enter your passphrase again to continue."
)
LEFT = _("You have left. Nothing of this visit is kept in this browser.")
PASSPHRASE_NOT_KEPT = _(
    "The page changed language. For your safety the passphrase you typed was not sent "
    "back to this page: type it again."
)
OTHER_NOT_SENT = {
    "reply": _("Your reply below was not sent yet: press “Send reply” to send it."),
    "details": _("The details below were not added yet: press “Add details” to add them."),
}
SENT = {
    "reply": _("Your reply was sealed and sent to the newsroom."),
    "details": _("Your details were sealed and added to your tip."),
}


# --- the visit: tip id and receipt key, split between session and cookie ----------------


@dataclass(frozen=True, repr=False)
class Visit:
    tip_id: uuid.UUID
    reader_private_key: bytes

    def __repr__(self) -> str:
        return "Visit(<redacted>)"


def _split() -> SplitSecret:
    return SplitSecret(
        session_field=SESSION_FIELD,
        cookie_name=COOKIE_NAME,
        secure_setting="PISTA_VISIT_COOKIE_SECURE",
        # The whole site, not /check/ only: the reader may switch language mid-visit
        # (/es/check/... to /fr/check/...). The cookie is HttpOnly and SameSite=Strict.
        cookie_path="/",
    )


def _now() -> int:
    return int(time.time())


def visit_start(request: HttpRequest, response: HttpResponse, tip: Tip, private_key: bytes) -> None:
    """Hold the reader's key for this visit; a fresh session key defeats fixation."""
    request.session.cycle_key()
    _split().store(request, response, tip.pk.bytes + private_key, label=labels.reader_visit())
    request.session[SESSION_SEEN_FIELD] = _now()


def visit_end(request: HttpRequest, response: HttpResponse) -> None:
    """Destroy both halves of the visit. A reader's session holds nothing else, so it goes
    whole; a staff member's login in the same browser is left alone."""
    _split().discard(request, response)
    request.session.pop(SESSION_SEEN_FIELD, None)
    if not request.user.is_authenticated:
        request.session.flush()


def visit_from_request(request: HttpRequest) -> tuple[Visit | None, bool]:
    """Return the current visit (or ``None``) and whether it just ran out of time.

    Each call that finds a live visit counts as activity.
    """
    seen = request.session.get(SESSION_SEEN_FIELD)
    secret = _split().load(request, label=labels.reader_visit())
    if secret is None or not isinstance(seen, int):
        return None, False
    if _now() - seen > VISIT_IDLE_SECONDS:
        return None, True
    request.session[SESSION_SEEN_FIELD] = _now()
    tip_id = uuid.UUID(bytes=secret[:_TIP_ID_BYTES])
    return Visit(tip_id=tip_id, reader_private_key=secret[_TIP_ID_BYTES:]), False


# --- the throttle: a global budget, no addresses ----------------------------------------


def _attempt_reserve(*, proven: bool) -> tuple[str, bool]:
    """Count this attempt against its lane's budget for the minute, before any Argon2id
    work: the last-resort budget with a valid proof of work, the small one without."""
    if proven:
        return budget_reserve("check-proven", settings.PISTA_CHECK_PROVEN_FAILURES_PER_MINUTE)
    return budget_reserve("check-proofless", settings.PISTA_CHECK_FAILURES_PER_MINUTE)


def _attempt_refund(key: str) -> None:
    budget_refund(key)


# --- views -------------------------------------------------------------------------


def check_page(
    request: HttpRequest,
    *,
    error: Any = None,
    notice: Any = None,
    unsent: str = "",
    status: int = 200,
) -> HttpResponse:
    """The passphrase form, with a fresh proof-of-work challenge."""
    response = render(
        request,
        "intake/check.html",
        {
            "error": error,
            "notice": notice,
            "unsent": unsent,
            "pow_challenge": pow.challenge_new("check"),
            "switch_form": "check-form",
        },
        status=status,
    )
    if status == 429:
        response["Retry-After"] = "60"
    return response


def _tip_for(raw: str) -> tuple[Tip | None, bytes]:
    """Derive from whatever was typed (always, so every failure costs the same) and look up."""
    normalised = passphrase.normalise(raw[:MAX_PASSPHRASE_INPUT])
    well_formed = len(normalised.split(" ")) == passphrase.WORD_COUNT
    # The word count is checked after the derivation, never instead of it: a malformed
    # passphrase costs the same time as a wrong one and gets the same answer.
    secrets = kdf.receipt_secrets(normalised)
    tip = tip_for_receipt(secrets.lookup)
    return (tip if well_formed else None), secrets.keypair.private_key


@never_cache
@sensitive_post_parameters("passphrase")
@require_http_methods(["GET", "POST"])
def check(request: HttpRequest) -> HttpResponse:
    """Ask for the receipt passphrase; on a match, start the visit and go to the conversation.

    Every failure gets the same page, message and status, after the same work.
    """
    if request.method == "GET":
        notice = {"ended": VISIT_ENDED, "left": LEFT}.get(request.GET.get("from", ""))
        response = check_page(request, notice=notice)
        _split().drop_orphaned_cookie(request, response)
        return response

    if switching(request):
        # The passphrase is never echoed back, not even to change the page's language.
        typed_one = bool(request.POST.get("passphrase", "").strip())
        return check_page(request, notice=PASSPHRASE_NOT_KEPT if typed_one else None)
    pow.post_counted("check")
    proof = pow.proof_check(request.POST.get(pow.FIELD, ""), "check")
    if proof.refused:  # before any derivation: a refused proof costs the server nothing
        return check_page(request, error=f"{pow.refusal(proof)} {ENTER_AGAIN}", status=400)
    key, allowed = _attempt_reserve(proven=proof.valid)
    if not allowed:
        return check_page(request, error=TOO_MANY, status=429)
    tip, private_key = _tip_for(request.POST.get("passphrase", ""))
    if tip is None:
        return check_page(request, error=NOT_FOUND, status=400)
    _attempt_refund(key)
    response = HttpResponseRedirect(reverse("intake:check_conversation"), status=303)
    visit_start(request, response, tip, private_key)
    return response


def _ended(request: HttpRequest, expired: bool) -> HttpResponse:
    """Send the reader back to the passphrase form; a reply typed as the visit ran out is
    shown back to them (not stored) so it is not lost."""
    unsent = ""
    if request.method == "POST":
        unsent = request.POST.get("reply-body") or request.POST.get("details-body") or ""
    if unsent.strip():
        response = check_page(request, notice=VISIT_ENDED if expired else None, unsent=unsent)
    else:
        url = reverse("intake:check") + ("?from=ended" if expired else "")
        response = HttpResponseRedirect(url, status=303)
    visit_end(request, response)
    return response


@never_cache
@sensitive_post_parameters("reply-body", "details-body")
@require_http_methods(["GET", "POST"])
def conversation(request: HttpRequest) -> HttpResponse:
    """Where the tip stands, the conversation, and forms to reply or add details."""
    visit, expired = visit_from_request(request)
    tip = Tip.objects.filter(pk=visit.tip_id).first() if visit else None
    if visit is None or tip is None:
        return _ended(request, expired)

    # One form holds the reply and the details, so whichever button is pressed (a send,
    # or the language switcher) carries both texts and neither is lost.
    typed_text = {
        "reply": request.POST.get("reply-body", ""),
        "details": request.POST.get("details-body", ""),
    }
    reply_form = ReaderReplyForm(initial={"body": typed_text["reply"]})
    details_form = ReaderDetailsForm(initial={"body": typed_text["details"]})
    if request.method != "POST" or switching(request):
        return _conversation_page(
            request,
            visit,
            tip,
            reply_form=reply_form,
            details_form=details_form,
            notice=SENT.get(request.GET.get("sent", "")) if request.method == "GET" else None,
        )
    kind = "details" if request.POST.get("kind") == "details" else "reply"
    form: ReaderReplyForm | ReaderDetailsForm
    if kind == "details":
        form = details_form = ReaderDetailsForm(request.POST)
        add = reader_details_add
    else:
        form = reply_form = ReaderReplyForm(request.POST)
        add = reader_message_add
    if form.is_valid():
        try:
            add(tip=tip, body=form.cleaned_data["body"])
        except MessageRefused as exc:
            form.add_error("body", str(exc))
        else:
            other = "reply" if kind == "details" else "details"
            if not typed_text[other].strip():
                url = reverse("intake:check_conversation") + f"?sent={kind}"
                return HttpResponseRedirect(url, status=303)
            # The other text was typed too: it stays on the page, not yet sent.
            return _conversation_page(
                request,
                visit,
                tip,
                reply_form=ReaderReplyForm() if kind == "reply" else reply_form,
                details_form=ReaderDetailsForm() if kind == "details" else details_form,
                notice=SENT[kind],
                warning=OTHER_NOT_SENT[other],
            )
    return _conversation_page(
        request,
        visit,
        tip,
        reply_form=reply_form,
        details_form=details_form,
        status=400,
    )


def _conversation_page(
    request: HttpRequest,
    visit: Visit,
    tip: Tip,
    *,
    reply_form: ReaderReplyForm,
    details_form: ReaderDetailsForm,
    notice: Any = None,
    warning: Any = None,
    status: int = 200,
) -> HttpResponse:
    try:
        items = conversation_for_reader(tip=tip, reader_private_key=visit.reader_private_key)
    except ReceiptKeyMismatch:  # the key no longer matches the tip: treat as no visit
        return _ended(request, expired=False)
    return render(
        request,
        "intake/conversation.html",
        {
            "status": reader_status(tip),
            "items": items,
            "reply_form": reply_form,
            "details_form": details_form,
            "notice": notice,
            "warning": warning,
            "idle_minutes": VISIT_IDLE_SECONDS // 60,
            "switch_form": "conversation-form",
        },
        status=status,
    )


def after_csrf_failure(request: HttpRequest, reason: Any) -> HttpResponse:
    """A post to one of these pages failed the CSRF check, so nothing was accepted: show
    the page again, with a fresh token, what the reader typed and ``reason`` (HTTP 403).

    The passphrase is the exception: it is never echoed back, so it must be typed again.
    """
    if request.path == reverse("intake:check"):
        return check_page(request, error=f"{reason} {ENTER_AGAIN}", status=403)
    typed = {
        "reply": request.POST.get("reply-body", ""),
        "details": request.POST.get("details-body", ""),
    }
    visit, _expired = visit_from_request(request)
    tip = Tip.objects.filter(pk=visit.tip_id).first() if visit else None
    if visit is None or tip is None:
        unsent = typed["reply"] or typed["details"]
        return check_page(request, error=f"{reason} {ENTER_AGAIN}", unsent=unsent, status=403)
    return _conversation_page(
        request,
        visit,
        tip,
        reply_form=ReaderReplyForm(initial={"body": typed["reply"]}),
        details_form=ReaderDetailsForm(initial={"body": typed["details"]}),
        warning=f"{reason} {PRESS_AGAIN}",
        status=403,
    )


@never_cache
@require_POST
def leave(request: HttpRequest) -> HttpResponse:
    """End the visit now: both halves of the key are destroyed."""
    response = HttpResponseRedirect(reverse("intake:check") + "?from=left", status=303)
    visit_end(request, response)
    return response
