"""The home page and the health check; each app serves its own pages."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from hocvu.framework import services as framework
from hocvu.identity import access
from hocvu.identity.models import User
from hocvu.web.next_step import next_step


@never_cache
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """200 when the database answers a query, 503 otherwise."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def home(request: HttpRequest) -> HttpResponse:
    version = framework.current_version()
    context: dict[str, object] = {"version": version}
    user = request.user
    if user.is_authenticated and version is not None:
        assert isinstance(user, User)
        context["profile"] = version.role_profiles.filter(code=user.job_role).first()
        context["managed_units"] = access.units_for(user, "unit.view").order_by("path")[:1]
    if user.is_authenticated:
        context["next_step"] = next_step(user)
    return render(request, "web/home.html", context)
