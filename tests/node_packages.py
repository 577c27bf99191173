"""Node packages of the tests' real third parties (the OpenID provider, the credential
verifiers), installed from their lockfile with ``npm ci`` when missing or older than it.

Test processes may run side by side (pytest-xdist): the install holds an exclusive lock on
the package's directory, so one process installs while the others wait, then find it done.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from pathlib import Path

import pytest


def install(directory: Path, purpose: str) -> str:
    """Node's path, after ``npm ci`` in ``directory`` if needed; skip without node or npm."""
    node_bin, npm_bin = shutil.which("node"), shutil.which("npm")
    if not node_bin or not npm_bin:
        pytest.skip(f"node and npm are needed to run {purpose} (make system-deps)")
    installed = directory / "node_modules" / ".package-lock.json"
    locked = directory / "package-lock.json"
    handle = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        # npm records what it installed; install again whenever the lockfile is newer.
        if not installed.exists() or installed.stat().st_mtime < locked.stat().st_mtime:
            done = subprocess.run(
                [npm_bin, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                cwd=directory,
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            assert done.returncode == 0, f"npm ci failed: {done.stderr[-2000:]}"
    finally:
        os.close(handle)  # closing the descriptor releases the lock
    return node_bin
