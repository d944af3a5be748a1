"""Forms of the tip page and the queue's bulk actions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from intake.models import Desk, Tip
from intake.selectors import active_regional_desks

Status = Tip.Status


class TransitionForm(forms.Form):
    to_status = forms.ChoiceField(label=_("New status"), choices=Status.choices)
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Needed when reopening. Sealed: only the tip's desks can read it."),
    )
    duplicate_of = forms.CharField(
        label=_("Duplicate of (reference)"), required=False, max_length=16
    )


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}))


class TakeOverForm(forms.Form):
    reason = forms.CharField(label=_("Why take it over?"), max_length=500)


class MoveForm(forms.Form):
    target = forms.ModelChoiceField(
        label=_("Move to desk"),
        queryset=Desk.objects.none(),
        empty_label=_("— choose a desk —"),
        error_messages={"required": _("Choose the desk to move the tips to.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = active_regional_desks()  # type: ignore[attr-defined]
