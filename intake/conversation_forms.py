"""Forms of the conversation: the reader's reply and added details, the newsroom's message."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from django import forms
from django.utils.translation import gettext_lazy as _

from .conversation import MAX_MESSAGE_LENGTH
from .forms import NormalisedTextField

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

#: Longest passphrase input read: seven of the longest words with generous spacing fit
#: many times over; anything longer is cut before it reaches the key derivation.
MAX_PASSPHRASE_INPUT: Final = 1_000

_TOO_LONG = _(
    "This text is %(show_value)d characters long; the limit is %(limit_value)d. "
    "Please send it in parts."
)


def _message_field(
    label: StrOrPromise, help_text: StrOrPromise, rows: int, css_class: str = ""
) -> NormalisedTextField:
    return NormalisedTextField(
        label=label,
        max_length=MAX_MESSAGE_LENGTH,
        strip=False,
        help_text=help_text,
        error_messages={
            "required": _("Please write something first: this field cannot be empty."),
            "max_length": _TOO_LONG,
        },
        widget=forms.Textarea(
            attrs={"rows": rows, "maxlength": MAX_MESSAGE_LENGTH}
            | ({"class": css_class} if css_class else {})
        ),
    )


class _NotBlank(forms.Form):
    def clean_body(self) -> str:
        body: str = self.cleaned_data["body"]
        if not body.strip():
            raise forms.ValidationError(
                _("Please write something first: the text contains only spaces."), code="blank"
            )
        return body


class ReaderReplyForm(_NotBlank):
    """The reader writes to the newsroom."""

    prefix = "reply"
    body = _message_field(
        _("Your reply"),
        _("Sealed so only the newsroom can read it. Not even your passphrase opens it again."),
        rows=5,
    )


class ReaderDetailsForm(_NotBlank):
    """The reader adds something they forgot, or learnt since, to the tip."""

    prefix = "details"
    body = _message_field(
        _("More details about your tip"),
        _("Added to your tip, sealed like it. Include anything you forgot or learnt since."),
        rows=5,
    )


class NewsroomMessageForm(_NotBlank):
    """A desk member writes to the reader."""

    body = _message_field(
        _("Message to the reader"),
        _(
            "The reader sees it the next time they check back with their passphrase, signed "
            "“the newsroom”: never with your name. Do not name other sources."
        ),
        rows=6,
        css_class="vLargeTextField",  # the admin's full-width text area
    )
