"""The stand-in SMTP server and SMS/Zalo gateway, each a real process on a loopback port."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
GATEWAY_TOKEN = "gateway-token-for-tests"


def start(args: list[str]) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", *args], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    assert line.startswith("listening on "), line
    return process, line.rsplit(" ", 1)[-1]


def stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    process.wait(timeout=10)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class SmtpStandin:
    port: int
    store: Path
    down_file: Path
    process: subprocess.Popen[str] | None = None

    def start(self) -> None:
        args = ["hocvu.messaging.standin_smtp", "--port", str(self.port)]
        args += ["--store", str(self.store), "--down-file", str(self.down_file)]
        self.process, _ = start(args)

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)
            self.process = None

    def mails(self) -> list[dict[str, Any]]:
        if not self.store.exists():
            return []
        lines = self.store.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]


@pytest.fixture
def smtp(tmp_path: Path, settings: Any) -> Iterator[SmtpStandin]:
    standin = SmtpStandin(free_port(), tmp_path / "mails.jsonl", tmp_path / "down")
    standin.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = standin.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    settings.HOCVU_EMAIL_CONFIGURED = True
    try:
        yield standin
    finally:
        standin.stop()


def call(base: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(  # noqa: S310 - the local stand-in
        base + path, data=data, method="GET" if body is None else "POST", headers=headers or {}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - local stand-in
            return answer.status, json.loads(answer.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


@pytest.fixture(scope="module")
def gateway_process() -> Iterator[str]:
    process, base = start(
        ["hocvu.messaging.standin_gateway", "--port", "0", "--token", GATEWAY_TOKEN]
    )
    try:
        yield base
    finally:
        stop(process)


@pytest.fixture
def gateway(gateway_process: str, settings: Any) -> str:
    call(gateway_process, "/_reset", {})
    settings.HOCVU_SMS_URL = settings.HOCVU_ZALO_URL = gateway_process
    settings.HOCVU_SMS_TOKEN = settings.HOCVU_ZALO_TOKEN = GATEWAY_TOKEN
    settings.HOCVU_GATEWAY_TIMEOUT = 5.0
    return gateway_process


def received(base: str) -> dict[str, Any]:
    return dict(call(base, "/_received")[1])


def wait_for(predicate: Any, timeout: float = 10.0) -> None:
    """Poll a condition that depends on another process (never a timing assertion)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.05)
