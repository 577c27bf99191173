#!/usr/bin/env bash
# Serve the demo: the web server, the background-task worker (certificates), the stand-in
# national e-ID server, the stand-in SMTP server and SMS/Zalo gateway, and the delivery worker
# (e-mail, SMS, Zalo, e-ID). Ctrl+C stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
EID_PORT=${EID_PORT:-8799}
SMTP_PORT=${SMTP_PORT:-8025}
GATEWAY_PORT=${GATEWAY_PORT:-8798}
export HOCVU_EID_URL="http://127.0.0.1:${EID_PORT}"
export HOCVU_EID_CLIENT_ID=hocvu
export HOCVU_EID_CLIENT_SECRET=hocvu-standin-secret
export HOCVU_PUBLIC_URL="http://${HOST}:${PORT}"
export HOCVU_EMAIL_URL="smtp://127.0.0.1:${SMTP_PORT}"
export HOCVU_SMS_URL="http://127.0.0.1:${GATEWAY_PORT}" HOCVU_SMS_TOKEN=hocvu-gateway-standin
export HOCVU_ZALO_URL="http://127.0.0.1:${GATEWAY_PORT}" HOCVU_ZALO_TOKEN=hocvu-gateway-standin

mkdir -p var
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; }
trap cleanup EXIT INT TERM

$PY -m hocvu.credentials.eid_standin --port "$EID_PORT" >var/eid-standin.log 2>&1 & pids+=($!)
$PY manage.py db_worker --no-reload >var/worker.log 2>&1 & pids+=($!)
$PY -m hocvu.messaging.standin_smtp --port "$SMTP_PORT" --store var/mails.jsonl >var/smtp-standin.log 2>&1 & pids+=($!)
$PY -m hocvu.messaging.standin_gateway --port "$GATEWAY_PORT" >var/gateway-standin.log 2>&1 & pids+=($!)
$PY manage.py deliver_messages --loop --interval 5 >var/deliver.log 2>&1 & pids+=($!)

echo
echo "  hocvu is running at http://${HOST}:${PORT}/  (Ctrl+C stops it)"
echo "  stand-in national e-ID server: http://127.0.0.1:${EID_PORT}/_received"
echo "  stand-in SMS/Zalo gateway: http://127.0.0.1:${GATEWAY_PORT}/_received"
echo "  e-mails received by the stand-in SMTP server: var/mails.jsonl"
echo "  logs of the worker and the delivery worker: var/*.log"
echo
$PY manage.py runserver --insecure --noreload "${HOST}:${PORT}"
