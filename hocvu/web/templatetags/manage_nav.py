"""The "Manage" entries of the site navigation, for people who manage or watch units."""

from __future__ import annotations

from typing import Any

from django import template

from hocvu.identity.access import can

register = template.Library()


@register.simple_tag
def manage_links(user: Any) -> dict[str, bool]:
    """Which manager links ``user`` gets: the dashboards (``unit.view`` anywhere) and the
    roster import (``person.manage`` anywhere)."""
    if not getattr(user, "is_authenticated", False):
        return {"dashboards": False, "roster": False}
    return {"dashboards": can(user, "unit.view", None), "roster": can(user, "person.manage", None)}
