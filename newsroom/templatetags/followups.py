"""The follow-up shortcuts shown on the admin index: my follow-ups, the desk inbox, the overview."""

from __future__ import annotations

from typing import Any

from django import template
from django.db.models import Count, Q

from newsroom.access import desks_coordinated_by
from newsroom.models import DeskMembership
from newsroom.selectors.followups import desk_inbox, my_followups

register = template.Library()


@register.inclusion_tag("admin/newsroom/shortcuts.html", takes_context=True)
def followup_shortcuts(context: dict[str, Any]) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"show": False}
    if not DeskMembership.objects.filter(user_id=user.pk).exists():
        return {"show": False, "preferences": user.is_staff}
    mine = my_followups(user).aggregate(
        open=Count("pk"), overdue=Count("pk", filter=Q(is_overdue=True))
    )
    coordinator = desks_coordinated_by(user).exists()
    return {
        "show": True,
        "preferences": True,
        "my_open": mine["open"],
        "my_overdue": mine["overdue"],
        "coordinator": coordinator,
        "inbox_count": desk_inbox(user).count() if coordinator else 0,
    }
