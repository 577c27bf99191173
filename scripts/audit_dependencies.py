"""Audit the locked requirements for known vulnerabilities (pip-audit), never silently.

Runs ``pip-audit --no-deps --disable-pip`` on requirements/base.txt and dev.txt (exact pins,
nothing installed) and reads its JSON report:

* a known vulnerability in a pinned version: exit 1, naming the package, the advisory and
  the fixed versions;
* every package audited, none vulnerable: exit 0;
* the vulnerability service could not be reached, or some packages could not be audited
  (a registry mirror without PyPI's JSON API, no network): a loud ``NOT AUDITED`` banner
  listing how many packages were skipped, and exit 0 — unless ``HOCVU_REQUIRE_AUDIT=1``
  (release builds and any CI that reaches the service), where it exits 2.

So an offline CI stays usable, but never reports an audit that did not happen as passed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCKED = ("requirements/base.txt", "requirements/dev.txt")
BANNER = "=" * 72


def main() -> int:
    required = os.environ.get("HOCVU_REQUIRE_AUDIT", "").strip().lower() in {"1", "true", "yes"}
    command = [sys.executable, "-m", "pip_audit", "--no-deps", "--disable-pip", "-f", "json"]
    command += ["--progress-spinner", "off", "--timeout", "20"]
    for locked in LOCKED:
        command += ["-r", str(ROOT / locked)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603  # our interpreter, fixed arguments  # nosec B603
    try:
        report = json.loads(done.stdout or "null")
        dependencies = report["dependencies"]
    except (ValueError, TypeError, KeyError):
        reason = (done.stderr.strip().splitlines() or ["no report"])[-1]
        return not_audited(f"pip-audit gave no report ({reason[:200]})", [], required)
    vulnerable = [d for d in dependencies if d.get("vulns")]
    skipped = [d for d in dependencies if d.get("skip_reason")]
    for dep in vulnerable:
        for vuln in dep["vulns"]:
            fixed = ", ".join(vuln.get("fix_versions") or []) or "no fixed version yet"
            print(f"VULNERABLE {dep['name']} {dep.get('version')}: {vuln['id']} (fixed in {fixed})")
    if vulnerable:
        print(f"pip-audit: {len(vulnerable)} locked package(s) with known vulnerabilities")
        return 1
    if skipped:
        return not_audited("the vulnerability service did not answer for them", skipped, required)
    print(f"pip-audit: {len(dependencies)} locked packages audited, no known vulnerabilities")
    return 0


def not_audited(why: str, skipped: list[dict[str, str]], required: bool) -> int:
    names = ", ".join(d["name"] for d in skipped[:8]) + (" …" if len(skipped) > 8 else "")
    print(BANNER)
    print(f"pip-audit: NOT AUDITED: {len(skipped) or 'all'} locked package(s) were not checked")
    print(f"  because {why}{': ' + names if names else ''}.")
    print("  No vulnerability check happened. Run it where the service is reachable, or set")
    print("  HOCVU_REQUIRE_AUDIT=1 to make this an error (docs/operations.md, Dependencies).")
    print(BANNER)
    return 2 if required else 0


if __name__ == "__main__":
    sys.exit(main())
