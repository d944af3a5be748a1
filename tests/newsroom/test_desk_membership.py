"""Desk membership through the admin runs the key flows of the sealing design (3 and 4):
adding a member grants the desk key when the actor can, or leaves a pending grant that a
member with an unlocked key completes; removing one deletes their copy and rotates the key."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from intake import crypto, labels
from intake.models import Desk, DeskKey, SealedKey
from intake.selectors import desk_key_active
from newsroom.admin import desks as desk_admin
from newsroom.exceptions import KeyLocked, MissingPersonalKey, NotAllowed
from newsroom.models import AuditEvent, DeskKeyGrant, DeskMembership, PersonalKey
from newsroom.services.desk_keys import desk_key_grant_confirmed
from newsroom.services.desks import desk_member_add, desk_member_remove, desk_update
from newsroom.services.personal_keys import staff_password_reset
from newsroom.unsealing import desk_private_key_from_grant, tip_content_key
from tests.factories import PASSWORD, Newsroom, logged_in_client, make_staff
from tests.helpers import add_member, locked_client, messages_text, unlocked_key_of


def _desk_url(desk: Any, suffix: str = "change/") -> str:
    return f"/admin/intake/desk/{desk.pk}/{suffix}"


def _grant_of(desk: Any, user: Any) -> DeskKeyGrant | None:
    return DeskKeyGrant.objects.filter(
        desk_key__desk=desk, desk_key__retired_at__isnull=True, user=user
    ).first()


def _can_read(tip: Any, user: Any) -> bool:
    try:
        tip_content_key(tip=tip, user=user, personal_private_key=unlocked_key_of(user))
    except KeyLocked:
        return False
    return True


# --- adding members ---------------------------------------------------------------------------


def test_a_coordinator_holding_the_key_adds_a_member_who_can_read_at_once(
    newsroom: Newsroom,
) -> None:
    older_tip = newsroom.submit("Before they joined", desk=newsroom.latam).tip
    newcomer = make_staff("newcomer")
    client = logged_in_client("latam_coord")

    response = client.post(
        _desk_url(newsroom.latam, "members/add/"),
        {"user": newcomer.pk, "role": "journalist"},
        follow=True,
    )

    assert "given the desk key" in messages_text(response)
    assert _grant_of(newsroom.latam, newcomer) is not None
    assert _can_read(older_tip, newcomer), "flow 3: no tip is re-encrypted, the key is shared"
    assert DeskMembership.objects.get(desk=newsroom.latam, user=newcomer).role == "journalist"
    assert newcomer.groups.filter(name="Journalists").exists()


def test_adding_with_a_locked_key_leaves_a_pending_grant_and_says_why(
    newsroom: Newsroom,
) -> None:
    newcomer = make_staff("newcomer")
    client = locked_client("latam_coord")

    response = client.post(
        _desk_url(newsroom.latam, "members/add/"),
        {"user": newcomer.pk, "role": "journalist"},
        follow=True,
    )

    text = messages_text(response)
    assert "could not be passed on yet" in text
    assert "your personal key is not unlocked in this session" in text
    assert DeskMembership.objects.filter(desk=newsroom.latam, user=newcomer).exists()
    assert _grant_of(newsroom.latam, newcomer) is None
    page = response.content.decode()
    assert "PENDING" in page
    assert "Waiting for: latam_coord or latam_journalist to check who they are" in page
    assert "manage.py desk_grant latam newcomer --recovery-key FILE" in page


def test_a_superuser_outside_the_desk_can_only_add_pending_members(newsroom: Newsroom) -> None:
    make_staff("admin", is_superuser=True)
    newcomer = make_staff("newcomer")
    response = logged_in_client("admin").post(
        _desk_url(newsroom.latam, "members/add/"),
        {"user": newcomer.pk, "role": "journalist"},
        follow=True,
    )
    assert "you hold no copy of the Latin America desk key" in messages_text(response)
    assert _grant_of(newsroom.latam, newcomer) is None


def test_a_member_without_a_personal_key_waits_for_their_first_login(
    newsroom: Newsroom,
) -> None:
    newcomer = make_staff("newcomer")
    PersonalKey.objects.filter(user=newcomer).delete()
    response = logged_in_client("latam_coord").post(
        _desk_url(newsroom.latam, "members/add/"),
        {"user": newcomer.pk, "role": "journalist"},
        follow=True,
    )
    assert "has no personal key yet" in messages_text(response)
    assert "they have never logged in" in response.content.decode()
    assert _grant_of(newsroom.latam, newcomer) is None


def test_a_journalist_cannot_change_the_membership(newsroom: Newsroom) -> None:
    newcomer = make_staff("newcomer")
    client = logged_in_client("latam_journalist")
    response = client.post(
        _desk_url(newsroom.latam, "members/add/"), {"user": newcomer.pk, "role": "editor"}
    )
    assert response.status_code == 403
    assert not DeskMembership.objects.filter(user=newcomer).exists()
    page = client.get(_desk_url(newsroom.latam)).content.decode()
    assert "add_member_form" not in page


def test_leaving_a_role_takes_its_group_away(newsroom: Newsroom) -> None:
    user = newsroom.users["europe_journalist"]
    desk_member_add(desk=newsroom.europe, user=user, role="editor", actor=None)
    assert get_user_model().objects.get(pk=user.pk).has_perm("intake.change_tip")
    desk_member_add(desk=newsroom.europe, user=user, role="journalist", actor=None)
    demoted = get_user_model().objects.get(pk=user.pk)
    assert set(demoted.groups.values_list("name", flat=True)) == {"Journalists"}
    assert not demoted.has_perm("intake.change_tip")
    desk_member_remove(desk=newsroom.europe, user=user, actor=None)
    assert not get_user_model().objects.get(pk=user.pk).groups.exists()


def test_nobody_adds_themselves_to_a_desk(newsroom: Newsroom) -> None:
    boss = make_staff("boss", is_superuser=True)
    with pytest.raises(NotAllowed, match="cannot add yourself"):
        desk_member_add(desk=newsroom.latam, user=boss, role="editor", actor=boss)
    assert not newsroom.latam.memberships.filter(user=boss).exists()


# --- completing pending grants ----------------------------------------------------------------


def _grant_url(desk: Desk, user: Any) -> str:
    return _desk_url(desk, f"members/{user.pk}/grant/")


def _last_digits(user: Any) -> str:
    return PersonalKey.objects.get(user=user).fingerprint.split()[-1]


def _compared(user: Any) -> dict[str, str]:
    return {"compared": "on", "digits": _last_digits(user)}


def test_a_member_with_an_unlocked_key_completes_pending_grants(newsroom: Newsroom) -> None:
    tip = newsroom.submit("For the desk", desk=newsroom.latam).tip
    waiting = [make_staff("first"), make_staff("second")]
    for user in waiting:
        desk_member_add(desk=newsroom.latam, user=user, role="journalist", actor=None)
    assert not any(_can_read(tip, user) for user in waiting)

    response = logged_in_client("latam_journalist").post(
        _grant_url(newsroom.latam, waiting[0]), _compared(waiting[0]), follow=False
    )
    assert response.status_code == 403, "journalists do not manage the desk"

    coordinator = logged_in_client("latam_coord")
    page = coordinator.get(_desk_url(newsroom.latam)).content.decode()
    assert "Compare fingerprints and grant the desk key to first" in page
    assert "Compare fingerprints and grant the desk key to second" in page
    assert "Added by a management command" in page

    # The grant page shows whose key it is, and its fingerprint.
    confirm = coordinator.get(_grant_url(newsroom.latam, waiting[0])).content.decode()
    assert PersonalKey.objects.get(user=waiting[0]).fingerprint in confirm

    # One named member at a time: granting "first" lets nobody else in.
    response = coordinator.post(
        _grant_url(newsroom.latam, waiting[0]), _compared(waiting[0]), follow=True
    )
    assert "desk key granted to first." in messages_text(response)
    assert _can_read(tip, waiting[0])
    assert not _can_read(tip, waiting[1])
    assert "Compare fingerprints and grant the desk key to second" in response.content.decode()

    response = coordinator.post(
        _grant_url(newsroom.latam, waiting[1]), _compared(waiting[1]), follow=True
    )
    assert all(_can_read(tip, user) for user in waiting)
    assert "PENDING" not in response.content.decode()
    granted = AuditEvent.objects.filter(
        action=AuditEvent.Action.KEY_GRANTED, actor=newsroom.users["latam_coord"]
    )
    assert granted.count() == 2
    assert all("compared" in event.detail for event in granted)
    again = coordinator.get(_grant_url(newsroom.latam, waiting[1]), follow=True)
    assert "No grant is pending for this member." in messages_text(again)


def test_a_grant_is_never_one_routine_click(newsroom: Newsroom) -> None:
    newcomer = make_staff("newcomer")
    desk_member_add(desk=newsroom.latam, user=newcomer, role="journalist", actor=None)
    coordinator = logged_in_client("latam_coord")
    url = _grant_url(newsroom.latam, newcomer)

    unchecked = coordinator.post(url, {"digits": _last_digits(newcomer)})
    assert unchecked.status_code == 200
    assert "Compare the fingerprint with them first." in unchecked.content.decode()
    wrong_digits = "00000" if _last_digits(newcomer) != "00000" else "11111"
    wrong = coordinator.post(url, {"compared": "on", "digits": wrong_digits})
    assert "The digits do not match newcomer" in messages_text(wrong)
    empty = coordinator.post(url, {"compared": "on", "digits": ""})
    assert "Type the last five digits they read to you." in empty.content.decode()
    assert _grant_of(newsroom.latam, newcomer) is None

    # All thirty digits, as read out with spaces or dashes, work as well as the last five.
    full = PersonalKey.objects.get(user=newcomer).fingerprint.replace(" ", "-")
    coordinator.post(url, {"compared": "on", "digits": full})
    assert _grant_of(newsroom.latam, newcomer) is not None


def test_confirming_with_a_locked_key_changes_nothing_and_says_so(newsroom: Newsroom) -> None:
    newcomer = make_staff("newcomer")
    desk_member_add(desk=newsroom.latam, user=newcomer, role="journalist", actor=None)
    response = locked_client("latam_coord").post(
        _grant_url(newsroom.latam, newcomer), _compared(newcomer), follow=True
    )
    assert "Your personal key is not unlocked" in messages_text(response)
    assert _grant_of(newsroom.latam, newcomer) is None


def test_completing_pending_grants_needs_the_granter_to_hold_the_key(newsroom: Newsroom) -> None:
    pending = make_staff("pending")
    also_pending = make_staff("also_pending")
    for user in (pending, also_pending):
        desk_member_add(desk=newsroom.latam, user=user, role="journalist", actor=None)
    with pytest.raises(KeyLocked, match="no copy of the Latin America desk key"):
        desk_key_grant_confirmed(
            desk=newsroom.latam,
            member=also_pending,
            granter=pending,
            granter_personal_private_key=unlocked_key_of(pending),
            fingerprint_typed=_last_digits(also_pending),
            compared=True,
        )
    with pytest.raises(KeyLocked, match="not a member of Latin America"):
        desk_key_grant_confirmed(
            desk=newsroom.latam,
            member=also_pending,
            granter=newsroom.users["editor"],
            granter_personal_private_key=unlocked_key_of(newsroom.users["editor"]),
            fingerprint_typed=_last_digits(also_pending),
            compared=True,
        )
    assert _grant_of(newsroom.latam, also_pending) is None


def test_a_member_still_without_a_personal_key_cannot_be_granted_and_it_says_why(
    newsroom: Newsroom,
) -> None:
    unready = make_staff("unready")
    PersonalKey.objects.filter(user=unready).delete()
    desk_member_add(desk=newsroom.latam, user=unready, role="journalist", actor=None)
    coordinator = newsroom.users["latam_coord"]
    with pytest.raises(MissingPersonalKey, match="unready has no personal key yet"):
        desk_key_grant_confirmed(
            desk=newsroom.latam,
            member=unready,
            granter=coordinator,
            granter_personal_private_key=unlocked_key_of(coordinator),
            fingerprint_typed="12345",
            compared=True,
        )
    assert _grant_of(newsroom.latam, unready) is None


def test_there_is_no_bulk_grant_across_desks(newsroom: Newsroom) -> None:
    waiting = make_staff("lw")
    desk_member_add(desk=newsroom.latam, user=waiting, role="journalist", actor=None)
    client = logged_in_client("latam_coord")
    client.post(
        "/admin/intake/desk/",
        {"action": "confirm_pending_grants", "_selected_action": [newsroom.latam.pk]},
    )
    assert _grant_of(newsroom.latam, waiting) is None


def test_a_password_reset_turns_the_grant_back_into_a_pending_one(newsroom: Newsroom) -> None:
    journalist = newsroom.users["latam_journalist"]
    staff_password_reset(user=journalist, new_password=PASSWORD, actor=None)
    page = logged_in_client("latam_coord").get(_desk_url(newsroom.latam)).content.decode()
    assert "PENDING" in page
    assert "or their password was reset since" in page


# --- removing members and rotating the key -------------------------------------------------------


def test_removing_a_member_rotates_the_key_and_their_old_copy_opens_no_new_tip(
    newsroom: Newsroom,
) -> None:
    journalist = newsroom.users["latam_journalist"]
    old_key = desk_key_active(newsroom.latam)
    old_desk_private = desk_private_key_from_grant(
        desk_key=old_key, user=journalist, personal_private_key=unlocked_key_of(journalist)
    )
    client = logged_in_client("latam_coord")

    confirm = client.get(_desk_url(newsroom.latam, f"members/{journalist.pk}/remove/"))
    assert "rotates the key" in confirm.content.decode()
    assert DeskMembership.objects.filter(user=journalist, desk=newsroom.latam).exists()

    response = client.post(
        _desk_url(newsroom.latam, f"members/{journalist.pk}/remove/"), follow=True
    )
    assert "the desk key was rotated" in messages_text(response)
    assert not DeskKeyGrant.objects.filter(user=journalist, desk_key__desk=newsroom.latam).exists()
    new_key = desk_key_active(newsroom.latam)
    assert new_key.pk != old_key.pk

    new_tip = newsroom.submit("After they left", desk=newsroom.latam).tip
    sealed = SealedKey.objects.get(tip=new_tip, desk_key=new_key)
    with pytest.raises(crypto.CryptoError):
        crypto.unseal(
            bytes(sealed.sealed_content_key),
            old_desk_private,
            label=labels.tip_content_key(new_tip.id),
        )
    assert not _can_read(new_tip, journalist)
    assert _can_read(new_tip, newsroom.users["latam_coord"])


def test_removing_the_coordinator_clears_the_desk_coordinator(newsroom: Newsroom) -> None:
    coordinator = newsroom.users["latam_coord"]
    desk_update(
        desk=newsroom.latam,
        actor=None,
        name="Latin America",
        description="",
        languages="Spanish",
        coordinator=coordinator,
        is_active=True,
    )
    make_staff("boss", is_superuser=True)
    logged_in_client("boss").post(_desk_url(newsroom.latam, f"members/{coordinator.pk}/remove/"))
    newsroom.latam.refresh_from_db()
    assert newsroom.latam.coordinator is None


def test_resealing_moves_older_tips_in_bounded_batches_then_deletes_the_retired_key(
    newsroom: Newsroom, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(desk_admin, "ADMIN_RESEAL_BATCH", 2)
    tips = [newsroom.submit(f"old {n}", desk=newsroom.latam).tip for n in range(3)]
    journalist = newsroom.users["latam_journalist"]
    old_key = desk_key_active(newsroom.latam)
    old_private = desk_private_key_from_grant(
        desk_key=old_key, user=journalist, personal_private_key=unlocked_key_of(journalist)
    )
    client = logged_in_client("latam_coord")
    client.post(_desk_url(newsroom.latam, f"members/{journalist.pk}/remove/"))
    page = client.get(_desk_url(newsroom.latam)).content.decode()
    assert "3 tips are still sealed to a retired desk key" in page

    first = client.post(_desk_url(newsroom.latam, "reseal/"), follow=True)
    assert "Re-sealed 2 tip(s) and message(s) to the current desk key; 1 remain." in messages_text(
        first
    )
    second = client.post(_desk_url(newsroom.latam, "reseal/"), follow=True)
    assert "Re-sealed 1 tip(s) and message(s) to the current desk key; 0 remain." in messages_text(
        second
    )

    assert not DeskKey.objects.filter(pk=old_key.pk).exists()
    assert all(_can_read(tip, newsroom.users["latam_coord"]) for tip in tips)
    for tip in tips:
        sealed = SealedKey.objects.get(tip=tip, desk_key__desk=newsroom.latam)
        with pytest.raises(crypto.CryptoError):
            crypto.unseal(
                bytes(sealed.sealed_content_key), old_private, label=labels.tip_content_key(tip.id)
            )
    assert AuditEvent.objects.filter(action=AuditEvent.Action.TIPS_RESEALED).count() == 2


def test_a_member_who_never_held_the_retired_key_cannot_reseal(newsroom: Newsroom) -> None:
    newsroom.submit("old", desk=newsroom.latam)
    client = logged_in_client("latam_coord")
    client.post(
        _desk_url(newsroom.latam, f"members/{newsroom.users['latam_journalist'].pk}/remove/")
    )
    latecomer = add_member(newsroom, newsroom.latam, "latecomer", role="coordinator")
    response = logged_in_client(latecomer.username).post(
        _desk_url(newsroom.latam, "reseal/"), follow=True
    )
    assert "You held no copy of the retired desk key" in messages_text(response)
    assert SealedKey.objects.filter(desk_key__retired_at__isnull=False).count() == 1


# --- desk details ---------------------------------------------------------------------------------


def test_the_coordinator_must_be_a_coordinator_member(newsroom: Newsroom) -> None:
    with pytest.raises(NotAllowed, match="coordinator role"):
        desk_update(
            desk=newsroom.latam,
            actor=None,
            name="Latin America",
            description="",
            languages="",
            coordinator=newsroom.users["latam_journalist"],
            is_active=True,
        )
    with pytest.raises(NotAllowed, match="coordinator role"):
        desk_update(
            desk=newsroom.latam,
            actor=None,
            name="Latin America",
            description="",
            languages="",
            coordinator=newsroom.users["europe_journalist"],
            is_active=True,
        )


def test_a_coordinator_edits_the_desk_details_in_the_admin(newsroom: Newsroom) -> None:
    client = logged_in_client("latam_coord")
    coordinator = newsroom.users["latam_coord"]
    form = client.get(_desk_url(newsroom.latam)).content.decode()
    # Only coordinator members are offered as coordinator.
    assert f'<option value="{coordinator.pk}">latam_coord</option>' in form
    assert "latam_journalist</option>" not in form
    response = client.post(
        _desk_url(newsroom.latam),
        {
            "name": "Latin America",
            "description": "Andes and beyond",
            "languages": "Spanish, Portuguese",
            "coordinator": coordinator.pk,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    newsroom.latam.refresh_from_db()
    assert (newsroom.latam.languages, newsroom.latam.coordinator) == (
        "Spanish, Portuguese",
        coordinator,
    )
    assert AuditEvent.objects.filter(action=AuditEvent.Action.DESK_UPDATED).exists()


def test_a_role_change_away_from_coordinator_clears_the_desk_coordinator(
    newsroom: Newsroom,
) -> None:
    coordinator = newsroom.users["latam_coord"]
    desk_update(
        desk=newsroom.latam,
        actor=None,
        name="Latin America",
        description="",
        languages="",
        coordinator=coordinator,
        is_active=True,
    )
    desk_member_add(desk=newsroom.latam, user=coordinator, role="journalist", actor=None)
    newsroom.latam.refresh_from_db()
    assert newsroom.latam.coordinator is None
    assert Group.objects.get(name="Journalists").user_set.filter(pk=coordinator.pk).exists()


def test_the_acting_user_is_not_offered_on_the_add_member_list(newsroom: Newsroom) -> None:
    root = make_staff("root", is_superuser=True)
    client = logged_in_client("root")
    page = client.get(_desk_url(newsroom.latam)).content.decode()
    options = re.findall(r'<option value="(\d+)"', page.split('id="add_member_form"')[1])
    assert str(root.pk) not in options
    assert str(make_staff("candidate").pk) in re.findall(
        r'<option value="(\d+)"',
        client.get(_desk_url(newsroom.latam)).content.decode().split('id="add_member_form"')[1],
    )
    # Posting one's own id anyway is a plain message, never a server error.
    response = client.post(
        _desk_url(newsroom.latam, "members/add/"), {"user": root.pk, "role": "editor"}, follow=True
    )
    assert response.status_code == 200
    assert "Choose a staff member who is not on the desk yet." in messages_text(response)
    assert not newsroom.latam.memberships.filter(user=root).exists()
