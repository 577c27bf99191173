"""Exam eligibility: the exam page names what is missing before an attempt can be spent,
a start is refused while competences are below target (unless the installation opens the
exam earlier), and starting takes an explicit confirmation that states the attempts left."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse

from tests.certification.test_exam import client_for, exam_world
from tests.certification.test_rules import at_target

__all__ = ["exam_world"]


@pytest.fixture(autouse=True)
def _exam_closed_below_target(settings: Any) -> None:
    settings.CERTIFICATION_EXAM_BELOW_TARGET = False


def _attempts(world: Any, learner: Any = None) -> int:
    from hocvu.certification import exam

    return int(exam.exam_attempts(learner or world.learner, world.achievement.pk).count())


@pytest.mark.django_db
def test_the_exam_page_names_the_competences_below_target(exam_world: Any) -> None:
    achievement = exam_world.achievement
    at_target(exam_world.learner, achievement, except_code="1.1")
    page = client_for(exam_world.learner).get(reverse("exam-home"))
    assert page.status_code == 200
    html = page.content.decode()
    target = achievement.role_profile.targets.select_related("competence").get(
        competence__code="1.1"
    )
    assert 'id="exam-gaps"' in html
    assert f"1.1 {target.competence.title}" in html
    assert f"mức {target.level - 1} trên {target.level}" in html  # Vietnamese first
    others = achievement.role_profile.targets.exclude(competence__code="1.1")
    for other in others.select_related("competence"):
        assert other.competence.title not in html.split('id="exam-gaps"')[1].split("</div>")[0]
    # No way to start from the page while something is missing.
    assert reverse("exam-start") not in html
    english = client_for(exam_world.learner)
    english.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "still below your role" in english.get(reverse("exam-home")).content.decode()


@pytest.mark.django_db
def test_a_start_below_target_is_refused_and_costs_nothing(exam_world: Any) -> None:
    from hocvu.certification import eligibility

    client = client_for(exam_world.learner)  # nothing measured yet: every competence missing
    refused = client.post(reverse("exam-start"), {"confirm": "yes"})
    assert refused.status_code == 400
    assert "below your role" in refused.content.decode() or "dưới mức" in refused.content.decode()
    assert client.get(reverse("exam-start")).status_code == 302  # back to the explanation
    assert client.post(reverse("exam-home")).status_code == 302  # an old form starts nothing
    assert _attempts(exam_world) == 0
    with pytest.raises(eligibility.NotReady) as not_ready:
        eligibility.start(exam_world.learner, exam_world.achievement, confirmed=True)
    assert not_ready.value.code == "below_target" and not_ready.value.gaps
    assert _attempts(exam_world) == 0


@pytest.mark.django_db
def test_starting_needs_a_confirmation_that_states_the_attempts_left(exam_world: Any) -> None:
    from hocvu.certification import exam

    at_target(exam_world.learner, exam_world.achievement)
    client = client_for(exam_world.learner)
    home = client.get(reverse("exam-home")).content.decode()
    assert 'id="exam-gaps"' not in home
    assert reverse("exam-start") in home  # a link to the confirmation, not a start button
    assert "<form" not in home.split("<main")[1]
    confirm = client.get(reverse("exam-start"))
    assert confirm.status_code == 200
    html = confirm.content.decode()
    assert f"{exam.MAX_ATTEMPTS_PER_YEAR} lượt" in html  # attempts left, in Vietnamese
    assert 'name="confirm"' in html
    assert _attempts(exam_world) == 0
    # Without ticking the box nothing starts.
    unticked = client.post(reverse("exam-start"), {})
    assert unticked.status_code == 400 and _attempts(exam_world) == 0
    started = client.post(reverse("exam-start"), {"confirm": "yes"})
    assert started.status_code == 302
    assert _attempts(exam_world) == 1
    attempt = exam.exam_attempts(exam_world.learner, exam_world.achievement.pk).get()
    assert started["Location"] == reverse("exam", args=[attempt.pk])
    # Confirming twice (a double click, a second tab) resumes the same attempt.
    again = client.post(reverse("exam-start"), {"confirm": "yes"})
    assert again["Location"] == reverse("exam", args=[attempt.pk]) and _attempts(exam_world) == 1
    # After a failed attempt the page counts it and says when the next one is possible.
    exam.finish_exam(attempt)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    home = client.get(reverse("exam-home")).content.decode()
    assert "1 attempt used in the last 12 months" in home
    assert "The next attempt is possible from" in home and reverse("exam-start") not in home
    # Once the waiting period is over, it says how many attempts remain.
    from hocvu.assessment.models import Attempt

    Attempt.objects.filter(pk=attempt.pk).update(
        finished_at=attempt.finished_at - exam.WAITING_PERIOD,
        expires_at=attempt.expires_at - exam.WAITING_PERIOD,
    )
    home = client.get(reverse("exam-home")).content.decode()
    left = exam.MAX_ATTEMPTS_PER_YEAR - 1
    assert f"You have {left} attempts left in 12 months" in home
    confirm_html = client.get(reverse("exam-start")).content.decode()
    assert f"you have {left} attempts left" in confirm_html
    assert f"After this one, {left - 1} attempt will remain." in confirm_html


@pytest.mark.django_db
def test_an_installation_may_open_the_exam_below_target(exam_world: Any, settings: Any) -> None:
    settings.CERTIFICATION_EXAM_BELOW_TARGET = True
    client = client_for(exam_world.learner)
    home = client.get(reverse("exam-home")).content.decode()
    assert 'id="exam-gaps"' in home and reverse("exam-start") in home
    confirm = client.get(reverse("exam-start")).content.decode()
    assert "certificate is issued only once" in confirm or "chỉ được cấp khi" in confirm
    assert client.post(reverse("exam-start"), {"confirm": "yes"}).status_code == 302
    assert _attempts(exam_world) == 1


@pytest.mark.django_db
def test_other_people_cannot_start_or_see_a_learners_eligibility(exam_world: Any) -> None:
    """The pages are the signed-in learner's own: another person's POST starts their own
    check (refused, below target), never the learner's exam."""
    at_target(exam_world.learner, exam_world.achievement)
    for persona in ("learner_b", "manager_a", "outsider"):
        client = client_for(getattr(exam_world, persona))
        client.post(reverse("exam-start"), {"confirm": "yes"})
    assert _attempts(exam_world) == 0
    from django.test import Client

    anonymous = Client().post(reverse("exam-start"), {"confirm": "yes"})
    assert anonymous.status_code == 302 and "/login" in anonymous["Location"]
    assert _attempts(exam_world) == 0
