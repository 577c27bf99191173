"""Password reset by e-mail, on the site's own pages.

The mail goes through Django's e-mail backend (``HOCVU_EMAIL_URL`` or the ``EMAIL_*``
settings) and its link points at ``HOCVU_PUBLIC_URL``, the address people know the platform
by, not whatever host the request named. Each client address may ask
``HOCVU_PASSWORD_RESET_RATE_LIMIT`` times an hour. Without any e-mail configuration (and
outside DEBUG, where the console backend prints the mail) the page says that resets go
through the unit's manager instead of pretending a mail was sent. An unknown address gets
the same answer as a known one (nobody learns who has an account).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import path, reverse_lazy

from hocvu.ratelimit import exceeded

HOUR = 3600


def email_usable() -> bool:
    return bool(settings.HOCVU_EMAIL_CONFIGURED or settings.DEBUG)


class ResetView(auth_views.PasswordResetView):
    template_name = "identity/password_reset_form.html"
    email_template_name = "identity/password_reset_email.txt"
    subject_template_name = "identity/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not email_usable():
            return render(request, "identity/password_reset_unavailable.html")
        if request.method == "POST" and exceeded(
            request, "password-reset", settings.HOCVU_PASSWORD_RESET_RATE_LIMIT, HOUR
        ):
            return render(
                request, "identity/password_reset_form.html", {"limited": True}, status=429
            )
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form: Any) -> HttpResponse:
        public = urlsplit(settings.PUBLIC_URL)
        self.domain_override = public.netloc
        self.use_https = public.scheme == "https"
        self.extra_email_context = {"public_url": settings.PUBLIC_URL}
        return super().form_valid(form)


urlpatterns = [
    path("accounts/password_reset/", ResetView.as_view(), name="password_reset"),
    path(
        "accounts/password_reset/done/",
        auth_views.PasswordResetDoneView.as_view(template_name="identity/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="identity/password_reset_confirm.html"
        ),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="identity/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
]
