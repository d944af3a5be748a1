"""Every staff page of the admin, one module per area; importing them registers them.

``tips`` and ``tip_page``: the review queue and a tip's page; ``conversation``: the
talk with the reader; ``desks``, ``followups``, ``audit``, ``users``,
``notifications``: their pages; ``filters``: the shared sidebar filters. The site
itself, and how domain errors become page messages, is ``newsroom.admin_site``.
"""

from . import audit, conversation, desks, followups, notifications, tips, users

__all__ = ["audit", "conversation", "desks", "followups", "notifications", "tips", "users"]
