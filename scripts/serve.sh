#!/usr/bin/env bash
# Run hocvu in its production configuration on one machine: gunicorn (several workers),
# hashed and compressed static files served by WhiteNoise, the background-task worker and
# the message delivery worker. Embedded SQLite unless DATABASE_URL says otherwise.
# Ctrl+C (or SIGTERM) stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
export HOCVU_STATIC_MANIFEST=1
export HOCVU_BIND="${HOCVU_BIND:-${HOST}:${PORT}}"
export HOCVU_PUBLIC_URL="${HOCVU_PUBLIC_URL:-http://${HOST}:${PORT}}"
if [ -z "${HOCVU_SECRET_KEY:-}${HOCVU_SECRET_KEY_FILE:-}" ]; then
  echo "warning: HOCVU_SECRET_KEY is not set; using the development key in var/ (docs/operations.md)" >&2
fi

mkdir -p var
$PY manage.py migrate -v0
$PY manage.py collectstatic --noinput -v0

pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

$PY manage.py db_worker --no-reload >>var/worker.log 2>&1 & pids+=($!)
$PY manage.py deliver_messages --loop --interval 5 >>var/deliver.log 2>&1 & pids+=($!)
.venv/bin/gunicorn -c deploy/gunicorn.conf.py hocvu.wsgi:application & pids+=($!)
echo "  hocvu (production configuration) at http://${HOCVU_BIND}/  (Ctrl+C stops it)"
echo "  workers: gunicorn $(.venv/bin/gunicorn --version 2>&1 | tail -1); logs of the task and delivery workers: var/*.log"
wait -n "${pids[@]}"
