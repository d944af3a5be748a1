"""The reader's language: every public page in each of settings.LANGUAGES, chosen by the
URL's prefix (/es/, /fr/, /en/, /ar/), and a switcher that keeps what was typed.

On a page with a form, each language of the switcher is a submit button of that form
(``form=`` and ``formaction=`` attributes, no JavaScript): the typed text travels to
the same page in the other language, which shows it again without sending anything.
Elsewhere the switcher is a plain link. No language cookie is set: the choice lives
in the address only.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from django.urls import translate_url
from django.utils.translation import get_language

#: The name of the switcher's buttons; a post carrying it only changes the language.
SWITCH_FIELD = "switch_language"


@dataclass(frozen=True)
class LanguageLink:
    code: str
    name: str
    url: str
    current: bool


def switching(request: HttpRequest) -> bool:
    """Whether this post is the switcher's: show the page again, send nothing."""
    return request.method == "POST" and SWITCH_FIELD in request.POST


def typed(request: HttpRequest, *names: str) -> dict[str, str]:
    """What the reader typed in ``names``, to show again as the form's initial values."""
    return {name: request.POST.get(name, "") for name in names if name in request.POST}


def language_links(request: HttpRequest) -> list[LanguageLink]:
    """This page in every language, the current one marked."""
    current = get_language()
    return [
        LanguageLink(
            code=code,
            name=name,
            url=translate_url(request.get_full_path(), code),
            current=code == current,
        )
        for code, name in settings.LANGUAGES
    ]
