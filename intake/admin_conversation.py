"""The newsroom's side of the conversation: a desk member reads it and writes to the reader.

Routed by ``TipAdmin.get_urls`` at ``admin/intake/tip/<id>/conversation/``. The
tip is looked up through the admin's own queryset (``tips_visible_to``), so a
tip outside the viewer's desks is a 404; decryption needs the viewer's unlocked
keyring and a desk-key grant, else the page says plainly why it is locked.
Every reading and every message is audited by the services.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from newsroom.exceptions import KeyLocked
from newsroom.keyring import keyring_from_request, staff_user

from .conversation import (
    ConversationError,
    conversation_for_staff,
    message_send_to_reader,
    message_withdraw,
    reader_status,
)
from .conversation_forms import NewsroomMessageForm
from .models import Message, Tip

if TYPE_CHECKING:
    from .admin import TipAdmin


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
    user = staff_user(request)
    personal_private_key = keyring_from_request(request)
    url = reverse("admin:intake_tip_conversation", args=[tip.pk])
    form = NewsroomMessageForm()
    status = 200

    if request.method == "POST":
        try:
            if "withdraw" in request.POST:
                try:
                    message_id = uuid.UUID(request.POST["withdraw"])
                except ValueError:
                    message_id = None
                message = tip.messages.filter(pk=message_id).first() if message_id else None
                if message is None:
                    raise ConversationError(_("That message is not part of this conversation."))
                message_withdraw(
                    message=message, user=user, personal_private_key=personal_private_key
                )
                model_admin.message_user(
                    request,
                    _("Message withdrawn: the reader can no longer open it."),
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(url)
            form = NewsroomMessageForm(request.POST)
            if form.is_valid():
                message_send_to_reader(
                    tip=tip,
                    user=user,
                    personal_private_key=personal_private_key,
                    body=form.cleaned_data["body"],
                )
                model_admin.message_user(
                    request,
                    _("Message sealed and sent. The reader sees it when they next check back."),
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(url)
            status = 400
        except (KeyLocked, ConversationError) as exc:
            model_admin.message_user(request, str(exc), messages.ERROR)
            status = 400

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
        context["items"] = conversation_for_staff(
            tip=tip, user=user, personal_private_key=personal_private_key
        )
    except KeyLocked as exc:
        context["locked_reason"] = str(exc)
    return TemplateResponse(request, "admin/intake/tip/conversation.html", context, status=status)
