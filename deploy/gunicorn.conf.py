"""gunicorn settings for hocvu (``gunicorn -c deploy/gunicorn.conf.py hocvu.wsgi``).

Every value can be overridden from the environment. Sync workers: each request is short
(an answer is ~10 queries), so a worker per core plus one keeps the CPU busy without the
memory of threads; a slow client is the reverse proxy's business (nginx, a load balancer).
"""

from __future__ import annotations

import multiprocessing
import os

bind = os.environ.get("HOCVU_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("HOCVU_WORKERS", str(2 * multiprocessing.cpu_count() + 1)))
worker_class = os.environ.get("HOCVU_WORKER_CLASS", "sync")
threads = int(os.environ.get("HOCVU_THREADS", "1"))
# Queue of connections waiting for a worker: a synchronized start arrives all at once.
backlog = int(os.environ.get("HOCVU_BACKLOG", "4096"))
timeout = int(os.environ.get("HOCVU_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# Load the application once, before forking: workers share its memory and start fast.
preload_app = True
# Recycle workers now and then (a slow leak never grows unbounded); jitter avoids a
# simultaneous restart of every worker.
max_requests = int(os.environ.get("HOCVU_MAX_REQUESTS", "20000"))
max_requests_jitter = max_requests // 10
accesslog = os.environ.get("HOCVU_ACCESS_LOG") or None  # "-" for stdout
errorlog = "-"
# Behind a reverse proxy on the same host or network: trust its X-Forwarded-* headers.
forwarded_allow_ips = os.environ.get("HOCVU_FORWARDED_ALLOW_IPS", "127.0.0.1")


def post_fork(server: object, worker: object) -> None:
    # Connections opened before the fork (preload_app) must not be shared between workers.
    from django.db import connections

    connections.close_all()
