"""Privilege escalation through the admin (issue 12): a subtree administrator cannot raise
anyone's rights, cannot reach a unit outside their subtree, and every admin write is in the
hash-chained audit log.

Personas: ``province_admin`` administers province P; ``admin`` administers the whole
tree (national); ``learner`` is in commune A (inside P); ``learner_q`` in commune C (in Q).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin as django_admin
from django.test import Client
from django.urls import reverse

from hocvu.audit.models import AuditEvent
from hocvu.identity.models import Role, RoleAssignment, User
from tests.conftest import PASSWORD, World


@pytest.fixture
def province_admin(world: World) -> Any:
    from hocvu.identity.services import assign_role, create_person

    user = create_person(
        username="province_admin",
        full_name="Phan Văn Tỉnh",
        unit=world.province_p,
        password=PASSWORD,
    )
    assign_role(user, Role.ADMINISTRATOR, world.province_p)
    return user


def client_for(user: Any) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def change_url(person: Any) -> str:
    return reverse("admin:identity_user_change", args=[person.pk])


def form_data(client: Client, url: str) -> dict[str, Any]:
    """The POST a browser would send for the admin form at ``url``, unchanged."""
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    data: dict[str, Any] = {}

    def put(form: Any) -> None:
        for name in form.fields:
            value = form[name].value()
            key = form.add_prefix(name)
            if isinstance(value, bool):
                if value:
                    data[key] = "on"
            elif isinstance(value, list | tuple):
                data[key] = [str(v) for v in value]
            elif value is not None:
                data[key] = str(value.pk if hasattr(value, "pk") else value)

    put(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        put(formset.management_form)
        for form in formset.forms:
            put(form)
    return data


def unit_choices(form: Any, name: str = "unit") -> set[int]:
    return {u.pk for u in form.fields[name].queryset}


# --- the escalation itself ------------------------------------------------------------


def test_subtree_admin_cannot_make_themselves_superuser_or_staff(
    world: World, province_admin: Any
) -> None:
    from django.contrib.auth.models import Group, Permission

    group = Group.objects.create(name="everything")
    group.permissions.set(Permission.objects.all())
    client = client_for(province_admin)
    url = change_url(province_admin)
    data = form_data(client, url)
    assert "is_superuser" not in data
    data.update(
        is_superuser="on",
        groups=[str(group.pk)],
        user_permissions=[str(p.pk) for p in Permission.objects.all()[:5]],
    )
    client.post(url, data)
    province_admin.refresh_from_db()
    assert not province_admin.is_superuser
    assert not province_admin.user_permissions.exists() and not province_admin.groups.exists()
    # and the whole country stays out of reach
    assert client.get(change_url(world.learner_q)).status_code in {302, 404}


def test_subtree_admin_cannot_raise_a_learner(world: World, province_admin: Any) -> None:
    client = client_for(province_admin)
    url = change_url(world.learner)
    data = form_data(client, url)
    data.update(is_superuser="on", is_staff="on")
    response = client.post(url, data)
    assert response.status_code in {200, 302}
    world.learner.refresh_from_db()
    assert not world.learner.is_superuser and not world.learner.is_staff


def test_subtree_admin_cannot_grant_administrator_or_author_roles(
    world: World, province_admin: Any
) -> None:
    client = client_for(province_admin)
    url = change_url(world.learner)
    for role in (Role.ADMINISTRATOR, Role.AUTHOR):
        data = form_data(client, url)
        total = int(data["role_assignments-TOTAL_FORMS"])
        data["role_assignments-TOTAL_FORMS"] = str(total + 1)
        data[f"role_assignments-{total}-role"] = role
        data[f"role_assignments-{total}-unit"] = str(world.commune_a.pk)
        data[f"role_assignments-{total}-user"] = str(world.learner.pk)
        response = client.post(url, data)
        assert response.status_code == 200  # the form again, with the error
        assert not RoleAssignment.objects.filter(user=world.learner, role=role).exists()


def test_subtree_admin_cannot_remove_an_administrator_role(
    world: World, province_admin: Any
) -> None:
    from hocvu.identity.services import assign_role

    assign_role(world.manager_a, Role.ADMINISTRATOR, world.commune_a)
    client = client_for(province_admin)
    url = change_url(world.manager_a)
    data = form_data(client, url)
    for n in range(int(data["role_assignments-TOTAL_FORMS"])):
        if data.get(f"role_assignments-{n}-role") == Role.ADMINISTRATOR:
            data[f"role_assignments-{n}-DELETE"] = "on"
    client.post(url, data)
    assert RoleAssignment.objects.filter(user=world.manager_a, role=Role.ADMINISTRATOR).exists()


def test_subtree_admin_cannot_change_a_national_administrator_in_their_unit(
    world: World, province_admin: Any
) -> None:
    national = User.objects.create_user(
        "national_in_p", PASSWORD, full_name="Quản Trị Quốc Gia", unit=world.commune_a
    )
    RoleAssignment.objects.create(user=national, role=Role.ADMINISTRATOR, unit=world.root)
    client = client_for(province_admin)
    url = change_url(national)
    response = client.get(url)
    assert response.status_code == 200 and not response.context["has_change_permission"]
    data = form_data(client, url)
    data.pop("is_active", None)
    client.post(url, data)
    national.refresh_from_db()
    assert national.is_active


# --- units: only the editor's subtree --------------------------------------------------


def test_unit_fields_offer_only_the_editors_subtree(world: World, province_admin: Any) -> None:
    client = client_for(province_admin)
    subtree = {world.province_p.pk, world.commune_a.pk, world.commune_b.pk}
    response = client.get(reverse("admin:identity_user_add"))
    assert response.status_code == 200
    assert unit_choices(response.context["adminform"].form) == subtree
    response = client.get(change_url(world.learner))
    assert unit_choices(response.context["adminform"].form) == subtree
    inline = response.context["inline_admin_formsets"][0].formset
    assert unit_choices(inline.empty_form) == subtree


def test_a_posted_outside_unit_is_refused(world: World, province_admin: Any) -> None:
    client = client_for(province_admin)
    url = change_url(world.learner)
    data = form_data(client, url)
    data["unit"] = str(world.commune_q.pk)
    assert client.post(url, data).status_code == 200
    world.learner.refresh_from_db()
    assert world.learner.unit_id == world.commune_a.pk

    data = form_data(client, url)
    total = int(data["role_assignments-TOTAL_FORMS"])
    data["role_assignments-TOTAL_FORMS"] = str(total + 1)
    data[f"role_assignments-{total}-role"] = Role.UNIT_MANAGER
    data[f"role_assignments-{total}-unit"] = str(world.province_q.pk)
    data[f"role_assignments-{total}-user"] = str(world.learner.pk)
    assert client.post(url, data).status_code == 200
    assert not RoleAssignment.objects.filter(user=world.learner, unit=world.province_q).exists()


def test_subtree_admin_cannot_create_people_outside_or_superusers(
    world: World, province_admin: Any
) -> None:
    client = client_for(province_admin)
    url = reverse("admin:identity_user_add")
    base = form_data(client, url)
    base.update(username="ke_la", full_name="Kẻ Lạ", date_joined_0="2026-01-01")
    for extra in (
        {"unit": str(world.commune_q.pk)},
        {"unit": ""},
        {"unit": str(world.commune_a.pk), "is_superuser": "on", "is_staff": "on"},
    ):
        client.post(url, {**base, **extra})
        created = User.objects.filter(username="ke_la").first()
        if created is not None:  # only the last one is a valid form
            assert created.unit_id == world.commune_a.pk
            assert not created.is_superuser and not created.is_staff
    assert not User.objects.filter(username="ke_la", unit=world.commune_q).exists()


def test_subtree_admin_can_still_manage_their_people(world: World, province_admin: Any) -> None:
    client = client_for(province_admin)
    url = change_url(world.learner)
    data = form_data(client, url)
    data["position"] = "Đại biểu"
    data["unit"] = str(world.commune_b.pk)
    total = int(data["role_assignments-TOTAL_FORMS"])
    data["role_assignments-TOTAL_FORMS"] = str(total + 1)
    data[f"role_assignments-{total}-role"] = Role.UNIT_MANAGER
    data[f"role_assignments-{total}-unit"] = str(world.commune_b.pk)
    data[f"role_assignments-{total}-user"] = str(world.learner.pk)
    assert client.post(url, data).status_code == 302
    world.learner.refresh_from_db()
    assert world.learner.position == "Đại biểu" and world.learner.unit_id == world.commune_b.pk
    assert RoleAssignment.objects.filter(user=world.learner, role=Role.UNIT_MANAGER).exists()


def test_national_admin_grants_staff_and_administrator_rights(world: World) -> None:
    client = client_for(world.admin)
    url = change_url(world.learner)
    data = form_data(client, url)
    data["is_staff"] = "on"
    total = int(data["role_assignments-TOTAL_FORMS"])
    data["role_assignments-TOTAL_FORMS"] = str(total + 1)
    data[f"role_assignments-{total}-role"] = Role.ADMINISTRATOR
    data[f"role_assignments-{total}-unit"] = str(world.province_q.pk)
    data[f"role_assignments-{total}-user"] = str(world.learner.pk)
    assert client.post(url, data).status_code == 302
    world.learner.refresh_from_db()
    assert world.learner.is_staff
    assert RoleAssignment.objects.filter(
        user=world.learner, role=Role.ADMINISTRATOR, unit=world.province_q
    ).exists()


# --- the audit chain ---------------------------------------------------------------------


def test_every_admin_write_is_in_the_audit_chain(world: World, province_admin: Any) -> None:
    from hocvu.audit.services import verify_chain

    client = client_for(province_admin)
    url = change_url(world.learner)
    data = form_data(client, url)
    data["position"] = "Thư ký"
    assert client.post(url, data).status_code == 302
    event = AuditEvent.objects.filter(action="admin.change").latest("seq")
    assert event.actor_id == province_admin.pk and event.object_id == str(world.learner.pk)
    assert event.object_type == "identity.user"
    assert event.unit_path == world.commune_a.path  # so the province's administrators see it
    assert "Thư ký" not in str(event.data)  # field names, never values

    add = reverse("admin:identity_user_add")
    data = form_data(client, add)
    data.update(username="moi", full_name="Người Mới", unit=str(world.commune_b.pk))
    data.update(date_joined_0="2026-01-01", date_joined_1="00:00:00")
    assert client.post(add, data).status_code == 302
    assert AuditEvent.objects.filter(
        action="admin.add", object_id=str(User.objects.get(username="moi").pk)
    ).exists()
    assert verify_chain() is None


def test_admin_actions_are_audited(world: World) -> None:
    item = world.items[0]
    client = client_for(world.author)
    url = reverse("admin:content_item_changelist")
    client.post(url, {"action": "retire", "_selected_action": [str(item.pk)]})
    event = AuditEvent.objects.filter(action="admin.action").latest("seq")
    assert event.data["action"] == "retire" and event.data["ids"] == [str(item.pk)]
    assert event.actor_id == world.author.pk


def test_every_registered_admin_is_audited() -> None:
    from hocvu.audit.admin_base import AuditedAdmin

    plain = [
        type(model_admin).__name__
        for model_admin in django_admin.site._registry.values()
        if not isinstance(model_admin, AuditedAdmin)
    ]
    assert plain == []
