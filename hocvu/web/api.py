"""The open HTTP API (django-ninja, OpenAPI 3 at /api/v1/openapi.json).

Each app serves its own router; authorization goes through ``hocvu.identity.access``
exactly as for pages.

Every refusal is a JSON object ``{"code", "detail"}``: the routes' own codes (documented in
each router) and, for what the framework refuses before a route runs, ``bad_request`` (400:
a parameter or body of the wrong type or shape, JSON that cannot be read or is nested too
deeply, a number out of range), ``unauthorized`` (401: not logged in), ``forbidden`` (403:
e.g. the CSRF token is missing), ``not_found`` (404), ``too_large`` (413) and
``second_factor_required`` (403, staff who have not entered their code). A bad request never
gives a server error (tests/web/test_api_fuzz.py runs schemathesis as each persona).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.db import DataError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import HttpError, ValidationError

api = NinjaAPI(
    title="hocvu API",
    version="1",
    description="Open API of the hocvu digital-literacy platform.",
    urls_namespace="api",
)
api.add_router("/framework", "hocvu.framework.api.router")
api.add_router("/units", "hocvu.organizations.api.router")
api.add_router("/people", "hocvu.identity.api.router")
api.add_router("/attempts", "hocvu.assessment.api.router")
api.add_router("/verify", "hocvu.credentials.api.router")


@api.get("/healthz", auth=None, tags=["system"])
def api_health(request: HttpRequest) -> dict[str, str]:
    return {"status": "ok"}


#: The code of a refusal by its HTTP status, for refusals the framework makes.
CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    429: "rate_limited",
}


def problem(request: HttpRequest, status: int, detail: str, code: str = "") -> HttpResponse:
    body = {"code": code or CODES.get(status, "error"), "detail": detail}
    return api.create_response(request, body, status=status)


def _where(error: dict[str, Any]) -> str:
    loc = [str(p) for p in error.get("loc", ()) if p not in ("body", "payload")]
    return ".".join(loc) or "body"


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    detail = "; ".join(f"{_where(e)}: {e.get('msg', 'invalid')}" for e in exc.errors[:10])
    return problem(request, 400, detail[:1000] or "the request does not match the schema")


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return problem(request, exc.status_code, str(exc))


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return problem(request, 404, "not found")


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return problem(request, 403, "you may not do this")


@api.exception_handler(RequestDataTooBig)
def _too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return problem(request, 413, "the body is too large")


@api.exception_handler(RecursionError)
def _too_deep(request: HttpRequest, exc: RecursionError) -> HttpResponse:
    return problem(request, 400, "the JSON is nested too deeply")


@api.exception_handler(OverflowError)
def _overflow(request: HttpRequest, exc: OverflowError) -> HttpResponse:
    return problem(request, 400, "a number is out of range")


@api.exception_handler(DataError)
def _data_error(request: HttpRequest, exc: DataError) -> HttpResponse:
    # A value the database cannot hold (an identifier beyond 64 bits): nothing was written.
    return problem(request, 400, "a value is out of range")
