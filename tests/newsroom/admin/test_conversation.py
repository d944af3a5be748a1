"""The newsroom's conversation page in the admin: who may read and write, and what is audited."""

from __future__ import annotations

from django.test import Client

from intake.models import Message, MessageKey
from intake.services import reader_message_add
from newsroom.models import AuditEvent
from tests.factories import Newsroom, logged_in_client
from tests.helpers import locked_client

Action = AuditEvent.Action


def _url(tip_id: object) -> str:
    return f"/admin/intake/tip/{tip_id}/conversation/"


def test_desk_member_writes_to_the_reader_and_it_is_audited(newsroom: Newsroom) -> None:
    tip = newsroom.submit("A tip", desk=newsroom.latam).tip
    client = logged_in_client("latam_journalist")
    response = client.post(_url(tip.pk), {"body": "Can you send the invoice?"})
    assert response.status_code == 302
    assert response["Location"] == _url(tip.pk)

    message = Message.objects.get()
    assert message.author == newsroom.users["latam_journalist"]
    assert MessageKey.objects.filter(message=message, recipient="reader").exists()
    sent = AuditEvent.objects.get(action=Action.MESSAGE_SENT)
    assert sent.actor == newsroom.users["latam_journalist"]
    assert sent.tip_id == tip.pk

    page = client.get(_url(tip.pk)).content.decode()
    assert "Can you send the invoice?" in page
    assert "Message sealed and sent." in page


def test_reading_clears_the_unread_mark_and_is_audited(newsroom: Newsroom) -> None:
    tip = newsroom.submit("A tip", desk=newsroom.latam).tip
    reader_message_add(tip=tip, body="Here is what I know")
    response = logged_in_client("editor").get(_url(tip.pk))
    assert response.status_code == 200
    assert "Here is what I know" in response.content.decode()
    tip.refresh_from_db()
    assert not tip.has_unread_reply
    assert AuditEvent.objects.filter(
        action=Action.CONVERSATION_READ, actor=newsroom.users["editor"]
    ).exists()


def test_another_desks_member_gets_a_404_and_nothing_is_decrypted(newsroom: Newsroom) -> None:
    tip = newsroom.submit("A tip", desk=newsroom.latam).tip
    reader_message_add(tip=tip, body="Only for the latam desk")
    client = logged_in_client("europe_journalist")
    assert client.get(_url(tip.pk)).status_code == 404
    assert client.post(_url(tip.pk), {"body": "Hello"}).status_code == 404
    assert Message.objects.count() == 1
    assert not AuditEvent.objects.filter(action=Action.CONVERSATION_READ).exists()


def test_a_locked_keyring_shows_why_and_sends_nothing(newsroom: Newsroom) -> None:
    tip = newsroom.submit("A tip", desk=newsroom.latam).tip
    reader_message_add(tip=tip, body="Secret reply")
    client = locked_client("editor")
    page = client.get(_url(tip.pk))
    assert page.status_code == 200
    assert b"This conversation is locked for you." in page.content
    assert b"Secret reply" not in page.content
    response = client.post(_url(tip.pk), {"body": "Hello"})
    assert response.status_code == 400
    assert not Message.objects.filter(author_kind="newsroom").exists()


def test_an_empty_message_is_refused_with_a_reason(newsroom: Newsroom) -> None:
    tip = newsroom.submit("A tip", desk=newsroom.latam).tip
    response = logged_in_client("editor").post(_url(tip.pk), {"body": "   "})
    assert response.status_code == 400
    assert b"The message was not sent" in response.content
    assert not Message.objects.exists()


def test_withdrawing_from_the_page(newsroom: Newsroom) -> None:
    tip = newsroom.submit("A tip", desk=newsroom.latam).tip
    client = logged_in_client("editor")
    client.post(_url(tip.pk), {"body": "Oops, wrong tip"})
    message = Message.objects.get()
    response = client.post(_url(tip.pk), {"withdraw": str(message.pk)})
    assert response.status_code == 302
    message.refresh_from_db()
    assert not message.is_visible_to_reader
    assert (
        "Withdrawn: the reader can no longer open it." in client.get(_url(tip.pk)).content.decode()
    )


def test_anonymous_visitors_are_sent_to_the_login(newsroom: Newsroom) -> None:
    tip = newsroom.submit("A tip", desk=newsroom.latam).tip
    response = Client().get(_url(tip.pk))
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_a_malformed_tip_address_is_a_404(newsroom: Newsroom) -> None:
    assert logged_in_client("editor").get(_url("not-a-uuid")).status_code == 404


def test_withdrawing_something_that_is_not_a_message_changes_nothing(newsroom: Newsroom) -> None:
    tip = newsroom.submit("A tip", desk=newsroom.latam).tip
    other = newsroom.submit("Another tip", desk=newsroom.latam).tip
    client = logged_in_client("editor")
    client.post(_url(other.pk), {"body": "For the other reader"})
    foreign = Message.objects.get()
    for value in ("not-a-uuid", str(foreign.pk)):
        response = client.post(_url(tip.pk), {"withdraw": value})
        assert response.status_code == 400
        assert b"not part of this conversation" in response.content
    foreign.refresh_from_db()
    assert foreign.is_visible_to_reader
