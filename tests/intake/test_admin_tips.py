"""Reading tips in the admin: who sees what, what the page says, what is recorded."""

from __future__ import annotations

import base64

import pytest

from intake.models import Tip
from newsroom.admin.tips import TipAdmin
from newsroom.models import AuditEvent
from tests.factories import Newsroom, logged_in_client, make_staff

TIP_URLS = ("change", "history", "delete")


def _ciphertext_forms(tip: Tip) -> list[bytes]:
    forms = []
    for field in (tip.body, tip.links, tip.contact):
        raw = bytes(field)[16:48]
        forms += [raw, raw.hex().encode(), base64.b64encode(raw)[:24]]
    return forms


def test_tip_list_shows_only_tips_of_my_desks(newsroom: Newsroom) -> None:
    latam_tip = newsroom.submit("For Latin America", desk=newsroom.latam).tip
    europe_tip = newsroom.submit("For Europe", desk=newsroom.europe).tip
    general_tip = newsroom.submit("Not sure", desk=None).tip

    editor_page = logged_in_client("editor").get("/admin/intake/tip/").content
    for tip in (latam_tip, europe_tip, general_tip):
        assert tip.reference.encode() in editor_page

    latam_page = logged_in_client("latam_journalist").get("/admin/intake/tip/").content
    assert latam_tip.reference.encode() in latam_page
    assert europe_tip.reference.encode() not in latam_page
    assert general_tip.reference.encode() not in latam_page


@pytest.mark.parametrize("view", TIP_URLS)
def test_another_desks_tip_is_unreachable_by_direct_url(newsroom: Newsroom, view: str) -> None:
    tip = newsroom.submit("Latin America secret", desk=newsroom.latam).tip
    client = logged_in_client("europe_journalist")
    response = client.get(f"/admin/intake/tip/{tip.pk}/{view}/", follow=True)
    assert b"Latin America secret" not in response.content
    assert tip.reference.encode() not in response.content
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.TIP_READ).exists()


def test_a_superuser_on_no_desk_sees_no_tips(newsroom: Newsroom) -> None:
    tip = newsroom.submit("Admins are not readers", desk=newsroom.latam).tip
    make_staff("root", is_superuser=True)
    client = logged_in_client("root")
    assert tip.reference.encode() not in client.get("/admin/intake/tip/").content
    page = client.get(f"/admin/intake/tip/{tip.pk}/change/", follow=True).content
    assert b"Admins are not readers" not in page


def test_reading_a_tip_records_who_and_which(newsroom: Newsroom) -> None:
    tip = newsroom.submit("Audited reading", desk=newsroom.latam).tip
    page = logged_in_client("latam_coord").get(f"/admin/intake/tip/{tip.pk}/change/").content
    assert b"Audited reading" in page
    event = AuditEvent.objects.get(action=AuditEvent.Action.TIP_READ)
    assert event.actor == newsroom.users["latam_coord"]
    assert event.tip_id == tip.pk
    assert event.tip_reference == tip.reference


def test_locked_tip_page_explains_in_plain_words(newsroom: Newsroom) -> None:
    tip = newsroom.submit("Locked words", desk=newsroom.latam).tip
    client = logged_in_client("editor")
    del client.cookies["pista_key"]
    response = client.get(f"/admin/intake/tip/{tip.pk}/change/")
    assert response.status_code == 200
    assert b"This tip is locked for you" in response.content
    assert b"Log out and log in again" in response.content
    assert b"Traceback" not in response.content
    for form in _ciphertext_forms(tip):
        assert form not in response.content
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.TIP_READ).exists()


def test_ciphertext_is_never_listed_searched_or_filtered(newsroom: Newsroom) -> None:
    tip = newsroom.submit("Search me not", desk=newsroom.latam).tip
    sealed_fields = {"body", "links", "contact", "receipt_lookup", "receipt_public_key"}
    assert not sealed_fields & set(TipAdmin.list_display)
    assert not sealed_fields & {f.lstrip("=^@") for f in TipAdmin.search_fields}
    assert not sealed_fields & {f if isinstance(f, str) else "" for f in TipAdmin.list_filter}
    client = logged_in_client("editor")
    listing = client.get("/admin/intake/tip/").content
    for form in _ciphertext_forms(tip):
        assert form not in listing
    assert tip.reference.encode() in client.get(f"/admin/intake/tip/?q={tip.reference}").content
    # Words search the decrypted text in memory, never the stored bytes.
    found = client.get("/admin/intake/tip/?q=search+me").content
    assert tip.reference.encode() in found
    assert b"Searched the text of 1 tip(s)" in found
    assert tip.reference.encode() not in client.get("/admin/intake/tip/?q=absent").content
    del client.cookies["pista_key"]
    locked = client.get("/admin/intake/tip/?q=search+me").content
    assert tip.reference.encode() not in locked
    assert b"Only references can be looked up while your key is locked" in locked


def test_tips_cannot_be_added_or_edited_in_the_admin(newsroom: Newsroom) -> None:
    tip = newsroom.submit("Read only", desk=newsroom.latam).tip
    client = logged_in_client("editor")
    assert client.get("/admin/intake/tip/add/").status_code == 403
    client.post(f"/admin/intake/tip/{tip.pk}/change/", {"status": "spam"})
    tip.refresh_from_db()
    assert tip.status == Tip.Status.NEW


def test_tip_page_links_to_its_follow_ups_for_those_who_may_see_them(newsroom: Newsroom) -> None:
    from tests.newsroom.helpers import accepted_tip, assign

    tip = accepted_tip(newsroom, "Port invoices")
    url = f"/admin/intake/tip/{tip.pk}/change/"
    coordinator = logged_in_client("latam_coord")
    page = coordinator.get(url).content.decode()
    assert "No follow-up yet." in page
    assert f"/admin/newsroom/followup/add/?tip={tip.pk}" in page

    followup = assign(newsroom, tip)
    page = coordinator.get(url).content.decode()
    assert f"/admin/newsroom/followup/{followup.pk}/change/" in page
    assert "latam_journalist, due 2026-03-10" in page

    journalist_page = logged_in_client("latam_journalist").get(url).content.decode()
    assert f"/admin/newsroom/followup/{followup.pk}/change/" in journalist_page  # their own
    assert "/admin/newsroom/followup/add/" not in journalist_page  # only coordinators assign


def test_previews_and_text_searches_are_audited_without_the_search_words(
    newsroom: Newsroom,
) -> None:
    tips = [newsroom.submit(f"Mayor Alvarez {i}", desk=newsroom.latam).tip for i in range(3)]
    client = logged_in_client("latam_coord")
    client.get("/admin/intake/tip/")
    event = AuditEvent.objects.get(action=AuditEvent.Action.TIPS_PREVIEWED)
    assert event.actor == newsroom.users["latam_coord"]
    assert set(event.detail.split()) == {tip.reference for tip in tips}
    assert "Alvarez" not in event.detail

    client.get("/admin/intake/tip/?q=alvarez")
    search = AuditEvent.objects.get(action=AuditEvent.Action.TIPS_SEARCHED)
    assert search.detail == "searched the text of 3 tip(s); 3 matched"
    assert "alvarez" not in search.detail.lower()

    del client.cookies["pista_key"]
    AuditEvent.objects.filter(action=AuditEvent.Action.TIPS_PREVIEWED).delete()
    client.get("/admin/intake/tip/")
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.TIPS_PREVIEWED).exists()


def test_editors_delete_tips_for_good_after_a_warning(newsroom: Newsroom) -> None:
    from intake.models import Message, SealedKey
    from newsroom.models import Note

    tip = newsroom.submit("Delete this one", desk=newsroom.latam).tip
    kept = newsroom.submit("Keep this one", desk=newsroom.latam).tip
    editor = logged_in_client("editor")
    editor.post(f"/admin/intake/tip/{tip.pk}/note/", {"text": "A sealed note"})
    selection = {"action": "delete_for_good", "_selected_action": [str(tip.pk)]}

    confirm = editor.post("/admin/intake/tip/?status=all", selection)
    assert b"Delete these tips for good?" in confirm.content
    assert b"Database backups made before today still hold them" in confirm.content
    assert Tip.objects.filter(pk=tip.pk).exists()

    editor.post("/admin/intake/tip/?status=all", {**selection, "confirm": "yes"})
    assert not Tip.objects.filter(pk=tip.pk).exists()
    assert not SealedKey.objects.filter(tip_id=tip.pk).exists()
    assert not Note.objects.filter(tip_id=tip.pk).exists()
    assert not Message.objects.filter(tip_id=tip.pk).exists()
    assert Tip.objects.filter(pk=kept.pk).exists()
    event = AuditEvent.objects.get(action=AuditEvent.Action.TIP_DELETED)
    assert (event.actor, event.tip_reference) == (newsroom.users["editor"], tip.reference)


def test_a_journalist_cannot_delete_tips(newsroom: Newsroom) -> None:
    tip = newsroom.submit("Not yours to delete", desk=newsroom.latam).tip
    client = logged_in_client("latam_journalist")
    selection = {"action": "delete_for_good", "_selected_action": [str(tip.pk)], "confirm": "yes"}
    client.post("/admin/intake/tip/?status=all", selection)
    assert Tip.objects.filter(pk=tip.pk).exists()
