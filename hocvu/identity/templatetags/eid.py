"""``{% eid_login_enabled as eid %}``: whether the login page offers the national e-ID."""

from __future__ import annotations

from django import template

from hocvu.identity.oidc import Config

register = template.Library()


@register.simple_tag
def eid_login_enabled() -> bool:
    return Config.from_settings() is not None
