"""The desk pages of the admin: details, members and their key flows.

Membership changes run the key flows of the sealing design (flows 3 and 4):
adding a member grants the desk key when the acting user holds it with an
unlocked key, and otherwise leaves a pending grant that the page explains;
removing a member deletes their copy and rotates the key, after which older tips
can be re-sealed to the new key in bounded batches. Who sees and changes which
desk is decided by membership (:mod:`newsroom.access`).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from intake.models import SealedKey

from . import access
from .exceptions import MissingKeyring, NewsroomError
from .followup_forms import DeskAdminForm, DeskMemberAddForm
from .keyring import keyring_from_request
from .models import AuditEvent, Desk, DeskKey, DeskKeyGrant, DeskMembership, FollowUp, Keyring
from .selectors import memberships_with_grant_state
from .services import (
    desk_grants_complete_pending,
    desk_key_active,
    desk_member_add,
    desk_member_remove,
    desk_private_key_from_grant,
    desk_reseal_batch,
    desk_update,
)

#: Content keys one click of "re-seal" moves: bounded so the request stays short.
ADMIN_RESEAL_BATCH = 200


def pending_grant_explanation(
    membership: DeskMembership, holders: list[str], has_keyring: bool, desk: Desk
) -> str:
    """Say exactly what a pending grant waits for, and why, in words a coordinator can act on."""
    name = membership.user.get_username()
    if not has_keyring:
        return _(
            "%(name)s has no personal key yet (they have never logged in), so the desk key "
            "cannot be sealed to them. Waiting for: their first login; then a member who "
            "holds the desk key presses “Grant the desk key” on their row."
        ) % {"name": name}
    command = f"manage.py desk_grant {desk.slug} {name} --recovery-key FILE"
    if not holders:
        return _(
            "%(name)s holds no copy of the desk key, and no member holds it either. Waiting "
            "for: an administrator with the offline recovery key to run “%(command)s”."
        ) % {"name": name, "command": command}
    return _(
        "%(name)s is on the desk but holds no copy of its current key, so they cannot read "
        "its tips or follow-ups yet. Passing the key on needs the desk's private key, which "
        "only a member holding it can open, with their own key unlocked by logging in; "
        "nobody holding it was unlocked when %(name)s was added (or their password was "
        "reset since). Waiting for: %(holders)s to check who they are and press “Grant "
        "the desk key” on their row, or an administrator with the recovery key to run "
        "“%(command)s”."
    ) % {"name": name, "holders": _(" or ").join(holders), "command": command}


def _holds_active_key(desk: Desk, user: Any) -> bool:
    return DeskKeyGrant.objects.filter(
        desk_key__desk=desk, desk_key__retired_at__isnull=True, user_id=user.pk
    ).exists()


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
    # No bulk grant: the key is passed to one named member at a time (see grants_confirm_view).
    actions = None

    def get_queryset(self, request: HttpRequest) -> QuerySet[Desk]:
        visible = access.desks_visible_to(request.user).values("pk")  # type: ignore[arg-type]
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
        return access.desks_visible_to(request.user).filter(pk=obj.pk).exists()  # type: ignore[arg-type]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:
            roles = access.request_roles(request)
            return bool(request.user.is_superuser) or any(
                role in access.MANAGING_ROLES for role in roles
            )
        return access.desks_managed_by(request.user).filter(pk=obj.pk).exists()  # type: ignore[arg-type]

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
            actor=request.user,  # type: ignore[arg-type]
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
                name="newsroom_desk_member_add",
            ),
            path(
                "<int:desk_id>/members/confirm/",
                view(self.grants_confirm_view),
                name="newsroom_desk_grants_confirm",
            ),
            path(
                "<int:desk_id>/members/<int:user_id>/remove/",
                view(self.member_remove_view),
                name="newsroom_desk_member_remove",
            ),
            path(
                "<int:desk_id>/reseal/",
                view(self.reseal_view),
                name="newsroom_desk_reseal",
            ),
            *super().get_urls(),
        ]

    def _desk_for(self, request: HttpRequest, desk_id: int, *, manage: bool) -> Desk:
        """The desk, if the user may see it (else 404) and, for changes, manage it (else 403)."""
        desk = get_object_or_404(access.desks_visible_to(request.user), pk=desk_id)  # type: ignore[arg-type]
        if manage and not access.can_manage_members(request.user, desk):  # type: ignore[arg-type]
            raise PermissionDenied
        return desk

    def _back(self, desk: Desk) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:newsroom_desk_change", args=[desk.pk]))

    def membership_panel(self, request: HttpRequest, desk: Desk) -> dict[str, Any]:
        memberships = list(memberships_with_grant_state(desk))
        holders = [m.user.get_username() for m in memberships if m.has_grant]  # type: ignore[attr-defined]
        with_keyring = set(
            Keyring.objects.filter(user__desk_memberships__desk=desk).values_list(
                "user_id", flat=True
            )
        )
        rows = []
        for membership in memberships:
            explanation = ""
            if not membership.has_grant:  # type: ignore[attr-defined]
                explanation = pending_grant_explanation(
                    membership, holders, membership.user_id in with_keyring, desk
                )
            added = (
                AuditEvent.objects.filter(
                    action=AuditEvent.Action.MEMBER_ADDED, desk=desk, subject_user=membership.user
                )
                .select_related("actor")
                .order_by("-created_at")
                .first()
                if explanation
                else None
            )
            rows.append({"membership": membership, "pending": explanation, "added": added})
        retired = DeskKey.objects.filter(desk=desk, retired_at__isnull=False)
        can_manage = access.can_manage_members(request.user, desk)  # type: ignore[arg-type]
        return {
            "member_rows": rows,
            "pending_count": sum(1 for row in rows if row["pending"]),
            "can_manage_members": can_manage,
            "add_member_form": DeskMemberAddForm(desk=desk) if can_manage else None,
            "keyring_unlocked": keyring_from_request(request) is not None,
            "holds_desk_key": _holds_active_key(desk, request.user),
            "retired_keys": retired.count(),
            "tips_on_retired_keys": SealedKey.objects.filter(desk_key__in=retired).count(),
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
        """Add a member; grant the desk key at once when the acting user can open it."""
        personal_key = keyring_from_request(request)
        desk_private_key = None
        reason = ""
        if personal_key is None:
            reason = _("your personal key is not unlocked in this session")
        elif not _holds_active_key(desk, request.user):
            reason = _("you hold no copy of the %(desk)s desk key") % {"desk": desk}
        elif not Keyring.objects.filter(user=user).exists():
            reason = str(MissingKeyring(user.get_username()))
        else:
            try:
                desk_private_key = desk_private_key_from_grant(
                    desk_key=desk_key_active(desk),
                    user=request.user,  # type: ignore[arg-type]
                    personal_private_key=personal_key,
                )
            except NewsroomError as exc:
                reason = str(exc)
        desk_member_add(
            desk=desk,
            user=user,
            role=role,
            actor=request.user,  # type: ignore[arg-type]
            desk_private_key=desk_private_key,
        )
        names = {"name": user.get_username(), "desk": desk, "role": role}
        if desk_private_key is not None:
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
                % {**names, "reason": reason},
            )

    def member_add_view(self, request: HttpRequest, desk_id: int) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        desk = self._desk_for(request, desk_id, manage=True)
        form = DeskMemberAddForm(request.POST, desk=desk)
        if not form.is_valid():
            messages.error(request, _("Choose a staff member who is not on the desk yet."))
        else:
            self._add_member(request, desk, form.cleaned_data["user"], form.cleaned_data["role"])
        return self._back(desk)

    def _confirm(self, request: HttpRequest, desk: Desk, member_id: int) -> None:
        try:
            result = desk_grants_complete_pending(
                desk=desk,
                granter=request.user,  # type: ignore[arg-type]
                granter_personal_private_key=keyring_from_request(request),
                member_id=member_id,
            )
        except NewsroomError as exc:
            messages.error(
                request,
                _("No grant on %(desk)s could be completed: %(reason)s")
                % {"desk": desk, "reason": exc},
            )
            return
        if result.granted:
            messages.success(
                request,
                _("%(desk)s: desk key granted to %(names)s.")
                % {"desk": desk, "names": ", ".join(u.get_username() for u in result.granted)},
            )
        for _user, reason in result.waiting:
            messages.warning(request, f"{desk}: {reason}")
        if not result.granted and not result.waiting:
            messages.info(request, _("%(desk)s: no grant was pending.") % {"desk": desk})

    def grants_confirm_view(self, request: HttpRequest, desk_id: int) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        desk = self._desk_for(request, desk_id, manage=True)
        member = request.POST.get("member", "")
        if not (member.isascii() and member.isdigit()):
            messages.error(request, _("Choose the member to pass the desk key to."))
        else:
            self._confirm(request, desk, int(member))
        return self._back(desk)

    def member_remove_view(self, request: HttpRequest, desk_id: int, user_id: int) -> HttpResponse:
        desk = self._desk_for(request, desk_id, manage=True)
        membership = get_object_or_404(
            DeskMembership.objects.select_related("user"), desk=desk, user_id=user_id
        )
        user = membership.user
        open_followups = FollowUp.objects.filter(
            desk=desk, assignee=user, status__in=FollowUp.ACTIVE_STATUSES
        ).count()
        if request.method == "POST":
            desk_member_remove(desk=desk, user=user, actor=request.user)  # type: ignore[arg-type]
            waiting = SealedKey.objects.filter(
                desk_key__desk=desk, desk_key__retired_at__isnull=False
            )
            messages.success(
                request,
                _(
                    "%(name)s was removed from %(desk)s. Their copy of the desk key is deleted "
                    "and the desk key was rotated: tips from now on are sealed to a key they "
                    "never held. %(count)d older tip(s) are still sealed to the retired key; "
                    "re-seal them below to finish."
                )
                % {"name": user.get_username(), "desk": desk, "count": waiting.count()},
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

    def reseal_view(self, request: HttpRequest, desk_id: int) -> HttpResponse:
        """Move one bounded batch of tips from a retired desk key to the active one."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        desk = self._desk_for(request, desk_id, manage=False)
        if not DeskMembership.objects.filter(
            desk=desk, user_id=access.acting_user_id(request)
        ).exists():
            raise PermissionDenied
        personal_key = keyring_from_request(request)
        retired = DeskKey.objects.filter(desk=desk, retired_at__isnull=False).order_by("retired_at")
        if personal_key is None:
            messages.error(
                request,
                _(
                    "Your personal key is not unlocked in this session, so you cannot open the "
                    "retired desk key. Log out and log in again to unlock it."
                ),
            )
            return self._back(desk)
        for old_key in retired:
            try:
                old_private = desk_private_key_from_grant(
                    desk_key=old_key,
                    user=request.user,  # type: ignore[arg-type]
                    personal_private_key=personal_key,
                )
            except NewsroomError:
                continue
            moved = desk_reseal_batch(
                old_key=old_key,
                old_private_key=old_private,
                actor=request.user,  # type: ignore[arg-type]
                batch_size=ADMIN_RESEAL_BATCH,
            )
            remaining = SealedKey.objects.filter(
                desk_key__desk=desk, desk_key__retired_at__isnull=False
            ).count()
            messages.success(
                request,
                _("Re-sealed %(moved)d tip(s) to the current desk key; %(remaining)d remain.")
                % {"moved": moved, "remaining": remaining},
            )
            return self._back(desk)
        if retired.exists():
            messages.error(
                request,
                _(
                    "You held no copy of the retired desk key, so you cannot re-seal its tips. "
                    "A member who was on the desk before the rotation can, or an administrator "
                    "with the recovery key (manage.py desk_remove_member --recovery-key)."
                ),
            )
        else:
            messages.info(request, _("Nothing is left to re-seal."))
        return self._back(desk)
