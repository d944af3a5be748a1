"""The tip form: every refusal names what to change, and nothing valid is refused."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils.datastructures import MultiValueDict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intake.forms import MAX_BODY_LENGTH, MAX_CONTACT_LENGTH, MAX_LINKS, TipForm
from tests.factories import Newsroom
from tests.helpers import tip_post

pytestmark = pytest.mark.django_db

# Hypothesis runs many examples inside one test (and one database transaction).
FORM_SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def errors_of(data: dict[str, Any]) -> dict[str, list[str]]:
    form = TipForm(data)
    assert not form.is_valid()
    return {field: list(messages) for field, messages in form.errors.items()}


# --- body ------------------------------------------------------------------------------


def test_empty_body_is_refused_with_a_message_saying_it_cannot_be_empty() -> None:
    errors = errors_of(tip_post(body=""))
    assert errors == {"body": ["Please tell us what happened: this field cannot be empty."]}


@pytest.mark.parametrize("blank", [" ", "   \n\t  ", "\r\n\r\n", "\u00a0\u2003"])
def test_whitespace_only_body_is_refused_as_containing_only_spaces(blank: str) -> None:
    errors = errors_of(tip_post(body=blank))
    assert errors == {"body": ["Please tell us what happened: the text contains only spaces."]}


def test_body_over_the_limit_is_refused_with_its_length_and_the_limit() -> None:
    errors = errors_of(tip_post(body="x" * (MAX_BODY_LENGTH + 7)))
    [message] = errors["body"]
    assert "50007 characters long" in message
    assert "the limit is 50000" in message
    assert "shorten" in message


def test_body_of_exactly_the_limit_is_accepted() -> None:
    form = TipForm(tip_post(body="x" * MAX_BODY_LENGTH))
    assert form.is_valid(), form.errors
    assert len(form.cleaned_data["body"]) == MAX_BODY_LENGTH


def test_crlf_line_breaks_count_as_one_character_and_are_stored_as_newlines() -> None:
    # 50,000 characters as the reader sees them, 1,000 of them line breaks.
    lines = ["y" * 49] * 1000
    shown = "\n".join(lines) + "\n"
    assert len(shown) == MAX_BODY_LENGTH
    sent = shown.replace("\n", "\r\n")  # what the browser posts
    assert len(sent) > MAX_BODY_LENGTH

    form = TipForm(tip_post(body=sent))

    assert form.is_valid(), form.errors
    assert form.cleaned_data["body"] == shown


def test_lone_carriage_returns_are_normalised_to_newlines() -> None:
    form = TipForm(tip_post(body="first\rsecond\r\nthird"))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["body"] == "first\nsecond\nthird"


def test_body_keeps_its_leading_and_trailing_spaces() -> None:
    # Indentation can matter (a pasted table); the form must not rewrite the text.
    form = TipForm(tip_post(body="  indented\n"))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["body"] == "  indented\n"


# --- contact ----------------------------------------------------------------------------


def test_choosing_contact_without_details_asks_for_them() -> None:
    errors = errors_of(tip_post(contact_choice="contact", contact="   "))
    assert errors == {
        "contact": [
            "You chose to leave contact details: please write them here, or choose to stay "
            "anonymous."
        ]
    }


def test_choosing_anonymous_with_details_filled_is_an_error_not_a_silent_drop() -> None:
    errors = errors_of(tip_post(contact_choice="anonymous", contact="signal: @source.01"))
    [message] = errors["contact"]
    assert "You chose to stay anonymous, but this field has contact details." in message


def test_contact_details_are_kept_when_contact_is_chosen() -> None:
    form = TipForm(tip_post(contact_choice="contact", contact="  signal: @source.01\r\n"))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["contact"] == "signal: @source.01"


def test_anonymous_tip_has_empty_contact() -> None:
    form = TipForm(tip_post())
    assert form.is_valid(), form.errors
    assert form.cleaned_data["contact"] == ""


def test_contact_over_500_characters_is_refused_with_the_limit() -> None:
    errors = errors_of(tip_post(contact_choice="contact", contact="c" * (MAX_CONTACT_LENGTH + 1)))
    assert errors == {"contact": ["Contact details can be at most 500 characters long."]}


def test_contact_of_exactly_500_characters_is_accepted() -> None:
    form = TipForm(tip_post(contact_choice="contact", contact="c" * MAX_CONTACT_LENGTH))
    assert form.is_valid(), form.errors


@pytest.mark.parametrize("choice", ["", "maybe"])
def test_missing_or_unknown_contact_choice_is_refused(choice: str) -> None:
    errors = errors_of(tip_post(contact_choice=choice))
    assert list(errors) == ["contact_choice"]


# --- links ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "see the council minutes",
        "example.org/minutes",
        "javascript:alert(1)",
        "ftp://files.example.org/ledger.xls",
        "file:///etc/passwd",
        "http://",
        "https:///no-host",
        "https://" + "a" * 2_000 + ".example",
    ],
)
def test_a_line_that_is_not_an_http_address_is_refused_by_name(line: str) -> None:
    errors = errors_of(tip_post(links=f"https://example.org/ok\n{line}"))
    [message] = errors["links"]
    assert f"“{line[:80]}” is not a web address." in message
    assert "http:// or https://" in message


@pytest.mark.parametrize("line", ["http://[abc", "https://[::1/path", "http://host]/x"])
def test_a_malformed_ipv6_address_is_refused_not_crashed_on(line: str) -> None:
    errors = errors_of(tip_post(links=line))
    [message] = errors["links"]
    assert "is not a web address" in message


def test_more_than_twenty_links_are_refused_with_the_count() -> None:
    links = "\n".join(f"https://example.org/{n}" for n in range(MAX_LINKS + 1))
    errors = errors_of(tip_post(links=links))
    assert errors == {"links": ["Please give at most 20 links (you gave 21)."]}


def test_twenty_links_with_blank_lines_between_are_accepted() -> None:
    links = "\r\n\r\n".join(f"https://example.org/{n}" for n in range(MAX_LINKS))
    form = TipForm(tip_post(links="\r\n  \r\n" + links + "\r\n\r\n"))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["links"].split("\n") == [
        f"https://example.org/{n}" for n in range(MAX_LINKS)
    ]


def test_valid_links_are_stripped_and_joined_one_per_line() -> None:
    form = TipForm(
        tip_post(links="  http://example.org/a  \r\n\r\n\thttps://example.net/b?c=d#e\r\n")
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["links"] == "http://example.org/a\nhttps://example.net/b?c=d#e"


def test_links_are_optional() -> None:
    form = TipForm(tip_post(links="\r\n   \r\n"))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["links"] == ""


# --- desk -------------------------------------------------------------------------------


def test_only_active_regional_desks_are_offered(newsroom: Newsroom) -> None:
    newsroom.europe.is_active = False
    newsroom.europe.save(update_fields=["is_active"])

    offered = [desk.pk for desk in TipForm().fields["desk"].queryset]

    assert offered == [newsroom.latam.pk]


def test_not_sure_is_the_first_choice_and_is_accepted(newsroom: Newsroom) -> None:
    first_value, first_label = next(iter(TipForm().fields["desk"].choices))
    assert (first_value, str(first_label)) == ("", "Not sure")

    form = TipForm(tip_post(desk=""))

    assert form.is_valid(), form.errors
    assert form.cleaned_data["desk"] is None


def test_an_active_regional_desk_is_accepted(newsroom: Newsroom) -> None:
    form = TipForm(tip_post(desk=str(newsroom.latam.pk)))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["desk"] == newsroom.latam


AVAILABLE = "That region is no longer available. Please choose another one, or 'Not sure'."


def test_posting_the_general_desk_is_refused_with_a_clear_message(newsroom: Newsroom) -> None:
    errors = errors_of(tip_post(desk=str(newsroom.general.pk)))
    assert errors == {"desk": [AVAILABLE]}


def test_posting_an_inactive_desk_is_refused_with_a_clear_message(newsroom: Newsroom) -> None:
    newsroom.europe.is_active = False
    newsroom.europe.save(update_fields=["is_active"])

    errors = errors_of(tip_post(desk=str(newsroom.europe.pk)))

    assert errors == {"desk": [AVAILABLE]}


@pytest.mark.parametrize("value", ["999999", "latam", "-1", "1.5"])
def test_posting_an_unknown_desk_is_refused_with_the_same_message(
    newsroom: Newsroom, value: str
) -> None:
    assert errors_of(tip_post(desk=value)) == {"desk": [AVAILABLE]}


def test_every_error_is_reported_at_once(newsroom: Newsroom) -> None:
    errors = errors_of(
        {
            "body": " ",
            "desk": str(newsroom.general.pk),
            "links": "nope",
            "contact_choice": "contact",
            "contact": "",
        }
    )
    assert set(errors) == {"body", "desk", "links", "contact"}


# --- arbitrary input --------------------------------------------------------------------

# Any text a reader can type: no NUL (which Django refuses outright) and not blank.
reader_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=400
).filter(lambda text: text.strip() != "")


@FORM_SETTINGS
@given(body=reader_text)
def test_any_non_blank_text_is_a_valid_body(body: str) -> None:
    form = TipForm(tip_post(body=body))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["body"] == body.replace("\r\n", "\n").replace("\r", "\n")


post_value = st.one_of(
    st.text(max_size=60),
    st.sampled_from(["", "anonymous", "contact", "1", "0", "-1", "http://[x", "javascript:x"]),
)
# As a request's POST: every key maps to one or more strings. Half the examples start
# from a valid tip and change some fields, so the valid path is exercised too.
fields_and_noise = st.dictionaries(
    keys=st.one_of(
        st.sampled_from(["body", "desk", "links", "contact_choice", "contact"]),
        st.text(max_size=10),
    ),
    values=st.lists(post_value, min_size=1, max_size=3),
    max_size=7,
)
post_data = st.one_of(
    fields_and_noise.map(MultiValueDict),
    fields_and_noise.map(
        lambda changes: MultiValueDict({**{k: [v] for k, v in tip_post().items()}, **changes})
    ),
)


@pytest.fixture
def offered_desk_ids(newsroom: Newsroom) -> frozenset[int]:
    # Only ids: Hypothesis prints every argument of a failing example, key pairs included.
    return frozenset({newsroom.latam.pk, newsroom.europe.pk})


@FORM_SETTINGS
@given(data=post_data)
def test_the_form_never_raises_on_arbitrary_post_data(
    offered_desk_ids: frozenset[int], data: MultiValueDict
) -> None:
    form = TipForm(data)
    if form.is_valid():
        assert form.cleaned_data["body"].strip()
        desk = form.cleaned_data["desk"]
        assert desk is None or desk.pk in offered_desk_ids
    else:
        assert form.errors


def test_a_link_with_a_space_is_not_a_web_address(newsroom) -> None:
    form = TipForm(
        data={"body": "x", "links": "http://exa mple.com", "contact_choice": "anonymous"}
    )
    assert not form.is_valid()
    assert "is not a web address" in form.errors["links"][0]
