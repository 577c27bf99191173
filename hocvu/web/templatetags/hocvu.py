"""Template helpers."""

from __future__ import annotations

import math
from typing import Any

from django import template
from django.utils.translation import get_language

register = template.Library()


@register.filter
def loc(obj: Any, field: str) -> Any:
    """``obj.<field>_en`` when the page is in English and it is filled, else ``obj.<field>``."""
    if (get_language() or "vi").startswith("en"):
        english = getattr(obj, f"{field}_en", "")
        if english:
            return english
    return getattr(obj, field, "")


@register.filter
def role_title(code: str) -> str:
    """The title of the role profile ``code`` in the current framework, in the page's language."""
    from hocvu.framework.services import role_title as title

    return title(code)


@register.filter(name="markdown")
def markdown_filter(source: str) -> Any:
    """Render lesson or question Markdown (raw HTML escaped, callouts styled)."""
    from hocvu.content.rendering import render_markdown

    return render_markdown(source or "")


@register.filter
def key_text(item: Any) -> str:
    """The right answer in words (only ever rendered after the question was answered)."""
    from hocvu.assessment.forms import describe

    return describe(item, item.answer)


@register.filter
def answer_text(response: Any) -> str:
    from hocvu.assessment.forms import describe

    return describe(response.item, response.answer)


@register.filter
def paragraphs(text: str) -> Any:
    """Plain text to paragraphs: blank lines split paragraphs, single line breaks are spaces."""
    from django.utils.html import format_html_join

    blocks = [" ".join(block.split()) for block in (text or "").split("\n\n")]
    return format_html_join("", "<p>{}</p>", ((b,) for b in blocks if b))


@register.filter
def minutes_of(seconds: float | None) -> int:
    """A recording's length in whole minutes, rounded up (at least 1)."""
    return max(1, math.ceil((seconds or 0) / 60))
