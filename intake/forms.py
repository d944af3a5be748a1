"""The public forms: the tip, and the reader's reply and added details.

Every error message says what to change; nothing typed is lost.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .selectors import active_regional_desks
from .services import MAX_MESSAGE_LENGTH

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

MAX_BODY_LENGTH = 50_000
MAX_LINKS = 20
MAX_LINK_LENGTH = 2_000
MAX_CONTACT_LENGTH = 500


class NormalisedTextField(forms.CharField):
    """A text field that counts line breaks as one character, as the browser shows them.

    Browsers send each line break in a textarea as CRLF, so a text at the
    displayed limit would otherwise be rejected for characters the reader never saw.
    """

    def to_python(self, value: Any) -> str:
        text = super().to_python(value) or ""
        return text.replace("\r\n", "\n").replace("\r", "\n")


class TipForm(forms.Form):
    ANONYMOUS = "anonymous"
    CONTACT = "contact"

    body = NormalisedTextField(
        label=_("What happened?"),
        max_length=MAX_BODY_LENGTH,
        strip=False,
        help_text=_("Tell us what you know: what, where, when, who. Up to 50,000 characters."),
        error_messages={
            "required": _("Please tell us what happened: this field cannot be empty."),
            "max_length": _(
                "This text is %(show_value)d characters long; the limit is %(limit_value)d. "
                "Please shorten it (or send the rest later with your receipt)."
            ),
        },
        widget=forms.Textarea(attrs={"rows": 12, "data-counter": "", "maxlength": MAX_BODY_LENGTH}),
    )
    desk = forms.ModelChoiceField(
        label=_("Which region does it concern?"),
        queryset=active_regional_desks().none(),
        required=False,
        empty_label=_("Not sure"),
        help_text=_("Our editors read every tip; choosing a region also sends it to that desk."),
        error_messages={
            "invalid_choice": _(
                "That region is no longer available. Please choose another one, or 'Not sure'."
            )
        },
    )
    links = NormalisedTextField(
        label=_("Supporting links (optional)"),
        required=False,
        help_text=_("One web address per line, for example documents or posts online."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    contact_choice = forms.ChoiceField(
        label=_("Can we contact you?"),
        choices=[
            (ANONYMOUS, _("No, I want to stay anonymous")),
            (CONTACT, _("Yes, I will leave contact details")),
        ],
        initial=ANONYMOUS,
        widget=forms.RadioSelect,
    )
    contact = NormalisedTextField(
        label=_("Contact details"),
        required=False,
        max_length=MAX_CONTACT_LENGTH,
        help_text=_(
            "An e-mail address, a phone number or a Signal username: whatever is safe for you."
        ),
        error_messages={
            "max_length": _("Contact details can be at most %(limit_value)d characters long.")
        },
    )

    #: The honeypot. People never see it (CSS moves it off screen; it is hidden from screen
    #: readers and out of the tab order); form-filling bots do, and fill it. A tip with it
    #: filled is stored as spam and gets the usual receipt, so a bot learns nothing.
    website = forms.CharField(
        label=_("Leave this field empty: it is here to catch automated spam."),
        required=False,
        strip=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        desk = self.fields["desk"]
        if isinstance(desk, forms.ModelChoiceField):
            desk.queryset = active_regional_desks()

    @property
    def caught_by_honeypot(self) -> bool:
        return bool(self.cleaned_data.get("website"))

    def clean_body(self) -> str:
        body: str = self.cleaned_data["body"]
        if not body.strip():
            raise ValidationError(
                _("Please tell us what happened: the text contains only spaces."), code="blank"
            )
        return body

    def clean_links(self) -> str:
        lines = [line.strip() for line in self.cleaned_data["links"].splitlines() if line.strip()]
        if len(lines) > MAX_LINKS:
            raise ValidationError(
                _("Please give at most %(max)d links (you gave %(count)d)."),
                code="too_many",
                params={"max": MAX_LINKS, "count": len(lines)},
            )
        for line in lines:
            try:
                parts = urlsplit(line)
            except ValueError:  # an unbalanced IPv6 bracket, e.g. "http://[abc"
                parts = urlsplit("")
            if (
                parts.scheme not in {"http", "https"}
                or not parts.netloc
                or any(char.isspace() for char in line)
                or len(line) > MAX_LINK_LENGTH
            ):
                raise ValidationError(
                    _(
                        "“%(line)s” is not a web address. Each line must start with http:// or "
                        "https:// — put other details in “What happened?”."
                    ),
                    code="invalid_link",
                    params={"line": line[:80]},
                )
        return "\n".join(lines)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if "contact" not in cleaned:
            return cleaned  # the field's own error (e.g. too long) already says what to change
        choice = cleaned.get("contact_choice")
        contact = (cleaned.get("contact") or "").strip()
        if choice == self.CONTACT and not contact:
            self.add_error(
                "contact",
                _(
                    "You chose to leave contact details: please write them here, "
                    "or choose to stay anonymous."
                ),
            )
        elif choice == self.ANONYMOUS and contact:
            self.add_error(
                "contact",
                _(
                    "You chose to stay anonymous, but this field has contact details. Choose "
                    "“Yes, I will leave contact details” to send them, or empty this field."
                ),
            )
        cleaned["contact"] = contact if choice == self.CONTACT else ""
        return cleaned


class TipFormOffline(TipForm):
    """The tip form shown while the database is unreachable: what was typed, with the
    chosen region kept in a hidden field, since the list of regions cannot be read."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["desk"] = forms.CharField(required=False, widget=forms.HiddenInput)


# --- the reader's conversation -------------------------------------------------------

#: Longest passphrase input read: seven of the longest words with generous spacing fit
#: many times over; anything longer is cut before it reaches the key derivation.
MAX_PASSPHRASE_INPUT: Final = 1_000

_TOO_LONG = _(
    "This text is %(show_value)d characters long; the limit is %(limit_value)d. "
    "Please send it in parts."
)


def message_field(
    label: StrOrPromise, help_text: StrOrPromise, rows: int, css_class: str = ""
) -> NormalisedTextField:
    """A conversation message's text area, with the limits both sides share."""
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


class MessageForm(forms.Form):
    """A form with one ``body`` that must hold more than spaces."""

    def clean_body(self) -> str:
        body: str = self.cleaned_data["body"]
        if not body.strip():
            raise forms.ValidationError(
                _("Please write something first: the text contains only spaces."), code="blank"
            )
        return body


class ReaderReplyForm(MessageForm):
    """The reader writes to the newsroom."""

    prefix = "reply"
    # The reply and the details share one <form> on the page (so neither text is lost when
    # the other is sent): a browser-side "required" on one would block sending the other.
    # The server still refuses an empty text, with a message.
    use_required_attribute = False
    body = message_field(
        _("Your reply"),
        _("Sealed so only the newsroom can read it. Not even your passphrase opens it again."),
        rows=5,
    )


class ReaderDetailsForm(MessageForm):
    """The reader adds something they forgot, or learnt since, to the tip."""

    prefix = "details"
    use_required_attribute = False  # as for the reply
    body = message_field(
        _("More details about your tip"),
        _("Added to your tip, sealed like it. Include anything you forgot or learnt since."),
        rows=5,
    )
