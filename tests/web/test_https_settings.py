"""Deployment behind HTTPS (issue 12: no HSTS, SSL redirect or proxy settings): one switch,
HOCVU_HTTPS=1, turns them on; each can be tuned or turned off on its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from django.test import Client, override_settings

from hocvu import settings as hocvu_settings

ROOT = Path(hocvu_settings.BASE_DIR)
NAMES = [
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_PROXY_SSL_HEADER",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
]


def settings_with(**env: str) -> dict[str, object]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HOCVU_")}
    clean["HOCVU_VAR_DIR"] = os.environ.get("HOCVU_VAR_DIR", str(ROOT / "var"))
    code = (
        "import json, hocvu.settings as s;"
        f"print(json.dumps({{n: getattr(s, n, None) for n in {NAMES!r}}}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, **env},
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, object] = json.loads(out.stdout)
    return result


def test_https_turns_on_redirect_hsts_proxy_header_and_secure_cookies() -> None:
    on = settings_with(HOCVU_HTTPS="1")
    assert on["SECURE_SSL_REDIRECT"] is True
    assert on["SECURE_HSTS_SECONDS"] == 31536000
    assert on["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert on["SESSION_COOKIE_SECURE"] is True and on["CSRF_COOKIE_SECURE"] is True
    off = settings_with()
    assert off["SECURE_SSL_REDIRECT"] is False and off["SECURE_HSTS_SECONDS"] == 0
    assert off["SECURE_PROXY_SSL_HEADER"] is None
    tuned = settings_with(HOCVU_HTTPS="1", HOCVU_SSL_REDIRECT="0", HOCVU_HSTS_SECONDS="600")
    assert tuned["SECURE_SSL_REDIRECT"] is False and tuned["SECURE_HSTS_SECONDS"] == 600


@override_settings(
    SECURE_SSL_REDIRECT=True,
    SECURE_HSTS_SECONDS=31536000,
    SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"),
)
def test_plain_http_is_redirected_and_https_answers_carry_hsts(db: object) -> None:
    client = Client()
    response = client.get("/accounts/login/")
    assert response.status_code == 301 and response["Location"].startswith("https://")
    assert client.get("/healthz").status_code == 200  # the load balancer's check stays
    secure = client.get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https")
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"] == "max-age=31536000"
