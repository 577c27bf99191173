"""Public verification API (no login), mounted at ``/api/v1/verify``.

* ``GET /api/v1/verify?id=<uuid>`` verifies an issued certificate by its number;
* ``POST /api/v1/verify`` with JSON ``{"credential": <JSON-LD object, JWT or JSON string,
  certificate id or verification URL>}``, or multipart with a ``file`` (the certificate PDF)
  or a ``credential`` field.

A well-formed request always answers 200 with the verdict ``{status, reason, credential_id,
subject_name, achievement_name, issued_at, issuer, key_id}``; ``status`` is one of valid,
revoked, tampered, unknown_issuer, expired, not_found, invalid (what was sent is not a
credential). A request that cannot be understood answers 400 ``{"code", "detail"}`` with
code ``bad_request``, ``too_large``, ``not_pdf`` or ``too_complex`` (a JSON-LD credential
beyond the canonicalization limits of :mod:`hocvu.credentials.jsonld`). Each client address
may verify ``HOCVU_VERIFY_RATE_LIMIT`` times per ``HOCVU_VERIFY_RATE_WINDOW`` seconds (pages
and API together); beyond that the answer is 429 ``rate_limited`` with ``Retry-After``.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema, Status

from hocvu.credentials.vc import Verification
from hocvu.credentials.views import (
    MAX_PASTE_CHARS,
    InputError,
    credential_id_in,
    read_pdf,
    throttled,
    verify_data,
)

router = Router(tags=["verification"])


class VerificationOut(Schema):
    status: str
    reason: str
    credential_id: str | None
    subject_name: str
    achievement_name: str
    issued_at: datetime | None
    issuer: str
    key_id: str


class ProblemOut(Schema):
    code: str
    detail: str


def _problem(code: str, detail: Any) -> Status[dict[str, str]]:
    return Status(400, {"code": code, "detail": str(detail)})


def _too_many(response: HttpResponse) -> Status[dict[str, str]]:
    response["Retry-After"] = str(settings.HOCVU_VERIFY_RATE_WINDOW)
    detail = "too many verifications from this address; wait and retry"
    return Status(429, {"code": "rate_limited", "detail": detail})


def _answer(response: HttpResponse, verdict: Verification) -> Verification:
    response["Cache-Control"] = "no-cache"
    response["Access-Control-Allow-Origin"] = "*"
    return verdict


@router.get("", auth=None, response={200: VerificationOut, 400: ProblemOut, 429: ProblemOut})
def verify_by_id(request: HttpRequest, response: HttpResponse, id: str = "") -> Any:
    """Verify an issued certificate by its number (or the URL its QR code holds)."""
    if throttled(request):
        return _too_many(response)
    credential_id = credential_id_in(id) if id else None
    if credential_id is None:
        return _problem("bad_request", "give ?id=<certificate id> (a UUID)")
    return _answer(response, verify_data(str(credential_id)))


def _posted_credential(request: HttpRequest) -> str | bytes | dict[str, Any]:
    """What to verify, from a JSON body or a multipart form; InputError when unclear."""
    content_type = (request.content_type or "").lower()
    if content_type.startswith("multipart/") or content_type.endswith("x-www-form-urlencoded"):
        upload = request.FILES.get("file")
        if upload is not None:
            return read_pdf(upload)
        text = request.POST.get("credential", "").strip()
        if not text:
            raise InputError("bad_request", "send a 'file' (PDF) or a 'credential' field")
        return text
    if len(request.body) > MAX_PASTE_CHARS * 4:
        raise InputError("too_large", "the request is too large")
    try:
        body = json.loads(request.body or b"")
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InputError("bad_request", "the body is not JSON") from None
    if not isinstance(body, dict) or "credential" not in body:
        raise InputError("bad_request", 'send {"credential": <credential or JWT>}')
    credential = body["credential"]
    if isinstance(credential, str):
        if not credential.strip():
            raise InputError("bad_request", "'credential' is empty")
        return credential.strip()
    if isinstance(credential, dict):
        return credential
    raise InputError("bad_request", "'credential' must be a JSON object or a string")


POSTED_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["credential"],
                    "properties": {
                        "credential": {
                            "description": "a JSON-LD credential, a VC-JWT, a certificate id "
                            "or a verification URL",
                            "oneOf": [{"type": "object"}, {"type": "string"}],
                        }
                    },
                }
            },
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "credential": {"type": "string"},
                    },
                }
            },
        },
    }
}


@router.post(
    "",
    auth=None,
    response={200: VerificationOut, 400: ProblemOut, 429: ProblemOut},
    openapi_extra=POSTED_BODY,
)
def verify_posted(request: HttpRequest, response: HttpResponse) -> Any:
    """Verify a credential (JSON-LD object or VC-JWT) or a certificate PDF."""
    if throttled(request):
        return _too_many(response)
    try:
        data = _posted_credential(request)
        if isinstance(data, str) and len(data) > MAX_PASTE_CHARS:
            return _problem("too_large", "the credential is too long")
        return _answer(response, verify_data(data))
    except InputError as error:
        return _problem(error.code, error.message)
