"""Load: many learners starting the placement test at the same minute, on the production
configuration (gunicorn, PostgreSQL), today's code beside the code before the lean path.

Each configuration is a tree: ``new`` is this working tree, ``old`` the commit before the
production server and the lean answer path (``OLD_COMMIT``, checked out with
``git worktree`` under /tmp); each gets its own PostgreSQL database, learners (one password
hash, the tree's configured hasher) and 100,000 stored placement responses of past
attempts. The benchmark starts gunicorn (``deploy/gunicorn.conf.py``, 5 sync workers;
``new-granian`` and ``new-uvicorn``: this tree under those servers, 5 workers, as peers)
on 127.0.0.1 for one configuration at a time and runs an asyncio + aiohttp client that
behaves like the browsers of N learners: each arrives at a random moment of the start
window (the synchronized start), logs in, starts the placement test and answers, thinking
10-20 s before each answer, until the run's end. ``new`` answers the way its page does
with JavaScript (htmx: one request that returns the next question); ``old`` the only way
it had (a POST, a redirect, a GET). With ``BENCH_FLOW=exam`` the learners are candidates
at their role's targets starting the certification exam instead (the ``new`` tree): they
confirm the start, receive the whole form once and send each answer as it is chosen,
as the exam page's script does (results in ``load-exam.json`` and ``load-exam.md``).

Reported per level: p50/p95/p99 of every request and of the answer (until the next
question is on screen), answers per second, errors, the server's CPU (gunicorn workers and
their PostgreSQL backends) per answer, the load generator's own CPU share (it shares the
cores), and after the run the answers acknowledged against the answers stored (lost:
acknowledged but not stored; doubled: stored more than once or counts that disagree).
A level holds when p95 < 500 ms with no error; the levels rise until one does not hold.

The kill test: at a level that holds, gunicorn (master and workers) is killed with
SIGKILL in the middle of the run and started again 2 s later; the clients retry what
failed with the same answer id (the page's form), and afterwards every acknowledged answer
must be stored, once. Queries per answer are counted in-process (Django's test client) in
each tree. Run::

    python -m bench.bench_load            # full: every tree, rising levels, kill test
    python -m bench.bench_load --quick    # smoke: the new tree, 40 learners, 40 s
    BENCH_FLOW=exam python -m bench.bench_load   # the exam's start alone (the full run
                                                 # measures the placement, then the exam)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import re
import resource
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.machine import describe as machine

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
OLD_COMMIT = "4644a64"
PG = os.environ.get("BENCH_PG", "postgres://postgres:postgres@127.0.0.1:5432")
PASSWORD = "bench-load-2026"  # noqa: S105 - a throwaway benchmark database
HISTORY = 100_000
P95_LIMIT_MS = 500.0
#: ``placement`` (default): learners start the placement test; ``exam``: candidates who have
#: reached their role's targets start the certification exam (the ``new`` tree only: the
#: one-form exam page with answers saved as chosen came after the ``old`` commit).
FLOW = os.environ.get("BENCH_FLOW", "placement")


@dataclass
class Tree:
    name: str
    path: Path
    database: str
    port: int
    htmx: bool
    settings: str = "hocvu.settings"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def server(self) -> str:
        """The application server: ``new-granian`` and ``new-uvicorn`` run this tree under
        those peers; every other tree under gunicorn (the production configuration)."""
        return self.name.split("-", 1)[1] if "-" in self.name else "gunicorn"

    def command(self) -> list[str]:
        """The server's command line: the same number of worker processes, one request at a
        time in each, the same backlog, no access log, whatever the server."""
        bin_dir = ROOT / ".venv" / "bin"
        workers = os.environ.get("BENCH_WORKERS", "5")
        if self.server == "granian":
            return [
                str(bin_dir / "granian"),
                "--interface=wsgi",
                "--host=127.0.0.1",
                f"--port={self.port}",
                f"--workers={workers}",
                "--blocking-threads=1",
                "--backlog=4096",
                "--no-access-log",
                "hocvu.wsgi:application",
            ]
        if self.server == "uvicorn":
            return [
                str(bin_dir / "uvicorn"),
                "--host=127.0.0.1",
                f"--port={self.port}",
                f"--workers={workers}",
                "--backlog=4096",
                "--no-access-log",
                "--log-level=warning",
                "hocvu.asgi:application",
            ]
        return [
            str(bin_dir / "gunicorn"),
            "-c",
            str(ROOT / "deploy" / "gunicorn.conf.py"),
            "hocvu.wsgi:application",
        ]

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            DATABASE_URL=f"{PG}/{self.database}",
            PYTHONPATH=str(self.path),
            HOCVU_VAR_DIR=f"/tmp/bench_load_var_{self.name}",  # noqa: S108 - benchmark scratch
            HOCVU_SECRET_KEY="bench-load-secret-key-not-for-production-0123456789",  # noqa: S106
            HOCVU_BIND=f"127.0.0.1:{self.port}",
            HOCVU_WORKERS=os.environ.get("BENCH_WORKERS", "5"),
            HOCVU_STATIC_MANIFEST="0",
            HOCVU_LOG_LEVEL="WARNING",
            DJANGO_SETTINGS_MODULE=self.settings,
        )
        if self.server == "uvicorn":
            # Under ASGI each request runs in a thread of its own; a persistent connection
            # per thread is never reused and the database runs out of connection slots
            # (Django's advice: no persistent connections under ASGI without a pool).
            env["DATABASE_CONN_MAX_AGE"] = "0"
        return env


def python() -> str:
    return str(ROOT / ".venv" / "bin" / "python")


def helper(tree: Tree, *args: str, timeout: float = 900) -> dict[str, Any]:
    out = subprocess.run(
        [python(), str(HERE / "_load_setup.py"), *args],
        cwd=tree.path,
        env=tree.env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"{tree.name} {args[0]}: {out.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def checkout(name: str, commit: str | None) -> Path:
    """The tree of ``commit`` (a ``git worktree`` under /tmp); this tree when None."""
    if commit is None:
        return ROOT
    path = Path(f"/tmp/hocvu_bench_{name}")  # noqa: S108 - a benchmark worktree
    if not (path / "manage.py").exists():
        subprocess.run(
            ["git", "worktree", "add", "-f", "--detach", str(path), commit],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
    # Apps that the commit's settings name but that were not committed with it (work in
    # progress at the time): empty stand-ins, so the tree imports.
    for app in ("roster", "campaigns"):
        target = path / "hocvu" / app
        if target.is_symlink():
            target.unlink()
        if not (target / "__init__.py").exists():
            target.mkdir(exist_ok=True)
            (target / "__init__.py").write_text("")
            (target / "urls.py").write_text("urlpatterns: list[object] = []\n")
    return path


def recreate_database(name: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


# -- the server ----------------------------------------------------------------------------


class Server:
    def __init__(self, tree: Tree) -> None:
        self.tree = tree
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = open(f"/tmp/bench_load_{tree.name}.log", "ab")  # noqa: SIM115, S108 - server log

    def start(self, wait_healthy: bool = True) -> None:
        """Start the server; wait until /healthz answers, or (a restart under load, where
        the health check queues behind the learners) until the port accepts."""
        self.proc = subprocess.Popen(
            self.tree.command(),
            cwd=self.tree.path,
            env=self.tree.env(),
            stdout=self.log,
            stderr=self.log,
            start_new_session=True,
        )
        deadline = time.monotonic() + 90
        import socket
        import urllib.request

        if not wait_healthy:
            while time.monotonic() < deadline:
                with (
                    contextlib.suppress(OSError),
                    socket.create_connection(("127.0.0.1", self.tree.port), timeout=1),
                ):
                    return
                time.sleep(0.1)
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.tree.url + "/healthz", timeout=2) as r:  # noqa: S310 - loopback
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"{self.tree.name}: the server did not answer")

    def pids(self) -> list[int]:
        if self.proc is None:
            return []
        master = self.proc.pid
        found = [master]
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                parts = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(parts[1]) == master:
                found.append(int(stat.parent.name))
        return found

    def kill9(self) -> None:
        """SIGKILL to the master and every worker: nothing is flushed, nothing is finished."""
        for pid in self.pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self.proc = None


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of ``pids`` (children already reaped are not counted)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            parts = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(parts[11]) + int(parts[12])
    return total / tick


def backend_pids(database: str) -> list[int]:
    """The PostgreSQL backends serving ``database``, found by their process titles
    ("postgres: [cluster: ]user database host(port) state") rather than through a
    connection, which a server holding every connection slot would refuse."""
    marker = f" {database} ".encode()
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            title = cmdline.read_bytes()
        except OSError:
            continue
        if title.startswith(b"postgres: ") and marker in title:
            found.append(int(cmdline.parent.name))
    return found


class CpuMeter:
    """CPU of the server's processes and the database's backends for this tree."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.seen: dict[int, float] = {}
        self.start: dict[int, float] = {}

    def sample(self) -> None:
        pids = self.server.pids() + backend_pids(self.server.tree.database)
        for pid in pids:
            value = cpu_seconds([pid])
            self.start.setdefault(pid, value)
            self.seen[pid] = value

    def total(self) -> float:
        return sum(self.seen[p] - self.start[p] for p in self.seen)


# -- the learners ----------------------------------------------------------------------------

HIDDEN = re.compile(r'name="(item|answer_id|csrfmiddlewaretoken)" value="([^"]+)"')


def answer_fields(page: str) -> dict[str, str] | None:
    fields = dict(HIDDEN.findall(page))
    if "item" not in fields:
        return None
    return {**fields, **some_answer(page)}


def some_answer(html: str, prefix: str = "") -> dict[str, str]:
    """A valid answer to the question in ``html`` (fields named ``prefix`` + name)."""
    if f'name="{prefix}choice"' in html:
        return {"choice": "0"}
    if f'name="{prefix}choices"' in html:
        return {"choices": "0"}
    if f'name="{prefix}value" value="true"' in html:
        return {"value": "true"}
    if f'name="{prefix}pos0"' in html:
        n = len(set(re.findall(rf'name="{re.escape(prefix)}pos(\d+)"', html)))
        return {f"pos{i}": str(i) for i in range(n)}
    if f'name="{prefix}value"' in html:
        return {"value": "1"}
    if f'name="{prefix}text"' in html:
        return {"text": "a"}
    return {}


EXAM_CARD = re.compile(r'data-item="([0-9a-f-]{36})"\s+data-answer-url="([^"]+)"')


def exam_cards(page: str) -> list[tuple[str, dict[str, str]]]:
    """Each question of the exam page: where its answer goes and a valid answer (the
    fields the page's script sends: the card's inputs without their prefix)."""
    found = []
    for chunk in page.split('<section class="card question')[1:]:
        card = EXAM_CARD.search(chunk)
        if card is not None:
            found.append((card.group(2), some_answer(chunk, card.group(1) + "-")))
    return found


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    retried: int = 0
    acknowledged: set[str] = field(default_factory=set)
    answer_times: list[float] = field(default_factory=list)
    finished: int = 0

    def took(self, kind: str, seconds: float) -> None:
        self.latencies.setdefault(kind, []).append(seconds * 1000)

    def failed(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1


async def request(
    session: Any,
    stats: Stats,
    kind: str,
    method: str,
    url: str,
    *,
    retry_until: float,
    **kw: Any,
) -> tuple[int, str, Any]:
    import aiohttp

    while True:
        t0 = time.perf_counter()
        try:
            async with session.request(
                method, url, allow_redirects=False, timeout=aiohttp.ClientTimeout(total=30), **kw
            ) as r:
                body = await r.text()
                stats.took(kind, time.perf_counter() - t0)
                if r.status >= 500 and time.monotonic() < retry_until:
                    stats.retried += 1
                    await asyncio.sleep(1)
                    continue
                return r.status, body, r.headers
        except (TimeoutError, aiohttp.ClientConnectionError):
            if time.monotonic() >= retry_until:
                raise
            stats.retried += 1
            await asyncio.sleep(1)


class Visitor:
    """One learner's browser: its own connection and cookies, every request retried with
    the same body while the server is away (``outage_retry`` seconds after the last
    success: the kill test), each timed into ``stats`` under its kind."""

    def __init__(self, tree: Tree, stats: Stats, outage_retry: float) -> None:
        self.base = tree.url
        self.stats = stats
        self.outage_retry = outage_retry
        self.retry = time.monotonic() + outage_retry
        self.session: Any = None

    async def __aenter__(self) -> Visitor:
        import aiohttp

        self.session = aiohttp.ClientSession(
            cookie_jar=aiohttp.CookieJar(unsafe=True),
            connector=aiohttp.TCPConnector(limit=1, force_close=True),
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.session.close()

    async def call(self, kind: str, method: str, url: str, **kw: Any) -> tuple[int, str, Any]:
        """``url``: a path of the site, or an address already absolute."""
        deadline = max(self.retry, time.monotonic() + self.outage_retry)
        full = self.base + url if url.startswith("/") else url
        return await request(
            self.session, self.stats, kind, method, full, retry_until=deadline, **kw
        )

    async def log_in(self, username: str) -> bool:
        _, page, _ = await self.call("login page", "GET", "/accounts/login/")
        token = dict(HIDDEN.findall(page)).get("csrfmiddlewaretoken", "")
        status, _, _ = await self.call(
            "login",
            "POST",
            "/accounts/login/",
            data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token},
            headers={"Referer": self.base + "/accounts/login/"},
        )
        if status != 302:
            self.stats.failed(f"login {status}")
        return status == 302


async def learner(
    tree: Tree,
    username: str,
    stats: Stats,
    arrive_at: float,
    end_at: float,
    think: tuple[float, float],
    outage_retry: float,
    rng: random.Random,
) -> None:
    """A learner at the synchronized start of the placement test: log in, start, then
    answer (one request that brings the next question with htmx; a POST, a redirect and a
    GET without) with think time until the run ends or the test does."""
    import aiohttp

    await asyncio.sleep(max(0.0, arrive_at - time.monotonic()))
    async with Visitor(tree, stats, outage_retry) as v:
        try:
            if not await v.log_in(username):
                return
            _, page, _ = await v.call("start page", "GET", "/learn/placement/")
            token = dict(HIDDEN.findall(page)).get("csrfmiddlewaretoken", "")
            status, _, headers = await v.call(
                "start",
                "POST",
                "/learn/placement/",
                data={"csrfmiddlewaretoken": token},
                headers={"Referer": v.base + "/learn/placement/"},
            )
            if status != 302:
                stats.failed(f"start {status}")
                return
            url = v.base + headers["Location"]
            status, page, _ = await v.call("question", "GET", url)
            if status != 200:
                stats.failed(f"question {status}")
                return
            while True:
                pause = rng.uniform(*think)
                if time.monotonic() + pause >= end_at:
                    return
                await asyncio.sleep(pause)
                fields = answer_fields(page)
                if fields is None:
                    stats.failed("no question on the page")
                    return
                t0 = time.perf_counter()
                extra = {"HX-Request": "true"} if tree.htmx else {}
                status, body, headers = await v.call(
                    "answer", "POST", url, data=fields, headers={"Referer": url, **extra}
                )
                if status in (200, 204, 302):
                    stats.acknowledged.add(fields["answer_id"])
                    stats.answer_times.append(time.monotonic())
                else:
                    stats.failed(f"answer {status}")
                    return
                location = headers.get("Location", "") or headers.get("HX-Redirect", "")
                if "proficiency" in location:
                    stats.finished += 1
                    return
                if status == 302:  # the page without JavaScript: follow to the next question
                    status, body, _ = await v.call("question", "GET", url)
                    if status != 200:
                        stats.failed(f"question {status}")
                        return
                stats.took("answer to next question", time.perf_counter() - t0)
                page = body
        except (TimeoutError, aiohttp.ClientError) as exc:
            stats.failed(type(exc).__name__)


async def exam_candidate(
    tree: Tree,
    username: str,
    stats: Stats,
    arrive_at: float,
    end_at: float,
    think: tuple[float, float],
    outage_retry: float,
    rng: random.Random,
) -> None:
    """A candidate at the synchronized start of the certification exam, as the page's
    script does it: log in, confirm the start, receive the whole form once, then send each
    answer as it is chosen (a small idempotent POST with its own answer id; a retry
    resends the same id), and submit when every question is answered."""
    import uuid

    import aiohttp

    await asyncio.sleep(max(0.0, arrive_at - time.monotonic()))
    async with Visitor(tree, stats, outage_retry) as v:
        try:
            if not await v.log_in(username):
                return
            start = "/learn/exam/start/"
            status, page, _ = await v.call("start page", "GET", start)
            if status != 200:
                stats.failed(f"exam start page {status}")
                return
            token = dict(HIDDEN.findall(page)).get("csrfmiddlewaretoken", "")
            status, _, headers = await v.call(
                "start",
                "POST",
                start,
                data={"confirm": "yes", "csrfmiddlewaretoken": token},
                headers={"Referer": v.base + start},
            )
            if status != 302:
                stats.failed(f"exam start {status}")
                return
            exam_url = v.base + headers["Location"]
            status, page, _ = await v.call("exam form", "GET", exam_url)
            cards = exam_cards(page)
            if status != 200 or not cards:
                stats.failed(f"exam form {status}")
                return
            token = dict(HIDDEN.findall(page)).get("csrfmiddlewaretoken", "")
            for answer_url, fields in cards:
                pause = rng.uniform(*think)
                if time.monotonic() + pause >= end_at:
                    return
                await asyncio.sleep(pause)
                answer_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
                t0 = time.perf_counter()
                status, body, _ = await v.call(
                    "answer",
                    "POST",
                    answer_url,
                    data={**fields, "answer_id": answer_id, "csrfmiddlewaretoken": token},
                    headers={"Accept": "application/json", "Referer": exam_url},
                )
                if status == 200 and '"saved": true' in body:
                    stats.acknowledged.add(answer_id)
                    stats.answer_times.append(time.monotonic())
                    stats.took("answer to next question", time.perf_counter() - t0)
                else:
                    stats.failed(f"answer {status}")
                    return
            status, _, headers = await v.call(
                "submit",
                "POST",
                exam_url + "submit/",
                data={"confirm": "yes", "csrfmiddlewaretoken": token},
                headers={"Referer": exam_url},
            )
            if status == 302 and "result" in headers.get("Location", ""):
                stats.finished += 1
            else:
                stats.failed(f"submit {status}")
        except (TimeoutError, aiohttp.ClientError) as exc:
            stats.failed(type(exc).__name__)


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"n": 0}
    qs = statistics.quantiles(values, n=100, method="inclusive") if len(values) > 1 else values * 99
    return {
        "n": len(values),
        "p50": round(qs[49], 1),
        "p95": round(qs[94], 1),
        "p99": round(qs[98], 1),
        "max": round(max(values), 1),
    }


def run_level(
    tree: Tree,
    server: Server,
    first_learner: int,
    n: int,
    window: float,
    duration: float,
    think: tuple[float, float],
    kill_at: float | None = None,
) -> dict[str, Any]:
    """``n`` learners arriving within ``window`` s, answering until ``duration`` s."""
    import gc

    stats = Stats()
    rng = random.Random(n)
    load_before = os.getloadavg()[0]
    meter = CpuMeter(server)
    meter.sample()
    usage0 = resource.getrusage(resource.RUSAGE_SELF)
    t_start = time.monotonic() + 1.0
    end_at = t_start + duration
    kill_report: dict[str, Any] = {}
    window_mark: dict[str, float] = {}

    async def main() -> None:
        tasks = [
            asyncio.create_task(
                (exam_candidate if FLOW == "exam" else learner)(
                    tree,
                    f"load{first_learner + i:05d}",
                    stats,
                    t_start + rng.uniform(0, window),
                    end_at,
                    think,
                    60.0 if kill_at is not None else 0.0,
                    random.Random(first_learner + i),
                )
            )
            for i in range(n)
        ]
        if kill_at is not None:
            await asyncio.sleep(max(0.0, t_start + kill_at - time.monotonic()))
            meter.sample()
            acked_before = len(stats.acknowledged)
            server.kill9()
            killed = time.monotonic()
            await asyncio.sleep(2.0)
            await asyncio.to_thread(server.start, False)
            meter.sample()
            kill_report.update(
                killed_at_s=round(killed - t_start, 1),
                back_after_s=round(time.monotonic() - killed, 1),
                acknowledged_before_kill=acked_before,
            )
        while any(not t.done() for t in tasks):
            await asyncio.sleep(2)
            meter.sample()
            if not window_mark and time.monotonic() >= t_start + window:
                window_mark.update(cpu=meter.total(), answers=len(stats.acknowledged))
        await asyncio.gather(*tasks)

    gc.collect()
    wall0 = time.monotonic()
    asyncio.run(main())
    wall = time.monotonic() - wall0
    meter.sample()
    usage1 = resource.getrusage(resource.RUSAGE_SELF)
    client_cpu = (usage1.ru_utime - usage0.ru_utime) + (usage1.ru_stime - usage0.ru_stime)
    answers = len(stats.acknowledged)
    stored = helper(tree, "stored", "--first", str(first_learner), "--count", str(n))
    stored_ids = [i for i in stored["answer_ids"]]
    stored_set = set(stored_ids)
    lost = len(stats.acknowledged - stored_set)
    doubled = len(stored_ids) - len(stored_set) + stored["attempts_with_count_mismatch"]
    all_requests = [v for k, vs in stats.latencies.items() for v in vs]
    steady = [t for t in stats.answer_times if t >= t_start + window]
    steady_span = max(1e-9, end_at - (t_start + window))
    result = {
        "tree": tree.name,
        "learners": n,
        "window_s": window,
        "duration_s": duration,
        "think_s": list(think),
        "requests": percentiles(all_requests),
        "by_kind": {k: percentiles(v) for k, v in sorted(stats.latencies.items())},
        "answers": answers,
        "answers_per_s": round(answers / duration, 1),
        "answers_per_s_after_window": round(len(steady) / steady_span, 1),
        "finished_tests": stats.finished,
        "errors": dict(stats.errors),
        "n_errors": sum(stats.errors.values()),
        "retried": stats.retried,
        "acknowledged": answers,
        "stored_for_these_learners": len(stored_set),
        "lost": lost,
        "doubled": doubled,
        "server_cpu_s": round(meter.total(), 1),
        "server_cpu_ms_per_answer_after_window": (
            round(
                1000
                * (meter.total() - window_mark["cpu"])
                / max(1, answers - window_mark["answers"]),
                1,
            )
            if window_mark
            else None
        ),
        "server_cpu_ms_per_request": round(1000 * meter.total() / max(1, len(all_requests)), 1),
        "client_cpu_s": round(client_cpu, 1),
        "client_cpu_share_of_machine": round(client_cpu / (wall * (os.cpu_count() or 1)), 3),
        "wall_s": round(wall, 1),
        "load_average_1min_before": round(load_before, 1),
        "load_average_1min_after": round(os.getloadavg()[0], 1),
    }
    result["holds"] = (
        result["requests"].get("p95", 1e9) < P95_LIMIT_MS and result["n_errors"] == 0 and not lost
    )
    if kill_report:
        result["kill"] = kill_report
    return result


# -- the report ----------------------------------------------------------------------------


def markdown(data: dict[str, Any]) -> str:
    lines = [
        "# Load: the synchronized start on the production configuration"
        + (" (certification exam)" if data.get("flow") == "exam" else ""),
        "",
        f"Machine: {data['machine']}. {data['workers']} worker processes serving one request",
        "at a time each (gunicorn sync workers; the peers configured alike), PostgreSQL 15 on",
        "the same machine, the asyncio + aiohttp load generator on the same cores too (its",
        "CPU share is given). Each learner arrives at a random moment of the start window,",
        (
            "logs in, confirms the start of the certification exam (every candidate at the"
            " role's targets), receives the whole form once and sends each answer as it is"
            " chosen (a small idempotent POST), with think time, until the run ends or every"
            " question is answered and submitted;"
            if data.get("flow") == "exam"
            else "logs in, starts the placement test and answers with think time until the run ends;"
        ),
        f"{data['history']:,} placement responses of past attempts are stored beforehand.",
        *(
            [
                "`new` is this tree under gunicorn, the production configuration; the exam has",
                "no `old` peer (the one-form exam page came after the `old` commit).",
            ]
            if data.get("flow") == "exam"
            else [
                f"`old` is commit {OLD_COMMIT} (before this work: no WhiteNoise, database "
                "sessions, a POST + redirect + GET per answer, the bank re-read per answer, "
                "exposure counted over all responses, one audit lock); `new` is this tree (htmx "
                "answer: one request) under gunicorn, the production configuration; "
                "`new-granian` and `new-uvicorn` are the same tree under granian (WSGI, 1 "
                "blocking thread a worker) and uvicorn (ASGI, hocvu/asgi.py).",
            ]
        ),
        f"Window {data['window_s']} s, think time {data['think_s'][0]:g}-{data['think_s'][1]:g} s, "
        f"run {data['duration_s']} s per level. A level holds with p95 < 500 ms (all requests),",
        "0 errors and 0 lost answers. The trees ran one after the other at each level; the",
        "1-minute load average before each run is given below (other work on the machine",
        "makes the figures pessimistic).",
        "",
        "| tree | learners | p50 ms | p95 ms | p99 ms | answer p95 ms | answers/s | errors"
        " | acked | stored | lost | doubled | server CPU ms/request | ms/answer after the window"
        " | load-gen CPU | holds |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in data["levels"]:
        ans = r["by_kind"].get("answer to next question", {})
        lines.append(
            f"| {r['tree']} | {r['learners']} | {r['requests'].get('p50', '-')} | "
            f"{r['requests'].get('p95', '-')} | {r['requests'].get('p99', '-')} | "
            f"{ans.get('p95', '-')} | {r['answers_per_s']} | {r['n_errors']} | "
            f"{r['acknowledged']} | {r['stored_for_these_learners']} | {r['lost']} | "
            f"{r['doubled']} | {r['server_cpu_ms_per_request']} | "
            f"{r['server_cpu_ms_per_answer_after_window']} | "
            f"{100 * r['client_cpu_share_of_machine']:.0f} % | {'yes' if r['holds'] else 'no'} |"
        )
    loads = [r.get("load_average_1min_before") for r in data["levels"]]
    if any(v is not None for v in loads):
        lines += [
            "",
            "1-minute load average of the machine before each run, in the order of the table",
            f"(2 cores): {', '.join(str(v) for v in loads)}.",
        ]
    lines += ["", "Largest level that holds:"]
    for name, best in data["largest_holding"].items():
        lines.append(f"- `{name}`: {best if best else 'none of the levels run held'}")
    if data.get("kill"):
        k = data["kill"]
        lines += [
            "",
            f"Kill test (`{k['tree']}`, {k['learners']} learners): the server's master and workers killed with",
            f"SIGKILL at {k['kill']['killed_at_s']} s, serving again {k['kill']['back_after_s']} s "
            "later; clients retried",
            f"with the same answer ids ({k['retried']} retries). Acknowledged {k['acknowledged']}, "
            f"stored {k['stored_for_these_learners']},",
            f"**lost {k['lost']}, doubled {k['doubled']}**; errors after retries: {k['n_errors']}.",
        ]
    if data.get("queries"):
        lines += [
            "",
            "Statements per placement answer (Django's test client, in each tree; `new` counts",
            "BEGIN and COMMIT, and 3 more the first time an item is answered, creating its",
            "exposure row):",
            "",
        ]
        for name, q in data["queries"].items():
            counts = q["queries"]
            lines.append(
                f"- `{name}` ({'htmx fragment' if q['htmx'] else 'POST + redirect + GET'}): "
                f"median {statistics.median(counts):g}, max {max(counts)} over {len(counts)} answers"
            )
    ceilings = ceiling(data)
    if ceilings:
        lines += [
            "",
            "CPU-bound ceiling on a dedicated machine with these cores, from the server CPU per",
            "request measured above (first level of each tree): a learner costs 5 requests in",
            "the start window (login page, login, start page, start, first question) and one",
            "request per answer (`old`: two, the POST and the GET) every mean think time;",
            "70 % of the cores for the server. The level to expect to hold p95 < 500 ms:",
            "",
        ]
        for name, c in ceilings.items():
            lines.append(
                f"- `{name}`: {c['ms_per_request']} ms CPU per request, "
                f"{c['ms_per_learner_second']} ms CPU per learner-second: **~{c['learners']:,} learners**"
            )
    lines += [
        "",
        "Server CPU is the server's processes (master and workers) plus this database's PostgreSQL backends",
        "(from /proc), divided by every request of the run (logins included). Raw numbers:",
        "`bench/results/load.json`.",
    ]
    return "\n".join(lines) + "\n"


def ceiling(data: dict[str, Any], share: float = 0.7) -> dict[str, dict[str, Any]]:
    """Learners that ``share`` of the cores serve, from the measured CPU per request."""
    out: dict[str, dict[str, Any]] = {}
    cores = os.cpu_count() or 1
    think = sum(data["think_s"]) / 2
    for r in data["levels"]:
        if r["tree"] in out or not r["server_cpu_ms_per_request"]:
            continue
        per_answer = 1 if r["tree"].startswith("new") else 2
        per_second = 5 / data["window_s"] + per_answer / think
        ms = r["server_cpu_ms_per_request"] * per_second
        out[r["tree"]] = {
            "ms_per_request": r["server_cpu_ms_per_request"],
            "ms_per_learner_second": round(ms, 2),
            "learners": int(cores * share * 1000 / ms),
        }
    return out


def main(argv: list[str]) -> int:
    """Both flows, the placement's then the exam's (``make bench``); one with BENCH_FLOW
    set, and the placement's alone for ``--quick``."""
    global FLOW
    chosen = os.environ.get("BENCH_FLOW")
    flows = [chosen] if chosen else ["placement"] if "--quick" in argv else ["placement", "exam"]
    for flow in flows:
        FLOW = flow
        run_flow(argv)
    return 0


def run_flow(argv: list[str]) -> int:
    quick = "--quick" in argv
    RESULTS.mkdir(exist_ok=True)
    window = float(os.environ.get("BENCH_WINDOW", "10" if quick else "60"))
    duration = float(os.environ.get("BENCH_DURATION", "40" if quick else "100"))
    think = (10.0, 20.0) if not quick else (5.0, 10.0)
    levels = (
        [40]
        if quick
        else [int(x) for x in os.environ.get("BENCH_LEVELS", "300,600,900,1200,2000").split(",")]
    )
    names = (
        ["new"]
        if quick
        else os.environ.get(
            "BENCH_TREES", "new" if FLOW == "exam" else "old,new,new-granian,new-uvicorn"
        ).split(",")
    )
    if FLOW == "exam":  # the `old` commit has no one-form exam page to load
        names = [n for n in names if n != "old"]
    kill_level = int(os.environ.get("BENCH_KILL_LEVEL", "300"))
    trees: dict[str, Tree] = {}
    for k, name in enumerate(names):
        path = checkout(name, OLD_COMMIT if name == "old" else None)
        trees[name] = Tree(
            name,
            path,
            f"hocvu_bench_load_{name}" + ("_exam" if FLOW == "exam" else ""),
            8870 + k,
            htmx=name.startswith("new"),
        )
    history = 5_000 if quick else HISTORY
    total = sum(levels) + (0 if quick else kill_level)
    for tree in trees.values():
        if os.environ.get("BENCH_REUSE"):  # the databases of an earlier run, same sizes
            continue
        recreate_database(tree.database)
        print(f"{tree.name}: preparing {total} learners", flush=True)
        exam = ["--exam", "1"] if FLOW == "exam" else []
        print(
            helper(tree, "prepare", "--learners", str(total), "--history", str(history), *exam),
            flush=True,
        )
    queries = {
        t.name: helper(
            t,
            "queries",
            "--user",
            f"load{total + 1:05d}",
            "--answers",
            "12",
            "--htmx",
            str(int(t.htmx)),
        )
        for t in trees.values()
    }
    print(queries, flush=True)
    results: list[dict[str, Any]] = []
    largest: dict[str, int | None] = {name: None for name in trees}
    failing: set[str] = set()
    # Learners already used by an earlier run on the same databases are skipped.
    offset = int(os.environ.get("BENCH_FIRST_LEARNER", "0"))
    for n in levels:
        for tree in trees.values():
            if tree.name in failing:
                continue
            server = Server(tree)
            server.start()
            try:
                r = run_level(tree, server, offset, n, window, duration, think)
            finally:
                server.stop()
            print(
                json.dumps(
                    {
                        k: r[k]
                        for k in (
                            "tree",
                            "learners",
                            "requests",
                            "n_errors",
                            "answers_per_s",
                            "lost",
                            "doubled",
                            "holds",
                        )
                    }
                ),
                flush=True,
            )
            results.append(r)
            if r["holds"]:
                largest[tree.name] = n
            else:
                failing.add(tree.name)
        offset += n
        if len(failing) == len(trees):
            break
    kill = None
    offset_kill = int(os.environ.get("BENCH_FIRST_LEARNER", "0")) + sum(levels)
    if not quick and "new" in trees and kill_level > 0:  # BENCH_KILL_LEVEL=0: no kill test
        tree = trees["new"]
        server = Server(tree)
        server.start()
        try:
            # Kill in the middle of the start window: logins, starts and answers in flight.
            kill = run_level(
                tree,
                server,
                offset_kill,
                kill_level,
                window,
                duration,
                think,
                kill_at=window * 0.75,
            )
        finally:
            server.stop()
        print(
            json.dumps(
                {
                    k: kill[k]
                    for k in (
                        "learners",
                        "acknowledged",
                        "lost",
                        "doubled",
                        "n_errors",
                        "retried",
                        "kill",
                    )
                }
            ),
            flush=True,
        )
    data = {
        "machine": machine(),
        "workers": int(os.environ.get("BENCH_WORKERS", "5")),
        "history": history,
        "window_s": window,
        "duration_s": duration,
        "think_s": list(think),
        "levels": results,
        "largest_holding": largest,
        "kill": kill,
        "queries": queries,
    }
    data["ceiling"] = ceiling(data)
    data["flow"] = FLOW
    stem = "load" if FLOW == "placement" else f"load-{FLOW}"
    (RESULTS / (f"{stem}-quick.json" if quick else f"{stem}.json")).write_text(
        json.dumps(data, indent=1)
    )
    text = markdown(data)
    if not quick:
        (RESULTS / f"{stem}.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
