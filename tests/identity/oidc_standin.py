"""A real OpenID provider for the tests: npm ``oidc-provider`` (certified) on loopback.

The package is pinned in ``scripts/oidc-standin/package-lock.json`` and installed with
``npm ci`` when missing; tests skip only when node or npm are not installed.
``Agent`` is the browser's side at the provider: it keeps the provider's cookies and follows
redirects until they leave the provider.
"""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from http.cookiejar import CookieJar
from pathlib import Path
from typing import IO, Any

import pytest

from tests.node_packages import install

STANDIN_DIR = Path(__file__).resolve().parents[2] / "scripts" / "oidc-standin"
CLIENT_ID = "hocvu"
CLIENT_SECRET = "oidc-test-secret"
SITE = "http://testserver"

#: The provider's accounts: ``learner`` and ``learner_b`` have roster records (tests/conftest.py);
#: ``namesake`` carries the learner's name with another number (never matched by name).
ACCOUNTS = [
    {"sub": "s-learner", "name": "Đặng Thị Mai", "national_id": "001190000001"},
    {"sub": "s-learner-b", "name": "Bùi Văn Nam", "national_id": "001190000002"},
    {"sub": "s-stranger", "name": "Người Lạ", "national_id": "079200000099"},
    {"sub": "s-namesake", "name": "Đặng Thị Mai", "national_id": "001190000077"},
    {"sub": "s-malformed", "name": "Số Sai", "national_id": "12345"},
]


@dataclass
class Provider:
    issuer: str
    process: subprocess.Popen[str]

    def settings(self, client_id: str = CLIENT_ID) -> dict[str, str]:
        return {
            "HOCVU_OIDC_ISSUER": self.issuer,
            "HOCVU_OIDC_CLIENT_ID": client_id,
            "HOCVU_OIDC_CLIENT_SECRET": CLIENT_SECRET,
            "HOCVU_OIDC_SCOPES": "openid profile national_id",
            "HOCVU_OIDC_ID_CLAIM": "national_id",
        }


def _install() -> str:
    return install(STANDIN_DIR, "the OpenID provider")


def start_provider(
    accounts_file: Path, *, redirect_uris: list[str], post_logout_uris: list[str]
) -> Provider:
    node = _install()
    command = [node, str(STANDIN_DIR / "provider.mjs"), "--port", "0"]
    command += ["--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET]
    command += ["--accounts", str(accounts_file)]
    for uri in redirect_uris:
        command += ["--redirect-uri", uri]
    for uri in post_logout_uris:
        command += ["--post-logout-redirect-uri", uri]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    stdout: IO[str] | None = process.stdout
    assert stdout is not None
    line = stdout.readline()
    if not line.startswith("listening on "):
        process.kill()
        pytest.fail(f"the OpenID provider did not start: {line!r}")
    return Provider(issuer=line.split()[-1], process=process)


def start_python_provider(
    accounts_file: Path, *, redirect_uris: list[str], post_logout_uris: list[str]
) -> Provider:
    """The demo's Python stand-in (hocvu/identity/oidc_standin.py), for machines without Node."""
    command = [sys.executable, "-m", "hocvu.identity.oidc_standin", "--port", "0"]
    command += ["--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET]
    command += ["--accounts", str(accounts_file)]
    for uri in redirect_uris:
        command += ["--redirect-uri", uri]
    for uri in post_logout_uris:
        command += ["--post-logout-redirect-uri", uri]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    stdout: IO[str] | None = process.stdout
    assert stdout is not None
    line = stdout.readline()
    if not line.startswith("listening on "):
        process.kill()
        pytest.fail(f"the Python stand-in provider did not start: {line!r}")
    return Provider(issuer=line.split()[-1], process=process)


@pytest.fixture(scope="session")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provider]:
    accounts = tmp_path_factory.mktemp("oidc") / "accounts.json"
    accounts.write_text(json.dumps(ACCOUNTS, ensure_ascii=False), encoding="utf-8")
    running = start_provider(
        accounts,
        redirect_uris=[f"{SITE}/eid/callback/"],
        post_logout_uris=[f"{SITE}/"],
    )
    yield running
    running.process.terminate()
    running.process.wait(timeout=10)


_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass
class Answer:
    status: int
    url: str
    headers: Message
    body: str


class Agent:
    """The browser at the provider: cookies, redirects, the provider's HTML forms."""

    def __init__(self, issuer: str) -> None:
        self.issuer = issuer
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )

    def _open(self, url: str, data: dict[str, str] | None = None) -> Answer:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(url, data=body)  # noqa: S310 - the provider's http URLs
        try:
            with self.opener.open(request, timeout=10) as answer:
                return Answer(answer.status, url, answer.headers, answer.read().decode())
        except urllib.error.HTTPError as error:
            return Answer(error.code, url, error.headers, error.read().decode())

    def go(self, url: str, data: dict[str, str] | None = None) -> Answer | str:
        """Follow redirects within the provider: its page, or the URL it sends us back to."""
        answer = self._open(url, data)
        for _ in range(20):
            if answer.status not in {301, 302, 303, 307, 308}:
                return answer
            target = urllib.parse.urljoin(answer.url, str(answer.headers["Location"]))
            if not target.startswith(self.issuer):
                return target
            answer = self._open(target)
        raise AssertionError("too many redirects at the provider")

    def log_in(self, authorize_url: str, sub: str) -> str:
        """Choose the account ``sub`` on the provider's login page; the callback URL."""
        page = self.go(authorize_url)
        assert isinstance(page, Answer) and page.status == 200, page
        form = re.search(r'<form method="post" action="([^"]+)">(.*?)</form>', page.body, re.S)
        assert form, page.body
        fields = {k: html.unescape(v) for k, v in _HIDDEN.findall(form[2])}
        fields["sub"] = sub
        back = self.go(urllib.parse.urljoin(page.url, html.unescape(form[1])), fields)
        assert isinstance(back, str), back
        return back

    def submit_logout(self, end_session_url: str) -> str:
        """Confirm the provider's logout page; the URL it sends us back to."""
        page = self.go(end_session_url)
        assert isinstance(page, Answer) and page.status == 200, page
        form = re.search(r'<form[^>]*action="([^"]+)"[^>]*>(.*?)</form>', page.body, re.S)
        assert form, page.body
        fields = {k: html.unescape(v) for k, v in _HIDDEN.findall(form[2])}
        fields["logout"] = "yes"
        back = self.go(urllib.parse.urljoin(page.url, html.unescape(form[1])), fields)
        assert isinstance(back, str), back
        return back


def local(url: str) -> str:
    """The path and query of a URL on our site, for Django's test client."""
    parts = urllib.parse.urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == SITE, url
    return f"{parts.path}?{parts.query}" if parts.query else parts.path
