"""Those who know guide those who don't: suggestions, requests, sessions, and who sees what.

Personas: ``learner`` (commune A, below target in 1.1) asks; ``manager_a`` (same commune)
and ``learner_b`` (commune B, same province) are certified and strong in 1.1;
``learner_q`` (province Q) is certified and strong but far away; ``manager_b`` is strong
but not certified; ``province_manager`` is certified but weak in 1.1.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from hocvu.credentials import services as credentials
from hocvu.framework.models import Competence
from hocvu.learning.models import EstimateSource, Proficiency
from hocvu.mentoring import services
from hocvu.mentoring.models import HelpRequest, MentoringSession, RequestStatus
from hocvu.messaging.models import Message
from tests.certification.test_exam import exam_world
from tests.conftest import PASSWORD, World

__all__ = ["exam_world"]


def _strong(person: Any, competence: Competence, level: int) -> None:
    Proficiency.objects.update_or_create(
        learner=person,
        competence=competence,
        defaults={"mean": 1.0, "sd": 0.3, "level": level, "source": EstimateSource.PLACEMENT},
    )


@pytest.fixture
def mentors(exam_world: World) -> World:
    world = exam_world
    comp = Competence.objects.get(version=world.module.program.framework_version, code="1.1")
    world.comp = comp
    for person in (world.manager_a, world.learner_b, world.learner_q, world.manager_b):
        _strong(person, comp, 3)
    _strong(world.province_manager, comp, 1)
    for person in (world.manager_a, world.learner_b, world.learner_q, world.province_manager):
        credentials.issue_credential(person, world.achievement)
    world.manager_a.email = "thang@xa-a.gov.vn"
    world.manager_a.save(update_fields=["email"])
    return world


def client_for(user: Any) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_suggestions_are_certified_strong_and_near_nearest_first(mentors: World) -> None:
    w = mentors
    suggested = services.suggest_mentors(w.learner, w.comp, 2)
    assert [s.mentor for s in suggested] == [w.manager_a, w.learner_b]
    assert [s.distance for s in suggested] == [0, 1]
    names = {s.mentor.username for s in suggested}
    assert w.learner_q.username not in names  # another province
    assert w.manager_b.username not in names  # not certified
    assert w.province_manager.username not in names  # certified, but below the level needed


def test_a_revoked_certificate_no_longer_makes_a_mentor(mentors: World) -> None:
    w = mentors
    for credential in w.manager_a.credentials.all():
        credentials.revoke_credential(credential, reason="thử nghiệm", actor=w.admin)
    assert [s.mentor for s in services.suggest_mentors(w.learner, w.comp, 2)] == [w.learner_b]


def test_a_learner_asks_a_mentor_accepts_sees_the_gaps_and_records_a_session(
    mentors: World,
) -> None:
    w = mentors
    learner = client_for(w.learner)
    page = learner.get(reverse("mentoring-ask", kwargs={"code": "1.1"}))
    assert page.status_code == 200
    assert w.manager_a.full_name in page.content.decode()
    response = learner.post(
        reverse("mentoring-ask", kwargs={"code": "1.1"}),
        {"mentor": w.manager_a.pk, "message": "Em chưa biết   tìm văn bản gốc."},
    )
    request = HelpRequest.objects.get(learner=w.learner)
    assert response.status_code == 302
    assert request.mentor == w.manager_a and request.status == RequestStatus.OPEN
    assert request.message == "Em chưa biết tìm văn bản gốc."
    mail = Message.objects.get(dedupe_key=f"mentoring:ask:{request.pk}:{w.manager_a.pk}")
    assert mail.recipient == "thang@xa-a.gov.vn"
    assert f"{settings.PUBLIC_URL}/learn/help/{request.pk}/" in mail.body

    mentor = client_for(w.manager_a)
    url = reverse("mentoring-request", kwargs={"request_id": request.pk})
    before = mentor.get(url).content.decode()
    assert "Tìm kiếm thông tin" in before  # the competence asked about
    assert "Bảo vệ dữ liệu cá nhân" not in before  # the other gaps: only once accepted
    mentor.post(reverse("mentoring-act", kwargs={"request_id": request.pk, "action": "accept"}))
    request.refresh_from_db()
    assert request.status == RequestStatus.ACCEPTED
    after = mentor.get(url).content.decode()
    assert "Bảo vệ dữ liệu cá nhân" in after  # 4.2, the learner's other gap
    mentor.post(
        reverse("mentoring-act", kwargs={"request_id": request.pk, "action": "session"}),
        {"held_on": timezone.localdate().isoformat(), "minutes": "45", "note": "Tra cứu"},
    )
    session = MentoringSession.objects.get(request=request)
    assert session.minutes == 45
    given = services.help_given(w.province_p.path)
    assert (given.sessions, given.minutes, given.people_helped, given.mentors) == (1, 45, 1, 1)
    assert services.help_given(w.province_q.path).sessions == 0


@pytest.mark.parametrize(
    "persona", ["learner_b", "manager_b", "province_manager", "learner_q", "outsider", "admin"]
)
def test_a_request_addressed_to_one_mentor_is_nobody_elses(mentors: World, persona: str) -> None:
    w = mentors
    request = services.ask_for_help(w.learner, w.comp, mentor=w.manager_a)
    client = client_for(getattr(w, persona))
    url = reverse("mentoring-request", kwargs={"request_id": request.pk})
    assert client.get(url).status_code == 404
    accept = reverse("mentoring-act", kwargs={"request_id": request.pk, "action": "accept"})
    assert client.post(accept).status_code == 404
    request.refresh_from_db()
    assert request.status == RequestStatus.OPEN and request.mentor == w.manager_a


def test_an_open_request_goes_to_the_suggested_colleagues_and_the_first_takes_it(
    mentors: World,
) -> None:
    w = mentors
    request = services.ask_for_help(w.learner, w.comp)
    assert request in services.open_requests_for(w.learner_b)
    assert request in services.open_requests_for(w.manager_a)
    assert request not in services.open_requests_for(w.learner_q)
    assert request not in services.open_requests_for(w.manager_b)
    services.accept(request, w.learner_b)
    with pytest.raises(services.MentoringError):
        services.accept(request, w.manager_a)
    far = client_for(w.learner_q)
    assert far.get(reverse("mentoring-request", kwargs={"request_id": request.pk})).status_code == (
        404
    )


def test_one_live_request_per_competence_and_none_at_target(mentors: World) -> None:
    w = mentors
    services.ask_for_help(w.learner, w.comp)
    with pytest.raises(services.MentoringError):
        services.ask_for_help(w.learner, w.comp)
    assert HelpRequest.objects.filter(learner=w.learner).count() == 1
    _strong(w.learner, w.comp, 2)
    with pytest.raises(services.MentoringError) as refused:
        services.needed_level(w.learner, w.comp)
    assert str(refused.value) == gettext("You have already reached your target in this competence.")


def test_sessions_are_the_mentors_to_record_and_must_make_sense(mentors: World) -> None:
    w = mentors
    request = services.accept(services.ask_for_help(w.learner, w.comp), w.manager_a)
    today = timezone.localdate()
    with pytest.raises(services.MentoringError):
        services.record_session(request, w.learner, held_on=today, minutes=30)
    with pytest.raises(services.MentoringError):
        services.record_session(request, w.manager_a, held_on=today, minutes=0)
    with pytest.raises(services.MentoringError):
        services.record_session(request, w.manager_a, held_on=today, minutes=10_000)
    with pytest.raises(services.MentoringError):
        services.record_session(request, w.manager_a, held_on=today + timedelta(days=1), minutes=30)
    assert not MentoringSession.objects.exists()
    services.close(request, w.learner)
    with pytest.raises(services.MentoringError):
        services.record_session(request, w.manager_a, held_on=today, minutes=30)


def test_a_learner_cannot_pick_a_mentor_who_was_not_suggested(mentors: World) -> None:
    w = mentors
    client = client_for(w.learner)
    response = client.post(
        reverse("mentoring-ask", kwargs={"code": "1.1"}), {"mentor": w.learner_q.pk}
    )
    assert response.status_code == 400
    assert not HelpRequest.objects.exists()
