"""Two-step login (TOTP) for staff: enrolment, codes, recovery codes, and no way around it.

A staff session that has passed only the password reaches no admin, manage, unit or people
page (nor their API) until an authenticator code is checked; learners are never asked.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import get_resolver, reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from hocvu.audit.models import AuditEvent
from hocvu.identity.models import Role
from hocvu.identity.services import assign_role
from tests.conftest import World, current_code, login_without_second_factor, verified_device
from tests.identity.test_access_walk import iter_patterns, urls_for

STAFF = ("admin", "author", "manager_a", "province_manager")
GUARDED = ("/admin/", "/admin-tools/", "/manage/", "/units/", "/people/")


def unverified(user: Any) -> Client:
    client = Client()
    login_without_second_factor(client, user)
    return client


def guarded_urls(world: World) -> list[str]:
    urls: set[str] = set()
    for name, _pattern, kwargs in iter_patterns(get_resolver().url_patterns):
        try:
            filled = urls_for(world, name, kwargs)
        except (AssertionError, AttributeError):
            continue
        urls.update(url for url, _k, _t in filled if url.startswith(GUARDED))
    return sorted(urls)


@pytest.mark.django_db
@pytest.mark.parametrize("persona", STAFF)
def test_staff_without_a_verified_device_reach_no_admin_or_manage_page(
    world: World, persona: str
) -> None:
    urls = guarded_urls(world)
    assert any(u.startswith("/admin/") for u in urls) and any(
        u.startswith("/manage/") for u in urls
    )
    assert len(urls) > 40
    client = unverified(getattr(world, persona))
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, (persona, url, response.status_code)
        assert response["Location"].startswith("/account/second-factor/"), (persona, url)
        response = client.post(url, {})
        assert response.status_code == 302, (persona, url, response.status_code)
        assert response["Location"].startswith("/account/second-factor/"), (persona, url)
    # The learner side too, and the API answers JSON.
    assert client.get(reverse("learn"))["Location"].startswith("/account/second-factor/")
    api = client.get(f"/api/v1/people/{world.learner.pk}")
    assert api.status_code == 403
    assert api.json()["code"] == "second_factor_required"
    # Logout, language and static files stay reachable.
    assert client.get("/static/hocvu/site.css").status_code == 200
    assert client.post(reverse("logout")).status_code == 302


@pytest.mark.django_db
def test_the_same_staff_with_a_verified_device_reach_their_pages(world: World) -> None:
    client = Client()
    client.force_login(world.admin)  # the test helper: verified as after a code
    assert client.get("/admin/").status_code == 200
    manage = client.get(reverse("manage"), follow=True)
    assert manage.status_code == 200 and "/account/" not in manage.redirect_chain[-1][0]


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["learner", "learner_b", "outsider"])
def test_learners_are_never_asked(world: World, persona: str) -> None:
    client = unverified(getattr(world, persona))
    assert client.get(reverse("home")).status_code == 200
    assert client.get(reverse("learn")).status_code == 200
    assert not TOTPDevice.objects.filter(user=getattr(world, persona)).exists()


@pytest.mark.django_db
def test_a_role_granted_during_the_session_needs_the_second_factor(world: World) -> None:
    client = unverified(world.learner)
    assert client.get(reverse("learn")).status_code == 200
    assign_role(world.learner, Role.UNIT_MANAGER, world.commune_a)
    response = client.get(reverse("manage"))
    assert response.status_code == 302
    assert response["Location"].startswith("/account/second-factor/")
    assert client.get(reverse("unit", args=[world.commune_a.pk])).status_code == 302


@pytest.mark.django_db
def test_enrolment_shows_a_qr_code_and_confirms_with_a_code(world: World) -> None:
    client = unverified(world.admin)
    page = client.get(reverse("second-factor") + "?next=/admin/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html and "Thiết lập đăng nhập hai bước" in html
    secret = re.search(r'id="otp-secret">([A-Z2-7 ]+)<', html)
    assert secret is not None
    device = TOTPDevice.objects.get(user=world.admin)
    assert not device.confirmed
    assert secret.group(1).replace(" ", "") in device.config_url
    assert "issuer=hocvu" in device.config_url
    # The same pending device while enrolling (a reload does not change the secret).
    assert secret.group(1) in client.get(reverse("second-factor")).content.decode()
    wrong = client.post(reverse("second-factor"), {"code": "000000", "next": "/admin/"})
    assert wrong.status_code == 400
    assert "không đúng" in wrong.content.decode()
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)
    device.refresh_from_db()
    done = client.post(reverse("second-factor"), {"code": current_code(device), "next": "/admin/"})
    assert done.status_code == 302 and done["Location"].startswith(reverse("second-factor-codes"))
    codes_page = client.get(done["Location"])
    codes = re.findall(r"<li><code>([a-z2-7]+)</code></li>", codes_page.content.decode())
    assert len(codes) == 10
    assert 'href="/admin/"' in codes_page.content.decode()
    # Shown once.
    assert (
        re.findall(r"<li><code>", client.get(reverse("second-factor-codes")).content.decode()) == []
    )
    assert client.get("/admin/").status_code == 200
    device.refresh_from_db()
    assert device.confirmed
    assert AuditEvent.objects.filter(
        action="identity.second_factor.enrolled", object_id=str(world.admin.pk)
    ).exists()


@pytest.mark.django_db
def test_a_code_from_the_app_works_once_and_wrong_codes_are_throttled(world: World) -> None:
    device = verified_device(world.manager_a)
    client = unverified(world.manager_a)
    page = client.get(reverse("manage"))
    assert page["Location"] == reverse("second-factor") + "?next=/manage/"
    form = client.get(page["Location"])
    assert "Đăng nhập hai bước" in form.content.decode()
    code = current_code(device)
    ok = client.post(reverse("second-factor"), {"code": code, "next": "/manage/"})
    assert ok.status_code == 302 and ok["Location"] == "/manage/"
    manage = client.get("/manage/", follow=True)
    assert manage.status_code == 200 and "/account/" not in manage.redirect_chain[-1][0]
    # The same code again, in another session: refused (one use per time step).
    other = unverified(world.manager_a)
    again = other.post(reverse("second-factor"), {"code": code})
    assert again.status_code == 400
    # After a wrong code, the next try waits (even with the right code).
    verified_device(world.manager_a)
    wrong = other.post(
        reverse("second-factor"), {"code": "123456" if code != "123456" else "654321"}
    )
    assert wrong.status_code == 400
    device.refresh_from_db()
    blocked = other.post(reverse("second-factor"), {"code": current_code(device)})
    assert blocked.status_code == 429
    assert other.get("/manage/")["Location"].startswith("/account/second-factor/")


@pytest.mark.django_db
def test_a_recovery_code_works_once_and_is_audited(world: World) -> None:
    from hocvu.identity.second_factor import new_recovery_codes

    verified_device(world.author)
    codes = new_recovery_codes(world.author)
    client = unverified(world.author)
    used = client.post(reverse("second-factor"), {"code": codes[0].upper()})
    assert used.status_code == 302 and "used=1" in used["Location"]
    assert "9" in client.get(used["Location"]).content.decode()  # codes left
    assert client.get("/admin/").status_code == 200
    assert AuditEvent.objects.filter(action="identity.second_factor.recovery_used").count() == 1
    again = unverified(world.author).post(reverse("second-factor"), {"code": codes[0]})
    assert again.status_code == 400
    assert StaticDevice.objects.get(user=world.author).token_set.count() == 9


@pytest.mark.django_db
def test_next_never_leaves_the_site(world: World) -> None:
    device = verified_device(world.admin)
    client = unverified(world.admin)
    response = client.post(
        reverse("second-factor"), {"code": current_code(device), "next": "https://evil.example/"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("home")


@pytest.mark.django_db
def test_reset_second_factor_forgets_the_devices(world: World) -> None:
    from hocvu.identity.second_factor import new_recovery_codes

    verified_device(world.admin)
    new_recovery_codes(world.admin)
    call_command("reset_second_factor", "admin")
    assert not TOTPDevice.objects.filter(user=world.admin).exists()
    assert not StaticDevice.objects.filter(user=world.admin).exists()
    assert AuditEvent.objects.filter(action="identity.second_factor.reset").exists()
    page = unverified(world.admin).get(reverse("second-factor"))
    assert "<svg" in page.content.decode()  # enrol again
