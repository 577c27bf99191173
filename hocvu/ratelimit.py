"""A fixed-window rate limit on the shared cache, per client address.

Small on purpose: one counter per (scope, client, window) in Django's cache (Redis when
several app servers run, so they share the count; the in-process cache otherwise).
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The client's address: ``REMOTE_ADDR``, or the header named by
    ``HOCVU_CLIENT_IP_HEADER`` (e.g. ``X-Real-IP``) that the reverse proxy overwrites.
    ``X-Forwarded-For`` as sent by a client is never trusted."""
    header = getattr(settings, "HOCVU_CLIENT_IP_HEADER", "")
    if header:
        value = request.META.get("HTTP_" + header.upper().replace("-", "_"), "")
        if value:
            return str(value).split(",")[-1].strip()[:64]
    return str(request.META.get("REMOTE_ADDR", ""))[:64]


def exceeded(request: HttpRequest, scope: str, limit: int, window: int) -> bool:
    """Count this request for its client in ``scope``; True once more than ``limit``
    requests arrived in the current ``window`` seconds."""
    bucket = int(time.time() // window)
    key = f"hocvu:rl:{scope}:{client_address(request)}:{bucket}"
    if cache.add(key, 1, timeout=window + 1):
        return limit < 1
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window + 1)
        count = 1
    return count > limit
