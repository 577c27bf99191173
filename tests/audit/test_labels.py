"""Every audit action the code records has words for people; screens never show the code."""

from __future__ import annotations

import ast
from pathlib import Path

from django.utils import translation

import hocvu
from hocvu.audit.labels import ACTION_LABELS, action_label, object_type_label

#: Codes built at run time, by the code that builds them.
DYNAMIC = {
    "hocvu/audit/admin_base.py": {"admin.add", "admin.change", "admin.delete", "admin.action"},
    "hocvu/content/admin.py": {"item.edit", "item.create"},
    "hocvu/content/admin_currency.py": {"document.edit", "document.create"},
}


def recorded_codes() -> tuple[set[str], list[str]]:
    """Action codes passed to ``record(...)`` anywhere in the project; calls not understood."""
    root = Path(hocvu.__file__).parent
    codes: set[str] = set()
    unknown: list[str] = []
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name != "record":
                continue
            first = node.args[0]
            relative = path.relative_to(root.parent).as_posix()
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                codes.add(first.value)
            elif relative in DYNAMIC:
                codes |= DYNAMIC[relative]
            else:
                unknown.append(f"{relative}:{node.lineno}")
    return codes, unknown


def test_every_recorded_action_has_a_label() -> None:
    codes, unknown = recorded_codes()
    assert not unknown, f"record() with a computed code: add its codes to DYNAMIC: {unknown}"
    assert len(codes) > 40
    missing = sorted(codes - set(ACTION_LABELS))
    assert not missing, f"add these to hocvu/audit/labels.py: {missing}"


def test_labels_are_translated_and_codes_never_shown() -> None:
    with translation.override("vi"):
        vietnamese = {code: action_label(code) for code in ACTION_LABELS}
    with translation.override("en"):
        english = {code: action_label(code) for code in ACTION_LABELS}
    untranslated = sorted(code for code in ACTION_LABELS if vietnamese[code] == english[code])
    assert not untranslated, f"no Vietnamese for: {untranslated}"
    assert all(label != code for code, label in vietnamese.items())
    with translation.override("vi"):
        assert object_type_label("identity.user") != "identity.user"
        assert object_type_label("no.such") == "no.such"
