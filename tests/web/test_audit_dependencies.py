"""scripts/audit_dependencies.py reads pip-audit's report: a vulnerability fails, an audit
that did not happen (service unreachable, packages skipped) is never reported as passed."""

from __future__ import annotations

import importlib.util
import json
import subprocess
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "audit_dependencies.py"


def load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("audit_dependencies", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_with(monkeypatch: pytest.MonkeyPatch, stdout: str, **environ: str) -> int:
    module = load()
    seen: list[list[str]] = []

    def fake_run(command: list[str], **_: Any) -> subprocess.CompletedProcess[str]:
        seen.append(command)
        return subprocess.CompletedProcess(command, 1, stdout=stdout, stderr="network down")

    monkeypatch.setattr(module.subprocess, "run", fake_run)
    monkeypatch.delenv("HOCVU_REQUIRE_AUDIT", raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    status: int = module.main()
    (command,) = seen
    assert "--no-deps" in command and command.count("-r") == 2  # the locked files only
    return status


def report(*dependencies: dict[str, Any]) -> str:
    return json.dumps({"dependencies": list(dependencies), "fixes": []})


def test_a_known_vulnerability_fails(monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    vuln = {"id": "PYSEC-2026-1", "fix_versions": ["5.2.20"], "description": "x"}
    stdout = report(
        {"name": "django", "version": "5.2.19", "vulns": [vuln]},
        {"name": "nh3", "version": "0.3.0", "vulns": []},
    )
    assert run_with(monkeypatch, stdout) == 1
    assert "VULNERABLE django 5.2.19: PYSEC-2026-1 (fixed in 5.2.20)" in capsys.readouterr().out


def test_everything_audited_and_clean_passes(monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    stdout = report({"name": "django", "version": "5.2.19", "vulns": []})
    assert run_with(monkeypatch, stdout) == 0
    assert "1 locked packages audited, no known vulnerabilities" in capsys.readouterr().out


@pytest.mark.parametrize(
    "stdout",
    [
        report({"name": "django", "skip_reason": "Dependency not found on PyPI"}),
        "",  # pip-audit could not produce a report at all
    ],
)
def test_an_audit_that_did_not_happen_is_loud_and_fails_when_required(
    monkeypatch: pytest.MonkeyPatch, capsys: Any, stdout: str
) -> None:
    assert run_with(monkeypatch, stdout) == 0
    assert "NOT AUDITED" in capsys.readouterr().out
    assert run_with(monkeypatch, stdout, HOCVU_REQUIRE_AUDIT="1") == 2
