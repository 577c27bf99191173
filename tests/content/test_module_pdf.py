"""The module handout: room between lines for Vietnamese marks; headings below lesson titles."""

from __future__ import annotations

import io
import itertools
from collections import defaultdict
from typing import Any

import pytest
from pypdf import PdfReader

from hocvu.content.models import Module
from hocvu.content.pdf import BODY_PT, LESSON_TITLE_PT, module_pdf


def runs(pdf: bytes) -> list[tuple[int, float, float, float, str]]:
    """(page, x, y, font size, text) of every text run."""
    found: list[tuple[int, float, float, float, str]] = []
    for number, page in enumerate(PdfReader(io.BytesIO(pdf)).pages):

        def visit(text: str, cm: Any, tm: Any, font: Any, size: float, n: int = number) -> None:
            if text.strip():
                found.append((n, round(tm[4], 1), round(tm[5], 2), size, text.strip()))

        page.extract_text(visitor_text=visit)
    return found


@pytest.mark.django_db
def test_body_lines_leave_room_for_stacked_marks_and_headings_stay_below_titles() -> None:
    from tests.learning import shipped

    shipped()
    module = Module.objects.get(code="M-2.2")
    found = runs(module_pdf(module))
    # Consecutive lines of body text in one column: at least 1.4 times the font size apart
    # (at 1.0, the marks of "ễ" or "Ở" touch the line above).
    columns: dict[tuple[int, float], list[float]] = defaultdict(list)
    for page, x, y, size, _text in found:
        if size == BODY_PT:
            columns[(page, x)].append(y)
    gaps = []
    for ys in columns.values():
        down = sorted(set(ys), reverse=True)
        gaps += [a - b for a, b in itertools.pairwise(down) if a - b < 3 * BODY_PT]
    assert len(gaps) > 20
    assert min(gaps) >= 1.4 * BODY_PT
    # The module title is the largest text; then lesson titles; a lesson's own headings
    # (Markdown ##) print smaller than the lesson titles.
    title_size = found[0][3]
    sizes = {size for _p, _x, _y, size, _t in found[1:]}
    assert max(sizes) == LESSON_TITLE_PT < title_size
    lesson_titles = [t for _p, _x, _y, size, t in found if t.startswith("Mức ")]
    assert lesson_titles and all(
        size == LESSON_TITLE_PT for _p, _x, _y, size, t in found if t in lesson_titles
    )
    headings = {size for _p, _x, _y, size, _t in found if BODY_PT < size < LESSON_TITLE_PT}
    assert headings, "the lessons' own headings are printed between body and title size"
