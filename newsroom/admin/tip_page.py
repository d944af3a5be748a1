"""The tip page of the review queue: the tip decrypted for its desks, its timeline, and the
buttons that claim, review, annotate and move it. Each button posts to its own view,
which calls one service and reports through ``errors.run``."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from intake.models import Tip

from ..access import can_coordinate, can_review, followups_visible_to
from ..actor import acting_user
from ..admin_errors import run
from ..exceptions import KeyLocked
from ..forms.review import MoveForm, NoteForm, TakeOverForm, TransitionForm
from ..selectors.timeline import tip_timeline
from ..selectors.tips import tips_visible_to
from ..services.review import (
    note_add,
    tip_claim,
    tip_move,
    tip_release,
    tip_take_over,
    tip_transition,
)
from ..services.tips import tip_open
from ..unlocked_key import unlocked_key
from ..workflow import ALLOWED_TRANSITIONS
from .conversation import conversation_urls

Status = Tip.Status


class TipPageMixin(admin.ModelAdmin[Tip]):
    """The tip page and its buttons, for :class:`newsroom.admin.tips.TipAdmin`."""

    def get_urls(self) -> list[Any]:
        def route(suffix: str, view: Any, name: str) -> Any:
            return path(
                f"<path:object_id>/{suffix}/",
                self.admin_site.admin_view(require_POST(view)),
                name=f"intake_tip_{name}",
            )

        return [
            *conversation_urls(self),
            route("transition", self.transition_view, "transition"),
            route("claim", self.claim_view, "claim"),
            route("release", self.release_view, "release"),
            route("take-over", self.take_over_view, "take_over"),
            route("note", self.note_view, "note"),
            route("move", self.move_view, "move"),
            *super().get_urls(),
        ]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if request.method == "POST":
            # The page is read-only; every change goes through the buttons' own views.
            return HttpResponseNotAllowed(["GET"])
        context = dict(extra_context or {})
        tip = self.get_object(request, object_id)
        if tip is not None:
            content_key = None
            try:
                content = tip_open(
                    tip=tip,
                    user=acting_user(request),
                    personal_private_key=unlocked_key(request),
                )
                context["tip_content"], content_key = content, content.content_key
            except KeyLocked as exc:
                context["tip_locked_reason"] = str(exc)
            context.update(
                timeline=tip_timeline(tip=tip, content_key=content_key),
                duplicates=tips_visible_to(acting_user(request)).filter(duplicate_of=tip),
                # The original is shown only to those who may see it: another desk's
                # reference is not theirs to learn.
                original_tip=tips_visible_to(acting_user(request))
                .filter(pk=tip.duplicate_of_id)
                .first()
                if tip.duplicate_of_id
                else None,
                followups=followups_visible_to(acting_user(request))
                .filter(tip=tip)
                .select_related("assignee")
                .order_by("due_date"),
                can_create_followup=tip.status == Status.ACCEPTED
                and can_coordinate(acting_user(request), tip.desk)
                if tip.desk
                else False,
                can_review=can_review(tip, acting_user(request)),
                transition_form=TransitionForm(),
                allowed_statuses=[
                    (value, Status(value).label)
                    for value in Status.values
                    if value in ALLOWED_TRANSITIONS[tip.status]
                ],
                note_form=NoteForm(),
                take_over_form=TakeOverForm(),
                move_form=MoveForm(),
                title=_("Tip %(reference)s") % {"reference": tip.reference},
                show_save=False,
                show_save_and_continue=False,
                show_save_and_add_another=False,
                show_delete=False,
            )
        return super().change_view(request, object_id, form_url, context)

    def _tip_or_404(self, request: HttpRequest, object_id: str) -> Tip:
        try:
            return get_object_or_404(self.get_queryset(request), pk=object_id)
        except ValidationError as exc:  # not a UUID at all: the same answer as an unknown tip
            raise Http404 from exc

    def _back(self, tip: Tip) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:intake_tip_change", args=[tip.pk]))

    def _run(self, request: HttpRequest, tip: Tip, action: Any, done: str) -> HttpResponse:
        run(request, action, success=done)
        return self._back(tip)

    def transition_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        tip = self._tip_or_404(request, object_id)
        form = TransitionForm(request.POST)
        if not form.is_valid():
            self.message_user(request, _("Choose a valid status."), messages.ERROR)
            return self._back(tip)
        reference = form.cleaned_data["duplicate_of"].strip()
        original = None
        if reference:
            original = (
                tips_visible_to(acting_user(request)).filter(reference__iexact=reference).first()
            )
            if original is None:
                self.message_user(
                    request,
                    _("No tip of yours has the reference %(r)s.") % {"r": reference},
                    messages.ERROR,
                )
                return self._back(tip)
        to_status = form.cleaned_data["to_status"]
        return self._run(
            request,
            tip,
            lambda: tip_transition(
                tip=tip,
                actor=acting_user(request),
                to_status=to_status,
                reason=form.cleaned_data["reason"],
                duplicate_of=original,
                personal_private_key=unlocked_key(request),
            ),
            str(_("Status changed to %(s)s.") % {"s": Status(to_status).label}),
        )

    def claim_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        tip = self._tip_or_404(request, object_id)
        return self._run(
            request,
            tip,
            lambda: tip_claim(tip=tip, actor=acting_user(request)),
            str(_("You now hold this tip.")),
        )

    def release_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        tip = self._tip_or_404(request, object_id)
        return self._run(
            request,
            tip,
            lambda: tip_release(tip=tip, actor=acting_user(request)),
            str(_("Claim released.")),
        )

    def take_over_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        tip = self._tip_or_404(request, object_id)
        form = TakeOverForm(request.POST)
        reason = form.cleaned_data["reason"] if form.is_valid() else ""
        return self._run(
            request,
            tip,
            lambda: tip_take_over(
                tip=tip,
                actor=acting_user(request),
                reason=reason,
                personal_private_key=unlocked_key(request),
            ),
            str(_("You took over this tip.")),
        )

    def note_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        tip = self._tip_or_404(request, object_id)
        form = NoteForm(request.POST)
        text = form.cleaned_data["text"] if form.is_valid() else ""
        return self._run(
            request,
            tip,
            lambda: note_add(
                tip=tip,
                actor=acting_user(request),
                text=text,
                personal_private_key=unlocked_key(request),
            ),
            str(_("Note added.")),
        )

    def move_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        tip = self._tip_or_404(request, object_id)
        form = MoveForm(request.POST)
        if not form.is_valid():
            self.message_user(request, _("Choose a desk to move the tip to."), messages.ERROR)
            return self._back(tip)
        target = form.cleaned_data["target"]
        return self._run(
            request,
            tip,
            lambda: tip_move(
                tip=tip,
                actor=acting_user(request),
                target=target,
                personal_private_key=unlocked_key(request),
            ),
            str(_("Tip moved to %(d)s.") % {"d": target}),
        )
