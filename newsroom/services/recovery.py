"""The newsroom recovery key: created once, its private half handed to a person offline."""

from __future__ import annotations

from django.db import transaction

from intake import crypto
from intake.models import RecoveryKey
from intake.services import sealing_keys_changed

from ..exceptions import AlreadyInitialised
from ..models import AuditEvent
from .audit import audit


@transaction.atomic
def recovery_key_create() -> crypto.KeyPair:
    """Create the newsroom recovery key and return the pair.

    Only the public half is stored; the caller must hand the private half to a
    person for offline keeping.
    """
    if RecoveryKey.objects.exists():
        raise AlreadyInitialised()
    pair = crypto.generate_keypair()
    RecoveryKey.objects.create(public_key=pair.public_key)
    sealing_keys_changed()
    audit(
        action=AuditEvent.Action.NEWSROOM_INITIALISED,
        detail=f"fingerprint {crypto.fingerprint(pair.public_key)}",
    )
    return pair
