"""The exam result lists competences in the framework's order, whatever the form's order."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from tests.certification.test_exam import (  # noqa: F401 - fixtures used by name
    _exam_open_below_target,
    client_for,
    exam_world,
    start_on_page,
)


@pytest.mark.django_db
def test_the_result_lists_competences_in_framework_order(exam_world: Any) -> None:  # noqa: F811
    from hocvu.certification import exam
    from hocvu.content.models import Item

    client = client_for(exam_world.learner)
    start_on_page(client)
    attempt = exam.exam_attempts(exam_world.learner, exam_world.achievement.pk).get()
    items = Item.objects.filter(code__in=attempt.state["items"]).select_related("competence__area")

    def framework_order(item: Any) -> tuple[int, int]:
        return (item.competence.area.position, item.competence.position)

    # The form's order is the reverse of the framework's: the page must not follow it.
    attempt.state["items"] = [i.code for i in sorted(items, key=framework_order, reverse=True)]
    attempt.save(update_fields=["state"])
    assert len({i.competence_id for i in items}) >= 2
    client.post(reverse("exam-submit", args=[attempt.pk]), {"confirm": "yes"})
    page = client.get(reverse("exam-result", args=[attempt.pk])).content.decode()
    table = page.split('id="by-competence"', 1)[1] if 'id="by-competence"' in page else page
    shown = re.findall(r"<td>(\d+\.\d+) ", table)
    expected = sorted({i.competence.code: i for i in items}.values(), key=framework_order)
    assert shown == [i.competence.code for i in expected]
