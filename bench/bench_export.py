"""A unit's report for the annual review (.xlsx, PDF) at national scale.

The generated national population of the dashboard benchmark (``generate_population``:
34 provinces, 3,321 communes, people with a campaign history) is copied into a database
of its own (``CREATE DATABASE ... TEMPLATE``: the dashboard benchmark's database stays
untouched), or generated when it does not exist. Then, through the Django test client
(middleware, session, access checks, queries, openpyxl, the streamed response), a manager
of each unit downloads the unit's .xlsx: the nation (every person), the People's Councils,
a province (Nghệ An) and a commune; and the commune's PDF. Wall and process CPU time per
export are reported beside the peer in the same run: the same people rows read from the
database and thrown away (the query's own cost, the floor for any export) — the
difference is what writing the spreadsheet costs. The goal: any unit's .xlsx in < 5 s at
1,000,000 people.

Run from the repository root::

    python -m bench.bench_export                    # 1,000,000 people
    python -m bench.bench_export --people 20000     # another scale
    python -m bench.bench_export --quick            # 20,000 people, prints only
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
ROOT = HERE.parent
PG_BASE = os.environ.get("HOCVU_BENCH_PG_BASE", "postgres://postgres:postgres@127.0.0.1:5432")
UNITS = [
    ("nation", "VN"),
    ("People's Councils", "HDND"),
    ("province (Nghệ An)", "HDND-NAN"),
    ("commune", "HDND-NAN-X01"),
]
GOAL_S = 5.0
OPENPYXL_LIMIT = 200_000


def worker(n: int) -> dict[str, Any]:
    """Runs inside a child process whose DATABASE_URL names the scale's database."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hocvu.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from hocvu.campaigns import reports
    from hocvu.campaigns.generator import ensure_campaigns, generate
    from hocvu.campaigns.models import PersonStatus
    from hocvu.content.services import install_curriculum
    from hocvu.framework import services as framework
    from hocvu.identity.models import Role, User
    from hocvu.identity.services import assign_role, create_person
    from hocvu.organizations.models import Unit

    settings.ALLOWED_HOSTS = ["*"]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    before = PersonStatus.objects.filter(counted=True).count()
    call_command("migrate", verbosity=0)
    print(
        f"people counted: {before:,} (after migrate: {PersonStatus.objects.filter(counted=True).count():,})",
        file=sys.stderr,
        flush=True,
    )
    generated_s = None
    if not User.objects.filter(username__startswith="dan1-").exists():
        version = framework.install_default()
        install_curriculum(version)
        start = time.perf_counter()
        generate(people=n, seed=1)
        generated_s = time.perf_counter() - start
    ensure_campaigns()
    repeats = 3 if n >= 500_000 else 5
    results = []
    for label, code in UNITS:
        unit = Unit.objects.get(code=code)
        username = f"bench-export-{code.lower()}"
        user = User.objects.filter(username=username).first() or create_person(
            username=username,
            full_name="Quản Lý Thử",
            unit=unit,
            password="bench-x-2026",  # noqa: S106 - a throwaway benchmark database
        )
        assign_role(user, Role.UNIT_MANAGER if code != "VN" else Role.ADMINISTRATOR, unit)
        client = Client()
        client.force_login(user)
        below = PersonStatus.objects.filter(counted=True, unit_path__startswith=unit.path).count()
        kinds = ["xlsx", "pdf"] if below <= 1000 else ["xlsx"]
        # The peer: the same people rows (certificates and role titles included) read and
        # discarded, no spreadsheet written.
        floor_walls = []
        for _ in range(repeats):
            w0 = time.perf_counter()
            for _row in reports.person_rows(unit):
                pass
            floor_walls.append(time.perf_counter() - w0)
        # The other peer: every cell through openpyxl's write-only worksheet (what the
        # streamed sheet replaces); once, and only where it ends in reasonable time.
        openpyxl_s = openpyxl_cpu_s = None
        if below <= OPENPYXL_LIMIT:
            report_data = reports.build(unit, None)
            with tempfile.TemporaryFile() as scratch:
                w0, c0 = time.perf_counter(), time.process_time()
                reports.write_xlsx_openpyxl(report_data, scratch)
                openpyxl_s = time.perf_counter() - w0
                openpyxl_cpu_s = time.process_time() - c0
        for kind in kinds:
            url = reverse(f"manage-report-{kind}", args=[unit.pk])
            walls, cpus = [], []
            size = 0
            for i in range(repeats + 1):
                w0, c0 = time.perf_counter(), time.process_time()
                response = client.get(url)
                body = response.getvalue()
                wall, cpu = time.perf_counter() - w0, time.process_time() - c0
                assert response.status_code == 200, (url, response.status_code)
                size = len(body)
                if i:  # the first one warms the caches (fonts, templates)
                    walls.append(wall)
                    cpus.append(cpu)
            with CaptureQueriesContext(connection) as captured:
                client.get(url).getvalue()
            walls.sort()
            cpus.sort()
            results.append(
                {
                    "unit": label,
                    "format": kind,
                    "people": below,
                    "wall_p50_s": walls[len(walls) // 2],
                    "wall_max_s": walls[-1],
                    "cpu_p50_s": cpus[len(cpus) // 2],
                    "floor_wall_p50_s": sorted(floor_walls)[len(floor_walls) // 2],
                    "openpyxl_wall_s": openpyxl_s if kind == "xlsx" else None,
                    "openpyxl_cpu_s": openpyxl_cpu_s if kind == "xlsx" else None,
                    "queries": len(captured),
                    "bytes": size,
                    "load": os.getloadavg()[0],
                }
            )
            print(json.dumps(results[-1], ensure_ascii=False), file=sys.stderr, flush=True)
    return {
        "n": n,
        "vendor": connection.vendor,
        "generated_s": generated_s,
        "people": PersonStatus.objects.filter(counted=True).count(),
        "units": Unit.objects.count(),
        "repeats": repeats,
        "exports": results,
    }


def _psql(sql: str) -> None:
    subprocess.run(
        ["psql", "-q", "-h", "127.0.0.1", "-U", "postgres", "-c", sql],
        check=True,
        capture_output=True,
        env=dict(os.environ, PGPASSWORD="postgres"),
    )


def run_scale(n: int, reuse: bool) -> dict[str, Any]:
    name = f"hocvu_bench_export_{n}"
    if not reuse:
        _psql(f"DROP DATABASE IF EXISTS {name}")
        try:  # a copy of the dashboard benchmark's population, when there is one
            _psql(f"CREATE DATABASE {name} TEMPLATE hocvu_bench_dashboard_{n}")
        except subprocess.CalledProcessError:
            _psql(f"CREATE DATABASE {name}")
    env = dict(os.environ, DATABASE_URL=f"{PG_BASE}/{name}", HOCVU_DEBUG="0")
    code = (
        "import json; from bench.bench_export import worker; "
        f"print('RESULT'+json.dumps(worker({n}), ensure_ascii=False))"
    )
    child = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    sys.stderr.write(child.stderr[-4000:])
    if child.returncode != 0:
        raise RuntimeError(child.stderr[-3000:])
    line = next(line for line in child.stdout.splitlines() if line.startswith("RESULT"))
    return json.loads(line[len("RESULT") :])  # type: ignore[no-any-return]


def main(argv: list[str]) -> None:
    quick = "--quick" in argv
    reuse = "--reuse" in argv
    n = 20_000 if quick else 1_000_000
    if "--people" in argv:
        n = int(argv[argv.index("--people") + 1])
    if "--report-only" in argv:  # rewrite the .md from the last run's .json
        report(json.loads((HERE / "results" / "export.json").read_text()), write=True)
        return
    report(run_scale(n, reuse), write=not quick)


def report(result: dict[str, Any], *, write: bool) -> None:
    lines = [
        "## Unit reports for the annual review (.xlsx, PDF)",
        "",
        f"The generated national population on PostgreSQL ({result['people']:,} people, "
        f"{result['units']:,} units; a copy of the dashboard benchmark's database). Each "
        "export downloaded through the Django test client by a manager of that unit "
        "(middleware, access checks, queries, the workbook written to a temporary file and "
        f"streamed from it), {result['repeats']} times after one warm-up. openpyxl "
        "(write-only) makes the workbook and its summary sheet; the people rows' sheet XML "
        "is built by one PostgreSQL query and read through a server-side cursor into the "
        "zip entry. CPU is the Django process's time; the rest of the wall time is mostly "
        "PostgreSQL building and sorting the rows. Two peers in the same run: the same "
        "people read as Python tuples through the ORM and discarded (what the Python "
        "writer, used on SQLite, starts from), and the whole people sheet written with "
        "openpyxl's own write-only cells (only up to "
        f"{OPENPYXL_LIMIT:,} people: it costs about 65 µs of CPU a person). "
        f"Goal: any unit's .xlsx < {GOAL_S:.0f} s.",
        "",
        "| unit | format | people | wall p50 s | wall max s | CPU p50 s | rows as tuples "
        "only, wall s | every cell through openpyxl, wall / CPU s | queries | size |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for e in result["exports"]:
        peer = (
            f"{e['openpyxl_wall_s']:.2f} / {e['openpyxl_cpu_s']:.2f}"
            if e.get("openpyxl_wall_s") is not None
            else "–"
        )
        lines.append(
            f"| {e['unit']} | {e['format']} | {e['people']:,} | {e['wall_p50_s']:.2f} | "
            f"{e['wall_max_s']:.2f} | {e['cpu_p50_s']:.2f} | {e['floor_wall_p50_s']:.2f} | "
            f"{peer} | {e['queries']} | {e['bytes'] / 1e6:.1f} MB |"
        )
    xlsx = [e for e in result["exports"] if e["format"] == "xlsx"]
    over = [e for e in xlsx if e["wall_p50_s"] >= GOAL_S]
    within = [e for e in xlsx if e["wall_p50_s"] < GOAL_S]
    largest_within = max(within, key=lambda e: e["people"]) if within else None
    loads = [e["load"] for e in result["exports"]]
    verdict = (
        "Every unit's .xlsx is within the goal."
        if not over
        else "Goal NOT met for "
        + ", ".join(f"{e['unit']} ({e['people']:,} people: {e['wall_p50_s']:.1f} s)" for e in over)
        + "."
    )
    lines += [
        "",
        verdict
        + (
            f" Within it: {largest_within['unit']} ({largest_within['people']:,} people) in "
            f"{largest_within['wall_p50_s']:.2f} s and every smaller unit."
            if largest_within
            else ""
        )
        + " The query count is the same for every unit (a test asserts it at 10 and 200 "
        "people); the time grows with the people listed. A national list of a million "
        "people is ~500 MB of sheet XML before compression: the Django process spends its "
        "CPU moving and compressing it (zlib level 1), PostgreSQL one core sorting and "
        "formatting a million rows. The PDF lists people up to 1,000 (a commune); above "
        "that it lists the units under the unit and points to the .xlsx.",
        "",
        f"Machine load: 2 cores shared with other work (1-minute load average "
        f"{min(loads):.1f}–{max(loads):.1f} during the measurements).",
    ]
    text = "\n".join(lines)
    print(text)
    if write:
        (HERE / "results" / "export.json").write_text(json.dumps(result, indent=2))
        (HERE / "results" / "export.md").write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
