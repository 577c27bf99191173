"""The open HTTP API (django-ninja, OpenAPI 3 at /api/v1/openapi.json).

Each app serves its own router; authorization goes through ``hocvu.identity.access``
exactly as for pages.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import NinjaAPI

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
