"""``manage.py import_case`` on hostile files (issue 12): a clear error, no traceback, and
nothing imported."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from hocvu.framework.models import FrameworkVersion


@pytest.mark.django_db
@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000 + "]" * 100_000,
        '{"CFDocument": ' + '{"a": ' * 50_000 + "1" + "}" * 50_000 + "}",
        json.dumps({"CFDocument": {"title": {"nested": {"deeper": [1, 2]}}}}),
        "[]",
        "\x00\x01",
    ],
)
def test_a_hostile_package_is_a_clear_error(tmp_path: Path, text: str, db: Any) -> None:
    path = tmp_path / "package.json"
    path.write_text(text, encoding="utf-8")
    before = FrameworkVersion.objects.count()
    with pytest.raises(CommandError) as failure:
        call_command("import_case", str(path))
    assert str(path) in str(failure.value) and "package" in str(failure.value)
    assert FrameworkVersion.objects.count() == before
