from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from .language import SWITCH_FIELD, language_links


def site(request: HttpRequest) -> dict[str, Any]:
    return {
        "newsroom_name": settings.PISTA_NEWSROOM_NAME,
        "language_links": language_links(request),
        "switch_field": SWITCH_FIELD,
    }
