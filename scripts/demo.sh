#!/usr/bin/env bash
# Serve the demo: the web server, the background-task worker (certificates), the stand-in
# national e-ID server and the e-ID sender. Ctrl+C stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
EID_PORT=${EID_PORT:-8799}
export HOCVU_EID_URL="http://127.0.0.1:${EID_PORT}"
export HOCVU_EID_CLIENT_ID=hocvu
export HOCVU_EID_CLIENT_SECRET=hocvu-standin-secret
export HOCVU_PUBLIC_URL="http://${HOST}:${PORT}"

mkdir -p var
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; }
trap cleanup EXIT INT TERM

$PY -m hocvu.credentials.eid_standin --port "$EID_PORT" >var/eid-standin.log 2>&1 & pids+=($!)
$PY manage.py db_worker --no-reload >var/worker.log 2>&1 & pids+=($!)
$PY manage.py push_eid --loop >var/push-eid.log 2>&1 & pids+=($!)

echo
echo "  hocvu is running at http://${HOST}:${PORT}/  (Ctrl+C stops it)"
echo "  stand-in national e-ID server: http://127.0.0.1:${EID_PORT}/_received"
echo "  logs of the worker and the e-ID sender: var/*.log"
echo
$PY manage.py runserver --insecure --noreload "${HOST}:${PORT}"
