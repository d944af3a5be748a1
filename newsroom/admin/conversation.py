"""The newsroom's side of the conversation: a desk member reads it and writes to the reader.

Routed by ``TipPageMixin.get_urls`` at ``admin/newsroom/tip/<id>/conversation/``. The
tip is looked up through the admin's own queryset (``tips_visible_to``), so a
tip outside the viewer's desks is a 404; decryption needs the viewer's unlocked
keyring and a desk-key grant, else the page says plainly why it is locked.
Every reading and every message is audited by the services.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from intake.exceptions import MessageRefused, PistaError
from intake.models import Message, Tip
from intake.selectors import reader_status

from ..actor import acting_user
from ..admin_errors import run
from ..forms.conversation import NewsroomMessageForm
from ..services.conversation import conversation_open, message_send_to_reader, message_withdraw
from ..unlocked_key import unlocked_key

if TYPE_CHECKING:
    from .tip_page import TipPageMixin as TipAdmin


def conversation_urls(model_admin: TipAdmin) -> list[URLPattern]:
    """URL patterns to put before the admin's own (whose catch-all would swallow them)."""

    def view(request: HttpRequest, object_id: str) -> HttpResponse:
        return conversation_view(request, object_id, model_admin=model_admin)

    return [
        path(
            "<path:object_id>/conversation/",
            model_admin.admin_site.admin_view(view),
            name="intake_tip_conversation",
        )
    ]


def _tip(request: HttpRequest, object_id: str, model_admin: TipAdmin) -> Tip:
    tip: Tip | None = model_admin.get_object(request, object_id)  # narrowed to the viewer's desks
    if tip is None:
        raise Http404(_("No tip of your desks has this address."))
    if not model_admin.has_view_permission(request, tip):
        raise PermissionDenied
    return tip


@never_cache
@sensitive_post_parameters("body")
def conversation_view(
    request: HttpRequest, object_id: str, *, model_admin: TipAdmin
) -> HttpResponse:
    """GET: the decrypted conversation (audited). POST: send a message, or withdraw one."""
    tip = _tip(request, object_id, model_admin)
    user = acting_user(request)
    personal_private_key = unlocked_key(request)
    url = reverse("admin:intake_tip_conversation", args=[tip.pk])
    form = NewsroomMessageForm()
    status = 200

    if request.method == "POST":
        if "withdraw" in request.POST:
            done, _result = run(
                request,
                lambda: _withdraw(tip, request.POST["withdraw"], user, personal_private_key),
                success=_("Message withdrawn: the reader can no longer open it."),
            )
            if done:
                return HttpResponseRedirect(url)
            status = 400
        else:
            form = NewsroomMessageForm(request.POST)
            status = 400
            if form.is_valid():
                body = form.cleaned_data["body"]
                done, _result = run(
                    request,
                    lambda: message_send_to_reader(
                        tip=tip, user=user, personal_private_key=personal_private_key, body=body
                    ),
                    success=_(
                        "Message sealed and sent. The reader sees it when they next check back."
                    ),
                )
                if done:
                    return HttpResponseRedirect(url)

    context: dict[str, Any] = {
        **model_admin.admin_site.each_context(request),
        "title": _("Conversation with the reader of %(reference)s") % {"reference": tip.reference},
        "opts": model_admin.model._meta,
        "original": tip,
        "tip": tip,
        "reader_status": reader_status(tip),
        "form": form,
        "withdrawable": Message.Author.NEWSROOM,
    }
    try:
        context["items"] = conversation_open(
            tip=tip, user=user, personal_private_key=personal_private_key
        )
    except PistaError as exc:
        context["locked_reason"] = str(exc)
    return TemplateResponse(request, "admin/newsroom/tip/conversation.html", context, status=status)


def _withdraw(tip: Tip, raw_id: str, user: Any, personal_private_key: bytes | None) -> None:
    try:
        message_id = uuid.UUID(raw_id)
    except ValueError:
        message_id = None
    message = tip.messages.filter(pk=message_id).first() if message_id else None
    if message is None:
        raise MessageRefused(_("That message is not part of this conversation."))
    message_withdraw(message=message, user=user, personal_private_key=personal_private_key)
