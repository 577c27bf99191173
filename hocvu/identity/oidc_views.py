"""National e-ID login pages: start at the provider, come back, log out of both."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.views import LogoutView
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from hocvu import ratelimit
from hocvu.identity import oidc
from hocvu.identity.oidc import Config, OidcError

log = logging.getLogger(__name__)
BACKEND = "django.contrib.auth.backends.ModelBackend"
#: The provider could not be reached or answered nonsense: not the person's fault.
_UNAVAILABLE = frozenset({"provider", "discovery", "jwks"})
#: e-ID requests (start and return) per client address per minute. Each one may cost a call
#: to the provider and an audit row; a whole commune office behind one address logging in
#: together stays well below.
REQUESTS_PER_MINUTE = 120
#: The longest ID token kept in the session for logout's ``id_token_hint``.
MAX_HINT = 2000


def _config() -> Config:
    config = Config.from_settings()
    if config is None:
        raise Http404
    return config


def _message(reason: str) -> str:
    if reason == "unknown_person":
        return _(
            "No learner record matches your national e-ID. Ask your unit's manager to add "
            "you to the roster with your national ID number, or log in with your username."
        )
    if reason == "inactive":
        return _("Your account has been deactivated. Ask your unit's manager.")
    if reason in {"state", "no_login"}:
        return _("This login has expired or was already used. Start again.")
    if reason == "provider_refused":
        return _("The login was cancelled at the national e-ID.")
    if reason in {"no_national_id", "invalid_national_id"}:
        return _("The national e-ID did not send a valid national ID number.")
    if reason == "rate_limited":
        return _("Too many login attempts from your address. Wait a minute, then try again.")
    if reason in _UNAVAILABLE:
        return _(
            "The national e-ID service cannot be reached right now. Try again later, "
            "or log in with your username."
        )
    return _(
        "The national e-ID login could not be verified. Start again, or log in with your username."
    )


def _refuse(request: HttpRequest, error: OidcError, national_id: object = None) -> HttpResponse:
    log.warning("national e-ID login refused: %s", error.reason)
    if error.reason not in {"no_login", "rate_limited"}:
        oidc.record_refusal(error.reason, national_id=national_id)
    if error.reason in {"unknown_person", "inactive"}:
        status = 403
    elif error.reason == "rate_limited":
        status = 429
    elif error.reason in _UNAVAILABLE:
        status = 503
    else:
        status = 400
    return render(
        request, "identity/eid_refused.html", {"error": _message(error.reason)}, status=status
    )


def _safe_next(request: HttpRequest, value: str) -> str:
    allowed = url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return value if value and allowed else ""


@never_cache
@require_GET
def eid_login(request: HttpRequest) -> HttpResponse:
    """Send the browser to the provider with a fresh state, nonce and PKCE challenge."""
    config = _config()
    if ratelimit.exceeded(request, "eid", REQUESTS_PER_MINUTE, 60):
        return _refuse(request, OidcError("rate_limited"))
    redirect_uri = request.build_absolute_uri(reverse("eid-callback"))
    next_url = _safe_next(request, request.GET.get("next", ""))
    try:
        pending, url = oidc.begin(config, redirect_uri=redirect_uri, next_url=next_url)
    except OidcError as error:
        return _refuse(request, error)
    oidc.remember(request.session, pending)
    return HttpResponseRedirect(url)


@never_cache
@require_GET
def eid_callback(request: HttpRequest) -> HttpResponse:
    """Check what the provider sent back, then log the matching person in."""
    config = _config()
    if ratelimit.exceeded(request, "eid", REQUESTS_PER_MINUTE, 60):
        return _refuse(request, OidcError("rate_limited"))
    claims: dict[str, object] = {}
    try:
        # Taken out of the session first: a state, nonce and verifier serve once, even
        # when what follows fails.
        pending = oidc.take(request.session, request.GET.get("state", ""))
        if "error" in request.GET:
            raise OidcError("provider_refused", request.GET["error"][:100])
        # RFC 9207: a provider that names itself must be ours (mix-up attacks).
        if "iss" in request.GET and request.GET["iss"] != config.issuer:
            raise OidcError("issuer", "the authorization answer names another issuer")
        code = request.GET.get("code", "")
        if not code:
            raise OidcError("code", "no code")
        claims, id_token_hint = oidc.finish(config, pending, code)
        person = oidc.match_person(config, claims)
    except OidcError as error:
        return _refuse(request, error, claims.get(config.id_claim))
    auth_login(request, person, backend=BACKEND)
    # The session may be a signed cookie (4 KB at most): a large ID token is left out, and
    # logout then names the client instead (client_id), which the specification allows.
    hint = id_token_hint if len(id_token_hint) <= MAX_HINT else ""
    request.session[oidc.SESSION_LOGOUT] = {"id_token_hint": hint}
    oidc.record_login(person)
    return HttpResponseRedirect(pending.next_url or resolve_url(settings.LOGIN_REDIRECT_URL))


@never_cache
def logout(request: HttpRequest) -> HttpResponseBase:
    """Django's logout; after an e-ID login, then the provider's end-session page."""
    session_logout = request.session.get(oidc.SESSION_LOGOUT)
    config = Config.from_settings()
    if request.method != "POST" or not isinstance(session_logout, dict) or config is None:
        return LogoutView.as_view()(request)
    auth_logout(request)
    target = oidc.logout_url(
        config,
        id_token_hint=str(session_logout.get("id_token_hint", "")),
        post_logout_redirect_uri=request.build_absolute_uri(
            resolve_url(settings.LOGOUT_REDIRECT_URL)
        ),
    )
    if not target:
        return HttpResponseRedirect(resolve_url(settings.LOGOUT_REDIRECT_URL))
    return render(request, "identity/eid_logout.html", {"target": target})
