"""The JSON answer API does not take certification exam answers: the exam page does.

On the API an answer is final and the last one closes the attempt; the exam lets a
candidate change answers until an explicit, confirmed submission (certification.answers).
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.test import Client

from tests.certification.test_exam import _exam_open_below_target, exam_world, right_answer

__all__ = ["_exam_open_below_target", "exam_world"]


@pytest.mark.django_db
def test_an_exam_answer_sent_to_the_api_is_refused_and_changes_nothing(exam_world: Any) -> None:
    from hocvu.assessment.models import Response
    from hocvu.certification import exam
    from hocvu.content.models import Item

    attempt = exam.start_exam(exam_world.learner, exam_world.achievement)
    codes = attempt.state["items"]
    client = Client()
    client.force_login(exam_world.learner)
    for code in codes:  # every question, the last one included
        item = Item.objects.get(code=code)
        fields = right_answer(item)
        answer: dict[str, Any] = dict(fields)
        if "choice" in fields:
            answer = {"choice": int(fields["choice"])}
        elif fields.get("value") in {"true", "false"}:
            answer = {"value": fields["value"] == "true"}
        elif "value" in fields:
            answer = {"value": float(fields["value"])}
        response = client.post(
            f"/api/v1/attempts/{attempt.pk}/answers",
            {"item": str(item.uid), "answer": answer, "answer_id": str(uuid.uuid4())},
            content_type="application/json",
        )
        assert response.status_code == 409, response.content
        assert response.json()["code"] == "wrong_channel"
    attempt.refresh_from_db()
    assert attempt.status == "active" and not Response.objects.filter(attempt=attempt).exists()
