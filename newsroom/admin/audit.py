"""The audit trail, read-only, narrowed to the viewer's desks and tips."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from ..actor import acting_user
from ..models import AuditEvent, DeskMembership
from ..selectors.tips import tips_visible_to
from .filters import DeskFilter


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
        user = acting_user(request)
        if user.is_superuser:
            return events
        member_desks = DeskMembership.objects.filter(user_id=user.pk).values("desk_id")
        return events.filter(
            Q(desk_id__in=member_desks)
            | Q(tip__in=tips_visible_to(user).values("pk"))
            | Q(actor_id=user.pk)
            | Q(subject_user_id=user.pk)
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
