"""Several delivery workers as real processes on one SQLite file: every message reaches the
stand-in gateway exactly once (no request is even repeated).

PostgreSQL's concurrent claims are tested with threads in test_outbox.py; SQLite's test
database lives in memory, so this test migrates a database file of its own. The workers
are all polling before the messages appear at once, and the gateway answers slowly, so
they really compete for the same rows.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from tests.messaging.conftest import GATEWAY_TOKEN, ROOT, call, received, wait_for

MESSAGES = 60
WORKERS = 3


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )


def rounds(log: Path) -> list[dict[str, dict[str, int]]]:
    lines = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    return [json.loads(line) for line in lines if line.startswith("{")]


@pytest.mark.django_db
def test_concurrent_worker_processes_send_each_message_once(
    tmp_path: Path, gateway_process: str
) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL: covered by the threaded workers in test_outbox.py")
    call(gateway_process, "/_reset", {})
    call(gateway_process, "/_delay", {"seconds": 0.02})
    database = tmp_path / "outbox.sqlite3"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "HOCVU_VAR_DIR": str(tmp_path),
        "HOCVU_SMS_URL": gateway_process,
        "HOCVU_SMS_TOKEN": GATEWAY_TOKEN,
    }
    manage(env, "migrate", "-v0")
    logs = [tmp_path / f"worker-{n}.log" for n in range(WORKERS)]
    command = [sys.executable, "manage.py", "deliver_messages", "--loop", "--limit", "4"]
    workers = [
        subprocess.Popen(
            [*command, "--interval", "0.1"],
            cwd=ROOT,
            env={**env, "PYTHONUNBUFFERED": "1"},
            stdout=log.open("w"),
            stderr=subprocess.DEVNULL,
        )
        for log in logs
    ]
    try:
        wait_for(lambda: all(rounds(log) for log in logs), timeout=120)
        manage(
            env,
            "shell",
            "-c",
            "from django.db import transaction\n"
            "from hocvu.messaging.services import enqueue\n"
            "with transaction.atomic():\n"
            f"    for n in range({MESSAGES}):\n"
            "        enqueue(channel='sms', recipient=f'+8491234{n:04d}', body=f'tin {n}',"
            " dedupe_key=f'p{n}')",
        )
        wait_for(lambda: len(received(gateway_process)["messages"]) >= MESSAGES, timeout=120)
        time.sleep(1.0)  # let any (wrong) second send arrive before counting
    finally:
        call(gateway_process, "/_delay", {"seconds": 0})
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=30)
    got = received(gateway_process)
    ids = [m["message_id"] for m in got["messages"]]
    assert len(ids) == len(set(ids)) == MESSAGES
    assert got["requests"] == MESSAGES and got["replayed"] == 0
    per_worker = [sum(r["messages"]["sent"] for r in rounds(log)) for log in logs]
    assert sum(per_worker) == MESSAGES
    assert sum(1 for sent in per_worker if sent) >= 2, per_worker  # they did compete
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT status, attempts, COUNT(*) FROM messaging_message GROUP BY 1, 2")
        assert rows.fetchall() == [("sent", 1, MESSAGES)]
