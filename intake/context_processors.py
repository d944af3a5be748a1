from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, str]:
    return {"newsroom_name": settings.PISTA_NEWSROOM_NAME}
