"""A small HTTP client for tests that talk to a real server over the loopback interface.

Unlike ``urllib``'s cookie jar it keeps ``Secure`` cookies over plain HTTP, as a
browser does for ``localhost``, so the tests see the cookies exactly as deployed.
Each request has a timeout, so a hung server fails the test instead of holding it.
"""

from __future__ import annotations

import html
import http.client
import re
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

_CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: str

    @property
    def csrf_token(self) -> str:
        match = _CSRF_INPUT.search(self.body)
        assert match, "the page has no CSRF token"
        return match.group(1)

    def hidden(self, name: str) -> str:
        """The value of the page's hidden input ``name``."""
        match = re.search(
            rf'<input type="hidden" name="{re.escape(name)}" value="([^"]*)"', self.body
        )
        assert match, f"the page has no hidden field {name}"
        return html.unescape(match.group(1))


@dataclass
class LoopbackClient:
    base_url: str
    timeout: float = 30.0
    cookies: dict[str, str] = field(default_factory=dict)

    def request(
        self,
        method: str,
        path: str,
        data: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        """Send one request; ``headers`` are added to (or replace) the usual ones."""
        parts = urlsplit(self.base_url)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=self.timeout)
        extra = headers or {}
        headers = {"Host": f"{parts.hostname}:{parts.port}"}
        body = None
        if data is not None:
            body = urlencode(data)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = self.base_url.rstrip("/")
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        headers.update(extra)
        try:
            connection.request(method, path, body=body, headers=headers)
            raw = connection.getresponse()
            text = raw.read().decode("utf-8", "replace")
            for header, value in raw.getheaders():
                if header.lower() == "set-cookie":
                    for name, morsel in SimpleCookie(value).items():
                        if morsel["max-age"] == "0" or not morsel.value:
                            self.cookies.pop(name, None)
                        else:
                            self.cookies[name] = morsel.value
            return Response(raw.status, {k.lower(): v for k, v in raw.getheaders()}, text)
        finally:
            connection.close()

    def get(self, path: str, headers: dict[str, str] | None = None) -> Response:
        return self.request("GET", path, headers=headers)

    def post(
        self, path: str, data: dict[str, str], headers: dict[str, str] | None = None
    ) -> Response:
        return self.request("POST", path, data, headers=headers)
