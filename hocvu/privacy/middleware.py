"""The privacy notice before anything else: a logged-in person who has not agreed to its
current version sees it (the API answers 403 ``consent_required``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse

from hocvu.privacy.services import NOTICE_VERSION, has_current_consent

SESSION_KEY = "hocvu_privacy_notice"


class ConsentMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refusal = self.refusal(request)
        return refusal if refusal is not None else self.get_response(request)

    def refusal(self, request: HttpRequest) -> HttpResponse | None:
        if not settings.HOCVU_PRIVACY_CONSENT_GATE:
            return None
        user: Any = request.user
        if not user.is_authenticated or request.session.get(SESSION_KEY) == NOTICE_VERSION:
            return None
        where = request.path_info
        exempt = (
            "/privacy/",
            "/account/second-factor/",
            reverse("logout"),
            "/i18n/",
            str(settings.STATIC_URL),
            "/healthz",
            "/api/v1/healthz",
            "/sw.js",
            "/manifest.webmanifest",
            "/offline/",
        )
        if where.startswith(exempt):
            return None
        if has_current_consent(user):
            request.session[SESSION_KEY] = NOTICE_VERSION
            return None
        if where.startswith("/api/"):
            detail = "agree to the privacy notice (/privacy/) first"
            return JsonResponse({"code": "consent_required", "detail": detail}, status=403)
        target = reverse("privacy-notice")
        if request.method == "GET":
            target += "?next=" + quote(request.get_full_path())
        return HttpResponseRedirect(target)
