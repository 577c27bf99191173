"""Run every benchmark: ``python -m bench [--quick] [names...]``.

Each ``bench/bench_<name>.py`` has ``main(argv)`` that measures against its peer or its
physical limit in the same run and writes ``bench/results/<name>.json`` and ``.md``.
This runner then assembles ``BENCHMARKS.md`` from the ``.md`` parts.
"""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path

from bench.machine import describe as machine

HERE = Path(__file__).parent
ROOT = HERE.parent
ORDER = [
    "cat", "calibration", "units", "placement", "targets", "standard", "load", "load-exam",
    "load-analysis", "study_time", "lighthouse", "issue",
    "verify", "dashboard", "roster", "export",
]  # fmt: skip


def assemble() -> None:
    parts = []
    names = sorted(p.stem for p in (HERE / "results").glob("*.md"))
    names = [n for n in ORDER if n in names] + [n for n in names if n not in ORDER]
    for name in names:
        part = (HERE / "results" / f"{name}.md").read_text(encoding="utf-8").strip()
        if part.startswith("# "):  # one level below the page title
            part = "\n".join(
                "#" + line if line.startswith("#") else line for line in part.splitlines()
            )
        parts.append(part)
    headlines = HERE / "headlines.md"
    if headlines.exists():
        parts.insert(0, headlines.read_text(encoding="utf-8").strip())
    text = (
        "# Benchmarks\n\n"
        "Produced by `make bench` (`python -m bench`); each figure is measured against its\n"
        "peer or its physical limit in the same run. Raw numbers: `bench/results/*.json`.\n"
        "Timings are never asserted in tests: machines are noisy.\n\n"
        f"Last assembled on: {machine()}.\n\n" + "\n\n".join(parts) + "\n"
    )
    (ROOT / "BENCHMARKS.md").write_text(text, encoding="utf-8")


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    wanted = [a for a in argv if not a.startswith("-")]
    found = sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))
    names = [n for n in ORDER if n in found] + [n for n in found if n not in ORDER]
    for name in names:
        if wanted and name not in wanted:
            continue
        print(f"\n=== bench {name} {'(quick)' if quick else ''} ===", flush=True)
        start = time.perf_counter()
        module = importlib.import_module(f"bench.bench_{name}")
        module.main(["--quick"] if quick else [])
        print(f"=== {name} done in {time.perf_counter() - start:.1f} s ===", flush=True)
    if not quick:
        assemble()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
