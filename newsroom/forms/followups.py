"""Forms of the follow-up pages."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from intake.models import Desk

from ..models import FollowUp
from ..selectors.followups import desk_members
from ..services.followups import MAX_BRIEF_LENGTH, MAX_COMMENT_LENGTH, MAX_REASON_LENGTH
from ..workflow import FOLLOWUP_TRANSITIONS

User = get_user_model()


class _DateInput(forms.DateInput):
    """The browser's own date picker: works without the admin's calendar script."""

    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


class _DueDateMixin:
    def clean_due_date(self) -> date:
        due: date = self.cleaned_data["due_date"]  # type: ignore[attr-defined]
        if due < timezone.localdate():
            raise forms.ValidationError(_("The due date is in the past."))
        return due


class FollowUpCreateForm(_DueDateMixin, forms.Form):
    assignee = forms.ModelChoiceField(queryset=User.objects.none(), label=_("Assign to"))
    brief = forms.CharField(
        label=_("Brief"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=MAX_BRIEF_LENGTH,
        help_text=_("Sealed like the tip: only members of the tip's desks can read it."),
    )
    due_date = forms.DateField(label=_("Due date"), widget=_DateInput())
    priority = forms.TypedChoiceField(
        label=_("Priority"),
        choices=FollowUp.Priority.choices,
        coerce=int,
        initial=FollowUp.Priority.NORMAL,
    )

    def __init__(self, *args: Any, desk: Desk, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = desk_members(desk)  # type: ignore[attr-defined]


class FollowUpStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"))
    reason = forms.CharField(
        label=_("Reason (needed to drop it; sealed)"),
        required=False,
        max_length=MAX_REASON_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, followup: FollowUp, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        allowed = FOLLOWUP_TRANSITIONS.get(followup.status, frozenset())
        self.fields["status"].choices = [  # type: ignore[attr-defined]
            (value, label) for value, label in FollowUp.Status.choices if value in allowed
        ]


class FollowUpCommentForm(forms.Form):
    body = forms.CharField(
        label=_("Comment (sealed)"),
        max_length=MAX_COMMENT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class FollowUpReassignForm(forms.Form):
    assignee = forms.ModelChoiceField(queryset=User.objects.none(), label=_("Reassign to"))

    def __init__(self, *args: Any, followup: FollowUp, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = desk_members(  # type: ignore[attr-defined]
            followup.desk
        ).exclude(pk=followup.assignee_id)


class FollowUpRescheduleForm(_DueDateMixin, forms.Form):
    due_date = forms.DateField(label=_("Due date"), widget=_DateInput())
    priority = forms.TypedChoiceField(
        label=_("Priority"), choices=FollowUp.Priority.choices, coerce=int
    )
