"""Pages. Views parse, authorize through ``hocvu.identity.access`` and render."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from hocvu.audit import services as audit
from hocvu.framework import services as framework
from hocvu.framework.models import CompetenceLevel, FrameworkVersion, RoleProfile
from hocvu.identity import access
from hocvu.identity.models import Gender, User
from hocvu.identity.names import name_sort_key
from hocvu.organizations.models import Unit
from hocvu.organizations.services import ancestors


def _version_or_404() -> FrameworkVersion:
    version = framework.current_version()
    if version is None:
        raise Http404("no published framework")
    return version


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
    return render(request, "web/home.html", context)


def framework_overview(request: HttpRequest) -> HttpResponse:
    version = _version_or_404()
    areas = version.areas.prefetch_related("competences").order_by("position")
    return render(
        request,
        "web/framework.html",
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
        "web/competence.html",
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
        "web/roles.html",
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
    return render(request, "web/role.html", {"version": version, "profile": profile, "rows": rows})


@login_required
def unit_list(request: HttpRequest) -> HttpResponse:
    units = access.units_for(request.user, "unit.view")
    # Show the top of each subtree the user may see; they drill down from there.
    roots = [u for u in units.filter(depth__lte=8).order_by("path")]
    tops: list[Unit] = []
    for unit in roots:
        if not any(unit.path.startswith(t.path) for t in tops):
            tops.append(unit)
    return render(request, "web/units.html", {"tops": tops[:200]})


@login_required
def unit_detail(request: HttpRequest, unit_id: int) -> HttpResponse:
    unit = access.unit_for(request.user, unit_id, "unit.view")
    children = unit.children.order_by("path")
    people = sorted(
        access.people_for(request.user, "person.view").filter(unit=unit),
        key=lambda p: name_sort_key(p.full_name),
    )
    # Ancestors are shown only as far up as the user's scope reaches.
    trail = [a for a in ancestors(unit) if access.can(request.user, "unit.view", a)]
    return render(
        request,
        "web/unit.html",
        {
            "unit": unit,
            "children": children,
            "people": people,
            "trail": trail,
            "can_manage": access.can(request.user, "person.manage", unit),
        },
    )


@login_required
def person_detail(request: HttpRequest, person_id: int) -> HttpResponse:
    person = access.person_for(request.user, person_id, "person.view")
    can_manage = person.unit is not None and access.can(request.user, "person.manage", person.unit)
    return render(request, "web/person.html", {"person": person, "can_manage": can_manage})


@login_required
def my_profile(request: HttpRequest) -> HttpResponse:
    return redirect("person", person_id=request.user.pk)


class PersonForm(forms.Form):
    full_name = forms.CharField(label=_("full name"), max_length=255)
    position = forms.CharField(label=_("position"), max_length=255, required=False)
    gender = forms.ChoiceField(
        label=_("gender"), choices=[("", "—"), *Gender.choices], required=False
    )
    date_of_birth = forms.DateField(
        label=_("date of birth"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    job_role = forms.ChoiceField(label=_("role profile"), required=False)
    unit = forms.ModelChoiceField(label=_("unit"), queryset=Unit.objects.none())

    def __init__(self, *args: object, user: User, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["unit"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = access.units_for(user, "person.manage").order_by("path")
        version = framework.current_version()
        roles = version.role_profiles.all() if version else []
        job = self.fields["job_role"]
        assert isinstance(job, forms.ChoiceField)
        job.choices = [("", "—"), *[(r.code, r.title) for r in roles]]


@login_required
def person_edit(request: HttpRequest, person_id: int) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    person = access.person_for(user, person_id, "person.manage")
    if request.method == "POST":
        form = PersonForm(request.POST, user=user)
        if form.is_valid():
            data = form.cleaned_data
            before = {"unit": person.unit_id, "job_role": person.job_role}
            for field in ("full_name", "position", "gender", "date_of_birth", "job_role", "unit"):
                setattr(person, field, data[field])
            person.save()
            audit.record(
                "person.update",
                actor=user,
                obj=person,
                unit_path=person.unit.path if person.unit else "",
                data={
                    "before": before,
                    "after": {"unit": person.unit_id, "job_role": person.job_role},
                },
            )
            return redirect("person", person_id=person.pk)
    else:
        form = PersonForm(
            initial={
                "full_name": person.full_name,
                "position": person.position,
                "gender": person.gender,
                "date_of_birth": person.date_of_birth,
                "job_role": person.job_role,
                "unit": person.unit_id,
            },
            user=user,
        )
    return render(request, "web/person_edit.html", {"person": person, "form": form})
