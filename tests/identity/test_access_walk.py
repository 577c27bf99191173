"""Walk every URL the project defines, as every persona, in and out of scope.

For each URL: no server error, and no name of a person or unit outside the persona's
scope appears in the answer. URLs that name a unit or a person answer 200 exactly when
the persona may see it. Admin URLs open only to the national administrator (and to the
author for framework models).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.certification.test_exam import exam_world
from tests.conftest import PASSWORD, World

__all__ = ["exam_world"]

DENIED = {302, 401, 403, 404, 405}
#: Pages that need a query to show anything (without it they answer 400 by design).
QUERIES = {"manage-quality-people": "?issue=no_gender"}


def iter_patterns(patterns: list[Any], ns: str = "") -> Iterator[tuple[str, URLPattern, set[str]]]:
    for p in patterns:
        if isinstance(p, URLResolver):
            inner_ns = f"{ns}{p.namespace}:" if p.namespace else ns
            outer = set(p.pattern.regex.groupindex)
            for name, pat, kwargs in iter_patterns(p.url_patterns, inner_ns):
                yield name, pat, kwargs | outer
        elif isinstance(p, URLPattern) and p.name:
            yield f"{ns}{p.name}", p, set(p.pattern.regex.groupindex)


def visible_people(world: World) -> dict[str, set[str]]:
    everyone = {
        world.learner,
        world.learner_b,
        world.learner_q,
        world.manager_a,
        world.manager_b,
        world.province_manager,
        world.other_province_manager,
        world.admin,
        world.author,
        world.outsider,
    }
    return {
        "anonymous": set(),
        "outsider": {world.outsider.full_name},
        "learner": {world.learner.full_name},
        "author": {world.author.full_name},
        "manager_a": {world.learner.full_name, world.manager_a.full_name},
        "manager_b": {world.learner_b.full_name, world.manager_b.full_name},
        "province_manager": {
            p.full_name
            for p in (
                world.learner,
                world.learner_b,
                world.manager_a,
                world.manager_b,
                world.province_manager,
            )
        },
        "other_province_manager": {
            world.learner_q.full_name,
            world.other_province_manager.full_name,
        },
        "admin": {p.full_name for p in everyone},
    }


def visible_units(world: World) -> dict[str, set[str]]:
    all_units = {
        world.commune_a,
        world.commune_b,
        world.commune_q,
        world.province_p,
        world.province_q,
    }
    return {
        "anonymous": set(),
        "outsider": set(),
        "learner": {world.commune_a.name},  # their own unit, shown on their own pages
        "author": set(),
        "manager_a": {world.commune_a.name},
        "manager_b": {world.commune_b.name},
        "province_manager": {world.province_p.name, world.commune_a.name, world.commune_b.name},
        "other_province_manager": {world.province_q.name, world.commune_q.name},
        "admin": {u.name for u in all_units},
    }


def urls_for(world: World, name: str, kwargs: set[str]) -> list[tuple[str, str, Any]]:
    """Concrete URLs for one pattern: (url, kind of target, target)."""
    units = [world.commune_a, world.commune_b, world.commune_q, world.province_p, world.province_q]
    people = [world.learner, world.learner_b, world.learner_q, world.manager_b]
    if not kwargs:
        return [(reverse(name), "", None)]
    if kwargs == {"unit_id"}:
        query = QUERIES.get(name, "")
        return [(reverse(name, kwargs={"unit_id": u.pk}) + query, "unit", u) for u in units]
    if kwargs == {"person_id"}:
        return [(reverse(name, kwargs={"person_id": p.pk}), "person", p) for p in people]
    if kwargs == {"attempt_id"}:
        return [(reverse(name, kwargs={"attempt_id": world.attempt.pk}), "attempt", world.attempt)]
    if kwargs == {"attempt_id", "item_uid"}:
        url = reverse(name, kwargs={"attempt_id": world.attempt.pk, "item_uid": world.items[0].uid})
        return [(url, "attempt", world.attempt)]
    if kwargs == {"lesson_id"}:
        return [(reverse(name, kwargs={"lesson_id": world.lesson.pk}), "content", None)]
    if kwargs == {"lesson_id", "variant"}:  # a lecture's recording (tests/content: media)
        url = reverse(name, kwargs={"lesson_id": world.lesson.pk, "variant": "low"})
        return [(url, "content", None)]
    if kwargs == {"module_id"}:
        return [(reverse(name, kwargs={"module_id": world.module.pk}), "content", None)]
    if kwargs == {"credential_id"}:
        # Public verification shows the holder's name by design: the walk uses an unknown id
        # (tests/credentials cover real certificates and the owner-only PDF).
        return [(reverse(name, kwargs={"credential_id": uuid.uuid4()}), "", None)]
    if kwargs == {"list_id"}:
        return [(reverse(name, kwargs={"list_id": 1}), "", None)]
    if kwargs == {"import_id"}:  # roster imports: scope is tested in tests/roster
        return [(reverse(name, kwargs={"import_id": 1}), "", None)]
    if kwargs == {"name"}:
        return [(reverse(name, kwargs={"name": "a4-phishing-email.svg"}), "", None)]
    if kwargs == {"code"}:
        code = "na_deputy" if "role" in name else "1.1"
        return [(reverse(name, kwargs={"code": code}), "", None)]
    if name.startswith("admin:") and "object_id" in kwargs and "content_type_id" not in kwargs:
        if "identity_user" in name:
            return [(reverse(name, kwargs={"object_id": p.pk}), "admin-person", p) for p in people]
        if "organizations_unit" in name:
            return [(reverse(name, kwargs={"object_id": u.pk}), "admin-unit", u) for u in units]
        return [(reverse(name, kwargs={"object_id": 1}), "admin", None)]
    if kwargs == {"app_label"}:
        labels = ["identity", "organizations", "framework", "audit", "content", "credentials"]
        return [(reverse(name, kwargs={"app_label": label}), "admin", None) for label in labels]
    if kwargs == {"content_type_id", "object_id"}:
        return [(reverse(name, kwargs={"content_type_id": 1, "object_id": 1}), "", None)]
    if kwargs == {"uidb64", "token"}:
        return [(reverse(name, kwargs={"uidb64": "MQ", "token": "set-password"}), "", None)]
    if kwargs == {"url"}:
        return [(reverse(name, kwargs={"url": "nothing/here/"}), "", None)]
    if kwargs == {"request_id"}:
        # A request for help is its learner's (and, once chosen, its mentor's) alone.
        help_request = world.help_request
        return [(reverse(name, kwargs={"request_id": help_request.pk}), "help", help_request)]
    if kwargs == {"data_request_id"}:
        # A person's request about their data: only administrators over them handle it.
        data_request = world.data_request
        url = reverse(name, kwargs={"data_request_id": data_request.pk})
        return [(url, "privacy-request", data_request)]
    if kwargs == {"request_id", "action"}:
        url = reverse(name, kwargs={"request_id": world.help_request.pk, "action": "close"})
        return [(url, "help", world.help_request)]
    if kwargs == {"token"}:
        return [(reverse(name, kwargs={"token": "khong-ton-tai"}), "", None)]
    if kwargs == {"identifier"}:  # CASE 1.1 API: the public framework (tests/framework)
        return [(reverse(name, kwargs={"identifier": uuid.uuid4()}), "", None)]
    if kwargs in ({"campaign_id"}, {"import_id"}):
        (key,) = kwargs
        return [(reverse(name, kwargs={key: 10**6}), "", None)]
    raise AssertionError(f"the walk does not know how to fill {name} {sorted(kwargs)}: extend it")


def client_for(user: Any) -> Client:
    client = Client()
    if user is not None:
        assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.mark.django_db
def test_it_walks_every_url_with_every_persona(world: World) -> None:
    from hocvu.framework.models import Competence
    from hocvu.mentoring.models import HelpRequest

    world.help_request = HelpRequest.objects.create(
        learner=world.learner, competence=Competence.objects.get(code="1.1"), level=2
    )
    from hocvu.privacy.services import open_request

    world.data_request = open_request(world.learner, "correction", "Ngày sinh bị sai")
    people = visible_people(world)
    units = visible_units(world)
    all_people = set().union(*people.values())
    all_units = set().union(*units.values())
    patterns = list(iter_patterns(get_resolver().url_patterns))
    assert len(patterns) > 40  # the walk really covers the project, admin and API
    checked = 0
    for persona, user in world.personas().items():
        client = client_for(user)
        forbidden_names = (all_people - people[persona]) | (all_units - units[persona])
        for name, _pattern, kwargs in patterns:
            for url, kind, target in urls_for(world, name, kwargs):
                response = client.get(url)
                checked += 1
                assert response.status_code < 500, (persona, url, response.status_code)
                raw = response.getvalue()  # the content, joined when it is streamed
                body = raw.decode("utf-8", "replace")
                for leaked in forbidden_names:
                    assert leaked not in body, f"{persona} sees {leaked!r} at {url}"
                if kind == "unit" and response.status_code == 405:
                    pass  # a POST-only action on a unit (its scope is tested with its feature)
                elif kind == "unit":
                    allowed = target.name in units[persona] and persona != "learner"
                    assert (response.status_code == 200) == allowed, (persona, url)
                elif kind == "person":
                    allowed = target.full_name in people[persona]
                    if name.endswith("person-edit"):
                        allowed = allowed and persona in {
                            "manager_a",
                            "manager_b",
                            "province_manager",
                            "other_province_manager",
                            "admin",
                        }
                    assert (response.status_code == 200) == allowed, (
                        persona,
                        url,
                        response.status_code,
                    )
                elif kind == "attempt":
                    # An attempt is its learner's alone.
                    allowed = persona == "learner" and name in {"practice", "api:attempt_state"}
                    status = response.status_code
                    assert (status == 200) == allowed, (persona, url, status)
                elif kind == "privacy-request":
                    # The learner's unit (commune A) is only in the national administrator's
                    # subtree among the personas; managers are not administrators.
                    allowed = persona == "admin"
                    status = response.status_code
                    assert (status == 200) == allowed, (persona, url, status)
                elif kind == "help":
                    allowed = persona == "learner" and name == "mentoring-request"
                    status = response.status_code
                    assert (status == 200) == allowed, (persona, url, status)
                elif kind == "content" and persona == "anonymous":
                    assert response.status_code in DENIED, (persona, url)
                elif kind.startswith("admin-"):
                    # Units and people are never deleted, only deactivated or moved.
                    allowed = persona == "admin" and not url.endswith("/delete/")
                    assert (response.status_code == 200) == allowed, (persona, url)
                elif kind == "admin" and persona not in {"admin", "author"}:
                    assert response.status_code in DENIED, (persona, url)
    assert checked > 500


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("persona", "target", "allowed"),
    [
        ("manager_a", "learner", True),
        ("manager_a", "learner_b", False),
        ("manager_b", "learner", False),
        ("province_manager", "learner_b", True),
        ("other_province_manager", "learner", False),
        ("learner", "learner", False),
        ("outsider", "learner", False),
    ],
)
def test_it_changes_a_person_only_in_scope(
    world: World, persona: str, target: str, allowed: bool
) -> None:
    user = getattr(world, persona)
    person = getattr(world, target)
    client = client_for(user)
    url = reverse("person-edit", kwargs={"person_id": person.pk})
    form = {"full_name": "Tên Đã Đổi", "unit": world.commune_a.pk, "position": "x"}
    response = client.post(url, form)
    person.refresh_from_db()
    if allowed:
        assert response.status_code == 302
        assert person.full_name == "Tên Đã Đổi"
    else:
        assert response.status_code == 404
        assert person.full_name != "Tên Đã Đổi"

    api = client.patch(
        reverse("api:patch_person", kwargs={"person_id": person.pk}),
        data={"position": "Đổi qua API"},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value if "csrftoken" in client.cookies else "",
    )
    person.refresh_from_db()
    assert (person.position == "Đổi qua API") == allowed, api.content
    assert (api.status_code == 200) == allowed


@pytest.mark.django_db
def test_a_manager_cannot_move_a_person_out_of_their_scope(world: World) -> None:
    client = client_for(world.manager_a)
    url = reverse("person-edit", kwargs={"person_id": world.learner.pk})
    response = client.post(url, {"full_name": "Đặng Thị Mai", "unit": world.commune_b.pk})
    assert response.status_code == 200  # the form re-renders with an error
    assert re.search(r"errorlist", response.content.decode())
    world.learner.refresh_from_db()
    assert world.learner.unit_id == world.commune_a.pk


# ---------------------------------------------------------------------------------------
# Certificates, their PDFs and every admin list, with a subtree administrator too
# ---------------------------------------------------------------------------------------

#: Admin lists of the whole tree's own objects (no unit): national administrators only.
NATIONAL_ONLY = {"credentials_issuerkey", "credentials_achievement", "credentials_eidoutbox"}
#: Admin lists filtered to the viewer's subtree: administrators (national or of a subtree).
SUBTREE_LISTS = {
    "identity_user",
    "organizations_unit",
    "credentials_credential",
    "audit_auditevent",
}
#: Framework and content models: authors and administrators ("framework.edit").
AUTHORING_APPS = {"framework", "content"}


@pytest.mark.django_db
def test_it_walks_certificates_pdfs_and_every_admin_list_with_every_persona(
    exam_world: World,
) -> None:
    from django.contrib import admin as django_admin

    from hocvu.credentials import services as credentials
    from hocvu.identity.models import Role
    from hocvu.identity.services import assign_role, create_person

    world = exam_world
    province_admin = create_person(
        username="province_admin",
        full_name="Phan Văn Tỉnh",
        unit=world.province_p,
        password=PASSWORD,
    )
    assign_role(province_admin, Role.ADMINISTRATOR, world.province_p)
    own = credentials.issue_credential(world.learner, world.achievement)
    other = credentials.issue_credential(world.learner_q, world.achievement)

    personas = {**world.personas(), "province_admin": province_admin}
    people = visible_people(world)
    people["province_admin"] = people["province_manager"] | {province_admin.full_name}
    people["admin"] = people["admin"] | {province_admin.full_name}
    everyone = set().union(*people.values())
    models = sorted((m._meta.app_label, m._meta.model_name) for m in django_admin.site._registry)
    assert ("credentials", "credential") in models and ("audit", "auditevent") in models

    checked = 0
    for persona, user in personas.items():
        client = client_for(user)
        forbidden = everyone - people[persona]
        urls: list[tuple[str, set[str]]] = [
            (
                reverse("credential-pdf", kwargs={"credential_id": own.pk}),
                {"learner", "admin", "province_admin"},
            ),
            (reverse("credential-pdf", kwargs={"credential_id": other.pk}), {"admin"}),
        ]
        for app, model in models:
            key = f"{app}_{model}"
            if key in NATIONAL_ONLY:
                allowed = {"admin"}
            elif key in SUBTREE_LISTS:
                allowed = {"admin", "province_admin"}
            elif app in AUTHORING_APPS:
                allowed = {"admin", "author", "province_admin"}
            else:
                allowed = set()  # checked below only for the denial of non-staff personas
            urls.append((reverse(f"admin:{key}_changelist"), allowed))
        for cred, allowed in ((own, {"admin", "province_admin"}), (other, {"admin"})):
            urls.append((reverse("admin:credentials_credential_change", args=[cred.pk]), allowed))
        for url, allowed in urls:
            response = client.get(url)
            checked += 1
            status = response.status_code
            assert status < 500, (persona, url, status)
            if allowed or "/admin/" not in url:
                assert (status == 200) == (persona in allowed), (persona, url, status)
            elif persona not in {"admin", "author", "province_admin"}:
                assert status in DENIED, (persona, url, status)
            if status == 200 and not url.endswith(".pdf"):
                body = response.content.decode("utf-8", "replace")
                for leaked in forbidden:
                    assert leaked not in body, f"{persona} sees {leaked!r} at {url}"
        # The public verification page names the holder by design, and nothing else.
        for cred in (own, other):
            page = client.get(reverse("verify-credential", kwargs={"credential_id": cred.pk}))
            assert page.status_code == 200
            checked += 1
    assert checked > 10 * len(personas)


@pytest.mark.django_db
def test_secure_exam_items_are_shown_to_content_authors_only(exam_world: World) -> None:
    """The admin's item list, an exam item's page, the autocomplete and the search:
    secure exam items (and their keys) for people with ``item.view_secure`` alone; an
    administrator sees the learning items only, everyone else nothing."""
    from hocvu.content.models import Item, ItemPool
    from hocvu.identity import access

    world = exam_world
    secure = Item.objects.filter(pool=ItemPool.EXAM).order_by("code").first()
    assert secure is not None
    learning = world.items[0]
    assert access.PERMISSIONS["item.view_secure"] == frozenset({"author"})
    changelist = reverse("admin:content_item_changelist")
    for persona, user in world.personas().items():
        client = client_for(user)
        listing = client.get(changelist + "?q=X-")
        page = client.get(reverse("admin:content_item_change", args=[secure.pk]))
        own = client.get(reverse("admin:content_item_change", args=[learning.pk]))
        search = client.get(
            reverse("admin:autocomplete"),
            {"app_label": "content", "model_name": "item", "field_name": "enemies", "term": "X"},
        )
        bodies = [r.content.decode("utf-8", "replace") for r in (listing, page, search)]
        assert all(r.status_code < 500 for r in (listing, page, own, search)), persona
        if persona == "author":
            assert page.status_code == 200 and secure.explanation in bodies[1]
            assert secure.code in bodies[0] and secure.code in bodies[2]
            assert 'name="pool"' in page.content.decode()  # an author sets the pool
        else:
            # Not found (or no admin at all), and no trace of it in any list.
            assert page.status_code in DENIED, (persona, page.status_code)
            for body in bodies:
                assert secure.code not in body and secure.explanation not in body, persona
        if persona == "admin":
            assert own.status_code == 200 and listing.status_code == 200
            assert 'name="pool"' not in own.content.decode()  # cannot fill the secure pool
