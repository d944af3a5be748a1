"""Editors read tips in the admin. Ciphertext is never listed, searched or filtered."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from newsroom.exceptions import KeyLocked
from newsroom.keyring import keyring_from_request

from .models import Tip
from .selectors import tips_visible_to
from .services import tip_open


@admin.register(Tip)
class TipAdmin(admin.ModelAdmin):
    list_display = ("reference", "desk_name", "status", "received_at", "has_contact")
    list_filter = ("status", "desk", "has_contact")
    search_fields = ("=reference",)
    ordering = ("received_at",)
    fields = ("reference", "desk", "status", "received_at", "has_contact")
    readonly_fields = ("reference", "desk", "status", "received_at", "has_contact")
    change_form_template = "admin/intake/tip/change_form.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Tip]:
        return tips_visible_to(request.user)  # type: ignore[arg-type]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # tips arrive through the public form only

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The page is for reading; status changes come with the review queue.
        return False

    @admin.display(description=_("desk"), ordering="desk__name")
    def desk_name(self, tip: Tip) -> str:
        return tip.desk.name if tip.desk else str(_("General (reader was not sure)"))

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        context = dict(extra_context or {})
        tip = self.get_object(request, object_id)
        if tip is not None:
            try:
                context["tip_content"] = tip_open(
                    tip=tip,
                    user=request.user,
                    personal_private_key=keyring_from_request(request),  # type: ignore[arg-type]
                )
            except KeyLocked as exc:
                context["tip_locked_reason"] = str(exc)
        return super().change_view(request, object_id, form_url, context)
