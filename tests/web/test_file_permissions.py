"""Files holding data and keys are readable by their owner only (issue 12: the SQLite file
was world-readable while the keys were not)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from hocvu import settings as hocvu_settings

ROOT = Path(hocvu_settings.BASE_DIR)
WRITE = (
    "import django; django.setup();"
    "from django.db import connection;"
    "c = connection.cursor(); c.execute('CREATE TABLE t (x int)');"
    "c.execute('INSERT INTO t VALUES (1)')"
)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_embedded_database_and_development_keys_are_private(tmp_path: Path) -> None:
    var = tmp_path / "var"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOCVU_", "DATABASE_URL"))}
    env.update(HOCVU_VAR_DIR=str(var), DJANGO_SETTINGS_MODULE="hocvu.settings")
    old = os.umask(0o022)  # the usual umask, under which files come out world-readable
    try:
        subprocess.run(
            [sys.executable, "-c", WRITE], cwd=ROOT, env=env, check=True, capture_output=True
        )
    finally:
        os.umask(old)
    files = {p.name: mode(p) for p in var.iterdir() if p.is_file()}
    assert {"hocvu.sqlite3", "secret_key", "field_key", "blind_index_key"} <= set(files)
    assert {name: m for name, m in files.items() if m & 0o077} == {}, files
    assert mode(var) & 0o077 == 0
