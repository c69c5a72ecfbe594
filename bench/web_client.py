"""A person in a browser, reduced to what the benchmark needs: log in,
keep the session cookie, find the CSRF token, POST a form.

http.client, one connection per request: werkzeug's development server
answers every request with `Connection: close`, as a browser would find.
"""

from __future__ import annotations

import http.client
import re
import time
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import urlencode

USER_AGENT = "teaminbox-bench"
_FORM_TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
_HEADER_TOKEN = re.compile(r'"X-CSRFToken": "([^"]+)"')


@dataclass(frozen=True)
class Answer:
    status: int
    body: str
    started_ns: int  # just before connecting (time.monotonic_ns)
    finished_ns: int  # after the last byte of the body

    @property
    def elapsed_ns(self) -> int:
        return self.finished_ns - self.started_ns


class WebClient:
    """One person's cookie jar against one server."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._cookies: dict[str, str] = {}
        self._csrf: str | None = None

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> Answer:
        """Send one request and read the whole answer."""
        headers = {"User-Agent": USER_AGENT, "Host": f"{self.host}:{self.port}"}
        if self._cookies:
            headers["Cookie"] = self.cookie_header()
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        start = time.monotonic_ns()
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode()
        finally:
            connection.close()
        finished = time.monotonic_ns()
        for value in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(value).items():
                self._cookies[name] = morsel.value
        return Answer(response.status, text, start, finished)

    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self._cookies.items())

    def log_in(self, username: str, password: str) -> None:
        page = self.request("GET", "/login").body
        match = _FORM_TOKEN.search(page)
        if match is None:
            raise RuntimeError("no CSRF token on /login")
        form = {"username": username, "password": password, "csrf_token": match[1]}
        answer = self.request("POST", "/login", form)
        if answer.status != 302:
            raise RuntimeError(f"login as {username} refused: HTTP {answer.status}")

    def post_action(self, path: str, form: dict[str, str]) -> Answer:
        """POST an action form with the session's CSRF token (read once from
        a page, as htmx sends the one of `<body hx-headers>`)."""
        if self._csrf is None:
            match = _HEADER_TOKEN.search(self.request("GET", "/folders/INBOX").body)
            if match is None:
                raise RuntimeError("no CSRF token on /folders/INBOX")
            self._csrf = match[1]
        return self.request("POST", path, {**form, "csrf_token": self._csrf})
