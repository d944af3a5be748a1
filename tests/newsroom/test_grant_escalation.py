"""The review's high finding, replayed: an administrator on no desk resets a desk member's
password to become them. The desk's coordinator now sees who did it and when, the member
is told, and the grant cannot be confirmed without comparing the fingerprint."""

from __future__ import annotations

from typing import Any

from django.core import mail
from django_otp.plugins.otp_static.models import StaticDevice

from intake.models import Desk
from newsroom.models import AuditEvent, DeskKeyGrant, Notification, PersonalKey
from newsroom.services.notifications import notification_deliver
from tests.factories import Newsroom, logged_in_client, make_staff
from tests.helpers import messages_text

HIJACK_PASSWORD = "the administrator's chosen password 1"


def _reset_password_as(admin: Any, user: Any) -> Any:
    return admin.post(
        f"/admin/auth/user/{user.pk}/password/",
        {"password1": HIJACK_PASSWORD, "password2": HIJACK_PASSWORD, "usable_password": "true"},
    )


def _grant_url(desk: Desk, user: Any) -> str:
    return f"/admin/intake/desk/{desk.pk}/members/{user.pk}/grant/"


def test_an_administrators_reset_cannot_turn_into_a_silent_grant(newsroom: Newsroom) -> None:
    journalist = newsroom.users["latam_journalist"]
    journalist.email = "journalist@example.org"
    journalist.save(update_fields=["email"])
    fingerprint_they_know = PersonalKey.objects.get(user=journalist).fingerprint
    make_staff("root", is_superuser=True)
    admin = logged_in_client("root")

    assert _reset_password_as(admin, journalist).status_code == 302
    # The grants are withdrawn and every session of the journalist is over.
    assert not DeskKeyGrant.objects.filter(user=journalist).exists()

    # The reset is on the record of each of the journalist's desks, naming who did it.
    resets = AuditEvent.objects.filter(
        action=AuditEvent.Action.PERSONAL_KEY_RESET, subject_user=journalist
    )
    assert {(e.desk_id, e.actor.get_username()) for e in resets} == {  # type: ignore[union-attr]
        (newsroom.latam.pk, "root")
    }

    # The journalist is told, in a content-free e-mail.
    notification = Notification.objects.get(
        recipient=journalist, kind=Notification.Kind.ACCOUNT_RESET
    )
    assert notification_deliver(str(notification.pk)) == Notification.Status.SENT
    [email] = [m for m in mail.outbox if m.to == ["journalist@example.org"]]
    assert "reset the password or the second factor" in email.body
    assert "Latin America" not in email.body, "no desk, no tip, nothing but the fact"

    # The administrator logs in as the journalist with the password they chose...
    hijacker = logged_in_client("latam_journalist", HIJACK_PASSWORD)
    assert hijacker.get("/admin/").status_code == 200

    # ...and the coordinator's desk page says who reset the account, and when.
    coordinator = logged_in_client("latam_coord")
    desk_page = coordinator.get(f"/admin/intake/desk/{newsroom.latam.pk}/change/").content.decode()
    assert "Personal key replaced (password reset) by root on" in desk_page
    assert "compare their key's fingerprint with them by phone or in person" in desk_page
    grant_page = coordinator.get(_grant_url(newsroom.latam, journalist)).content.decode()
    assert "by root on" in grant_page
    new_fingerprint = PersonalKey.objects.get(user=journalist).fingerprint
    assert new_fingerprint in grant_page
    assert new_fingerprint != fingerprint_they_know

    # One routine click does not grant it...
    response = coordinator.post(_grant_url(newsroom.latam, journalist), {})
    assert "Compare the fingerprint with them first." in response.content.decode()
    # ...and the real journalist, on the phone, reads the fingerprint of the key they hold:
    # it is not the one on the account now, so the grant is refused.
    response = coordinator.post(
        _grant_url(newsroom.latam, journalist),
        {"compared": "on", "digits": fingerprint_they_know.split()[-1]},
        follow=True,
    )
    assert "do not grant the key: someone else may control the account" in messages_text(response)
    assert not DeskKeyGrant.objects.filter(user=journalist).exists()
    assert b"PENDING" in coordinator.get(f"/admin/intake/desk/{newsroom.latam.pk}/change/").content


def test_a_factor_reset_by_an_administrator_is_audited_against_each_desk_and_told(
    newsroom: Newsroom,
) -> None:
    coordinator = newsroom.users["latam_coord"]
    make_staff("root", is_superuser=True)
    admin = logged_in_client("root")
    victim_session = logged_in_client("latam_coord")

    response = admin.post(
        "/admin/auth/user/",
        {"action": "reset_second_factors", "_selected_action": [coordinator.pk]},
        follow=True,
    )
    assert "second factors were removed" in messages_text(response)
    event = AuditEvent.objects.get(action=AuditEvent.Action.FACTORS_RESET)
    assert (event.actor.get_username(), event.desk_id) == ("root", newsroom.latam.pk)  # type: ignore[union-attr]
    assert Notification.objects.filter(
        recipient=coordinator, kind=Notification.Kind.ACCOUNT_RESET
    ).exists()
    assert victim_session.get("/admin/")["Location"].startswith("/admin/login/")
    # At the next login there is no factor: only the enrolment page.
    from tests.factories import password_only_client

    assert (
        password_only_client("latam_coord").get("/admin/")["Location"].startswith("/admin/enrol/")
    )


def test_nobody_resets_their_own_second_factors(newsroom: Newsroom) -> None:
    root = make_staff("root", is_superuser=True)
    admin = logged_in_client("root")
    response = admin.post(
        "/admin/auth/user/",
        {"action": "reset_second_factors", "_selected_action": [root.pk]},
        follow=True,
    )
    assert "cannot reset your own second factors" in messages_text(response)
    assert StaticDevice.objects.filter(user=root).exists(), "their own factors are untouched"
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.FACTORS_RESET).exists()
