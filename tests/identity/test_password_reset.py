"""Password reset really sends: the mail reaches the stand-in SMTP server (a real process)
and its link sets a new password.

Also: the e-mail settings come from the environment (host, port, TLS, from address), the
console backend is the default only in DEBUG, and without any e-mail configuration the reset
page says so instead of pretending a mail went out.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import World
from tests.messaging.conftest import SmtpStandin, free_port, wait_for


@pytest.fixture
def smtp(tmp_path: Path, settings: Any) -> Iterator[SmtpStandin]:
    standin = SmtpStandin(free_port(), tmp_path / "mails.jsonl", tmp_path / "down")
    standin.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = standin.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    settings.HOCVU_EMAIL_CONFIGURED = True
    settings.DEFAULT_FROM_EMAIL = "hocvu <no-reply@hocvu.example>"
    settings.HOCVU_PUBLIC_URL = settings.PUBLIC_URL = "https://hocvu.example"
    try:
        yield standin
    finally:
        standin.stop()


def test_reset_mail_arrives_and_its_link_sets_a_new_password(
    client: Client, world: World, smtp: SmtpStandin
) -> None:
    world.learner.email = "mai@hocvu.example"
    world.learner.save(update_fields=["email"])
    page = client.get(reverse("password_reset"))
    assert page.status_code == 200
    assert "Quên mật khẩu" in page.content.decode()
    sent = client.post(reverse("password_reset"), {"email": "mai@hocvu.example"})
    assert sent.status_code == 302 and sent["Location"] == reverse("password_reset_done")
    wait_for(lambda: len(smtp.mails()) == 1)
    (mail,) = smtp.mails()
    assert mail["rcpt_tos"] == ["mai@hocvu.example"]
    assert mail["mail_from"] == "no-reply@hocvu.example"
    assert "mật khẩu" in mail["subject"].lower()
    links = re.findall(r"https://hocvu\.example(/accounts/reset/\S+/)", mail["body"])
    assert len(links) == 1, mail["body"]
    # The link from the mail, opened by the person: a form for the new password.
    opened = client.get(links[0], follow=True)
    assert opened.status_code == 200
    assert b"new_password1" in opened.content
    new_password = "mat-khau-moi-an-toan-2026"
    done = client.post(
        opened.redirect_chain[-1][0],
        {"new_password1": new_password, "new_password2": new_password},
    )
    assert done.status_code == 302 and done["Location"] == reverse("password_reset_complete")
    assert Client().login(username="learner", password=new_password)
    # The link works once.
    again = client.get(links[0], follow=True)
    assert b"new_password1" not in again.content


def test_unknown_address_sends_nothing_and_says_the_same(
    client: Client, world: World, smtp: SmtpStandin
) -> None:
    sent = client.post(reverse("password_reset"), {"email": "nobody@hocvu.example"})
    assert sent.status_code == 302 and sent["Location"] == reverse("password_reset_done")
    assert smtp.mails() == []


def test_without_email_configuration_the_page_says_ask_your_manager(
    client: Client, world: World, settings: Any, mailoutbox: list[Any]
) -> None:
    settings.HOCVU_EMAIL_CONFIGURED = False
    settings.DEBUG = False
    page = client.get(reverse("password_reset"))
    assert page.status_code == 200
    assert "quản lý đơn vị" in page.content.decode()
    assert b'name="email"' not in page.content
    client.post(reverse("password_reset"), {"email": "mai@hocvu.example"})
    assert mailoutbox == []


def test_reset_requests_are_rate_limited_per_address(
    client: Client, world: World, settings: Any, mailoutbox: list[Any]
) -> None:
    settings.HOCVU_EMAIL_CONFIGURED = True
    world.learner.email = "mai@hocvu.example"
    world.learner.save(update_fields=["email"])
    for _ in range(5):
        client.post(reverse("password_reset"), {"email": "mai@hocvu.example"})
    limited = client.post(reverse("password_reset"), {"email": "mai@hocvu.example"})
    assert limited.status_code == 429
    assert len(mailoutbox) == 5


def test_login_page_links_to_password_reset(client: Client, world: World) -> None:
    assert reverse("password_reset").encode() in client.get(reverse("login")).content


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        (
            {"EMAIL_HOST": "smtp.example", "EMAIL_PORT": "587", "EMAIL_USE_TLS": "1"},
            {"EMAIL_HOST": "smtp.example", "EMAIL_PORT": 587, "EMAIL_USE_TLS": True},
        ),
        (
            {"HOCVU_EMAIL_URL": "smtps://u:p%40ss@mail.example"},
            {"EMAIL_PORT": 465, "EMAIL_USE_SSL": True, "EMAIL_HOST_PASSWORD": "p@ss"},
        ),
        ({"HOCVU_DEBUG": "1"}, {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}),
        ({}, {"EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend"}),
        (
            {"EMAIL_HOST": "smtp.example", "DEFAULT_FROM_EMAIL": "Học vụ <hocvu@example.vn>"},
            {"DEFAULT_FROM_EMAIL": "Học vụ <hocvu@example.vn>", "HOCVU_EMAIL_CONFIGURED": True},
        ),
    ],
)
def test_email_settings_come_from_the_environment(
    environ: dict[str, str], expected: dict[str, Any], tmp_path: Path
) -> None:
    import os
    import subprocess
    import sys

    names = ",".join(expected)
    code = (
        "import json,hocvu.settings as s;"
        f"print(json.dumps({{n: getattr(s, n) for n in {names!r}.split(',')}}))"
    )
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("EMAIL_", "HOCVU_EMAIL", "HOCVU_DEBUG", "DEFAULT_FROM"))
    }
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, "HOCVU_VAR_DIR": str(tmp_path), **environ},
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    import json

    assert json.loads(out.stdout) == expected
