"""The bank linter: each pattern it reports, and a shipped bank that passes it."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from hocvu.content import linter, services
from hocvu.content.linter import LintItem
from tests.conftest import World


def single(code: str, options: list[str], key: int, area: str = "2", stem: str = "") -> LintItem:
    return LintItem(
        code=code,
        competence=f"{area}.1",
        level=2,
        kind="single",
        stem=stem or f"Câu hỏi số {code} về một tình huống riêng biệt khác nhau",
        options=tuple(options),
        answer=[key],
    )


def checks(found: list[linter.Finding]) -> set[str]:
    return {f.check for f in found}


def test_the_shipped_bank_passes_the_linter() -> None:
    items = linter.shipped_bank(services.CURRICULUM, services.EXAM)
    assert len(items) > 300
    found = linter.lint(items, media=[p.name for p in services.MEDIA.glob("*")])
    assert found == [], "\n".join(str(f) for f in found)


def test_multiple_response_with_one_wrong_option_is_reported() -> None:
    item = LintItem("Q-1", "4.1", 2, "multiple", "Chọn tất cả", ("a", "b", "c", "d"), [0, 1, 2])
    (finding,) = linter.check_item(item)
    assert finding.check == "multiple-one-wrong" and finding.codes == ("Q-1",)
    assert "wrong option" in finding.fix
    ok = LintItem("Q-2", "4.1", 2, "multiple", "Chọn tất cả", ("a", "b", "c", "d", "e"), [0, 2])
    assert linter.check_item(ok) == []


def test_a_scenario_needs_its_picture() -> None:
    bare = LintItem("Q-1", "2.2", 2, "scenario", "Bà B nhận thư như hình", ("a", "b"), [0])
    assert checks(linter.check_item(bare)) == {"scenario-without-picture"}
    missing = LintItem("Q-2", "2.2", 2, "scenario", "Như hình", ("a", "b"), [0], image="x.svg")
    assert checks(linter.check_item(missing, media=["y.svg"])) == {"scenario-picture-missing"}
    assert linter.check_item(missing, media=["x.svg"]) == []


def test_the_key_as_the_longest_option_in_an_area_is_reported_beyond_chance() -> None:
    long_key = [
        single(f"Q-{i}", ["ngắn", "cũng ngắn", "đáp án đúng và dài nhất trong bốn", "ngắn nữa"], 2)
        for i in range(12)
    ]
    found = linter.check_key_length(long_key)
    assert "key-length-cue" in checks(found)
    assert set(found[0].codes) == {i.code for i in long_key}
    # The same items in another area, with keys of ordinary length, pass.
    balanced = [
        single(f"Q-{i}", ["một hai ba", "bốn năm sáu", "bảy tám chín", "mười một hai"], i % 4, "3")
        for i in range(12)
    ]
    assert linter.check_key_length(balanced) == []


def test_the_key_at_one_position_is_reported() -> None:
    items = [single(f"Q-{i}", ["aa", "bb", "cc", "dd"], 0) for i in range(14)]
    found = linter.check_positions(items)
    assert checks(found) == {"answer-position"} and "option A" in found[0].message


def test_ordering_items_reusing_a_key_order_are_reported() -> None:
    def ordering(code: str, key: list[int]) -> LintItem:
        return LintItem(code, "5.1", 3, "ordering", f"Sắp xếp {code}", ("a", "b", "c", "d"), key)

    reused = [ordering(f"Q-{i}", [1, 3, 0, 2]) for i in range(3)]
    assert checks(linter.check_ordering_reuse(reused)) == {"ordering-key-reused"}
    assert linter.check_ordering_reuse(reused[:2]) == []
    assert checks(linter.check_item(ordering("Q-9", [0, 1, 2, 3]))) == {"ordering-shown-in-order"}


def test_near_duplicates_ignore_diacritics_case_and_word_order() -> None:
    a = single("Q-A", ["x", "y", "z"], 0, stem="Mật khẩu nào an toàn nhất cho hộp thư công vụ?")
    b = single("Q-B", ["x", "y", "z"], 0, stem="MAT KHAU nao AN TOAN nhat cho hop thu cong vu")
    c = single("Q-C", ["x", "y", "z"], 0, stem="cho hộp thư công vụ, mật khẩu nào an toàn nhất")
    other = single("Q-D", ["x", "y", "z"], 0, stem="Cách nào giúp giảm quá tải tin nhắn công việc?")
    found = linter.check_duplicates([a, b, c, other])
    assert {f.codes for f in found} == {("Q-A", "Q-B"), ("Q-A", "Q-C"), ("Q-B", "Q-C")}
    assert linter.fold("Đường ĐI") == "duong di"


def test_binomial_tail_matches_closed_form() -> None:
    assert linter.binomial_tail(0, 5, 0.3) == 1.0
    assert linter.binomial_tail(5, 5, 0.5) == pytest.approx(1 / 32)
    assert linter.binomial_tail(1, 3, 0.5) == pytest.approx(7 / 8)


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_the_item_page_and_the_list_action_show_findings(world: World) -> None:
    item = world.items[0]
    item.kind, item.options, item.answer, item.image = "scenario", ["a", "b", "c"], [0], ""
    item.save()
    author = client_for(world.author)
    page = author.get(f"/admin/content/item/{item.pk}/change/").content.decode()
    assert "scenario-without-picture" in page
    response = author.post(
        "/admin/content/item/",
        {"action": "lint_selected", "_selected_action": [item.pk]},
        follow=True,
    )
    assert "scenario-without-picture" in response.content.decode()
    # A learner cannot reach either.
    learner = client_for(world.learner)
    assert learner.get(f"/admin/content/item/{item.pk}/change/").status_code in (302, 403, 404)
