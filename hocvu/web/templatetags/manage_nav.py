"""The "Manage" entries of the site navigation, for people who manage or watch units."""

from __future__ import annotations

from typing import Any

from django import template

from hocvu.identity.access import can
from hocvu.web.next_step import Menu, menu_for

register = template.Library()


@register.simple_tag
def manage_links(user: Any) -> dict[str, bool]:
    """Which manager links ``user`` gets: the dashboards (``unit.view`` anywhere) and the
    roster import (``person.manage`` anywhere)."""
    if not getattr(user, "is_authenticated", False):
        return {"dashboards": False, "roster": False}
    return {"dashboards": can(user, "unit.view", None), "roster": can(user, "person.manage", None)}


@register.simple_tag
def main_menu(user: Any) -> Menu:
    """The main menu's entries ``user`` can use (``hocvu.web.next_step.menu_for``)."""
    return menu_for(user)
