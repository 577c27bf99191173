"""Importing a 100,000-row roster: validate, preview, commit, against the 60 s limit.

A fresh database gets the shipped framework (its role profiles), the national unit tree
and 20 communes under one provincial People's Council, whose manager imports the file.
The roster is an .xlsx written the way Excel writes one (shared strings, text cells),
100,000 rows with distinct valid citizen IDs, Vietnamese names (one in five typed in
capitals, so normalised with a warning), day-first dates, phones in mixed forms and the
role given by its Vietnamese title. What a manager does is measured, as the page does it:

1. ``stage``: stream the workbook, check every cell, look up units, duplicates in the file
   and against the database (blind index, folded name + date of birth), keep the preview
   rows and problems, and the checked rows sealed (zlib + AES-GCM) for the commit;
2. ``commit``: unseal, check units and duplicates again (the database may have changed),
   create every person (ID encrypted and indexed in Python, bulk inserts), learner roles,
   phones, the campaign progress rows (``people_changed`` signal) and one audit event, in
   one transaction;
3. the same file again (stage + commit): every row is "unchanged", nobody is created.

Wall time and the process's CPU time (``time.process_time``) are reported side by side:
the difference is time spent waiting for the database.

Run from the repository root::

    python -m bench.bench_roster            # 100,000 rows, SQLite and PostgreSQL
    python -m bench.bench_roster --quick    # 2,000 rows (prints only)
"""

from __future__ import annotations

import io
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
DB_NAME = "hocvu_bench_roster"
PG_URL = os.environ.get("HOCVU_BENCH_PG", f"postgres://postgres:postgres@127.0.0.1:5432/{DB_NAME}")
LIMIT_S = 60.0
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi"]
MIDDLE = ["Văn", "Thị", "Đức", "Ngọc", "Minh", "Thu", "Quốc", "Thanh", "Hữu", "Thị Kim"]
GIVEN = [
    "An",
    "Bình",
    "Châu",
    "Dũng",
    "Giang",
    "Hà",
    "Hải",
    "Hương",
    "Khánh",
    "Lâm",
    "Thắng",
    "Hưng",
    "Ánh",
    "Yến",
    "Phượng",
    "Tuấn",
    "Nghĩa",
]
PROVINCES = ["001", "040", "079", "038", "042", "031", "048", "092"]


def make_roster(n: int, communes: list[str], role_title: str) -> bytes:
    """An .xlsx of ``n`` valid rows (deterministic)."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Danh sách")
    sheet.append(
        [
            "Họ và tên",
            "Ngày sinh",
            "Giới tính",
            "Số CCCD",
            "Số điện thoại",
            "Thư điện tử",
            "Mã đơn vị",
            "Chức vụ",
            "Vai trò",
        ]
    )
    for i in range(n):
        female = i % 2 == 1
        year = 1950 + i % 55
        digit = (year // 100 - 19) * 2 + (1 if female else 0)
        national_id = f"{PROVINCES[i % len(PROVINCES)]}{digit}{year % 100:02d}{i:06d}"
        name = f"{FAMILY[i % 11]} {MIDDLE[(i // 11) % 10]} {GIVEN[(i // 110) % 17]}"
        if i % 5 == 0:
            name = name.upper()
        phone = ["09{:08d}", "+84 9{:08d}", "09{:08d}"][i % 3].format(i % 10**8)
        sheet.append(
            [
                name,
                f"{1 + i % 28:02d}/{1 + (i // 28) % 12:02d}/{year}",
                "Nữ" if female else "Nam",
                national_id,
                phone if i % 7 else "",
                f"nguoi{i}@example.vn" if i % 4 == 0 else "",
                communes[i % len(communes)],
                "Đại biểu HĐND xã",
                role_title,
            ]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _rss_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(step: Any) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = step()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def worker(n: int) -> dict[str, Any]:
    """Runs inside a child process whose DATABASE_URL names a fresh database."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hocvu.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from hocvu.framework import services as framework
    from hocvu.identity import services as identity
    from hocvu.identity.models import Role, User
    from hocvu.organizations import services as units
    from hocvu.organizations.models import Unit, UnitKind
    from hocvu.roster import services as roster
    from hocvu.roster.models import ImportStatus

    call_command("migrate", verbosity=0)
    version = framework.install_default()
    role = version.role_profiles.get(code="commune_council")
    units.install_national_tree()
    province = Unit.objects.get(code="HDND-NAN")
    codes = [f"HDND-NAN-B{i:02d}" for i in range(1, 21)]
    units.bulk_create_children(
        province, [(c, f"HĐND xã {c}", f"Commune {c}", UnitKind.COMMUNE_COUNCIL) for c in codes]
    )
    manager = identity.create_person(
        username="quanlytinh", full_name="Hoàng Thị Lan", unit=province, password=None
    )
    identity.assign_role(manager, Role.UNIT_MANAGER, province)

    # The campaign app keeps a progress row per person, updated from the import's
    # people_changed signal inside the commit: time it apart.
    progress_cpu = [0.0]
    try:
        from hocvu.campaigns import progress

        sync = progress.sync_people

        def timed_sync(ids: Any) -> int:
            before = time.process_time()
            try:
                return sync(ids)
            finally:
                progress_cpu[0] += time.process_time() - before

        progress.sync_people = timed_sync
    except ImportError:
        pass

    start = time.perf_counter()
    data = make_roster(n, codes, role.title)
    make_s = time.perf_counter() - start
    people_before = User.objects.count()

    staged, stage_s, stage_cpu = _timed(
        lambda: roster.stage(data, "danh-sach.xlsx", actor=manager, unit=province)
    )
    assert staged.status == ImportStatus.PREVIEW, (staged.status, staged.error_rows)
    progress_cpu[0] = 0.0
    outcome, commit_s, commit_cpu = _timed(lambda: roster.commit(staged, actor=manager))
    commit_progress_cpu = progress_cpu[0]
    summary = (outcome.committed, outcome.created, outcome.updated, outcome.unchanged)
    assert outcome.committed and outcome.created == n, (summary, outcome.skipped)
    assert User.objects.count() == people_before + n

    again, again_stage_s, again_stage_cpu = _timed(
        lambda: roster.stage(data, "danh-sach.xlsx", actor=manager, unit=province)
    )
    repeat, again_commit_s, again_commit_cpu = _timed(lambda: roster.commit(again, actor=manager))
    summary = (repeat.committed, repeat.created, repeat.updated, repeat.unchanged)
    assert repeat.created == 0 and repeat.unchanged == n, (summary, repeat.skipped)
    assert User.objects.count() == people_before + n
    return {
        "vendor": connection.vendor,
        "n": n,
        "file_mib": len(data) / 2**20,
        "make_s": make_s,
        "stage_s": stage_s,
        "stage_cpu_s": stage_cpu,
        "commit_s": commit_s,
        "commit_cpu_s": commit_cpu,
        "commit_progress_cpu_s": commit_progress_cpu,
        "load_after": os.getloadavg()[0],
        "total_s": stage_s + commit_s,
        "total_cpu_s": stage_cpu + commit_cpu,
        "warning_rows": staged.warning_rows,
        "again_s": again_stage_s + again_commit_s,
        "again_cpu_s": again_stage_cpu + again_commit_cpu,
        "peak_rss_mib": _rss_mib(),
    }


def start_child(database_url: str, n: int) -> subprocess.Popen[str]:
    env = dict(os.environ, DATABASE_URL=database_url)
    code = (
        "import json; from bench.bench_roster import worker; "
        f"print('RESULT'+json.dumps(worker({n})))"
    )
    return subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish_child(child: subprocess.Popen[str]) -> dict[str, Any]:
    out, err = child.communicate()
    if child.returncode != 0:
        raise RuntimeError(err[-3000:])
    line = next(line for line in out.splitlines() if line.startswith("RESULT"))
    return json.loads(line[len("RESULT") :])  # type: ignore[no-any-return]


def _psql(sql: str) -> None:
    subprocess.run(
        ["psql", "-q", "-h", "127.0.0.1", "-U", "postgres", "-c", sql],
        check=True,
        capture_output=True,
        env=dict(os.environ, PGPASSWORD="postgres"),
    )


def main(argv: list[str]) -> None:
    quick = "--quick" in argv
    n = 2_000 if quick else 100_000
    results = []
    # One after the other, so that each run has the machine's cores to itself.
    try:
        _psql(f"DROP DATABASE IF EXISTS {DB_NAME}")
        _psql(f"CREATE DATABASE {DB_NAME}")
        results.append(finish_child(start_child(PG_URL, n)))
        print(json.dumps(results[-1]), flush=True)
        _psql(f"DROP DATABASE IF EXISTS {DB_NAME}")
    except (subprocess.CalledProcessError, FileNotFoundError) as exc:
        print(f"PostgreSQL not reachable, skipped: {exc}")
    with tempfile.TemporaryDirectory() as tmp:
        results.append(finish_child(start_child(f"sqlite:///{tmp}/bench.sqlite3", n)))
        print(json.dumps(results[-1]), flush=True)
    report(results, n, write=not quick)


def report(results: list[dict[str, Any]], n: int, *, write: bool) -> None:
    lines = [
        "## Roster import: 100,000 rows",
        "",
        f"A manager of a provincial People's Council imports a {n:,}-row .xlsx roster "
        f"({results[0]['file_mib']:.1f} MiB) into 20 communes, as the page does it: "
        "**stage** (stream the workbook, check every cell, units, duplicates in the file and "
        "against the database by blind index and by folded name + date of birth; keep the "
        "preview rows and problems, and the checked rows sealed) and **commit** (unseal, "
        "check units and duplicates again, create every person with the ID encrypted and "
        "indexed in Python, learner roles, phones, campaign progress rows and one audit "
        "event, all in one transaction). Then the same file is uploaded and committed "
        "again: every row is unchanged and nobody is created. CPU is the importing "
        "process's own time; wall minus CPU is mostly waiting for the database. The limit "
        f"is {LIMIT_S:.0f} s for stage + commit on PostgreSQL.",
        "",
        "| database | rows | stage s (CPU) | commit s (CPU) | of which progress rows, CPU s "
        "| total s (CPU) | vs limit | same file again s (CPU) | peak RSS MiB | load |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        verdict = f"{r['total_s'] / LIMIT_S:.0%} of {LIMIT_S:.0f} s"
        lines.append(
            f"| {r['vendor']} | {r['n']:,} | {r['stage_s']:.1f} ({r['stage_cpu_s']:.1f}) | "
            f"{r['commit_s']:.1f} ({r['commit_cpu_s']:.1f}) | {r['commit_progress_cpu_s']:.1f} | "
            f"{r['total_s']:.1f} ({r['total_cpu_s']:.1f}) | {verdict} | {r['again_s']:.1f} "
            f"({r['again_cpu_s']:.1f}) | {r['peak_rss_mib']:.0f} | {r['load_after']:.1f} |"
        )
    lines += [
        "",
        "The file is read once, at the preview: the checked rows are kept sealed (zlib, "
        "AES-GCM) and the commit checks only what the database can change (units, stored "
        "people). Reading the workbook streams it with expat (openpyxl's read-only mode "
        "took 20 s of CPU for these 100,000 rows, the streaming reader 4.5 s). "
        f"{results[0]['warning_rows']:,} rows carried a warning (a name in capitals, a phone "
        'written with +84 or spaces). "Progress rows" is the campaign app\'s per-person '
        "status kept up to date inside the same transaction (the `people_changed` "
        'signal). The run is single-threaded: one core; "load" is the machine\'s load '
        "average when the run ended (other work shared the 2 cores: wall time above CPU "
        "time is partly waiting for a core, not for the database).",
    ]
    text = "\n".join(lines)
    print(text)
    if write:
        (HERE / "results" / "roster.json").write_text(json.dumps(results, indent=2))
        (HERE / "results" / "roster.md").write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
