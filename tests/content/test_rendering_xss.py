"""Stored XSS through lesson and question Markdown (issue 12): every payload ends inert."""

from __future__ import annotations

import re
from typing import Any

import markdown
import pytest

from hocvu.content import rendering
from hocvu.content.rendering import render_markdown

# Chromium strips tab/LF/CR anywhere in a URL and C0 controls or spaces at its start, so
# each of these was a working ``javascript:`` link before the fix.
SCRIPT_LINKS = [
    "[x](java\nscript:alert(1))",
    "[x](java\tscript:alert(1))",
    "[x](java\rscript:alert(1))",
    "[x](\x01javascript:alert(1))",
    "[x](\x00javascript:alert(1))",
    "[x](\x1fjavascript:alert(1))",
    "[x](\x7fjavascript:alert(1))",
    "[x](j\na\tv\ra\nscript:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](&#x6A;avascript:alert(1))",
    "[x](javascript&colon;alert(1))",
    "[x](JAVASCRIPT:alert(1))",
    "![x](javascript:alert(1))",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "[x](da\nta:text/html,<script>alert(1)</script>)",
    '[x](https://a.vn/" onmouseover="alert(1))',
]

RAW_HTML = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "<iframe src=javascript:alert(1)></iframe>",
    "<style>body{display:none}</style>",
]


def _hrefs(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="([^"]*)"', html)


def _inert(url: str) -> bool:
    # What the browser would see: entities decoded, whitespace and controls removed.
    import html as htmllib

    seen = re.sub(r"[\x00-\x20\x7f]", "", htmllib.unescape(url)).lower()
    return not re.match(r"^(javascript|vbscript|data):", seen)


@pytest.mark.parametrize("source", SCRIPT_LINKS)
def test_no_link_or_image_runs_script(source: str) -> None:
    html = str(render_markdown(source))
    assert all(_inert(url) for url in _hrefs(html)), html
    assert "onmouseover=" not in html


@pytest.mark.parametrize("source", RAW_HTML)
def test_raw_html_never_becomes_markup(source: str) -> None:
    html = str(render_markdown(source))
    for tag in ("<script", "<img", "<svg", "<iframe", "<style", "<a "):
        assert tag not in html, html


def test_safe_links_are_kept() -> None:
    html = str(
        render_markdown(
            "[a](https://dichvucong.gov.vn) [b](http://a.vn/x?y=1) [c](mailto:a@b.vn) "
            "[d](tel:+84123456789) [e](/learn/) [f](#muc-2)"
        )
    )
    hrefs = _hrefs(html)
    for url in (
        "https://dichvucong.gov.vn",
        "http://a.vn/x?y=1",
        "mailto:a@b.vn",
        "tel:+84123456789",
        "/learn/",
        "#muc-2",
    ):
        assert url in hrefs, html


def test_sanitizer_is_the_last_step(monkeypatch: Any) -> None:
    """Whatever Markdown (or an extension) emits, only allowlisted markup leaves."""
    rendering._render.cache_clear()

    def hostile(*args: Any, **kwargs: Any) -> str:
        return (
            '<p onclick="alert(1)">a<script>alert(1)</script><img src=x onerror="alert(1)">'
            '<a href="javascript:alert(1)">b</a><iframe src="/x"></iframe>'
            '<blockquote class="callout note" style="x:y"><p>c</p></blockquote></p>'
        )

    monkeypatch.setattr(markdown, "markdown", hostile)
    html = str(render_markdown("anything at all, uncached 7c1f"))
    rendering._render.cache_clear()
    for bad in ("onclick", "<script", "onerror", "javascript:", "<iframe", "style="):
        assert bad not in html, html
    assert '<blockquote class="callout note">' in html


def test_tables_callouts_and_images_survive_sanitizing() -> None:
    html = str(
        render_markdown(
            "| a | b |\n|---|---|\n| 1 | 2 |\n\n> **Mẹo:** Dùng mật khẩu dài.\n\n"
            "![Email giả](a4-phishing-email.svg)"
        )
    )
    assert "<table>" in html and "<td>1</td>" in html
    assert '<blockquote class="callout tip">' in html
    assert 'src="/content/media/a4-phishing-email.svg"' in html and 'alt="Email giả"' in html
