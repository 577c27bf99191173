"""Helpers shared by the learner-journey tests: the shipped curriculum, learners, answers.

The tests here use the shipped framework and curriculum (24 competences, 301 questions)
rather than the small framework of ``tests/conftest.py``: the two cannot share a database
(the question codes overlap), so these tests never request the ``world`` fixture.
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass
from typing import Any

PASSWORD = "mat-khau-hanh-trinh-2026"

_serial = itertools.count(1)


@dataclass(frozen=True)
class Shipped:
    version: Any
    program: Any


def shipped() -> Shipped:
    """The shipped framework, curriculum and secure exam pool, installed unless they
    already are (~1 s)."""
    from hocvu.content.services import default_program, install_curriculum, install_exam_pool
    from hocvu.framework.services import install_default

    version = install_default()
    install_curriculum(version)
    install_exam_pool(version)
    program = default_program()
    assert program is not None and program.framework_version_id == version.pk
    return Shipped(version=version, program=program)


def make_learner(username: str | None = None, job_role: str = "commune_council") -> Any:
    """A new People's Council member of a commune, with the learner role there."""
    from hocvu.identity.models import Role
    from hocvu.identity.services import assign_role, create_person
    from hocvu.organizations.models import Unit, UnitKind
    from hocvu.organizations.services import create_unit

    n = next(_serial)
    username = username or f"hv{n}"
    root = Unit.objects.filter(code="VN").first() or create_unit(
        code="VN", name="Toàn quốc", kind=UnitKind.NATIONAL
    )
    commune = create_unit(
        code=f"HDND-X-{username}",
        name=f"HĐND xã Thử {n}",
        kind=UnitKind.COMMUNE_COUNCIL,
        parent=root,
    )
    user = create_person(
        username=username,
        full_name="Nguyễn Thị Thu",
        unit=commune,
        password=PASSWORD,
        job_role=job_role,
    )
    assign_role(user, Role.LEARNER, commune)
    return user


def right_answer(item: Any) -> dict[str, Any]:
    """The answer JSON that scores 1 for ``item``."""
    key = item.answer
    kind = item.kind
    if kind in ("single", "scenario"):
        return {"choice": key[0]}
    if kind == "multiple":
        return {"choices": sorted(key)}
    if kind == "true_false":
        return {"value": key}
    if kind == "ordering":
        return {"order": list(key)}
    if kind == "numeric":
        return {"value": key["value"]}
    if kind == "short_text":
        return {"text": key["accepted"][0]}
    raise AssertionError(kind)


def wrong_answer(item: Any) -> dict[str, Any]:
    """A well-formed answer JSON that scores 0 for ``item``."""
    key = item.answer
    kind = item.kind
    n = len(item.options)
    if kind in ("single", "scenario"):
        return {"choice": (key[0] + 1) % n}
    if kind == "multiple":
        return {"choices": [key[0]]}  # the key has at least two options
    if kind == "true_false":
        return {"value": not key}
    if kind == "ordering":
        return {"order": list(reversed(key))}
    if kind == "numeric":
        return {"value": key["value"] + key.get("tolerance", 0) + 1000}
    if kind == "short_text":
        return {"text": "không biết"}
    raise AssertionError(kind)


def form_data(item: Any, answer: dict[str, Any]) -> dict[str, Any]:
    """The HTML form fields that the answer JSON ``answer`` comes from."""
    kind = item.kind
    if kind in ("single", "scenario"):
        return {"choice": str(answer["choice"])}
    if kind == "multiple":
        return {"choices": [str(c) for c in answer["choices"]]}
    if kind == "true_false":
        return {"value": "true" if answer["value"] else "false"}
    if kind == "ordering":
        return {f"pos{i}": str(o) for i, o in enumerate(answer["order"])}
    if kind == "numeric":
        return {"value": str(answer["value"])}
    if kind == "short_text":
        return {"text": answer["text"]}
    raise AssertionError(kind)


class SimulatedLearner:
    """Answers like a person of ability ``theta`` (3PL with the item's parameters)."""

    def __init__(self, theta: float, seed: int = 7) -> None:
        self.theta = theta
        self.rng = random.Random(seed)

    def answer(self, item: Any) -> dict[str, Any]:
        p = item.c + (1 - item.c) / (1 + math.exp(-item.a * (self.theta - item.b)))
        return right_answer(item) if self.rng.random() < p else wrong_answer(item)
