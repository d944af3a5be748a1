"""Follow-up pages of the admin: my follow-ups, a follow-up's page, the desk inbox and the
coordinator overview.

Which follow-ups and tips a person sees is decided by desk membership and role
(``newsroom.access``): every list, page, form target and bulk action goes
through the same narrowed querysets, and every change goes through a service in
``newsroom.services.followups``, which checks again. Sealed text is decrypted
only for someone who may see it and whose key is unlocked; otherwise the page
says why, in plain words, and never shows a traceback.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.forms import Form
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from intake.exceptions import PistaError
from intake.models import Tip

from .. import access
from ..actor import acting_user
from ..forms.followups import (
    FollowUpCommentForm,
    FollowUpCreateForm,
    FollowUpReassignForm,
    FollowUpRescheduleForm,
    FollowUpStatusForm,
)
from ..models import DeskMembership, FollowUp
from ..selectors.followups import (
    coordinator_overview,
    desk_inbox,
    followup_history,
    followups_for_list,
    tips_assignable_by,
)
from ..services.followups import (
    followup_comment_add,
    followup_create,
    followup_desk_for,
    followup_open,
    followup_reassign,
    followup_reschedule,
    followup_set_status,
)
from ..services.tips import tip_open
from ..unlocked_key import unlocked_key
from .filters import AssignedFilter, DeskFilter, StateFilter


def _is_member(request: HttpRequest) -> bool:
    return bool(access.request_roles(request))


@admin.register(FollowUp)
class FollowUpAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "tip_reference",
        "desk",
        "assignee",
        "due_date",
        "overdue_marker",
        "priority",
        "status",
        "updated_at",
    )
    list_display_links = ("tip_reference",)
    list_filter = (AssignedFilter, StateFilter, DeskFilter, "priority")
    search_fields = ("=tip__reference",)
    ordering = ("due_date", "-priority", "created_at")
    actions = ("mark_in_progress", "mark_done")

    # --- who may open what ---

    def get_queryset(self, request: HttpRequest) -> QuerySet[FollowUp]:
        return followups_for_list(acting_user(request))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _is_member(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None:
            return access.can_see_followup(acting_user(request), obj)
        return _is_member(request)

    has_change_permission = has_view_permission

    def has_add_permission(self, request: HttpRequest) -> bool:
        return DeskMembership.Role.COORDINATOR in access.request_roles(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a follow-up is closed as done or dropped, never erased

    # --- the list: "My follow-ups" ---

    @admin.display(description=gettext_lazy("tip"), ordering="tip__reference")
    def tip_reference(self, followup: FollowUp) -> str:
        return followup.tip.reference

    @admin.display(description=gettext_lazy("overdue"), ordering="due_date")
    def overdue_marker(self, followup: FollowUp) -> str:
        if getattr(followup, "is_overdue", False):
            days = (timezone.localdate() - followup.due_date).days
            return format_html(
                '<strong class="followup-overdue">{}</strong>',
                _("Overdue by %(days)d day(s)") % {"days": days},
            )
        return ""

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        context = dict(extra_context or {})
        if request.GET.get("assigned", "mine") == "mine":
            context.setdefault("title", _("My follow-ups"))
        context["is_coordinator"] = self.has_add_permission(request)
        return super().changelist_view(request, context)

    def _bulk_status(self, request: HttpRequest, queryset: QuerySet[FollowUp], status: str) -> None:
        changed = 0
        for followup in queryset:  # already narrowed to what the viewer may see
            try:
                followup_set_status(followup=followup, status=status, actor=acting_user(request))
                changed += 1
            except PistaError as exc:
                messages.warning(request, f"{followup.tip.reference}: {exc}")
        if changed:
            messages.success(request, _("%(n)d follow-up(s) updated.") % {"n": changed})

    @admin.action(description=gettext_lazy("Mark selected follow-ups as in progress"))
    def mark_in_progress(self, request: HttpRequest, queryset: QuerySet[FollowUp]) -> None:
        self._bulk_status(request, queryset, FollowUp.Status.IN_PROGRESS)

    @admin.action(description=gettext_lazy("Mark selected follow-ups as done"))
    def mark_done(self, request: HttpRequest, queryset: QuerySet[FollowUp]) -> None:
        self._bulk_status(request, queryset, FollowUp.Status.DONE)

    # --- extra pages ---

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("inbox/", view(self.inbox_view), name="newsroom_followup_inbox"),
            path("overview/", view(self.overview_view), name="newsroom_followup_overview"),
            path(
                "<uuid:followup_id>/status/",
                view(self._action_view(FollowUpStatusForm, self._do_status)),
                name="newsroom_followup_status",
            ),
            path(
                "<uuid:followup_id>/comment/",
                view(self._action_view(FollowUpCommentForm, self._do_comment)),
                name="newsroom_followup_comment",
            ),
            path(
                "<uuid:followup_id>/reassign/",
                view(self._action_view(FollowUpReassignForm, self._do_reassign)),
                name="newsroom_followup_reassign",
            ),
            path(
                "<uuid:followup_id>/reschedule/",
                view(self._action_view(FollowUpRescheduleForm, self._do_reschedule)),
                name="newsroom_followup_reschedule",
            ),
            *super().get_urls(),
        ]

    def _page(self, request: HttpRequest, template: str, **context: Any) -> TemplateResponse:
        return TemplateResponse(
            request,
            template,
            {**self.admin_site.each_context(request), "opts": self.opts, **context},
        )

    def inbox_view(self, request: HttpRequest) -> HttpResponse:
        """Accepted tips of my desks with no follow-up yet, oldest first (coordinators)."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        return self._page(
            request,
            "admin/newsroom/followup/inbox.html",
            title=_("Desk inbox: tips waiting for a follow-up"),
            tips=list(desk_inbox(acting_user(request))),
            now=timezone.now(),
        )

    def overview_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        return self._page(
            request,
            "admin/newsroom/followup/overview.html",
            title=_("Coordinator overview"),
            desks=coordinator_overview(acting_user(request)),
        )

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """Create a follow-up from a tip: ``add/?tip=<uuid>`` (the desk's coordinators)."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        tip_id = request.GET.get("tip", "")
        if not tip_id:
            messages.info(request, _("Pick a tip from your desk inbox to follow up."))
            return HttpResponseRedirect(reverse("admin:newsroom_followup_inbox"))
        tip = self._assignable_tip(request, tip_id)
        desk = followup_desk_for(tip)
        personal_key = unlocked_key(request)
        form = FollowUpCreateForm(request.POST if request.method == "POST" else None, desk=desk)
        if request.method == "POST" and form.is_valid():
            try:
                followup = followup_create(
                    tip=tip,
                    assignee=form.cleaned_data["assignee"],
                    brief=form.cleaned_data["brief"],
                    due_date=form.cleaned_data["due_date"],
                    priority=form.cleaned_data["priority"],
                    actor=acting_user(request),
                    personal_private_key=personal_key,
                )
            except PistaError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request,
                    _("Follow-up assigned to %(name)s, due %(due)s.")
                    % {
                        "name": followup.assignee.get_username(),
                        "due": followup.due_date.isoformat(),
                    },
                )
                return HttpResponseRedirect(
                    reverse("admin:newsroom_followup_change", args=[followup.pk])
                )
        tip_content, locked_reason = None, ""
        try:
            tip_content = tip_open(
                tip=tip, user=acting_user(request), personal_private_key=personal_key
            )
        except PistaError as exc:
            locked_reason = str(exc)
        return self._page(
            request,
            "admin/newsroom/followup/add.html",
            title=_("Assign a follow-up for tip %(reference)s") % {"reference": tip.reference},
            tip=tip,
            desk=desk,
            form=form,
            tip_content=tip_content,
            locked_reason=locked_reason,
            add=True,
        )

    def _assignable_tip(self, request: HttpRequest, tip_id: str) -> Tip:
        try:
            return tips_assignable_by(acting_user(request)).get(pk=uuid.UUID(tip_id))
        except (ValueError, Tip.DoesNotExist) as exc:
            raise Http404(_("No accepted tip of your desks has this address.")) from exc

    def _visible(self, request: HttpRequest, followup_id: Any) -> FollowUp:
        try:
            return (
                followups_for_list(acting_user(request))
                .select_related("created_by")
                .get(pk=uuid.UUID(str(followup_id)))
            )
        except (ValueError, FollowUp.DoesNotExist) as exc:
            raise Http404(_("There is no follow-up of yours at this address.")) from exc

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """A follow-up's page: the tip, the brief, history, comments and what can be done."""
        if request.method != "GET":
            return HttpResponseNotAllowed(["GET"])
        followup = self._visible(request, object_id)
        content, locked_reason = None, ""
        try:
            content = followup_open(
                followup=followup,
                user=acting_user(request),
                personal_private_key=unlocked_key(request),
            )
        except PistaError as exc:
            locked_reason = str(exc)
        manages = access.can_manage_followup(acting_user(request), followup)
        return self._page(
            request,
            "admin/newsroom/followup/detail.html",
            title=_("Follow-up of tip %(reference)s") % {"reference": followup.tip.reference},
            original=followup,
            followup=followup,
            content=content,
            locked_reason=locked_reason,
            history=list(followup_history(followup)),
            status_form=FollowUpStatusForm(followup=followup),
            comment_form=FollowUpCommentForm(),
            reassign_form=FollowUpReassignForm(followup=followup) if manages else None,
            reschedule_form=(
                FollowUpRescheduleForm(
                    initial={"due_date": followup.due_date, "priority": followup.priority}
                )
                if manages
                else None
            ),
            tip_url=reverse("admin:intake_tip_change", args=[followup.tip_id]),
        )

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """The follow-up's own page carries its history."""
        followup = self._visible(request, object_id)
        return HttpResponseRedirect(reverse("admin:newsroom_followup_change", args=[followup.pk]))

    # --- the forms on a follow-up's page ---

    def _action_view(
        self,
        form_class: type[Form],
        handler: Callable[[HttpRequest, FollowUp, dict[str, Any]], str],
    ) -> Callable[..., HttpResponse]:
        def view(request: HttpRequest, followup_id: uuid.UUID) -> HttpResponse:
            if request.method != "POST":
                return HttpResponseNotAllowed(["POST"])
            followup = self._visible(request, followup_id)
            bound = form_class in (FollowUpStatusForm, FollowUpReassignForm)
            kwargs: dict[str, Any] = {"followup": followup} if bound else {}
            form = form_class(request.POST, **kwargs)
            if not form.is_valid():
                errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
                messages.error(request, errors)
            else:
                try:
                    messages.success(request, handler(request, followup, form.cleaned_data))
                except PistaError as exc:
                    messages.error(request, str(exc))
            return HttpResponseRedirect(
                reverse("admin:newsroom_followup_change", args=[followup.pk])
            )

        return view

    def _do_status(self, request: HttpRequest, followup: FollowUp, data: dict[str, Any]) -> str:
        updated = followup_set_status(
            followup=followup,
            status=data["status"],
            reason=data["reason"],
            actor=acting_user(request),
            personal_private_key=unlocked_key(request),
        )
        return _("The follow-up is now %(status)s.") % {
            "status": updated.get_status_display().lower()
        }

    def _do_comment(self, request: HttpRequest, followup: FollowUp, data: dict[str, Any]) -> str:
        followup_comment_add(
            followup=followup,
            body=data["body"],
            actor=acting_user(request),
            personal_private_key=unlocked_key(request),
        )
        return _("Comment added.")

    def _do_reassign(self, request: HttpRequest, followup: FollowUp, data: dict[str, Any]) -> str:
        updated = followup_reassign(
            followup=followup,
            assignee=data["assignee"],
            actor=acting_user(request),
        )
        return _("Reassigned to %(name)s.") % {"name": updated.assignee.get_username()}

    def _do_reschedule(self, request: HttpRequest, followup: FollowUp, data: dict[str, Any]) -> str:
        followup_reschedule(
            followup=followup,
            due_date=data["due_date"],
            priority=data["priority"],
            actor=acting_user(request),
        )
        return _("Due date and priority saved.")
