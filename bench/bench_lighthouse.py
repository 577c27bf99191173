"""Lighthouse on every learner page, and the compressed weight of each page.

Starts the platform on a temporary SQLite database with the demo data (``migrate``,
``seed_demo``), builds the state each page needs through the services (a finished
placement test, a placement test in progress, a practice set, questions due for review),
logs in as demo learners and runs Lighthouse 12 (``bench/lighthouse``, installed with
``npm ci`` there) with its default mobile emulation and simulated throttling in Debian's
Chromium on: the dashboard, a placement question, the profile, the path, a lesson, a
practice set and the review page. Recorded: performance and accessibility scores (goal
≥ 95 each), total byte weight, and the transfer size of the page and its CSS/JS.

The development server does not compress responses, so the compressed weight is also
measured independently: gzip (level 6) of the HTML plus every CSS/JS file it references,
fetched from the running server (goal ≤ 50 KiB; images aside).

Run from the repository root::

    (cd bench/lighthouse && npm ci)          # once
    python -m bench.bench_lighthouse         # full run (a few minutes)
    python -m bench.bench_lighthouse --quick # checks the tools only (seconds)
"""

from __future__ import annotations

import contextlib
import gzip
import http.cookiejar
import json
import math
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from bench.machine import cpu_model

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
LIGHTHOUSE = HERE / "lighthouse" / "node_modules" / ".bin" / "lighthouse"
CHROME = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
CHROME_FLAGS = (
    "--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage "
    "--disable-background-networking --disable-component-update --disable-sync "
    "--no-first-run --disable-quic"
)
PASSWORD = "hocvu-demo-2026"  # noqa: S105 - the demo accounts' password (seed_demo)
LEARNER = "daibieu"  # a National Assembly deputy: finished placement, path, practice
TAKER = "chuyenvien"  # an official with a placement test in progress
GOAL_SCORE = 95
RUNS = 3  # Lighthouse runs per page; the median is reported
GOAL_BYTES = 50 * 1024


# ---------------------------------------------------------------------------------------
# State for the pages (runs in a child process on the temporary database)
# ---------------------------------------------------------------------------------------


def _answer(item: Any, right: bool) -> dict[str, Any]:
    key, kind, n = item.answer, item.kind, len(item.options)
    if kind in ("single", "scenario"):
        return {"choice": key[0] if right else (key[0] + 1) % n}
    if kind == "multiple":
        return {"choices": sorted(key) if right else [key[0]]}
    if kind == "true_false":
        return {"value": key if right else not key}
    if kind == "ordering":
        return {"order": list(key) if right else list(reversed(key))}
    if kind == "numeric":
        return {"value": key["value"] if right else key["value"] + key.get("tolerance", 0) + 1000}
    if kind == "short_text":
        return {"text": key["accepted"][0] if right else "không biết"}
    raise ValueError(kind)


def prepare() -> dict[str, Any]:
    """Build the pages' state through the services; return the ids the URLs need."""
    import uuid
    from datetime import timedelta

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hocvu.settings")
    django.setup()
    from django.utils import timezone

    from hocvu.assessment import services as assessment
    from hocvu.assessment.models import AttemptKind
    from hocvu.content.models import Item
    from hocvu.content.services import default_program
    from hocvu.identity.models import User
    from hocvu.learning import services as learning
    from hocvu.learning.models import ReviewCard

    program = default_program()
    assert program is not None
    version = program.framework_version
    learner = User.objects.get(username=LEARNER)
    rng = random.Random(2026)
    theta = 0.3  # answers like a learner a little above the middle of the scale
    attempt = assessment.start_placement(learner, version)
    while (item := assessment.next_placement_item(attempt)) is not None:
        p = item.c + (1 - item.c) / (1 + math.exp(-item.a * (theta - item.b)))
        assessment.record_answer(
            user=learner,
            attempt_id=attempt.pk,
            item_uid=item.uid,
            answer=_answer(item, rng.random() < p),
            answer_id=uuid.uuid4(),
        )
    attempt.refresh_from_db()
    steps = learning.learning_path(learner, program)
    assert steps, "the demo learner has nothing to learn"
    step = steps[0]
    lesson = step.lessons[0]
    learning.open_lesson(learner, lesson)
    levels = list(range(step.from_level + 1, step.to_level + 1))
    practice = assessment.start_practice(learner, step.module, levels, kind=AttemptKind.PRACTICE)
    # Earlier practice whose review date has come.
    for item in Item.objects.filter(competence=steps[-1].competence).order_by("code")[:4]:
        learning.practice_update(learner, item, 1)
    ReviewCard.objects.filter(learner=learner).update(due=timezone.now() - timedelta(hours=1))
    taker = User.objects.get(username=TAKER)
    current = assessment.start_placement(taker, version)
    assessment.next_placement_item(current)
    return {
        "placement_finished": str(attempt.pk),
        "placement_items": attempt.n_answered,
        "placement_attempt": str(current.pk),
        "practice_attempt": str(practice.pk),
        "lesson": lesson.pk,
        "lesson_title": lesson.published.title if lesson.published else "",
        "path_steps": len(steps),
    }


# ---------------------------------------------------------------------------------------
# Server, login, weights
# ---------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def manage(env: dict[str, str], *args: str) -> str:
    out = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{out.stderr[-3000:]}")
    return out.stdout


def wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - local http
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"the server did not answer at {url}")


def login(base: str, username: str) -> dict[str, str]:
    """Log in through the login form; return the session cookies."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(f"{base}/accounts/login/") as response:
        html = response.read().decode()
    token = html.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    data = urllib.parse.urlencode(
        {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token}
    ).encode()
    request = urllib.request.Request(  # noqa: S310 - the local server, http only
        f"{base}/accounts/login/", data=data, headers={"Referer": f"{base}/accounts/login/"}
    )
    with opener.open(request):
        pass
    cookies = {c.name: c.value for c in jar}
    assert "sessionid" in cookies, f"login as {username} failed"
    return cookies


def cookie_header(cookies: dict[str, str]) -> str:
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


class References(HTMLParser):
    """Stylesheets and scripts a page makes the browser fetch."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        rel = (a.get("rel") or "").lower().split()
        if tag == "script" and a.get("src"):
            self.urls.append(str(a["src"]))
        elif tag == "link" and a.get("href"):
            preload = "preload" in rel and a.get("as") in ("style", "script")
            if preload or "stylesheet" in rel or "modulepreload" in rel:
                self.urls.append(str(a["href"]))


def fetch(url: str, cookies: dict[str, str]) -> tuple[int, bytes]:
    assert url.startswith("http://127.0.0.1:"), url
    request = urllib.request.Request(url, headers={"Cookie": cookie_header(cookies)})  # noqa: S310
    with urllib.request.urlopen(request) as response:  # noqa: S310 - the local server only
        return response.status, response.read()


def python_weight(base: str, path: str, cookies: dict[str, str]) -> dict[str, Any]:
    """gzip (level 6) of the HTML and of every CSS/JS it references, fetched from the
    server, whatever the server's own compression."""
    status, html = fetch(base + path, cookies)
    assert status == 200, (path, status)
    parser = References()
    parser.feed(html.decode("utf-8"))
    parts = {"(html)": (len(html), len(gzip.compress(html, 6, mtime=0)))}
    for ref in parser.urls:
        url = urllib.parse.urljoin(base + path, ref)
        _, body = fetch(url, cookies)
        parts[urllib.parse.urlsplit(url).path] = (len(body), len(gzip.compress(body, 6, mtime=0)))
    return {
        "raw": sum(r for r, _ in parts.values()),
        "gzip": sum(g for _, g in parts.values()),
        "parts": {k: {"raw": r, "gzip": g} for k, (r, g) in parts.items()},
    }


# ---------------------------------------------------------------------------------------
# Lighthouse
# ---------------------------------------------------------------------------------------


def lighthouse(url: str, cookies: dict[str, str], work: Path, name: str) -> dict[str, Any]:
    headers = work / f"{name}-headers.json"
    headers.write_text(json.dumps({"Cookie": cookie_header(cookies)}))
    out = work / f"{name}.json"
    env = dict(os.environ, CHROME_PATH=CHROME)
    t0 = time.perf_counter()
    run = subprocess.run(
        [
            str(LIGHTHOUSE),
            url,
            "--output=json",
            f"--output-path={out}",
            "--only-categories=performance,accessibility",
            f"--chrome-flags={CHROME_FLAGS}",
            f"--extra-headers={headers}",
            "--quiet",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    seconds = time.perf_counter() - t0
    if run.returncode != 0 or not out.exists():
        raise RuntimeError(f"lighthouse failed on {url}:\n{run.stderr[-3000:]}")
    report = json.loads(out.read_text())
    return summarize_report(report, url) | {"seconds": round(seconds, 1)}


def summarize_report(report: dict[str, Any], url: str) -> dict[str, Any]:
    audits = report["audits"]
    cats = report["categories"]
    origin = urllib.parse.urlsplit(url).netloc
    requests = audits.get("network-requests", {}).get("details", {}).get("items", [])
    page = [
        r
        for r in requests
        if r.get("resourceType") in ("Document", "Stylesheet", "Script")
        and urllib.parse.urlsplit(r.get("url", "")).netloc == origin
    ]
    failing = []
    for ref in cats["accessibility"]["auditRefs"]:
        audit = audits.get(ref["id"], {})
        if audit.get("scoreDisplayMode") in ("binary", "numeric") and (audit.get("score") or 0) < 1:
            items = audit.get("details", {}).get("items", [])
            failing.append(
                {
                    "id": ref["id"],
                    "title": audit.get("title", ""),
                    "weight": ref.get("weight", 0),
                    "elements": [
                        {
                            "selector": (it.get("node") or {}).get("selector", ""),
                            "snippet": (it.get("node") or {}).get("snippet", ""),
                            "explanation": (it.get("node") or {}).get("explanation", ""),
                        }
                        for it in items[:8]
                    ],
                }
            )
    metrics = {
        key: audits.get(key, {}).get("numericValue")
        for key in (
            "first-contentful-paint",
            "largest-contentful-paint",
            "total-blocking-time",
            "cumulative-layout-shift",
            "speed-index",
        )
    }
    return {
        "final_url": report.get("finalDisplayedUrl") or report.get("finalUrl"),
        "performance": round(100 * (cats["performance"]["score"] or 0)),
        "accessibility": round(100 * (cats["accessibility"]["score"] or 0)),
        "total_byte_weight": audits.get("total-byte-weight", {}).get("numericValue"),
        "page_transfer": sum(int(r.get("transferSize") or 0) for r in page),
        "page_resources": [
            {
                "url": urllib.parse.urlsplit(r["url"]).path,
                "type": r.get("resourceType"),
                "transfer": r.get("transferSize"),
                "size": r.get("resourceSize"),
            }
            for r in page
        ],
        "requests": len(requests),
        "metrics_ms": metrics,
        "failing_accessibility": failing,
        "lighthouse_version": report.get("lighthouseVersion"),
        "user_agent": report.get("environment", {}).get("hostUserAgent", ""),
        "form_factor": report.get("configSettings", {}).get("formFactor"),
        "throttling": report.get("configSettings", {}).get("throttlingMethod"),
    }


# ---------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------


def machine() -> str:
    import platform

    cpu = cpu_model()
    chromium = ""
    with contextlib.suppress(OSError):
        chromium = subprocess.run(
            [CHROME, "--version"], capture_output=True, text=True, check=False
        ).stdout.strip()
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {chromium}"


def tools_ready() -> str | None:
    if not LIGHTHOUSE.exists():
        return "Lighthouse is not installed: run `npm ci` in bench/lighthouse"
    if not Path(CHROME).exists():
        return f"Chromium not found at {CHROME} (set CHROME_PATH)"
    if not shutil.which("node"):
        return "node is not installed"
    return None


def main(argv: list[str] | None = None) -> None:
    argv = list(argv or [])
    quick = "--quick" in argv
    problem = tools_ready()
    if quick:
        version = ""
        if problem is None:
            version = subprocess.run(
                [str(LIGHTHOUSE), "--version"], capture_output=True, text=True, check=False
            ).stdout.strip()
        print(
            "lighthouse (quick): "
            + (problem or f"Lighthouse {version} and Chromium ready; pages skipped in quick mode")
        )
        return
    if problem:
        raise SystemExit(problem)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="hocvu-lh-") as tmp:
        work = Path(tmp)
        env = dict(
            os.environ,
            HOCVU_VAR_DIR=str(work / "var"),
            DATABASE_URL=f"sqlite:///{work}/hocvu.sqlite3",
            DJANGO_SETTINGS_MODULE="hocvu.settings",
            PYTHONPATH=str(ROOT),
        )
        env.pop("HOCVU_DEBUG", None)
        if not (ROOT / "hocvu" / "locale" / "vi" / "LC_MESSAGES" / "django.mo").exists():
            manage(env, "compilemessages", "--ignore", ".venv/*", "-v0")
        print("  migrate + seed_demo ...", flush=True)
        manage(env, "migrate", "-v0")
        manage(env, "seed_demo")
        code = "import json; from bench.bench_lighthouse import prepare; print('STATE'+json.dumps(prepare()))"
        out = subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if out.returncode != 0:
            raise RuntimeError(f"preparing the pages failed:\n{out.stderr[-3000:]}")
        state = json.loads(
            next(x for x in out.stdout.splitlines() if x.startswith("STATE"))[len("STATE") :]
        )
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "runserver",
                "--insecure",
                "--noreload",
                f"127.0.0.1:{port}",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for(f"{base}/accounts/login/")
            cookies = {LEARNER: login(base, LEARNER), TAKER: login(base, TAKER)}
            pages = [
                ("dashboard", "/learn/", LEARNER),
                ("placement question", f"/learn/placement/{state['placement_attempt']}/", TAKER),
                ("profile", "/learn/profile/", LEARNER),
                ("path", "/learn/path/", LEARNER),
                ("lesson", f"/learn/lessons/{state['lesson']}/", LEARNER),
                ("practice", f"/learn/practice/{state['practice_attempt']}/", LEARNER),
                ("review", "/learn/review/", LEARNER),
            ]
            results = []
            for name, path, who in pages:
                print(f"  {name}: {path}", flush=True)
                weight = python_weight(base, path, cookies[who])
                runs = [
                    lighthouse(base + path, cookies[who], work, f"{name.replace(' ', '-')}-{i}")
                    for i in range(RUNS)
                ]
                # The median run by performance score (Lighthouse's own advice for noise).
                lh = sorted(runs, key=lambda r: r["performance"])[len(runs) // 2]
                lh["performance_runs"] = [r["performance"] for r in runs]
                lh["accessibility_runs"] = [r["accessibility"] for r in runs]
                assert urllib.parse.urlsplit(lh["final_url"]).path == path, (
                    f"Lighthouse was redirected: {lh['final_url']}"
                )
                lh["final_url"] = urllib.parse.urlsplit(lh["final_url"]).path
                results.append({"name": name, "path": path, "as": who, "weight": weight} | lh)
                print(
                    f"    performance {lh['performance']}, accessibility {lh['accessibility']}, "
                    f"total {lh['total_byte_weight']} B, gzip page+CSS/JS {weight['gzip']} B",
                    flush=True,
                )
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
    res = {
        "machine": machine(),
        "seconds": round(time.perf_counter() - t0, 1),
        "state": state,
        "pages": results,
        "goals": {"score": GOAL_SCORE, "gzip_bytes": GOAL_BYTES},
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "lighthouse.json").write_text(json.dumps(res, indent=1, ensure_ascii=False) + "\n")
    md = to_markdown(res)
    (RESULTS / "lighthouse.md").write_text(md)
    print(md)


def to_markdown(res: dict[str, Any]) -> str:
    pages = res["pages"]
    first = pages[0]
    lines = [
        "# Learner pages: Lighthouse and page weight",
        "",
        f"Machine: {res['machine']}; Lighthouse {first['lighthouse_version']}, "
        f"{first['form_factor']} emulation, {first['throttling']} throttling (Lighthouse "
        f"defaults). Run took {res['seconds']:.0f} s. Reproduce: `(cd bench/lighthouse && npm "
        "ci)`, then `python -m bench.bench_lighthouse`.",
        "",
        "The platform runs under `runserver --insecure` on a temporary SQLite database with "
        "the demo data; the demo deputy has finished a placement test "
        f"({res['state']['placement_items']} questions, answered like a learner slightly "
        f"above average), giving a path of {res['state']['path_steps']} modules; the demo "
        "official has a placement test in progress. Goals: performance and accessibility "
        f"≥ {res['goals']['score']}; page + its CSS/JS ≤ {res['goals']['gzip_bytes'] // 1024} "
        "KiB compressed (images aside).",
        "",
        "| page | performance: median (runs) | accessibility | LCP (ms, simulated) | TBT (ms) | CLS | total "
        "bytes (Lighthouse) | page + CSS/JS transferred (uncompressed server) | page + CSS/JS "
        "gzip (measured) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for p in pages:
        m = p["metrics_ms"]
        lines.append(
            f"| {p['name']} (`{p['path'].split('/')[2] or 'learn'}`) | {p['performance']} "
            f"({', '.join(map(str, p['performance_runs']))}) | "
            f"{p['accessibility']} | {m['largest-contentful-paint']:.0f} | "
            f"{m['total-blocking-time']:.0f} | {m['cumulative-layout-shift']:.3f} | "
            f"{p['total_byte_weight']:,.0f} | {p['page_transfer']:,} | "
            f"{p['weight']['gzip']:,} ({p['weight']['gzip'] / 1024:.1f} KiB) |"
        )
    worst = max(pages, key=lambda p: p["weight"]["gzip"])
    perf_ok = all(p["performance"] >= GOAL_SCORE for p in pages)
    a11y_ok = all(p["accessibility"] >= GOAL_SCORE for p in pages)
    weight_ok = all(p["weight"]["gzip"] <= GOAL_BYTES for p in pages)
    lines += [
        "",
        f"Performance goal {'met on every page' if perf_ok else 'NOT met on every page'}; "
        f"accessibility goal {'met on every page' if a11y_ok else 'NOT met on every page'}; "
        f"weight goal {'met on every page' if weight_ok else 'NOT met on every page'} (heaviest: "
        f"{worst['name']}, {worst['weight']['gzip'] / 1024:.1f} KiB gzip: "
        + ", ".join(f"`{k}` {v['gzip']:,} B" for k, v in worst["weight"]["parts"].items())
        + ").",
        "",
        f"Each page ran {RUNS} times; the table shows the median run. Simulated throttling "
        "scales the CPU time measured on this machine, so other load on its two cores lowers "
        "the performance score (mostly through total blocking time).",
        "",
        "The development server sends HTML, CSS and JS uncompressed, so Lighthouse's transfer "
        "sizes are the raw sizes; the gzip column is what a compressing server sends. "
        "Production must compress text responses (the reverse proxy, or Django's "
        "`GZipMiddleware`).",
        "",
    ]
    failing = [(p, f) for p in pages for f in p["failing_accessibility"]]
    if failing:
        lines += ["Failing accessibility audits:", ""]
        for p, f in failing:
            elements = "; ".join(
                f"`{e['selector']}`"
                + (f" ({e['explanation'].splitlines()[0]})" if e["explanation"] else "")
                for e in f["elements"]
            )
            lines.append(f"- {p['name']}: **{f['id']}** ({f['title']}): {elements or 'page-level'}")
        lines.append("")
    else:
        lines += ["No accessibility audit fails on any page.", ""]
    lines += [
        "Scaling: the figures are per page view; the weight does not grow with the number of "
        "learners, and the server work per page is a handful of queries (see the other "
        "benchmarks). Pages with many questions (practice, review) grow linearly with the "
        "questions shown.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main(sys.argv[1:])
