"""Personal-data rights (Law 91/2025/QH15, Decree 356/2025/NĐ-CP; docs/privacy.md).

The notice is asked at the first page after login and again for a new version, and the
consent is stored with its time and version; a person downloads everything held about them
(JSON and a readable page) and asks for a correction or deletion; requests carry their
deadlines, administrators see those of their subtree only, overdue ones highlighted.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from hocvu.audit.models import AuditEvent
from hocvu.identity.models import Role
from hocvu.identity.services import assign_role, create_person
from hocvu.privacy import services
from hocvu.privacy.models import Consent, DataRequest, RequestStatus
from tests.conftest import PASSWORD, World

pytestmark = pytest.mark.django_db

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture(autouse=True)
def _gate_on(settings: Any) -> None:
    settings.HOCVU_PRIVACY_CONSENT_GATE = True
    settings.HOCVU_PRIVACY_ANSWER_WORKING_DAYS = 2
    settings.HOCVU_PRIVACY_COMPLETE_DAYS = 10


def logged_in(user: Any) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_the_notice_comes_first_and_consent_is_recorded_with_time_and_version(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = logged_in(world.learner)
    first = client.get(reverse("learn"))
    assert first.status_code == 302
    assert first["Location"] == reverse("privacy-notice") + "?next=/learn/"
    page = client.get(first["Location"])
    text = page.content.decode()
    assert "Thông báo về xử lý dữ liệu cá nhân" in text and "91/2025/QH15" in text
    assert 'value="yes"' in text and "Không đồng ý" in text
    api = client.get(f"/api/v1/people/{world.learner.pk}")
    assert api.status_code == 403 and api.json()["code"] == "consent_required"
    before = timezone.now()
    agreed = client.post(reverse("privacy-notice"), {"agree": "yes", "next": "/learn/"})
    assert agreed.status_code == 302 and agreed["Location"] == "/learn/"
    (consent,) = Consent.objects.filter(person=world.learner)
    assert consent.notice_version == services.NOTICE_VERSION
    assert before <= consent.given_at <= timezone.now()
    assert AuditEvent.objects.filter(action="privacy.consent").count() == 1
    assert client.get(reverse("learn")).status_code == 200
    # A new version of the notice: asked again, a second consent is stored.
    monkeypatch.setattr(services, "NOTICE_VERSION", "2027-01")
    monkeypatch.setattr("hocvu.privacy.middleware.NOTICE_VERSION", "2027-01")
    again = client.get(reverse("learn"))
    assert again.status_code == 302 and again["Location"].startswith(reverse("privacy-notice"))
    client.post(reverse("privacy-notice"), {"agree": "yes"})
    assert list(
        Consent.objects.filter(person=world.learner).values_list("notice_version", flat=True)
    ) == [consent.notice_version, "2027-01"]


def test_posting_without_the_agree_button_records_nothing(world: World) -> None:
    client = logged_in(world.learner)
    client.post(reverse("privacy-notice"), {"next": "/learn/"})
    assert not Consent.objects.exists()
    assert client.get(reverse("learn")).status_code == 302


def test_a_person_downloads_their_data_as_json_and_reads_it(world: World) -> None:
    services.record_consent(world.learner)
    client = logged_in(world.learner)
    response = client.get(reverse("privacy-my-data-json"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)
    assert data["person"]["full_name"] == "Đặng Thị Mai"
    assert data["person"]["national_id"] == "001190000001"
    assert "password" not in data["person"] and "national_id_index" not in data["person"]
    records = data["records"]
    assert len(records["assessment.attempt.learner"]["rows"]) == 1  # the practice attempt
    assert records["privacy.consent.person"]["rows"][0]["notice_version"] == "2026-01"
    assert "identity.roleassignment.user" in records
    # Nothing about anyone else, and no secrets.
    raw = response.content.decode()
    for other in (world.learner_b, world.manager_a, world.admin):
        assert other.full_name not in raw
    assert "pbkdf2" not in raw and "md5$" not in raw
    readable = client.get(reverse("privacy-my-data-readable"))
    assert readable.status_code == 200
    assert "Đặng Thị Mai" in readable.content.decode()


def test_a_request_for_correction_is_tracked_against_its_deadlines(world: World) -> None:
    services.record_consent(world.learner)
    client = logged_in(world.learner)
    sent = client.post(
        reverse("privacy-my-data"), {"kind": "correction", "details": "Ngày sinh của tôi sai"}
    )
    assert sent.status_code == 302
    (request,) = DataRequest.objects.filter(person=world.learner)
    assert request.status == RequestStatus.RECEIVED
    assert request.complete_by - request.received_at == timedelta(days=10)
    assert timedelta(days=2) <= request.answer_by - request.received_at <= timedelta(days=4)
    page = client.get(reverse("privacy-my-data")).content.decode()
    assert "Sửa dữ liệu của tôi" in page and "Đã tiếp nhận" in page
    refused = client.post(reverse("privacy-my-data"), {"kind": "nonsense"})
    assert refused.status_code == 400 and DataRequest.objects.count() == 1


def test_working_days_skip_the_weekend() -> None:
    friday = datetime(2026, 12, 4, 16, 0, tzinfo=HANOI)
    assert services.add_working_days(friday, 2).date().isoformat() == "2026-12-08"
    monday = datetime(2026, 12, 7, 9, 0, tzinfo=HANOI)
    assert services.add_working_days(monday, 2).date().isoformat() == "2026-12-09"


def test_administrators_see_requests_in_their_subtree_with_overdue_highlighted(
    world: World,
) -> None:
    late = services.open_request(world.learner, "deletion", "Xin xóa tài khoản")
    DataRequest.objects.filter(pk=late.pk).update(
        received_at=timezone.now() - timedelta(days=12),
        answer_by=timezone.now() - timedelta(days=10),
        complete_by=timezone.now() - timedelta(days=2),
    )
    elsewhere = services.open_request(world.learner_q, "access", "")
    province_admin = create_person(
        username="province_admin",
        full_name="Phan Văn Tỉnh",
        unit=world.province_p,
        password=PASSWORD,
    )
    assign_role(province_admin, Role.ADMINISTRATOR, world.province_p)
    for user in (world.admin, province_admin):
        services.record_consent(user)
    national = logged_in(world.admin).get(reverse("privacy-requests")).content.decode()
    assert "Đặng Thị Mai" in national and "Lý Thị Hoa" in national
    assert 'class="overdue"' in national and "quá hạn" in national
    scoped = logged_in(province_admin).get(reverse("privacy-requests")).content.decode()
    assert "Đặng Thị Mai" in scoped and "Lý Thị Hoa" not in scoped
    outside = reverse("privacy-request", kwargs={"data_request_id": elsewhere.pk})
    assert logged_in(province_admin).get(outside).status_code == 404
    services.record_consent(world.manager_a)
    assert logged_in(world.manager_a).get(reverse("privacy-requests")).status_code == 404
    # Handling closes it and is audited.
    admin = logged_in(world.admin)
    url = reverse("privacy-request", kwargs={"data_request_id": late.pk})
    done = admin.post(url, {"status": "done", "response": "Đã xóa theo yêu cầu."})
    assert done.status_code == 302
    late.refresh_from_db()
    assert late.status == RequestStatus.DONE and late.closed_at and late.handled_by == world.admin
    assert AuditEvent.objects.filter(action="privacy.request_handled").count() == 1
    assert 'class="overdue"' not in admin.get(reverse("privacy-requests")).content.decode()
    bad = admin.post(url, {"status": "whatever"})
    assert bad.status_code == 400


def test_withdrawing_consent_asks_again(world: World) -> None:
    services.record_consent(world.learner)
    client = logged_in(world.learner)
    assert client.get(reverse("learn")).status_code == 200
    client.post(reverse("privacy-my-data"), {"kind": "withdrawal", "details": ""})
    assert Consent.objects.get(person=world.learner).withdrawn_at is not None
    assert client.get(reverse("learn")).status_code == 302
