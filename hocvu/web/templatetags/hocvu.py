"""Template helpers."""

from __future__ import annotations

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
def level_range(level: int) -> range:
    return range(1, 5)
