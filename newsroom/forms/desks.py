"""Forms of the desk pages: its plain details and adding a member."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from intake.models import Desk

from ..models import DeskMembership

User = get_user_model()


class DeskAdminForm(forms.ModelForm):  # type: ignore[type-arg]
    """The desk's plain details; the coordinator is picked among its coordinator members."""

    class Meta:
        model = Desk
        fields = ("name", "description", "languages", "coordinator", "is_active")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        coordinator = self.fields.get("coordinator")  # absent on the read-only view
        if coordinator is not None:
            coordinator.queryset = User.objects.filter(  # type: ignore[attr-defined]
                desk_memberships__desk_id=self.instance.pk,
                desk_memberships__role=DeskMembership.Role.COORDINATOR,
            ).order_by("username")


class DeskMemberAddForm(forms.Form):
    user = forms.ModelChoiceField(queryset=User.objects.none(), label=_("Staff member"))
    role = forms.ChoiceField(choices=DeskMembership.Role.choices, label=_("Role"))

    def __init__(self, *args: Any, desk: Desk, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Nobody adds themselves to a desk, so the acting user is not offered.
        self.fields["user"].queryset = (  # type: ignore[attr-defined]
            User.objects.filter(is_staff=True, is_active=True)
            .exclude(desk_memberships__desk=desk)
            .exclude(pk=actor.pk)
            .order_by("username")
        )
        self.fields["role"].initial = DeskMembership.Role.JOURNALIST


class GrantConfirmForm(forms.Form):
    """Passing a desk key on is never one routine click: the fingerprint is compared."""

    compared = forms.BooleanField(
        label=_(
            "I compared this fingerprint with them by phone or in person, not by e-mail or "
            "chat on this computer, and it matches."
        ),
        error_messages={"required": _("Compare the fingerprint with them first.")},
    )
    digits = forms.CharField(
        label=_("The last five digits they read to you"),
        max_length=60,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        error_messages={"required": _("Type the last five digits they read to you.")},
    )
