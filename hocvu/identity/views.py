"""A person's page and its edit form (the person, their manager, an administrator).

Authorization goes through ``hocvu.identity.access``; writes through
``hocvu.identity.services.update_person``.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from hocvu.framework import services as framework
from hocvu.identity import access
from hocvu.identity.models import Gender, User
from hocvu.identity.services import update_person
from hocvu.organizations.models import Unit


@login_required
def person_detail(request: HttpRequest, person_id: int) -> HttpResponse:
    person = access.person_for(request.user, person_id, "person.view")
    can_manage = person.unit is not None and access.can(request.user, "person.manage", person.unit)
    return render(request, "identity/person.html", {"person": person, "can_manage": can_manage})


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

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        for each in self.fields.values():
            # Labels as headings of their fields ("Họ và tên"), not "họ và tên:".
            each.label = capfirst(each.label)
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
            try:
                update_person(person, form.cleaned_data, actor=user)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
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
    return render(request, "identity/person_edit.html", {"person": person, "form": form})
