"""Prepare (or inspect) a database for ``bench_load``, from inside the tree being measured.

Run as ``python /path/to/bench/_load_setup.py COMMAND`` with the working directory and
``PYTHONPATH`` set to the tree (this one, or a ``git worktree`` of an older commit), so
the tree's own models and migrations are used. Only APIs that both trees have are called.
Prints one JSON object.

Commands:
  prepare --learners N --history R   migrate, install the shipped framework and curriculum,
                                     N learners (one password hash, bulk), R stored
                                     placement responses of past attempts; with --exam 1
                                     also the exam pool and achievements, and every learner
                                     at the role's targets (ready to take the exam)
  queries --user U --answers K --htmx 0|1  queries per placement answer through the page, with
                                     Django's test client (POST, and the GET it redirects
                                     to when the answer is not answered with a fragment)
  stored --first F --count N         answers stored for the learners load<F>..load<F+N-1>
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from typing import Any

PASSWORD = "bench-load-2026"  # noqa: S105 - a throwaway benchmark database


def setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hocvu.settings")
    sys.path.insert(0, os.getcwd())
    import django

    django.setup()


def prepare(n_learners: int, history: int, exam: bool = False) -> dict[str, Any]:
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from hocvu.content.services import install_curriculum
    from hocvu.framework.services import install_default
    from hocvu.identity.models import RoleAssignment, User
    from hocvu.organizations.models import Unit, UnitKind

    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    version = install_default()
    install_curriculum(version)
    if exam:
        _install_exam(version)
    from hocvu.organizations.services import create_unit

    root = Unit.objects.filter(parent=None).first() or create_unit(
        code="VN", name="Toàn quốc", kind=UnitKind.NATIONAL
    )

    commune = create_unit(
        code="HDND-BENCH", name="HĐND xã Thử tải", kind=UnitKind.COMMUNE_COUNCIL, parent=root
    )
    # One hash for everyone (the configured hasher, so a login costs what it costs).
    hashed = make_password(PASSWORD)
    with transaction.atomic():
        users = User.objects.bulk_create(
            [
                User(
                    username=f"load{i:05d}",
                    full_name=f"Người học {i}",
                    unit=commune,
                    job_role="commune_council",
                    password=hashed,
                )
                for i in range(n_learners + 2)
            ],
            batch_size=2000,
        )
        RoleAssignment.objects.bulk_create(
            [RoleAssignment(user=u, role="learner", unit=commune) for u in users],
            batch_size=2000,
        )
    _accept_privacy_notice(users)
    if exam:
        _at_target(users, version)
    past = users[n_learners]  # the history's learner (not one of the load's)
    if history:
        per = 50
        with connection.cursor() as cur:
            cur.execute(
                "SELECT i.id FROM content_item i JOIN framework_competence c "
                "ON c.id = i.competence_id WHERE c.version_id = %s AND i.status = 'operational' "
                "ORDER BY i.id LIMIT %s",
                [version.pk, per],
            )
            items = [r[0] for r in cur.fetchall()]
            n_attempts = history // len(items)
            now = timezone.now()
            cur.execute(
                "INSERT INTO assessment_attempt (id, learner_id, kind, status, "
                "framework_version_id, seed, state, n_answered, started_at, expires_at, result) "
                "SELECT md5(random()::text || g::text)::uuid, %s, 'placement', 'finished', %s, "
                "1, '{}', %s, %s, %s, '{}' FROM generate_series(1, %s) g",
                [past.pk, version.pk, len(items), now, now, n_attempts],
            )
            cur.execute(
                "INSERT INTO assessment_response (attempt_id, item_id, answer_id, answer, "
                "score, scored, position, answered_at, received_at) "
                "SELECT a.id, it.id, md5(random()::text || a.id::text || it.id::text)::uuid, "
                "'{\"choice\": 0}', 1, true, it.n, %s, %s FROM assessment_attempt a "
                "CROSS JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n "
                "FROM unnest(%s::bigint[]) id) it WHERE a.learner_id = %s",
                [now, now, items, past.pk],
            )
        _fill_running_counts()
    return {
        "learners": n_learners,
        "history": history,
        "password_hasher": hashed.split("$", 1)[0],
        "seconds": round(time.perf_counter() - t0, 1),
    }


def _install_exam(version: Any) -> None:
    """The secure exam pool and the achievements (one per role), as an installation that
    certifies has them."""
    from hocvu.content.models import Program
    from hocvu.content.services import install_exam_pool
    from hocvu.credentials.setup import install_achievements

    install_exam_pool(version)
    install_achievements(Program.objects.get(framework_version=version))


def _at_target(users: list[Any], version: Any) -> None:
    """Every learner has reached the role's targets (placed, studied, checked): the exam's
    start condition. The role is the same for all, so its targets are read once."""
    from hocvu.learning.models import EstimateSource, Proficiency
    from hocvu.learning.services import role_targets

    targets = role_targets(users[0], version)
    Proficiency.objects.bulk_create(
        [
            Proficiency(
                learner=u,
                competence_id=competence_id,
                mean=1.0 + level,
                sd=0.3,
                level=level,
                source=EstimateSource.MASTERY_CHECK,
            )
            for u in users
            for competence_id, level in targets.items()
        ],
        batch_size=5000,
    )


def _accept_privacy_notice(users: list[Any]) -> None:
    """In trees with the privacy notice, every learner accepted it on an earlier visit (a
    synchronized start is not anyone's first login; the notice is shown once)."""
    import importlib

    try:
        privacy = importlib.import_module("hocvu.privacy.services")
    except ImportError:
        return
    consent = importlib.import_module("hocvu.privacy.models").Consent
    consent.objects.bulk_create(
        [consent(person=u, notice_version=privacy.NOTICE_VERSION) for u in users],
        batch_size=2000,
    )


def _fill_running_counts() -> None:
    """In trees that keep running exposure counts, fill them as their migration does."""
    import importlib

    from django.apps import apps

    try:
        migration = importlib.import_module(
            "hocvu.assessment.migrations.0005_fill_running_exposure"
        )
    except ImportError:
        return
    apps.get_model("assessment", "ItemExposure").objects.all().delete()
    apps.get_model("assessment", "PlacementCount").objects.all().delete()
    migration.fill(apps, None)


def queries(username: str, n_answers: int, htmx: bool) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from hocvu.identity.models import User

    user = User.objects.get(username=username)
    client = Client()
    client.force_login(user)
    headers = {"HX-Request": "true"} if htmx else {}
    url = client.post("/learn/placement/")["Location"]
    page = client.get(url).content.decode()
    counts: list[int] = []
    cpu: list[float] = []
    for _ in range(n_answers):
        fields = form_answer(page)
        if fields is None:
            break
        c0 = time.process_time()
        with CaptureQueriesContext(connection) as ctx:
            response = client.post(url, fields, headers=headers)
            if response.status_code == 302 and response["Location"] == url:
                page_response = client.get(url)
            else:
                page_response = response
        cpu.append(1000 * (time.process_time() - c0))
        counts.append(len(ctx.captured_queries))
        page = page_response.content.decode()
        if page_response.status_code != 200:
            break
    # CPU of this process only: the app's side of an answer (PostgreSQL's is not in it).
    cpu_ms = sorted(cpu)[len(cpu) // 2] if cpu else None
    return {"htmx": htmx, "answers": len(counts), "queries": counts, "app_cpu_ms_median": cpu_ms}


def form_answer(page: str) -> dict[str, str] | None:
    """The fields of an answer to the question on ``page`` (any valid answer will do)."""
    hidden = dict(re.findall(r'name="(item|answer_id|csrfmiddlewaretoken)" value="([^"]+)"', page))
    if "item" not in hidden:
        return None
    fields = dict(hidden)
    if 'name="choice"' in page:
        fields["choice"] = "0"
    elif 'name="choices"' in page:
        fields["choices"] = "0"
    elif 'name="value" value="true"' in page:
        fields["value"] = "true"
    elif 'name="pos0"' in page:
        n = len(set(re.findall(r'name="pos(\d+)"', page)))
        fields.update({f"pos{i}": str(i) for i in range(n)})
    elif 'name="value"' in page:
        fields["value"] = "1"
    elif 'name="text"' in page:
        fields["text"] = "a"
    return fields


def stored(first: int, count: int) -> dict[str, Any]:
    from django.db import connection

    names = [f"load{i:05d}" for i in (first, first + count - 1)]
    with connection.cursor() as cur:
        cur.execute(
            "SELECT r.answer_id::text FROM assessment_response r JOIN assessment_attempt a "
            "ON a.id = r.attempt_id JOIN identity_user u ON u.id = a.learner_id "
            "WHERE u.username BETWEEN %s AND %s",
            names,
        )
        ids = [r[0] for r in cur.fetchall()]
        cur.execute(
            "SELECT count(*) FROM assessment_attempt a JOIN identity_user u "
            "ON u.id = a.learner_id WHERE u.username BETWEEN %s AND %s AND a.n_answered <> "
            "(SELECT count(*) FROM assessment_response r WHERE r.attempt_id = a.id)",
            names,
        )
        row = cur.fetchone()
        mismatched = row[0] if row else 0
    return {"answer_ids": ids, "attempts_with_count_mismatch": mismatched}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["prepare", "queries", "stored"])
    parser.add_argument("--learners", type=int, default=100)
    parser.add_argument("--history", type=int, default=0)
    parser.add_argument("--exam", type=int, default=0)
    parser.add_argument("--answers", type=int, default=12)
    parser.add_argument("--htmx", type=int, default=0)
    parser.add_argument("--user", default="")
    parser.add_argument("--first", type=int, default=0)
    parser.add_argument("--count", type=int, default=1)
    args = parser.parse_args()
    setup()
    if args.command == "prepare":
        out = prepare(args.learners, args.history, bool(args.exam))
    elif args.command == "queries":
        out = queries(args.user, args.answers, bool(args.htmx))
    else:
        out = stored(args.first, args.count)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
