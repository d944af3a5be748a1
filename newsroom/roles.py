"""Staff roles as Django groups, and the model permissions each one carries.

Permissions say which admin pages a role may open; which tips a person sees
is decided separately, by desk membership (``newsroom.access``, ``newsroom.selectors``).
"""

from __future__ import annotations

from typing import Final

from django.contrib.auth.models import Group, Permission

ROLE_GROUPS: Final = {
    "editor": "Editors",
    "coordinator": "Coordinators",
    "journalist": "Journalists",
}

ROLE_PERMISSIONS: Final = {
    "editor": [
        "intake.view_tip",
        "intake.change_tip",
        "intake.view_desk",
        "newsroom.view_auditevent",
    ],
    "coordinator": ["intake.view_tip", "intake.view_desk", "newsroom.view_auditevent"],
    "journalist": ["intake.view_tip", "intake.view_desk"],
}


def role_groups_ensure() -> None:
    """Create the role groups with their permissions if they are missing (idempotent).

    Migration ``newsroom.0002_role_groups`` creates them on a new database; this
    restores them where a database was emptied afterwards (transactional tests).
    """
    for role, group_name in ROLE_GROUPS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        for dotted in ROLE_PERMISSIONS[role]:
            app_label, codename = dotted.split(".")
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
