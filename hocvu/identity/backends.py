"""The lockout check of django-axes, in front of Django's password check."""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.http import HttpRequest


class LockoutBackend(AxesStandaloneBackend):  # type: ignore[misc]  # untyped base
    """Refuse a locked-out username + address (AXES_* settings). Every login over HTTP
    passes its request; a call without one (``Client.login`` in tests, a shell) has no
    address to lock and goes on to the password check instead of failing."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is None:
            return None
        super().authenticate(request, username, password, **kwargs)
        return None
