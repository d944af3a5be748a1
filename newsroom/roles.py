"""Staff roles as Django groups, and the model permissions each one carries.

Permissions say which admin pages a role may open; which tips a person sees
is decided separately, by desk membership (``intake.selectors``).
"""

from __future__ import annotations

from typing import Final

ROLE_GROUPS: Final = {
    "editor": "Editors",
    "coordinator": "Coordinators",
    "journalist": "Journalists",
}

ROLE_PERMISSIONS: Final = {
    "editor": [
        "intake.view_tip",
        "intake.change_tip",
        "newsroom.view_desk",
        "newsroom.view_auditevent",
    ],
    "coordinator": ["intake.view_tip", "newsroom.view_desk", "newsroom.view_auditevent"],
    "journalist": ["intake.view_tip", "newsroom.view_desk"],
}
