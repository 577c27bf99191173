"""Lesson and question text: Markdown to safe HTML, callouts, images, captions."""

from __future__ import annotations

import re
from functools import lru_cache

import markdown
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

_CALLOUTS = {
    "Lưu ý:": "note",
    "Mẹo:": "tip",
    "Cảnh báo:": "warning",
    "Note:": "note",
    "Tip:": "tip",
    "Warning:": "warning",
}
_CALLOUT_RE = re.compile(r"<blockquote>\s*<p><strong>([^<]{1,20})</strong>")
_IMG_RE = re.compile(r'<img alt="([^"]*)" src="([A-Za-z0-9._-]+)"')
_URL_ATTR_RE = re.compile(r'\b(href|src)="([^"]*)"')
_SCHEME_RE = re.compile(r"^\s*([a-zA-Z][a-zA-Z0-9+.-]*):")
_SAFE_SCHEMES = {"http", "https", "mailto"}


def _safe_url(match: re.Match[str]) -> str:
    """Keep http(s), mailto and relative addresses; drop javascript:, data: and the like."""
    value = match.group(2)
    # Entities could spell a scheme ("&#106;avascript:"); an address with one is refused.
    scheme = _SCHEME_RE.match(value)
    if "&#" in value or (scheme and scheme.group(1).lower() not in _SAFE_SCHEMES):
        return f'{match.group(1)}="#"'
    return match.group(0)


def _callout(match: re.Match[str]) -> str:
    label = match.group(1).strip()
    kind = _CALLOUTS.get(label)
    if kind is None:
        return match.group(0)
    return f'<blockquote class="callout {kind}"><p><strong>{label}</strong>'


@lru_cache(maxsize=2048)
def _render(source: str) -> str:
    # Authors write Markdown, not HTML: any raw tag is shown as text, never run.
    escaped = source.replace("&", "&amp;").replace("<", "&lt;")
    html = markdown.markdown(escaped, extensions=["tables", "sane_lists"], output_format="html")
    html = _URL_ATTR_RE.sub(_safe_url, html)
    html = _CALLOUT_RE.sub(_callout, html)
    base = reverse("content-media", kwargs={"name": "X"})[:-1]
    return _IMG_RE.sub(
        lambda m: f'<img loading="lazy" alt="{m.group(1)}" src="{base}{m.group(2)}"', html
    )


def render_markdown(source: str) -> SafeString:
    """Markdown (with tables and callouts) as HTML safe to put in a page."""
    return mark_safe(_render(source))  # noqa: S308 - raw HTML was escaped before rendering


def captions_vtt(transcript: str, words_per_second: float = 2.3) -> str:
    """WebVTT captions from a lecture transcript: one cue per sentence, timed by length.

    Timings are estimated from the words of a calm lecture (about 140 words a minute)
    until an author aligns them to a recording.
    """
    sentences = [s.strip() for s in re.split(r"(?<=[.!?…])\s+", transcript.strip()) if s.strip()]
    lines = ["WEBVTT", ""]
    t = 0.0

    def stamp(x: float) -> str:
        h, rest = divmod(x, 3600)
        m, s = divmod(rest, 60)
        return f"{int(h):02d}:{int(m):02d}:{s:06.3f}"

    for n, sentence in enumerate(sentences, start=1):
        duration = max(1.5, len(sentence.split()) / words_per_second)
        lines += [str(n), f"{stamp(t)} --> {stamp(t + duration)}", sentence, ""]
        t += duration
    return "\n".join(lines)
