"""The newsroom's message to a tip's reader."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from intake.forms import MessageForm, message_field


class NewsroomMessageForm(MessageForm):
    """A desk member writes to the reader."""

    body = message_field(
        _("Message to the reader"),
        _(
            "The reader sees it the next time they check back with their passphrase, signed "
            "“the newsroom”: never with your name. Do not name other sources."
        ),
        rows=6,
        css_class="vLargeTextField",  # the admin's full-width text area
    )
