"""Certificate pages: the issuer's DID document, the status lists, verification (public),
and a certificate's PDF (its holder and the administrators of the holder's unit).

Apart from the PDF, none of these needs a login. A verification page shows only what the
certificate itself shows (holder's name, achievement, date, issuer); the answer is never
cached for long, so a revocation shows within a minute.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from datetime import datetime
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from hocvu import ratelimit
from hocvu.credentials import jsonld
from hocvu.credentials.models import StatusList
from hocvu.credentials.pdf import certificate_pdf
from hocvu.credentials.services import credential_for, is_our_did, issuer_name
from hocvu.credentials.vc import INVALID, Verification

logger = logging.getLogger(__name__)

#: An uploaded PDF larger than this is refused (a certificate PDF is well under 1 MB).
MAX_PDF_BYTES = 5 * 1024 * 1024
#: A pasted credential longer than this is refused (a signed credential is a few KB).
MAX_PASTE_CHARS = 200_000
VERIFY_PATH = re.compile(r"/verify/([0-9a-fA-F-]{32,36})/?(?:[?#].*)?$")

#: Verification shown for each status of :func:`hocvu.credentials.services.verify`:
#: (headline, explanation, css class).
VERDICTS: dict[str, tuple[Any, Any, str]] = {
    "valid": (
        _("Valid"),
        _("This certificate was issued by the platform, has not been changed and is in force."),
        "ok",
    ),
    "revoked": (
        _("Revoked"),
        _(
            "This certificate was issued by the platform but has been revoked: "
            "it is no longer valid."
        ),
        "bad",
    ),
    "tampered": (
        _("Tampered"),
        _("The content of this certificate has been changed after it was signed: do not trust it."),
        "bad",
    ),
    "unknown_issuer": (
        _("Unknown issuer"),
        _("This certificate was not signed by a key of this platform."),
        "bad",
    ),
    "expired": (
        _("Expired"),
        _("This certificate was valid but its period of validity has ended."),
        "warn",
    ),
    "not_found": (
        _("Not found"),
        _("No certificate with this number was issued by this platform."),
        "warn",
    ),
    "invalid": (
        _("Unreadable"),
        _("What was given is not a certificate this page can read."),
        "warn",
    ),
}


class InputError(ValueError):
    """The request cannot be verified as given (a clear 400, never a 500)."""

    def __init__(self, code: str, message: Any) -> None:
        super().__init__(str(message))
        self.code = code
        self.message = message


def throttled(request: HttpRequest) -> bool:
    """Count one verification for this client; True when over the per-client limit (each
    verification may canonicalize a credential, which costs CPU)."""
    return ratelimit.exceeded(
        request,
        "verify",
        settings.HOCVU_VERIFY_RATE_LIMIT,
        settings.HOCVU_VERIFY_RATE_WINDOW,
    )


TOO_MANY = _("Too many verifications from your address. Please wait a minute and try again.")


def verify_data(data: str | bytes | dict[str, Any]) -> Verification:
    """Run :func:`services.verify`, turning any failure inside it into an "invalid" verdict;
    a credential beyond the canonicalization limits is refused (InputError ``too_complex``)."""
    from hocvu.credentials import services

    try:
        return services.verify(data)
    except jsonld.TooComplexError as exc:
        raise InputError("too_complex", exc) from None
    except Exception:
        logger.exception("verification failed on unexpected input")
        return Verification(status=INVALID, reason="the input could not be read as a credential")


def credential_id_in(text: str) -> uuid.UUID | None:
    """The certificate id when ``text`` is an id or a verification URL (a scanned QR)."""
    text = text.strip()
    match = VERIFY_PATH.search(text)
    candidate = match.group(1) if match else text
    if len(candidate) > 36:
        return None
    try:
        return uuid.UUID(candidate)
    except ValueError:
        return None


def read_pdf(upload: Any) -> bytes:
    """The bytes of an uploaded PDF, refusing what is too large or not a PDF."""
    if upload.size is not None and upload.size > MAX_PDF_BYTES:
        raise InputError("too_large", _("The file is larger than 5 MB."))
    data: bytes = upload.read(MAX_PDF_BYTES + 1)
    if len(data) > MAX_PDF_BYTES:
        raise InputError("too_large", _("The file is larger than 5 MB."))
    if not data.lstrip()[:5] == b"%PDF-":
        raise InputError("not_pdf", _("The file is not a PDF."))
    return data


def _json_response(document: dict[str, Any], content_type: str, max_age: int) -> HttpResponse:
    response = HttpResponse(
        json.dumps(document, ensure_ascii=False, indent=2), content_type=content_type
    )
    response["Cache-Control"] = f"public, max-age={max_age}"
    # Verifiers running in a browser on another site must be able to fetch it.
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def did_document(request: HttpRequest) -> HttpResponse:
    """The issuer's did:web document: every public key that may have signed a certificate.

    DID Core names ``application/did+ld+json`` for a DID document with an ``@context`` (the
    did:web method fixes no media type); a client asking for ``application/did+json`` or
    plain JSON gets that label on the same body."""
    from hocvu.credentials import services

    # A domain move: the old host, still pointed here, answers for the identifier that
    # certificates signed under it carry (docs/verifying-certificates.md).
    document = services.did_document(services.did_for_host(request.get_host(), request.is_secure()))
    accept = request.headers.get("Accept", "")
    if "application/did+json" in accept:
        content_type = "application/did+json"
    elif "@context" in document:
        content_type = "application/did+ld+json"
    else:
        content_type = "application/did+json"
    response = _json_response(document, content_type, max_age=300)
    response["Vary"] = "Accept"
    return response


@require_GET
def status_list(request: HttpRequest, list_id: int) -> HttpResponse:
    """A signed Bitstring Status List credential. Cached for at most 60 seconds, so a
    revocation fails verification within a minute."""
    from hocvu.credentials import services

    status = get_object_or_404(StatusList, pk=list_id)
    did = services.did_for_host(request.get_host(), request.is_secure())
    document = services.status_list_credential(status, did)
    accept = request.headers.get("Accept", "")
    if "application/vc" in accept:
        content_type = "application/vc"  # VC 2.0 media type of a secured JSON-LD credential
    elif "application/ld+json" in accept:
        content_type = "application/ld+json"
    else:
        content_type = "application/json"
    response = _json_response(document, content_type, max_age=60)
    response["Vary"] = "Accept"
    return response


class VerifyForm(forms.Form):
    certificate = forms.CharField(
        label=_("Certificate number, verification link or credential"),
        help_text=_(
            "Type the number printed on the certificate, paste the link of its QR code, "
            "or paste the whole credential (JSON or JWT)."
        ),
        required=False,
        max_length=MAX_PASTE_CHARS,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false", "autocomplete": "off"}),
    )
    file = forms.FileField(
        label=_("Or upload the certificate PDF"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("certificate") or "").strip() and not data.get("file"):
            raise forms.ValidationError(
                _("Enter a certificate number or a credential, or choose a PDF file.")
            )
        return data


def _revoked_at(verdict: Verification) -> datetime | None:
    """When an issued certificate was revoked (a public fact once it is revoked)."""
    if verdict.status != "revoked" or not verdict.credential_id:
        return None
    try:
        number = uuid.UUID(verdict.credential_id)
    except ValueError:
        return None
    from hocvu.credentials.models import Credential

    return Credential.objects.filter(pk=number).values_list("revoked_at", flat=True).first()


def _result(request: HttpRequest, verdict: Verification, *, status: int = 200) -> HttpResponse:
    headline, explanation, tone = VERDICTS[verdict.status]
    response = render(
        request,
        "credentials/verify_result.html",
        {
            "verdict": verdict,
            "headline": headline,
            "explanation": explanation,
            "tone": tone,
            "shows_details": verdict.status not in {"not_found", "invalid"},
            "revoked_at": _revoked_at(verdict),
            # People read the issuer's name; the DID is for machines (technical details).
            "issuer_name": issuer_name() if verdict.issuer and is_our_did(verdict.issuer) else "",
        },
        status=status,
    )
    # Always asked afresh: a revocation must show at once.
    response["Cache-Control"] = "no-cache"
    return response


@require_http_methods(["GET", "POST"])
def verify_form(request: HttpRequest) -> HttpResponse:
    """Verify by certificate number, link, pasted credential or uploaded PDF."""
    if request.method != "POST":
        return render(request, "credentials/verify.html", {"form": VerifyForm()})
    form = VerifyForm(request.POST, request.FILES)
    if throttled(request):
        form.is_valid()
        form.add_error(None, TOO_MANY)
        response = render(request, "credentials/verify.html", {"form": form}, status=429)
        response["Retry-After"] = str(settings.HOCVU_VERIFY_RATE_WINDOW)
        return response
    if not form.is_valid():
        return render(request, "credentials/verify.html", {"form": form}, status=400)
    upload = form.cleaned_data.get("file")
    field = "file" if upload else "certificate"
    try:
        if upload:
            return _result(request, verify_data(read_pdf(upload)))
        text = form.cleaned_data["certificate"].strip()
        credential_id = credential_id_in(text)
        if credential_id is not None:
            return redirect("verify-credential", credential_id=credential_id)
        return _result(request, verify_data(text))
    except InputError as error:
        form.add_error(field, error.message)
        return render(request, "credentials/verify.html", {"form": form}, status=400)


@require_GET
def verify_credential(request: HttpRequest, credential_id: uuid.UUID) -> HttpResponse:
    """The page a certificate's QR code opens: a large verdict and what was checked."""
    if throttled(request):
        response = HttpResponse(TOO_MANY, status=429, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = str(settings.HOCVU_VERIFY_RATE_WINDOW)
        return response
    verdict = verify_data(str(credential_id))
    if verdict.status == "not_found":
        return _result(request, verdict, status=404)
    return _result(request, verdict)


@login_required
def credential_pdf(request: HttpRequest, credential_id: uuid.UUID) -> HttpResponse:
    """The certificate PDF: its holder and administrators (of the holder's unit) only.
    A revoked certificate gets a page saying so (410), never a document that looks valid."""
    credential = credential_for(request.user, credential_id)
    if credential.revoked_at is not None:
        response = render(
            request, "credentials/revoked.html", {"credential": credential}, status=410
        )
        response["Cache-Control"] = "private, no-store"
        return response
    response = HttpResponse(certificate_pdf(credential), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="chung-nhan-{credential.pk}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response
