"""Notification e-mails in the admin: each person's own choices, and the deliveries (for
administrators: failures stay visible there). No content is held."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from ..actor import acting_user
from ..models import Notification, NotificationPreference
from ..services.notifications import notification_preferences_update


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Each staff member edits their own notification choices, and nobody else's."""

    fields = ("tip_accepted", "followup_assigned", "followup_due_soon", "followup_overdue")

    def get_queryset(self, request: HttpRequest) -> QuerySet[NotificationPreference]:
        return NotificationPreference.objects.filter(user_id=acting_user(request).pk)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_staff)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request) and (
            obj is None or obj.user_id == acting_user(request).pk
        )

    has_change_permission = has_view_permission

    def has_add_permission(self, request: HttpRequest) -> bool:
        return (
            self.has_module_permission(request)
            and not NotificationPreference.objects.filter(user_id=acting_user(request).pk).exists()
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """There is one row per person: go straight to it (or to the form for a first choice)."""
        if not self.has_module_permission(request):
            raise PermissionDenied
        own = NotificationPreference.objects.filter(user_id=acting_user(request).pk).first()
        if own is None:
            return HttpResponseRedirect(reverse("admin:newsroom_notificationpreference_add"))
        return HttpResponseRedirect(
            reverse("admin:newsroom_notificationpreference_change", args=[own.pk])
        )

    def save_model(
        self, request: HttpRequest, obj: NotificationPreference, form: Any, change: bool
    ) -> None:
        obj.user_id = acting_user(request).pk
        saved = notification_preferences_update(
            user=acting_user(request),
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
