"""Every admin page shown in Vietnamese is in Vietnamese: headers, filters, labels, buttons.

Each page is opened in Vietnamese and in English; a piece of the page's own wording (a column
header, a filter, a field label, a fieldset title, a button) that reads the same in both is
untranslated. Data (names, codes of units) is not wording and is not compared. Role codes
and audit action codes must not appear where people read them.
"""

from __future__ import annotations

import contextlib
import html as html_lib
import re
from typing import Any

import pytest
from django.contrib import admin as django_admin
from django.test import Client
from django.urls import NoReverseMatch, reverse

from tests.certification.test_exam import exam_world

__all__ = ["exam_world"]

#: Words that are the same in both languages (names of things, abbreviations).
SAME_IN_BOTH = {"Email", "URL", "SMS", "Zalo", "VNeID", "ID", "JSON", "PDF", "TOTP", "OTP", "IP"}

_WORDING = [
    # column headers of the result list
    r'<th scope="col"[^>]*>(.*?)</th>',
    # filters: their titles and the "show counts" switch
    r"<summary>(.*?)</summary>",
    r'<a href="\?[^"]*_facets[^"]*"[^>]*>(.*?)</a>',
    # form and read-only field labels, fieldset titles
    r"<label[^>]*>(.*?)</label>",
    r'<h2 id="fieldset[^"]*"[^>]*>(.*?)</h2>',
    # buttons
    r'<input type="submit" value="([^"]*)"',
    r"<button[^>]*>(.*?)</button>",
    # the result count ("3 people")
    r'<span class="small quiet">(.*?)</span>',
    r'<p class="paginator">(.*?)</p>',
]


def wording(page: str) -> set[str]:
    body = page.split('id="content"', 1)[-1]
    body = re.sub(r'<nav[^>]*id="nav-sidebar".*?</nav>', " ", body, flags=re.S)
    found: set[str] = set()
    for pattern in _WORDING:
        for raw in re.findall(pattern, body, re.S):
            text = html_lib.unescape(re.sub(r"<[^>]+>", " ", raw))
            text = re.sub(r"\s+", " ", text).strip(" :")
            if re.search(r"[A-Za-z]{3}", text) and text not in SAME_IN_BOTH:
                found.add(text)
    return found


def cells(page: str) -> list[str]:
    table = page.split('id="result_list"', 1)[-1].split("</table>", 1)[0]
    return [
        re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", " ", c))).strip()
        for c in re.findall(r"<t[dh] class=\"field-[^\"]*\"[^>]*>(.*?)</t[dh]>", table, re.S)
    ]


def admin_pages() -> list[str]:
    urls = []
    for model in sorted(django_admin.site._registry, key=lambda m: m._meta.label):
        base = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        urls.append(reverse(f"{base}_changelist"))
        with contextlib.suppress(NoReverseMatch):
            urls.append(reverse(f"{base}_add"))
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            urls.append(reverse(f"{base}_change", args=[first.pk]))
    return urls


def in_language(client: Client, url: str, language: str) -> tuple[int, str]:
    client.cookies["django_language"] = language
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    return response.status_code, response.content.decode()


@pytest.fixture
def superuser(exam_world: Any) -> Any:
    from axes.models import AccessAttempt, AccessFailureLog

    from hocvu.identity.models import User

    # One row in the lists that are empty in a fresh world, so their headers show.
    AccessAttempt.objects.create(username="x", ip_address="10.0.0.1", failures_since_start=1)
    AccessFailureLog.objects.create(username="x", ip_address="10.0.0.1")
    return User.objects.create_superuser("root", password="a-long-password-1")


@pytest.mark.django_db
def test_every_admin_page_in_vietnamese_has_no_english_wording(superuser: Any) -> None:
    client = Client()
    client.force_login(superuser)
    untranslated: dict[str, list[str]] = {}
    pages = 0
    for url in admin_pages():
        status_vi, vi = in_language(client, url, "vi")
        _, en = in_language(client, url, "en")
        if status_vi != 200:
            assert status_vi in {302, 403}, (url, status_vi)
            continue
        pages += 1
        same = sorted(wording(vi) & wording(en))
        if same:
            untranslated[url] = same
    assert pages > 40
    assert not untranslated, "\n".join(f"{u}: {w}" for u, w in untranslated.items())


@pytest.mark.django_db
def test_admin_lists_show_role_titles_and_action_labels_not_codes(superuser: Any) -> None:
    from hocvu.audit.models import AuditEvent
    from hocvu.framework.models import RoleProfile

    client = Client()
    client.force_login(superuser)
    role_codes = set(RoleProfile.objects.values_list("code", flat=True))
    assert role_codes
    _, people = in_language(client, reverse("admin:identity_user_changelist"), "vi")
    shown = cells(people)
    assert shown and not role_codes & set(shown), sorted(role_codes & set(shown))
    assert AuditEvent.objects.exists()
    _, events = in_language(client, reverse("admin:audit_auditevent_changelist"), "vi")
    codes = [c for c in cells(events) if re.fullmatch(r"[a-z_]+(\.[a-z_]+)+", c)]
    assert not codes, codes
    assert not re.search(r">\s*[a-z_]+\.[a-z_]+\s*<", events.split('id="changelist-filter"')[-1])


@pytest.mark.django_db
def test_the_managers_person_form_has_capitalised_labels_without_colons(exam_world: Any) -> None:
    client = Client()
    client.force_login(exam_world.manager_a)
    url = reverse("person-edit", args=[exam_world.learner.pk])
    status, page = in_language(client, url, "vi")
    assert status == 200
    labels = [
        re.sub(r"<[^>]+>", "", raw).strip()
        for raw in re.findall(r"<label[^>]*>(.*?)</label>", page)
    ]
    assert "Họ và tên" in labels and "Đơn vị" in labels
    assert all(label[:1].isupper() and not label.endswith(":") for label in labels), labels


@pytest.mark.django_db
def test_the_person_list_names_roles_without_a_query_per_row(superuser: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from hocvu.identity.services import create_person

    client = Client()
    client.force_login(superuser)
    url = reverse("admin:identity_user_changelist")
    in_language(client, url, "vi")

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert in_language(client, url, "vi")[0] == 200
        return len(ctx.captured_queries)

    from hocvu.organizations.models import Unit

    superuser_unit = Unit.objects.order_by("path").first()
    before = queries()
    for n in range(15):
        create_person(
            username=f"them{n}",
            full_name=f"Người {n}",
            unit=superuser_unit,
            job_role="commune_council",
        )
    assert queries() == before
