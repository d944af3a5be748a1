"""Who holds which key: memberships of desks, desk-key grants and personal keys.

Private keys are only ever stored wrapped: a personal key under Argon2id(password),
a desk key sealed to each member's personal public key (and, in ``intake.DeskKey``,
to the newsroom recovery key).
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from intake import crypto
from intake.models import Desk, DeskKey


class DeskMembership(models.Model):
    """A staff member's place on a desk. Access to tips comes from a key grant."""

    class Role(models.TextChoices):
        EDITOR = "editor", _("Editor")
        COORDINATOR = "coordinator", _("Coordinator")
        JOURNALIST = "journalist", _("Journalist")

    desk = models.ForeignKey(Desk, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="desk_memberships"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["desk", "user"], name="one_membership_per_desk"),
        ]

    def __str__(self) -> str:
        return f"{self.user} on {self.desk} ({self.get_role_display()})"


class DeskKeyGrant(models.Model):
    """A desk private key sealed to one member's personal public key."""

    desk_key = models.ForeignKey(DeskKey, on_delete=models.CASCADE, related_name="grants")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="desk_key_grants"
    )
    wrapped_private_key = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["desk_key", "user"], name="one_grant_per_key_and_user"),
        ]

    def __str__(self) -> str:
        return f"Grant of {self.desk_key.desk} key to {self.user}"


class PersonalKey(models.Model):
    """A staff member's personal key pair as stored; the private half is wrapped under
    their password. Unlocked for one login it becomes the session's *unlocked key*
    (``newsroom.unlocked_key``)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="personal_key"
    )
    public_key = models.BinaryField()
    wrapped_private_key = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Personal key of {self.user}"

    @property
    def fingerprint(self) -> str:
        return crypto.fingerprint(bytes(self.public_key))
