"""Desks and their members: creation, details, joining (flow 3) and leaving (flow 4).

Adding a member grants them the desk key when the acting member can open it,
and otherwise leaves a pending grant; removing one deletes their copy and
rotates the key (``desk_keys``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils.translation import gettext as _

from intake.exceptions import PistaError
from intake.models import Desk, DeskKey

from ..exceptions import MissingPersonalKey, NotAllowed
from ..models import AuditEvent, DeskKeyGrant, DeskMembership, PersonalKey
from ..roles import ROLE_GROUPS
from ..selectors.desks import holds_active_desk_key
from .audit import audit
from .desk_keys import desk_key_grant, desk_key_new, desk_key_rotate, desk_private_key_for_granting

Action = AuditEvent.Action


def role_groups_sync(user: User) -> None:
    """Make ``user``'s role groups exactly those of the roles they hold on some desk.

    Groups only open admin pages; what someone may do to a tip is still decided per
    desk. Keeping them in step means a demoted or removed member loses the pages too.
    """
    held = set(DeskMembership.objects.filter(user=user).values_list("role", flat=True))
    role_groups = Group.objects.filter(name__in=ROLE_GROUPS.values())
    user.groups.remove(*role_groups.exclude(name__in=[ROLE_GROUPS[r] for r in held]))
    user.groups.add(*role_groups.filter(name__in=[ROLE_GROUPS[r] for r in held]))


@transaction.atomic
def desk_create(
    *,
    name: str,
    slug: str,
    is_general: bool = False,
    description: str = "",
    members: Sequence[tuple[User, str]] = (),
    actor: User | None = None,
) -> Desk:
    """Create a desk with a fresh key pair wrapped to the recovery key and to ``members``.

    Only public keys are needed: the private half is at hand while it is generated.
    """
    desk = Desk.objects.create(name=name, slug=slug, is_general=is_general, description=description)
    desk_key, private_key = desk_key_new(desk)
    audit(action=Action.DESK_CREATED, actor=actor, desk=desk, detail=f"key {desk_key.fingerprint}")
    for user, role in members:
        desk_member_add(desk=desk, user=user, role=role, actor=actor, desk_private_key=private_key)
    return desk


@transaction.atomic
def desk_update(
    *,
    desk: Desk,
    actor: User | None,
    name: str,
    description: str,
    languages: str,
    coordinator: User | None,
    is_active: bool,
) -> Desk:
    """Change a desk's plain details. The coordinator must be a coordinator member."""
    if (
        coordinator is not None
        and not DeskMembership.objects.filter(
            desk=desk, user_id=coordinator.pk, role=DeskMembership.Role.COORDINATOR
        ).exists()
    ):
        raise NotAllowed(
            _(
                "The coordinator must be a member of this desk with the coordinator role. "
                "Add them to the desk as a coordinator first."
            )
        )
    desk.name = name
    desk.description = description
    desk.languages = languages
    desk.coordinator = coordinator
    desk.is_active = is_active
    desk.save(update_fields=["name", "description", "languages", "coordinator", "is_active"])
    audit(
        action=Action.DESK_UPDATED,
        actor=actor,
        desk=desk,
        subject_user=coordinator,
        detail="details changed",
    )
    return desk


@transaction.atomic
def desk_member_add(
    *,
    desk: Desk,
    user: User,
    role: str,
    actor: User | None,
    desk_private_key: bytes | None = None,
) -> DeskMembership:
    """Add ``user`` to ``desk`` (flow 3). With the desk private key at hand, grant it too;
    without it the membership waits as a pending grant (see ``desk_key_grant``)."""
    if actor is not None and actor.pk == user.pk:
        # Nobody lets themselves in: an administrator on no desk must not become a reader
        # by adding themselves and waiting for a routine grant.
        raise NotAllowed(_("You cannot add yourself to a desk; ask one of its members."))
    membership, _created = DeskMembership.objects.update_or_create(
        desk=desk, user=user, defaults={"role": role}
    )
    if desk.coordinator_id == user.pk and role != DeskMembership.Role.COORDINATOR:
        desk.coordinator = None  # the coordinator must hold the coordinator role
        desk.save(update_fields=["coordinator"])
    role_groups_sync(user)
    audit(action=Action.MEMBER_ADDED, actor=actor, desk=desk, subject_user=user, detail=role)
    if desk_private_key is not None:
        desk_key_grant(desk=desk, user=user, desk_private_key=desk_private_key, actor=actor)
    return membership


@dataclass(frozen=True)
class MemberAdded:
    membership: DeskMembership
    granted: bool
    #: Why the desk key could not be passed on at once (empty when it was).
    pending_reason: str = ""


def desk_member_add_by(
    *, desk: Desk, user: User, role: str, actor: User, actor_private_key: bytes | None
) -> MemberAdded:
    """A desk's manager adds someone from the desk page: the key is granted at once when
    ``actor`` can open it, else the membership is pending and the reason says why."""
    desk_private_key = None
    reason = ""
    if actor_private_key is None:
        reason = _("your personal key is not unlocked in this session")
    elif not holds_active_desk_key(desk, actor):
        reason = _("you hold no copy of the %(desk)s desk key") % {"desk": desk}
    elif not PersonalKey.objects.filter(user=user).exists():
        reason = str(MissingPersonalKey(user.get_username()))
    else:
        try:
            desk_private_key = desk_private_key_for_granting(
                desk=desk, granter=actor, granter_personal_private_key=actor_private_key
            )
        except PistaError as exc:
            reason = str(exc)
    membership = desk_member_add(
        desk=desk, user=user, role=role, actor=actor, desk_private_key=desk_private_key
    )
    return MemberAdded(
        membership=membership, granted=desk_private_key is not None, pending_reason=reason
    )


@transaction.atomic
def desk_member_remove(*, desk: Desk, user: User, actor: User | None) -> DeskKey:
    """Remove a member (flow 4): delete their grants, then rotate the desk key.

    The new key pair is sealed to the remaining members' public keys and to the
    recovery key, so no private key is needed here. Tips already sealed to the
    old key stay readable to the remaining members until
    ``desk_keys.desk_reseal_batch`` moves them to the new key.
    """
    DeskKeyGrant.objects.filter(desk_key__desk=desk, user=user).delete()
    DeskMembership.objects.filter(desk=desk, user=user).delete()
    role_groups_sync(user)
    if desk.coordinator_id == user.pk:
        desk.coordinator = None
        desk.save(update_fields=["coordinator"])
    audit(action=Action.MEMBER_REMOVED, actor=actor, desk=desk, subject_user=user)
    return desk_key_rotate(desk=desk, actor=actor)
