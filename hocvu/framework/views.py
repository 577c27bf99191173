"""The framework's public pages: areas and competences, levels, role profiles and targets."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from hocvu.framework import services as framework
from hocvu.framework.models import CompetenceLevel, FrameworkVersion, RoleProfile


def _version_or_404() -> FrameworkVersion:
    version = framework.current_version()
    if version is None:
        raise Http404("no published framework")
    return version


def framework_overview(request: HttpRequest) -> HttpResponse:
    version = _version_or_404()
    areas = version.areas.prefetch_related("competences").order_by("position")
    return render(
        request,
        "framework/framework.html",
        {"version": version, "areas": areas, "levels": version.levels.order_by("number")},
    )


def competence_detail(request: HttpRequest, code: str) -> HttpResponse:
    version = _version_or_404()
    competence = version.competences.filter(code=code).select_related("area").first()
    if competence is None:
        raise Http404("competence not found")
    levels = competence.levels.order_by("level")
    names = {lv.number: lv for lv in version.levels.all()}
    rows = [(names[cl.level], cl) for cl in levels]
    prerequisites = [
        p
        for cl in levels
        for p in cl.prerequisites.select_related("target", "requires__competence")
    ]
    return render(
        request,
        "framework/competence.html",
        {
            "version": version,
            "competence": competence,
            "rows": rows,
            "prerequisites": prerequisites,
        },
    )


def role_profiles(request: HttpRequest) -> HttpResponse:
    version = _version_or_404()
    profiles = list(version.role_profiles.prefetch_related("targets__competence"))
    competences = list(
        version.competences.select_related("area").order_by("area__position", "position")
    )
    matrix = []
    for comp in competences:
        row = []
        for profile in profiles:
            level = next((t.level for t in profile.targets.all() if t.competence_id == comp.pk), 0)
            row.append(level)
        matrix.append((comp, row))
    return render(
        request,
        "framework/roles.html",
        {"version": version, "profiles": profiles, "matrix": matrix},
    )


def role_profile_detail(request: HttpRequest, code: str) -> HttpResponse:
    version = _version_or_404()
    profile = RoleProfile.objects.filter(version=version, code=code).first()
    if profile is None:
        raise Http404("role profile not found")
    targets = profile.targets.select_related("competence__area").order_by(
        "competence__area__position", "competence__position"
    )
    statements = {
        (cl.competence_id, cl.level): cl
        for cl in CompetenceLevel.objects.filter(competence__version=version)
    }
    rows = [(t, statements.get((t.competence_id, t.level))) for t in targets]
    return render(
        request, "framework/role.html", {"version": version, "profile": profile, "rows": rows}
    )
