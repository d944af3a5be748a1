"""Plain helper functions that build test data through the real services."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.test import Client

from intake import crypto
from intake.models import Desk
from intake.services import Submission, tip_submit
from newsroom.roles import role_groups_ensure
from newsroom.services.desks import desk_create
from newsroom.services.personal_keys import personal_key_create
from newsroom.services.recovery import recovery_key_create

PASSWORD = "correct horse battery staple"


def make_staff(username: str, password: str = PASSWORD, **extra: Any) -> Any:
    user = get_user_model().objects.create_user(
        username=username, password=password, is_staff=True, **extra
    )
    personal_key_create(user=user, password=password)
    return user


@dataclass
class Newsroom:
    """An initialised newsroom: recovery key, general desk and two regional desks."""

    recovery: crypto.KeyPair
    general: Desk
    latam: Desk
    europe: Desk
    users: dict[str, Any] = field(default_factory=dict)

    def submit(
        self,
        body: str = "A tip",
        *,
        desk: Desk | None = None,
        links: str = "",
        contact: str = "",
        arrived_with_proof: bool = False,
        as_spam: bool = False,
    ) -> Submission:
        return tip_submit(
            body=body,
            links=links,
            contact=contact,
            desk=desk,
            arrived_with_proof=arrived_with_proof,
            as_spam=as_spam,
        )


def make_newsroom() -> Newsroom:
    # A transactional test before this one may have emptied the groups (see
    # tests.conftest.role_groups_restored for why they are not rolled back).
    role_groups_ensure()
    recovery = recovery_key_create()
    users = {
        name: make_staff(name)
        for name in ("editor", "latam_coord", "latam_journalist", "europe_journalist")
    }
    general = desk_create(
        name="Editors", slug="general", is_general=True, members=[(users["editor"], "editor")]
    )
    latam = desk_create(
        name="Latin America",
        slug="latam",
        members=[(users["latam_coord"], "coordinator"), (users["latam_journalist"], "journalist")],
    )
    europe = desk_create(
        name="Europe", slug="europe", members=[(users["europe_journalist"], "journalist")]
    )
    return Newsroom(recovery=recovery, general=general, latam=latam, europe=europe, users=users)


def logged_in_client(username: str, password: str = PASSWORD) -> Client:
    """A client logged in through the real admin login form, so the keyring is unlocked."""
    client = Client()
    response = client.post("/admin/login/", {"username": username, "password": password})
    assert response.status_code == 302, "login failed"
    return client
