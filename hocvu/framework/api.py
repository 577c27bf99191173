"""The framework in the open API: the newest published version, no login needed."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from hocvu.framework import services as framework

router = Router(tags=["framework"])


class ErrorOut(Schema):
    detail: str


@router.get("", auth=None, response={200: dict, 404: ErrorOut})
def current_framework(request: HttpRequest) -> Any:
    """The newest published framework version, with areas, competences, levels and roles."""
    version = framework.current_version()
    if version is None:
        return 404, {"detail": "no published framework"}
    return framework.to_definition(version)
