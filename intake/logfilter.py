"""Logs that can be handed to anyone: no IP address, user agent or query string survives.

:class:`AnonymousLogFilter` is installed on every handler in ``LOGGING``
(``newsroom/settings.py``) and on gunicorn's error and access logs
(``gunicorn.conf.py``). It rewrites each record before any handler writes it:
the message is formatted with its arguments, cleaned, and stored back with no
arguments left, so nothing identifying can reach a formatter through ``args``;
a traceback and a stack trace are cleaned the same way.

What goes, and what replaces it:

- IPv4 and IPv6 addresses (each candidate is checked with :mod:`ipaddress`, so a
  time such as ``10:00:05`` or a version such as ``5.2`` stays) → ``[address]``;
- user agents: a run of product tokens such as ``Mozilla/5.0 (X11; Linux) Gecko/1``,
  and whatever follows a ``User-Agent`` header name → ``[user agent]``;
- query strings: everything after ``?`` in a URL or a request line → ``?[query]``.

No Django import: logging is configured before the apps are loaded.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from typing import Final

ADDRESS: Final = "[address]"
USER_AGENT: Final = "[user agent]"
QUERY: Final = "?[query]"

#: A path or URL, then ``?`` and the query string up to the next space or quote.
_QUERY = re.compile(
    r"""(?P<path>(?:[A-Za-z][A-Za-z0-9+.-]*://[^\s?"'<>]*|/[^\s?"'<>]*))\?[^\s"'<>]*"""
)
#: A header name for the browser, with its value up to the end of the quote or line.
_USER_AGENT_HEADER = re.compile(
    r"""(?P<name>(?:HTTP_)?USER[-_ ]?AGENT['"]?\s*[:=]\s*)(?:'[^']*'|"[^"]*"|[^\r\n]*)""",
    re.IGNORECASE,
)
#: A product token (``Name/1.2``) that starts a word, then more tokens or comments.
_PRODUCT = r"""(?!HTTP/)[A-Za-z][\w.+-]*/\d[\w.+-]*"""
_USER_AGENT = re.compile(
    rf"""(?:(?<=^)|(?<=[\s"'(\[]))(?:{_PRODUCT})(?:\s+(?:\([^)\r\n]*\)|{_PRODUCT}))*"""
)
#: Candidates only; :func:`_is_address` decides.
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.]*\d)")
_IPV6_BRACKETED = re.compile(r"\[[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(?:%[\w.-]+)?\]")
_IPV6 = re.compile(
    r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:(?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f]{0,4})"
    r"(?:%[\w.-]+)?(?![\w:]|\.\d)"
)


def _is_address(candidate: str) -> bool:
    text = candidate.strip("[]").split("%", 1)[0]
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _address_or_text(match: re.Match[str]) -> str:
    return ADDRESS if _is_address(match.group(0)) else match.group(0)


def scrub(text: str) -> str:
    """Return ``text`` without IP addresses, user agents or query strings."""
    text = _QUERY.sub(lambda m: m.group("path") + QUERY, text)
    text = _USER_AGENT_HEADER.sub(lambda m: m.group("name") + USER_AGENT, text)
    text = _USER_AGENT.sub(USER_AGENT, text)
    text = _IPV6_BRACKETED.sub(_address_or_text, text)
    text = _IPV6.sub(_address_or_text, text)
    return _IPV4.sub(_address_or_text, text)


class AnonymousLogFilter(logging.Filter):
    """Clean every record in place; never drops one (an error must still be seen)."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not hide the record
            message = f"{record.msg!r} {record.args!r}"
        record.msg = scrub(message)
        record.args = ()
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return True
