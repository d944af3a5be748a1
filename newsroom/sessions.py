"""Database sessions whose expired rows are deleted as soon as they are presented.

A staff session holds half of an unlocked personal key (the other half is the
unlocked-key cookie). Django leaves an expired session row in place until
``clearsessions`` runs; this store deletes it the moment its cookie comes back,
so expiry destroys the server half at once for anyone who returns.
"""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.utils import timezone


class SessionStore(DatabaseSessionStore):
    def _get_session_from_db(self) -> Any:
        presented = self.session_key  # the parent forgets it when the row is not valid
        session = super()._get_session_from_db()  # type: ignore[misc]  # private in the stubs
        if session is None and presented:
            self.model.objects.filter(
                session_key=presented, expire_date__lte=timezone.now()
            ).delete()
        return session
