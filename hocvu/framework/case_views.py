"""The CASE 1.1 REST API (read-only, public) over the published framework versions.

Every alignment ``targetUrl`` in a certificate (``<PUBLIC_URL>/ims/case/v1p1/CFItems/<id>``)
answers here. Identifiers are those of the CASE export (:mod:`hocvu.framework.case`): a
competence level keeps its identifier from version to version, so an entity is served from
the newest published version that has it. Unknown identifiers answer 404 with a CASE
``imsx_StatusInfo`` body; drafts are never served.
"""

from __future__ import annotations

import json
import threading
import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.http import require_GET

from hocvu.framework.case import base_url, export_package
from hocvu.framework.models import FrameworkVersion

_lock = threading.Lock()
_packages: dict[tuple[int, str, str], dict[str, Any]] = {}


def _json(body: Any, status: int = 200) -> HttpResponse:
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
        status=status,
    )
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = "public, max-age=300" if status == 200 else "no-cache"
    return response


def _not_found(what: str, identifier: str) -> HttpResponse:
    """CASE 1.1's failure payload for an unknown ``sourcedId``."""
    return _json(
        {
            "imsx_codeMajor": "failure",
            "imsx_severity": "error",
            "imsx_description": f"no {what} with this identifier",
            "imsx_codeMinor": {
                "imsx_codeMinorField": [
                    {
                        "imsx_codeMinorFieldName": identifier[:64],
                        "imsx_codeMinorFieldValue": "unknownobject",
                    }
                ]
            },
        },
        status=404,
    )


def _published() -> list[FrameworkVersion]:
    return list(
        FrameworkVersion.objects.filter(published_at__isnull=False).order_by("-published_at", "-pk")
    )


def _package(version: FrameworkVersion) -> dict[str, Any]:
    """The version's package, built once per process (a published version never changes)."""
    key = (version.pk, str(version.published_at), base_url())
    with _lock:
        cached = _packages.get(key)
    if cached is None:
        cached = export_package(version)
        with _lock:
            _packages[key] = cached
    return cached


def _find(collection: str, identifier: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(entity, package) of the newest published version that has ``identifier``."""
    for version in _published():
        package = _package(version)
        for entity in package[collection]:
            if entity["identifier"] == identifier:
                return entity, package
    return None


def _valid(identifier: str) -> bool:
    try:
        uuid.UUID(identifier)
    except ValueError:
        return False
    return len(identifier) == 36


def _document_uri(package: dict[str, Any]) -> dict[str, str]:
    document = package["CFDocument"]
    return {
        "title": document["title"],
        "identifier": document["identifier"],
        "uri": document["uri"],
    }


@require_GET
def documents(request: HttpRequest) -> HttpResponse:
    """``GET /CFDocuments``: the published framework versions."""
    return _json({"CFDocuments": [_package(v)["CFDocument"] for v in _published()]})


@require_GET
def document(request: HttpRequest, identifier: str) -> HttpResponse:
    if _valid(identifier):
        for version in _published():
            package = _package(version)
            if package["CFDocument"]["identifier"] == identifier:
                body = dict(package["CFDocument"])
                body["CFPackageURI"] = {
                    "title": body["title"],
                    "identifier": identifier,
                    "uri": body["uri"].replace("/CFDocuments/", "/CFPackages/"),
                }
                return _json(body)
    return _not_found("CFDocument", identifier)


@require_GET
def package(request: HttpRequest, identifier: str) -> HttpResponse:
    if _valid(identifier):
        for version in _published():
            found = _package(version)
            if found["CFDocument"]["identifier"] == identifier:
                return _json(found)
    return _not_found("CFPackage", identifier)


@require_GET
def item(request: HttpRequest, identifier: str) -> HttpResponse:
    found = _find("CFItems", identifier) if _valid(identifier) else None
    if found is None:
        return _not_found("CFItem", identifier)
    entity, pkg = found
    return _json({**entity, "CFDocumentURI": _document_uri(pkg)})


@require_GET
def association(request: HttpRequest, identifier: str) -> HttpResponse:
    found = _find("CFAssociations", identifier) if _valid(identifier) else None
    if found is None:
        return _not_found("CFAssociation", identifier)
    entity, pkg = found
    return _json({**entity, "CFDocumentURI": _document_uri(pkg)})


@require_GET
def item_associations(request: HttpRequest, identifier: str) -> HttpResponse:
    """``GET /CFItemAssociations/{id}``: an item with every association it takes part in."""
    found = _find("CFItems", identifier) if _valid(identifier) else None
    if found is None:
        return _not_found("CFItem", identifier)
    entity, pkg = found
    related = [
        a
        for a in pkg["CFAssociations"]
        if identifier in (a["originNodeURI"]["identifier"], a["destinationNodeURI"]["identifier"])
    ]
    return _json({"CFItem": entity, "CFAssociations": related})


def _definition(kind: str, identifier: str) -> HttpResponse:
    if _valid(identifier):
        for version in _published():
            for entity in _package(version)["CFDefinitions"].get(kind, []):
                if entity["identifier"] == identifier:
                    return _json(entity)
    return _not_found(kind[:-1], identifier)


@require_GET
def item_type(request: HttpRequest, identifier: str) -> HttpResponse:
    return _definition("CFItemTypes", identifier)


@require_GET
def association_grouping(request: HttpRequest, identifier: str) -> HttpResponse:
    return _definition("CFAssociationGroupings", identifier)


# Mounted at ``/ims/case/v1p1/`` by hocvu/urls.py (CASE 1.1's base path, API_PATH).
urlpatterns = [
    path("CFDocuments", documents, name="case-documents"),
    path("CFDocuments/<str:identifier>", document, name="case-document"),
    path("CFPackages/<str:identifier>", package, name="case-package"),
    path("CFItems/<str:identifier>", item, name="case-item"),
    path("CFItemAssociations/<str:identifier>", item_associations, name="case-item-associations"),
    path("CFAssociations/<str:identifier>", association, name="case-association"),
    path("CFItemTypes/<str:identifier>", item_type, name="case-item-type"),
    path(
        "CFAssociationGroupings/<str:identifier>",
        association_grouping,
        name="case-association-grouping",
    ),
]
