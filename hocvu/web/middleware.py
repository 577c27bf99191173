"""Request middleware of the web layer."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class VietnameseFirstMiddleware:
    """Serve Vietnamese unless the person chose another language.

    Django would otherwise follow the browser's Accept-Language header, and most phones
    and browsers in offices ship set to English; the platform is Vietnamese first, and
    English is one click away (the choice is kept in a cookie). Must run before
    ``LocaleMiddleware``.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)
