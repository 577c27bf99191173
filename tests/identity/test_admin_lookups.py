"""Admin list filters never look into a secret (issue 12: ``password__startswith=`` gave a
hash away one character a request). Every registered admin, every sensitive field."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin as django_admin
from django.db.models import ForeignKey
from django.test import Client
from django.urls import reverse

from hocvu.identity.models import User
from tests.conftest import PASSWORD, World

SENSITIVE_FIELDS = {
    "password",
    "national_id",
    "national_id_index",
    "token_hash",
    "code_hash",
    "private_key_encrypted",
}


def probes(model: Any) -> list[str]:
    """Lookups reaching a sensitive field of ``model`` or of a model it points to."""
    found = []
    for field in model._meta.get_fields():
        if field.name in SENSITIVE_FIELDS:
            found.append(f"{field.name}__startswith")
        if isinstance(field, ForeignKey):
            related: Any = field.related_model
            for inner in related._meta.get_fields():
                if inner.name in SENSITIVE_FIELDS:
                    found.append(f"{field.name}__{inner.name}__startswith")
    return found


def test_every_admin_refuses_lookups_on_secrets(world: World) -> None:
    root = User.objects.create_superuser("root", PASSWORD, full_name="Gốc")
    client = Client()
    assert client.login(username="root", password=PASSWORD)
    tried = 0
    for model in django_admin.site._registry:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for lookup in probes(model):
            response = client.get(url, {lookup: "md5$"})
            tried += 1
            assert response.status_code == 400, (url, lookup, response.status_code)
    assert tried >= 3
    # The person list itself: a hash prefix gives nothing away.
    url = reverse("admin:identity_user_changelist")
    assert client.get(url, {"password__startswith": root.password[:4]}).status_code == 400
    assert client.get(url, {"national_id_index__gt": ""}).status_code == 400
    assert client.get(url, {"full_name__startswith": "Đặng"}).status_code == 200


@pytest.mark.parametrize("persona", ["admin", "author"])
def test_scoped_staff_are_refused_too(world: World, persona: str) -> None:
    client = Client()
    assert client.login(username=getattr(world, persona).username, password=PASSWORD)
    for url, lookup in (
        (reverse("admin:identity_user_changelist"), "password__startswith"),
        (reverse("admin:content_item_changelist"), "competence__version__areas__code"),
    ):
        status = client.get(url, {lookup: "x"}).status_code
        assert status in {400, 403}, (url, lookup, status)
