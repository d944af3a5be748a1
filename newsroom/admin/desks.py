"""The desk pages of the admin: details, members and their key flows.

Membership changes run the key flows of the sealing design (flows 3 and 4)
through ``newsroom.services.desks`` and ``desk_keys``: adding a member grants the
desk key when the acting user holds it with an unlocked key, and otherwise leaves
a pending grant that the page explains; removing a member deletes their copy
and rotates the key, after which older tips can be re-sealed in bounded batches.
Who sees and changes which desk is decided by membership (``newsroom.access``).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from intake.models import Desk

from .. import access
from ..actor import acting_user
from ..admin_errors import run
from ..forms.desks import DeskAdminForm, DeskMemberAddForm, GrantConfirmForm
from ..models import DeskMembership, PersonalKey
from ..selectors.desks import (
    desk_member_rows,
    desk_pending_member,
    desk_retired_keys,
    holds_active_desk_key,
    member_key_events,
)
from ..selectors.followups import followups_open_for
from ..services.desk_keys import (
    desk_key_grant_confirmed,
    desk_key_rotate_now,
    desk_reseal_next,
)
from ..services.desks import desk_member_add_by, desk_member_remove, desk_update
from ..unlocked_key import unlocked_key

#: Content keys one click of "re-seal" moves: bounded so the request stays short.
ADMIN_RESEAL_BATCH = 200


@admin.register(Desk)
class DeskAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = DeskAdminForm
    list_display = ("name", "languages", "coordinator", "is_general", "is_active", "member_total")
    list_filter = ("is_general", "is_active")
    search_fields = ("name",)
    list_select_related = ("coordinator",)
    fields = ("name", "slug", "description", "languages", "coordinator", "is_general", "is_active")
    readonly_fields = ("slug", "is_general")
    change_form_template = "admin/newsroom/desk/change_form.html"
    # No bulk grant: the key is passed to one named member at a time (see grant_view).
    actions = None

    def get_queryset(self, request: HttpRequest) -> QuerySet[Desk]:
        visible = access.desks_visible_to(acting_user(request)).values("pk")
        return (
            Desk.objects.filter(pk__in=visible)
            .annotate(member_total=Count("memberships", distinct=True))
            .order_by("-is_general", "name")  # Meta.ordering is dropped by the aggregate
        )

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_superuser or access.request_roles(request))

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:
            return self.has_module_permission(request)
        return access.desks_visible_to(acting_user(request)).filter(pk=obj.pk).exists()

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:
            roles = access.request_roles(request)
            return bool(request.user.is_superuser) or any(
                role in access.MANAGING_ROLES for role in roles
            )
        return access.desks_managed_by(acting_user(request)).filter(pk=obj.pk).exists()

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A desk needs a key pair sealed to the recovery key: `manage.py desk_create`.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=gettext_lazy("members"), ordering="member_total")
    def member_total(self, desk: Desk) -> int:
        return desk.member_total  # type: ignore[attr-defined, no-any-return]

    def save_model(self, request: HttpRequest, obj: Desk, form: Any, change: bool) -> None:
        data = form.cleaned_data
        desk_update(
            desk=obj,
            actor=acting_user(request),
            name=data["name"],
            description=data["description"],
            languages=data["languages"],
            coordinator=data["coordinator"],
            is_active=data["is_active"],
        )

    # --- the membership panel and its key flows ---

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path(
                "<int:desk_id>/members/add/",
                view(self.member_add_view),
                name="intake_desk_member_add",
            ),
            path(
                "<int:desk_id>/members/<int:user_id>/grant/",
                view(self.grant_view),
                name="intake_desk_member_grant",
            ),
            path(
                "<int:desk_id>/members/<int:user_id>/remove/",
                view(self.member_remove_view),
                name="intake_desk_member_remove",
            ),
            path(
                "<int:desk_id>/reseal/",
                view(self.reseal_view),
                name="intake_desk_reseal",
            ),
            path(
                "<int:desk_id>/rotate/",
                view(self.rotate_view),
                name="intake_desk_rotate",
            ),
            *super().get_urls(),
        ]

    def _desk_for(self, request: HttpRequest, desk_id: int, *, manage: bool) -> Desk:
        """The desk, if the user may see it (else 404) and, for changes, manage it (else 403)."""
        desk = get_object_or_404(access.desks_visible_to(acting_user(request)), pk=desk_id)
        if manage and not access.can_manage_members(acting_user(request), desk):
            raise PermissionDenied
        return desk

    def _back(self, desk: Desk) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:intake_desk_change", args=[desk.pk]))

    def membership_panel(self, request: HttpRequest, desk: Desk) -> dict[str, Any]:
        user = acting_user(request)
        rows = desk_member_rows(desk)
        retired = desk_retired_keys(desk)
        can_manage = access.can_manage_members(user, desk)
        return {
            "member_rows": rows,
            "pending_count": sum(1 for row in rows if row.pending),
            "can_manage_members": can_manage,
            "add_member_form": DeskMemberAddForm(desk=desk, actor=user) if can_manage else None,
            "key_unlocked": unlocked_key(request) is not None,
            "holds_desk_key": holds_active_desk_key(desk, user),
            "retired_keys": retired.keys,
            "tips_on_retired_keys": retired.tips,
            "messages_on_retired_keys": retired.messages,
            "reseal_batch": ADMIN_RESEAL_BATCH,
        }

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        context = dict(extra_context or {})
        desk = self.get_object(request, object_id)
        if desk is not None:
            context.update(self.membership_panel(request, desk))
        return super().change_view(request, object_id, form_url, context)

    def _add_member(self, request: HttpRequest, desk: Desk, user: Any, role: str) -> None:
        """Add a member; the desk key is granted at once when the acting user can open it."""
        done, added = run(
            request,
            lambda: desk_member_add_by(
                desk=desk,
                user=user,
                role=role,
                actor=acting_user(request),
                actor_private_key=unlocked_key(request),
            ),
        )
        if not done or added is None:
            return
        names = {"name": user.get_username(), "desk": desk, "role": role}
        if added.granted:
            messages.success(
                request,
                _(
                    "%(name)s was added to %(desk)s as %(role)s and given the desk key: they "
                    "can read the desk's tips now, including older ones."
                )
                % names,
            )
        else:
            messages.warning(
                request,
                _(
                    "%(name)s was added to %(desk)s as %(role)s, but the desk key could not be "
                    "passed on yet: %(reason)s. Their grant is pending; the members list below "
                    "says what it waits for."
                )
                % {**names, "reason": added.pending_reason},
            )

    def member_add_view(self, request: HttpRequest, desk_id: int) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        desk = self._desk_for(request, desk_id, manage=True)
        form = DeskMemberAddForm(request.POST, desk=desk, actor=acting_user(request))
        if not form.is_valid():
            messages.error(request, _("Choose a staff member who is not on the desk yet."))
        else:
            self._add_member(request, desk, form.cleaned_data["user"], form.cleaned_data["role"])
        return self._back(desk)

    def grant_view(self, request: HttpRequest, desk_id: int, user_id: int) -> HttpResponse:
        """Pass the desk key to one pending member, after comparing their fingerprint.

        GET shows who they are, who added them, any reset of their account, and their
        fingerprint; POST needs the comparison stated and the digits they read out.
        """
        desk = self._desk_for(request, desk_id, manage=True)
        membership = desk_pending_member(desk, user_id)
        if membership is None:
            messages.info(request, _("No grant is pending for this member."))
            return self._back(desk)
        member = membership.user
        form = GrantConfirmForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            done, _grant = run(
                request,
                lambda: desk_key_grant_confirmed(
                    desk=desk,
                    member=member,
                    granter=acting_user(request),
                    granter_personal_private_key=unlocked_key(request),
                    fingerprint_typed=form.cleaned_data["digits"],
                    compared=form.cleaned_data["compared"],
                ),
                success=_("%(desk)s: desk key granted to %(name)s.")
                % {"desk": desk, "name": member.get_username()},
            )
            if done:
                return self._back(desk)
        added, reset = member_key_events(desk, member)
        personal = PersonalKey.objects.filter(user=member).first()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Grant the %(desk)s key to %(name)s?")
            % {"desk": desk, "name": member.get_full_name() or member.get_username()},
            "desk": desk,
            "member": member,
            "membership": membership,
            "fingerprint": personal.fingerprint if personal else "",
            "added": added,
            "reset": reset,
            "form": form,
        }
        return TemplateResponse(request, "admin/newsroom/desk/grant.html", context)

    def member_remove_view(self, request: HttpRequest, desk_id: int, user_id: int) -> HttpResponse:
        desk = self._desk_for(request, desk_id, manage=True)
        membership = get_object_or_404(
            DeskMembership.objects.select_related("user"), desk=desk, user_id=user_id
        )
        user = membership.user
        open_followups = followups_open_for(desk=desk, user=user)
        if request.method == "POST":
            done, _key = run(
                request,
                lambda: desk_member_remove(desk=desk, user=user, actor=acting_user(request)),
            )
            if not done:
                return self._back(desk)
            messages.success(
                request,
                _(
                    "%(name)s was removed from %(desk)s. Their copy of the desk key is deleted "
                    "and the desk key was rotated: tips from now on are sealed to a key they "
                    "never held. %(count)d older tip(s) are still sealed to the retired key; "
                    "re-seal them below to finish."
                )
                % {
                    "name": user.get_username(),
                    "desk": desk,
                    "count": desk_retired_keys(desk).tips,
                },
            )
            if open_followups:
                messages.warning(
                    request,
                    _(
                        "%(name)s still has %(count)d open follow-up(s) on this desk, which "
                        "they can no longer see: reassign them."
                    )
                    % {"name": user.get_username(), "count": open_followups},
                )
            return self._back(desk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Remove %(name)s from %(desk)s?")
            % {"name": user.get_username(), "desk": desk},
            "desk": desk,
            "member": user,
            "membership": membership,
            "open_followups": open_followups,
        }
        return TemplateResponse(request, "admin/newsroom/desk/remove_member.html", context)

    def rotate_view(self, request: HttpRequest, desk_id: int) -> HttpResponse:
        """Rotate the desk key on demand, after a page that says what it does."""
        desk = self._desk_for(request, desk_id, manage=True)
        if request.method == "POST":
            done, new_key = run(
                request, lambda: desk_key_rotate_now(desk=desk, actor=acting_user(request))
            )
            if done and new_key is not None:
                left = desk_retired_keys(desk)
                messages.success(
                    request,
                    _(
                        "The key of %(desk)s was rotated: tips from now on are sealed to the new "
                        "key %(fingerprint)s. %(tips)d tip(s) and %(messages)d message(s) are "
                        "still sealed to the retired key; continue re-sealing below."
                    )
                    % {
                        "desk": desk,
                        "fingerprint": new_key.fingerprint,
                        "tips": left.tips,
                        "messages": left.messages,
                    },
                )
            return self._back(desk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Rotate the key of %(desk)s?") % {"desk": desk},
            "desk": desk,
            "retired": desk_retired_keys(desk),
        }
        return TemplateResponse(request, "admin/newsroom/desk/rotate_key.html", context)

    def reseal_view(self, request: HttpRequest, desk_id: int) -> HttpResponse:
        """Move one bounded batch of tips from a retired desk key to the active one."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        desk = self._desk_for(request, desk_id, manage=False)
        done, progress = run(
            request,
            lambda: desk_reseal_next(
                desk=desk,
                actor=acting_user(request),
                personal_private_key=unlocked_key(request),
                batch_size=ADMIN_RESEAL_BATCH,
            ),
        )
        if done and progress is not None:
            if progress.moved:
                messages.success(
                    request,
                    _(
                        "Re-sealed %(moved)d tip(s) and message(s) to the current desk key; "
                        "%(remaining)d remain."
                    )
                    % {"moved": progress.moved, "remaining": progress.remaining},
                )
            else:
                messages.info(request, _("Nothing is left to re-seal."))
        return self._back(desk)
