"""Content-Security-Policy (issue 12): every answer carries a policy with no inline script
or style, and no template or HTML-building code relies on inline script, event-handler
attributes or inline styles (the browser would block them).

Templates of features still being built elsewhere are listed in ``PENDING`` (strict xfail:
the test says so the moment they are fixed).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parents[2] / "hocvu"
INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"<style\b", re.I), "<style> element"),
    (re.compile(r"""\son[a-z]+\s*=\s*["']""", re.I), "event-handler attribute"),
    (re.compile(r"""\sstyle\s*=\s*["']""", re.I), "style attribute"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]
PENDING: set[str] = set()


def sources() -> list[str]:
    found = [p for p in ROOT.glob("*/templates/**/*.html")]
    found += [
        p
        for p in ROOT.glob("*/**/*.py")
        if "psychometrics" not in p.parts and "migrations" not in p.parts
    ]
    return sorted(str(p.relative_to(ROOT)) for p in found)


# In Python, only markup being built: a style attribute holding CSS, a handler attribute.
INLINE_IN_PYTHON = [
    (re.compile(r"""\bstyle=["'][^"']*:"""), "style attribute"),
    (re.compile(r"""\son[a-z]+=["']"""), "event-handler attribute"),
]


def offences(text: str, is_python: bool) -> list[str]:
    found = []
    for pattern, what in INLINE_IN_PYTHON if is_python else INLINE:
        for match in pattern.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            found.append(f"line {line}: {what}")
    return found


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=pytest.mark.xfail(strict=True, reason="owner to move to CSS/JS"))
        if n in PENDING
        else n
        for n in sources()
    ],
)
def test_no_inline_script_handler_or_style(name: str) -> None:
    path = ROOT / name
    text = path.read_text(encoding="utf-8")
    assert offences(text, name.endswith(".py")) == []


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/accounts/login/", "/verify/", "/admin/login/"])
def test_every_answer_carries_the_policy(url: str) -> None:
    response = Client().get(url)
    policy = response["Content-Security-Policy"]
    directives = dict(
        (part.split()[0], part.split()[1:]) for part in policy.split(";") if part.strip()
    )
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
