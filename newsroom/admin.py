"""Staff-side admin: staff users, the audit trail, notification preferences and deliveries.

Desks live in :mod:`newsroom.desk_admin`, follow-ups in :mod:`newsroom.followup_admin`;
both are registered by importing them here.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from intake.selectors import tips_visible_to

from . import access
from .desk_admin import DeskAdmin  # noqa: F401 - registers the desk pages
from .followup_admin import DeskFilter, FollowUpAdmin  # noqa: F401 - registers its pages
from .forms import KeyringAdminPasswordChangeForm
from .models import AuditEvent, DeskMembership, Notification, NotificationPreference
from .notifications import notification_preferences_update

User = get_user_model()  # the project uses django.contrib.auth's User


# --- staff users and the audit trail -------------------------------------------------------


class StaffUserAdmin(UserAdmin):  # type: ignore[type-arg]  # User comes from get_user_model()
    """Django's user admin; setting someone else's password replaces their personal key."""

    change_password_form = KeyringAdminPasswordChangeForm
    change_user_password_template = "admin/newsroom/reset_password.html"  # noqa: S105 - a path


admin.site.unregister(User)
admin.site.register(User, StaffUserAdmin)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin[AuditEvent]):
    list_display = ("created_at", "action", "actor", "tip_reference", "desk", "subject_user")
    list_filter = ("action", DeskFilter)
    search_fields = ("tip_reference", "actor__username")
    date_hierarchy = "created_at"
    list_select_related = ("actor", "desk", "subject_user")

    def get_queryset(self, request: HttpRequest) -> QuerySet[AuditEvent]:
        """Administrators see the whole trail; others the events of their desks and tips,
        and those about themselves. Another desk's events name its tips and members."""
        events = super().get_queryset(request)
        user = request.user
        if user.is_superuser:
            return events
        member_desks = DeskMembership.objects.filter(user_id=access.acting_user_id(request)).values(
            "desk_id"
        )
        return events.filter(
            Q(desk_id__in=member_desks)
            | Q(tip__in=tips_visible_to(user).values("pk"))  # type: ignore[arg-type]
            | Q(actor_id=user.pk)
            | Q(subject_user_id=user.pk)
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# --- notifications -------------------------------------------------------------------------


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Each staff member edits their own notification choices, and nobody else's."""

    fields = ("tip_accepted", "followup_assigned", "followup_due_soon", "followup_overdue")

    def get_queryset(self, request: HttpRequest) -> QuerySet[NotificationPreference]:
        return NotificationPreference.objects.filter(user_id=access.acting_user_id(request))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_staff)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request) and (
            obj is None or obj.user_id == access.acting_user_id(request)
        )

    has_change_permission = has_view_permission

    def has_add_permission(self, request: HttpRequest) -> bool:
        return (
            self.has_module_permission(request)
            and not NotificationPreference.objects.filter(
                user_id=access.acting_user_id(request)
            ).exists()
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """There is one row per person: go straight to it (or to the form for a first choice)."""
        if not self.has_module_permission(request):
            raise PermissionDenied
        own = NotificationPreference.objects.filter(user_id=access.acting_user_id(request)).first()
        if own is None:
            return HttpResponseRedirect(reverse("admin:newsroom_notificationpreference_add"))
        return HttpResponseRedirect(
            reverse("admin:newsroom_notificationpreference_change", args=[own.pk])
        )

    def save_model(
        self, request: HttpRequest, obj: NotificationPreference, form: Any, change: bool
    ) -> None:
        obj.user_id = access.acting_user_id(request)
        saved = notification_preferences_update(
            user=request.user,  # type: ignore[arg-type]
            **{name: form.cleaned_data[name] for name in self.fields},
        )
        obj.pk = saved.pk

    def response_post_save_change(
        self, request: HttpRequest, obj: NotificationPreference
    ) -> HttpResponseRedirect:
        return HttpResponseRedirect(
            reverse("admin:newsroom_notificationpreference_change", args=[obj.pk])
        )

    response_post_save_add = response_post_save_change


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Delivery records, for administrators: failures stay visible here. No content is held."""

    list_display = ("created_at", "kind", "recipient", "status", "attempts", "next_attempt_at")
    list_filter = ("status", "kind")
    list_select_related = ("recipient",)
    fields = (
        "kind",
        "recipient",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "next_attempt_at",
        "sent_at",
    )
    readonly_fields = fields

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_superuser)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
