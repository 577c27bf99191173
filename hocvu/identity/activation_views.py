"""Activation pages: the learner's (link or username + code) and the unit manager's
(activation letters as PDF, activation messages through the outbox)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from hocvu.identity import access, activation
from hocvu.identity.activation import ActivationError
from hocvu.identity.letters import letters_pdf
from hocvu.identity.models import User

#: Failed code attempts from one address per hour before it must wait.
IP_FAILURES_PER_HOUR = 20
BACKEND = "django.contrib.auth.backends.ModelBackend"


class CodeForm(SetPasswordForm):  # type: ignore[type-arg]
    username = forms.CharField(label=gettext_lazy("Username"), max_length=150)
    code = forms.CharField(label=gettext_lazy("Activation code"), max_length=32)
    field_order = ["username", "code", "new_password1", "new_password2"]


def _client_ip(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", ""))[:64]


def _ip_key(request: HttpRequest) -> str:
    return f"hocvu:activation-failures:{_client_ip(request)}"


def _sign_in(request: HttpRequest, user: User) -> HttpResponseRedirect:
    login(request, user, backend=BACKEND)
    messages.success(request, _("Your account is active. Welcome!"))
    return redirect(settings.LOGIN_REDIRECT_URL)


@never_cache
@require_http_methods(["GET", "POST"])
def activate_with_link(request: HttpRequest, token: str) -> HttpResponse:
    """The page the QR code and the e-mail link open: set a password, then signed in."""
    try:
        row = activation.check_token(token)
    except ActivationError as error:
        status = 404 if error.reason == "unknown" else 410
        return render(
            request, "identity/activate_invalid.html", {"error": error.message}, status=status
        )
    form = SetPasswordForm(row.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = activation.activate(token, form.cleaned_data["new_password1"])
        except ActivationError as error:
            return render(
                request, "identity/activate_invalid.html", {"error": error.message}, status=410
            )
        except ValidationError as error:
            form.add_error("new_password1", error)
        else:
            return _sign_in(request, user)
    context = {"form": form, "person": row.user, "expires_at": row.expires_at}
    return render(request, "identity/activate.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def activate_with_code(request: HttpRequest) -> HttpResponse:
    """Username + the short code from the letter (when the QR code is not at hand)."""
    form = CodeForm(None, request.POST or None)  # the user is known only after the code
    failures = int(cache.get(_ip_key(request), 0))
    if request.method == "POST" and failures >= IP_FAILURES_PER_HOUR:
        form.is_valid()
        context = {"form": form, "error": _("Too many attempts. Try again in an hour.")}
        return render(request, "identity/activate_code.html", context, status=429)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = activation.activate_with_code(
                data["username"], data["code"], data["new_password1"]
            )
        except ActivationError as error:
            cache.set(_ip_key(request), failures + 1, 3600)
            form.add_error("code", error.message)
        except ValidationError as error:
            form.add_error("new_password1", error)
        else:
            return _sign_in(request, user)
    return render(request, "identity/activate_code.html", {"form": form})


def _pending(request: HttpRequest, unit_id: int) -> tuple[object, list[User]]:
    unit = access.unit_for(request.user, unit_id, "unit.manage")
    people = access.people_for(request.user, "person.manage").filter(unit=unit)
    pending = list(
        activation.needs_activation(people).select_related("unit").order_by("full_name", "pk")
    )
    return unit, pending


@login_required
@require_http_methods(["GET"])
def unit_activation(request: HttpRequest, unit_id: int) -> HttpResponse:
    """A manager's page: who in the unit has not activated, letters and messages."""
    unit, pending = _pending(request, unit_id)
    reachable = sum(1 for p in pending if p.email or getattr(p, "phone", ""))
    context = {"unit": unit, "pending": pending, "reachable": reachable}
    return render(request, "identity/activation_unit.html", context)


@login_required
@require_POST
def unit_activation_letters(request: HttpRequest, unit_id: int) -> HttpResponse:
    """Issue new tokens for everyone not yet activated and return their letters (PDF)."""
    unit, pending = _pending(request, unit_id)
    tokens = activation.issue_tokens(pending, actor=request.user)
    pdf = letters_pdf(pending, tokens, str(getattr(unit, "name", "")))
    response = HttpResponse(pdf, content_type="application/pdf")
    stamp = timezone.localdate().isoformat()
    code = str(getattr(unit, "code", unit_id))
    response["Content-Disposition"] = f'attachment; filename="activation-{code}-{stamp}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def unit_activation_send(request: HttpRequest, unit_id: int) -> HttpResponse:
    """Send activation e-mails (or SMS) to everyone not yet activated, through the outbox."""
    _unit, pending = _pending(request, unit_id)
    counts = activation.send_activation(pending, actor=request.user)
    messages.success(
        request,
        _("Queued: %(email)s e-mails, %(sms)s SMS; %(skipped)s people have no address.") % counts,
    )
    return redirect(reverse("unit-activation", args=[unit_id]))
