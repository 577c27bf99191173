"""Second factor (TOTP, django-otp) for everyone who manages people or the platform.

Who must use it: staff (the admin), superusers, and anyone holding a unit manager,
administrator, author or assessor role. Learners and mentors are never asked.

After the password (or the national e-ID), such a person's session is *not yet verified*:
every page except the second-factor pages, logout, language, static files and the health
checks answers with a redirect to :func:`verify` (JSON 403 ``second_factor_required`` on the
API). The first time, :func:`verify` enrols an authenticator app: a QR code of the
``otpauth://`` URI drawn on the server (segno, no network) and the secret as text; a code
from the app confirms it, and ten single-use recovery codes are shown once. Later logins ask
for a code from the app or one recovery code. django-otp throttles wrong codes per device
(growing delays); every enrolment, recovery-code use and new set of codes is audited.

Whether a session needs the second factor is decided at login and kept in the session (no
query per page for learners); the pages that show other people's data or run the platform
(admin, manage, units, people and their API) check the roles in the database every time, so
a role granted during a session cannot be used before the second factor.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import segno
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from hocvu.audit import services as audit
from hocvu.identity.models import Role, RoleAssignment

#: Roles whose holders see other people's data or change the platform.
STAFF_ROLES = (Role.UNIT_MANAGER, Role.ADMINISTRATOR, Role.AUTHOR, Role.ASSESSOR)
#: The session key holding whether this session must pass the second factor.
SESSION_FLAG = "hocvu_second_factor"
#: Session key of the TOTP device being enrolled (not confirmed yet).
PENDING_DEVICE = "hocvu_second_factor_pending"
#: Session key of freshly made recovery codes, shown once.
FRESH_CODES = "hocvu_recovery_codes"
RECOVERY_CODES = 10
APP_DEVICE = "app"
RECOVERY_DEVICE = "recovery"
#: Paths where a session that still owes the second factor is always checked in the database.
SENSITIVE_PREFIXES = (
    "/admin/",
    "/admin-tools/",
    "/manage/",
    "/units/",
    "/people/",
    "/api/v1/units",
    "/api/v1/people",
)


def needs_second_factor(user: Any) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_staff or user.is_superuser:
        return True
    return RoleAssignment.objects.filter(user=user, role__in=STAFF_ROLES).exists()


def app_device(user: Any) -> TOTPDevice | None:
    device: TOTPDevice | None = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device


def recovery_device(user: Any) -> StaticDevice | None:
    device: StaticDevice | None = StaticDevice.objects.filter(
        user=user, name=RECOVERY_DEVICE, confirmed=True
    ).first()
    return device


@receiver(user_logged_in, dispatch_uid="hocvu-second-factor-flag")
def _remember_requirement(sender: Any, request: HttpRequest | None, user: Any, **_: Any) -> None:
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_FLAG] = needs_second_factor(user)


def _exempt_prefixes() -> tuple[str, ...]:
    return (
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


class SecondFactorMiddleware:
    """Stop a session that owes the second factor (after ``OTPMiddleware``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refusal = self.refusal(request)
        return refusal if refusal is not None else self.get_response(request)

    def refusal(self, request: HttpRequest) -> HttpResponse | None:
        user: Any = request.user
        if not user.is_authenticated:
            return None
        where = request.path_info
        if where.startswith(_exempt_prefixes()) or user.is_verified():
            return None
        required = request.session.get(SESSION_FLAG)
        if required is None or (not required and where.startswith(SENSITIVE_PREFIXES)):
            required = needs_second_factor(user)
            request.session[SESSION_FLAG] = required
        if not required:
            return None
        if where.startswith("/api/"):
            detail = "log in with the second factor (authenticator code) first"
            return JsonResponse({"code": "second_factor_required", "detail": detail}, status=403)
        target = reverse("second-factor")
        if request.method == "GET":
            target += "?next=" + quote(request.get_full_path())
        return HttpResponseRedirect(target)


def _next(request: HttpRequest) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return reverse("home")


def _qr_svg(uri: str) -> str:
    """The otpauth URI as an inline SVG QR code (drawn here; nothing leaves the server)."""
    svg = segno.make(uri, error="m").svg_inline(scale=5, border=2, title=_("QR code"))
    return mark_safe(svg)  # noqa: S308 - segno's own SVG markup; the URI is only encoded in it  # nosec B308 B703


def _pending_device(request: HttpRequest) -> TOTPDevice:
    """The unconfirmed app device of this enrolment (one per person, made once)."""
    user: Any = request.user
    pending_id = request.session.get(PENDING_DEVICE)
    device: TOTPDevice | None = None
    if pending_id:
        device = TOTPDevice.objects.filter(pk=pending_id, user=user, confirmed=False).first()
    if device is None:
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        device = TOTPDevice.objects.create(user=user, name=APP_DEVICE, confirmed=False)
        request.session[PENDING_DEVICE] = device.pk
    return device


def new_recovery_codes(user: Any) -> list[str]:
    """Replace the person's recovery codes with ``RECOVERY_CODES`` new ones."""
    with transaction.atomic():
        device, _created = StaticDevice.objects.get_or_create(
            user=user, name=RECOVERY_DEVICE, defaults={"confirmed": True}
        )
        device.token_set.all().delete()
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    return codes


def _clean_code(raw: str) -> str:
    return "".join(raw.split()).replace("-", "").lower()[:32]


def _throttled(device: Any) -> bool:
    allowed, _data = device.verify_is_allowed()
    return not allowed


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app (first time) or check a code (every login)."""
    user: Any = request.user
    following = _next(request)
    if user.is_verified():
        return HttpResponseRedirect(following)
    device = app_device(user)
    if device is None:
        return _enrol(request, following)
    error = ""
    status = 200
    if request.method == "POST":
        code = _clean_code(request.POST.get("code", ""))
        recovery = recovery_device(user)
        if _throttled(device) or (len(code) > 6 and recovery and _throttled(recovery)):
            error = _("Too many wrong codes. Wait a minute, then try again.")
            status = 429
        elif code.isdigit() and len(code) == 6 and device.verify_token(code):
            otp_login(request, device)
            return HttpResponseRedirect(following)
        elif len(code) > 6 and recovery is not None and recovery.verify_token(code):
            otp_login(request, recovery)
            left = recovery.token_set.count()
            audit.record(
                "identity.second_factor.recovery_used", actor=user, obj=user, data={"left": left}
            )
            return HttpResponseRedirect(reverse("second-factor-codes") + "?used=1")
        else:
            error = _("This code is not right. Enter the 6 digits your app shows now.")
            status = 400
    return render(
        request,
        "identity/second_factor_verify.html",
        {"next": following, "error": error},
        status=status,
    )


def _enrol(request: HttpRequest, following: str) -> HttpResponse:
    user: Any = request.user
    device = _pending_device(request)
    error = ""
    status = 200
    if request.method == "POST":
        code = _clean_code(request.POST.get("code", ""))
        if _throttled(device):
            error = _("Too many wrong codes. Wait a minute, then try again.")
            status = 429
        elif code.isdigit() and len(code) == 6 and device.verify_token(code):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            request.session.pop(PENDING_DEVICE, None)
            request.session[FRESH_CODES] = new_recovery_codes(user)
            otp_login(request, device)
            audit.record("identity.second_factor.enrolled", actor=user, obj=user)
            return HttpResponseRedirect(
                reverse("second-factor-codes") + "?next=" + quote(following)
            )
        else:
            error = _("This code is not right. Enter the 6 digits your app shows now.")
            status = 400
    secret = device.config_url.split("secret=", 1)[1].split("&", 1)[0]
    return render(
        request,
        "identity/second_factor_enrol.html",
        {
            "qr": _qr_svg(device.config_url),
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            "next": following,
            "error": error,
        },
        status=status,
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """The new recovery codes, shown once; a verified person may make a new set."""
    user: Any = request.user
    if not user.is_verified():
        return HttpResponseRedirect(reverse("second-factor"))
    if request.method == "POST":
        request.session[FRESH_CODES] = new_recovery_codes(user)
        audit.record("identity.second_factor.new_recovery_codes", actor=user, obj=user)
        return HttpResponseRedirect(reverse("second-factor-codes"))
    codes = request.session.pop(FRESH_CODES, None)
    recovery = recovery_device(user)
    return render(
        request,
        "identity/second_factor_codes.html",
        {
            "codes": codes,
            "left": recovery.token_set.count() if recovery is not None else 0,
            "used": request.GET.get("used") == "1",
            "next": _next(request),
        },
    )


def reset(user: Any, *, actor: Any = None) -> None:
    """Forget the person's app and recovery codes: the next login enrols again."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    audit.record("identity.second_factor.reset", actor=actor, obj=user)


urlpatterns = [
    path("account/second-factor/", verify, name="second-factor"),
    path("account/second-factor/codes/", recovery_codes, name="second-factor-codes"),
]
