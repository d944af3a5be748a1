"""Database sessions that know their user, and whose expired rows go as soon as they come back.

A staff session holds half of an unlocked personal key (the other half is the
unlocked-key cookie). Each row records the user it belongs to
(:class:`newsroom.models.StaffSession`), so every session of one person can be
ended at once. Django leaves an expired session row in place until
``clearsessions`` runs; this store deletes it the moment its cookie comes back,
so expiry destroys the server half at once for anyone who returns.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.utils import timezone


class SessionStore(DatabaseSessionStore):
    @classmethod
    def get_model_class(cls) -> Any:
        from newsroom.models import StaffSession  # the models load after the session engine

        return StaffSession

    def create_model_instance(self, data: dict[str, Any]) -> Any:
        instance = super().create_model_instance(data)
        user_id = data.get(SESSION_KEY)
        instance.user_id = int(user_id) if user_id is not None else None  # type: ignore[attr-defined]  # StaffSession's own column
        return instance

    def _get_session_from_db(self) -> Any:
        presented = self.session_key  # the parent forgets it when the row is not valid
        session = super()._get_session_from_db()  # type: ignore[misc]  # private in the stubs
        if session is None and presented:
            self.model.objects.filter(
                session_key=presented, expire_date__lte=timezone.now()
            ).delete()
        return session
