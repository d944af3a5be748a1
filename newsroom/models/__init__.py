"""The staff side's records, one module per concern.

``keys``: desk memberships, desk-key grants, personal keys. ``review``: status
changes and notes. ``followups``: assignments and their history. ``audit``: the
trail. ``notifications``: e-mail choices and deliveries. ``accounts``: failed logins and
sessions by user. Desks, their public
keys and tips themselves are the public side's (``intake.models``).
"""

from .accounts import LoginState, StaffSession
from .audit import AuditEvent
from .followups import FollowUp, FollowUpComment, FollowUpEvent
from .keys import DeskKeyGrant, DeskMembership, PersonalKey
from .notifications import Notification, NotificationPreference
from .review import Note, SealedText, StatusChange

__all__ = [
    "AuditEvent",
    "DeskKeyGrant",
    "DeskMembership",
    "FollowUp",
    "FollowUpComment",
    "FollowUpEvent",
    "LoginState",
    "Note",
    "Notification",
    "NotificationPreference",
    "PersonalKey",
    "SealedText",
    "StaffSession",
    "StatusChange",
]
