"""Lesson and question text: Markdown to safe HTML, callouts, images, captions."""

from __future__ import annotations

import html as htmllib
import re
from functools import lru_cache

import markdown
import nh3
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
_SCHEME_RE = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
# Browsers drop tab, LF and CR anywhere in a URL and C0 controls and spaces around it, so
# "java\nscript:" and "\x01javascript:" are javascript: links: remove them all before looking.
_IGNORED_BY_BROWSERS_RE = re.compile(r"[\x00-\x20\x7f]")
_SAFE_SCHEMES = frozenset({"http", "https", "mailto", "tel"})

# The only markup a lesson or question may contain once rendered: what Markdown (tables,
# lists), the callouts and the content images produce. nh3 (ammonia) parses the HTML as a
# browser would and drops everything else, so no future extension or regex slip can let a
# script through.
_ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i",
        "code", "pre", "blockquote", "ul", "ol", "li", "a", "img", "table", "thead",
        "tbody", "tr", "th", "td", "sup", "sub", "del",
    }
)  # fmt: skip
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "loading"},
    "ol": {"start"},
    "th": {"align"},
    "td": {"align"},
}
_ALLOWED_CLASSES = {"blockquote": {"callout", "note", "tip", "warning"}}


def _safe_url(match: re.Match[str]) -> str:
    """Keep http(s), mailto, tel and relative addresses; drop javascript:, data: and the like."""
    value = match.group(2)
    # Judge the address as the browser will read it: entities decoded, controls removed.
    decoded = htmllib.unescape(value)
    seen = _IGNORED_BY_BROWSERS_RE.sub("", decoded)
    scheme = _SCHEME_RE.match(seen)
    # A space or control character has no business in an author's link: refused as well.
    if seen != decoded or (scheme and scheme.group(1).lower() not in _SAFE_SCHEMES):
        return f'{match.group(1)}="#"'
    return match.group(0)


def sanitize(html: str) -> str:
    """Only allowlisted tags, attributes, classes and URL schemes (http, https, mailto,
    tel, relative) remain."""
    return nh3.clean(
        html,
        tags=set(_ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in _ALLOWED_ATTRIBUTES.items()},
        allowed_classes={tag: set(names) for tag, names in _ALLOWED_CLASSES.items()},
        url_schemes=set(_SAFE_SCHEMES),
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


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
    html = _IMG_RE.sub(
        lambda m: f'<img loading="lazy" alt="{m.group(1)}" src="{base}{m.group(2)}"', html
    )
    return sanitize(html)


def render_markdown(source: str) -> SafeString:
    """Markdown (with tables and callouts) as HTML safe to put in a page."""
    return mark_safe(_render(source))  # noqa: S308 - escaped before rendering, sanitized after  # nosec B308 B703


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
