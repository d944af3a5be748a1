"""The whole of flow 1 and 2 through the real form and the real admin login."""

from __future__ import annotations

import pytest

from intake import kdf, passphrase
from intake.models import Tip
from tests.factories import Newsroom, logged_in_client
from tests.helpers import receipt_words, submit_tip


@pytest.mark.django_db
def test_editor_reads_a_tip_submitted_through_the_form(client, newsroom: Newsroom) -> None:
    response = submit_tip(
        client, body="The mayor's brother owns the contractor.", desk=newsroom.latam.pk
    )
    assert response.status_code == 200
    assert response.redirect_chain == [("/en/receipt/", 303)]
    html = response.content.decode()
    assert "Your tip has been received" in html
    # The receipt shows the seven-word passphrase, and it is the one that finds this tip.
    words = receipt_words(html)
    assert len(words) == passphrase.WORD_COUNT == 7
    assert set(words) <= set(passphrase.wordlist())
    shown = " ".join(words)
    assert f"<code>{shown}</code>" in html
    tip = Tip.objects.get()
    assert kdf.receipt_secrets(passphrase.normalise(shown)).lookup.hex() == tip.receipt_lookup
    editor = logged_in_client("editor")
    page = editor.get(f"/admin/intake/tip/{tip.pk}/change/")
    assert b"The mayor&#x27;s brother owns the contractor." in page.content


@pytest.mark.django_db
def test_an_unready_newsroom_refuses_clearly_and_keeps_the_text(client) -> None:
    response = submit_tip(client, follow=False, body="Typed before setup")
    assert response.status_code == 503
    assert b"cannot accept tips at the moment" in response.content
    assert b"Typed before setup" in response.content
    assert not Tip.objects.exists()
