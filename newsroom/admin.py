"""Staff-side admin: desks with their members and key state, staff users, the audit trail."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .forms import KeyringAdminPasswordChangeForm
from .models import AuditEvent, Desk, DeskMembership
from .selectors import memberships_with_grant_state

User = get_user_model()  # the project uses django.contrib.auth's User


class DeskMembershipInline(admin.TabularInline[DeskMembership, Desk]):
    model = DeskMembership
    fields = ("user", "role", "created_at")
    readonly_fields = ("user", "role", "created_at")
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Membership changes run key flows; they go through services, not a raw inline.
        return False


@admin.register(Desk)
class DeskAdmin(admin.ModelAdmin[Desk]):
    list_display = ("name", "is_general", "is_active", "member_count")
    list_filter = ("is_general", "is_active")
    search_fields = ("name",)
    fields = ("name", "slug", "description", "is_general", "is_active", "key_state")
    readonly_fields = ("slug", "is_general", "key_state")
    inlines = (DeskMembershipInline,)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A desk needs a key pair sealed to the recovery key: `manage.py desk_create`.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("members"))
    def member_count(self, desk: Desk) -> int:
        return desk.memberships.count()

    @admin.display(description=_("desk key and grants"))
    def key_state(self, desk: Desk) -> str:
        rows = []
        for membership in memberships_with_grant_state(desk):
            state = (
                _("holds the desk key")
                if membership.has_grant  # type: ignore[attr-defined]  # annotated by the selector
                else _(
                    "PENDING: waits for a member with an unlocked key (or the recovery key) "
                    "to grant the desk key"
                )
            )
            rows.append(f"{membership.user} ({membership.get_role_display()}): {state}")
        return "\n".join(rows) or str(_("No members yet."))


class StaffUserAdmin(UserAdmin):  # type: ignore[type-arg]  # User comes from get_user_model()
    """Django's user admin; setting someone else's password replaces their personal key."""

    change_password_form = KeyringAdminPasswordChangeForm
    change_user_password_template = "admin/newsroom/reset_password.html"  # noqa: S105 - a path


admin.site.unregister(User)
admin.site.register(User, StaffUserAdmin)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin[AuditEvent]):
    list_display = ("created_at", "action", "actor", "tip_reference", "desk", "subject_user")
    list_filter = ("action", "desk")
    search_fields = ("tip_reference", "actor__username")
    date_hierarchy = "created_at"
    list_select_related = ("actor", "desk", "subject_user")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
