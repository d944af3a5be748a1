"""Plain helper functions that build test data through the real services."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.test import Client
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from intake import crypto
from intake.models import Desk
from intake.services import Submission, tip_submit
from newsroom.roles import role_groups_ensure
from newsroom.services.desks import desk_create
from newsroom.services.personal_keys import staff_account_create
from newsroom.services.recovery import recovery_key_create

PASSWORD = "correct horse battery staple"


#: The name of the recovery-code device every test account gets, so that logins can pass
#: the second step with a fresh one-time code (see :func:`second_factor_code`).
TEST_CODES = "Test recovery codes"


def make_staff(username: str, password: str = PASSWORD, **extra: Any) -> Any:
    """A staff account made as Pista makes them, with a second factor ready to use."""
    user = staff_account_create(
        username=username,
        password=password,
        email=extra.pop("email", ""),
        is_superuser=extra.pop("is_superuser", False),
    )
    for name, value in extra.items():
        setattr(user, name, value)
    if extra:
        user.save(update_fields=list(extra))
    StaticDevice.objects.create(user=user, name=TEST_CODES, confirmed=True)
    return user


def second_factor_code(user: Any) -> str:
    """A fresh one-time code of ``user``'s test device (each works once, as in life)."""
    device = StaticDevice.objects.get(user=user, name=TEST_CODES)
    return str(StaticToken.objects.create(device=device, token=StaticToken.random_token()).token)


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
    """A client logged in through the real two steps (password, then a second factor), so
    the personal key is unlocked and the session verified."""
    client = password_only_client(username, password)
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username=username)
    response = client.post("/admin/verify/", {"code": second_factor_code(user)})
    assert response.status_code == 302, "the second step failed"
    # The code is one-time, so the page after says how many are left: read it once here,
    # so that a test starts with no message waiting.
    client.get(response["Location"])
    return client


def password_only_client(username: str, password: str = PASSWORD) -> Client:
    """A client past the password step only: the second factor is still to prove."""
    client = Client()
    response = client.post("/admin/login/", {"username": username, "password": password})
    assert response.status_code == 302, "login failed"
    assert response["Location"].startswith("/admin/verify/"), response["Location"]
    return client
