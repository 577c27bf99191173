#!/usr/bin/env bash
# Serve the demo: the web server, the background-task worker (certificates), the stand-in
# national e-ID server, the stand-in national e-ID login (OpenID provider), the stand-in SMTP
# server and SMS/Zalo gateway, and the delivery worker (e-mail, SMS, Zalo, e-ID).
# Ctrl+C stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
EID_PORT=${EID_PORT:-8799}
SMTP_PORT=${SMTP_PORT:-8025}
GATEWAY_PORT=${GATEWAY_PORT:-8798}
OIDC_PORT=${OIDC_PORT:-8797}
VAR=${HOCVU_VAR_DIR:-var}
export HOCVU_EID_URL="http://127.0.0.1:${EID_PORT}"
export HOCVU_EID_CLIENT_ID=hocvu
export HOCVU_EID_CLIENT_SECRET=hocvu-standin-secret
export HOCVU_PUBLIC_URL="http://${HOST}:${PORT}"
export HOCVU_EMAIL_URL="smtp://127.0.0.1:${SMTP_PORT}"
export HOCVU_SMS_URL="http://127.0.0.1:${GATEWAY_PORT}" HOCVU_SMS_TOKEN=hocvu-gateway-standin
export HOCVU_ZALO_URL="http://127.0.0.1:${GATEWAY_PORT}" HOCVU_ZALO_TOKEN=hocvu-gateway-standin
# National e-ID login (docs/national-eid-login.md): the stand-in provider's accounts are the
# demo people with their national ID numbers, written by seed_demo.
export HOCVU_OIDC_ISSUER="http://127.0.0.1:${OIDC_PORT}"
export HOCVU_OIDC_CLIENT_ID=hocvu HOCVU_OIDC_CLIENT_SECRET=hocvu-oidc-standin-secret
export HOCVU_OIDC_SCOPES="openid profile national_id" HOCVU_OIDC_ID_CLAIM=national_id
oidc_args=(--port "$OIDC_PORT" --client-id hocvu --client-secret hocvu-oidc-standin-secret
  --accounts "$VAR/eid-standin-accounts.json")
for site in $(printf '%s\n' "http://${HOST}:${PORT}" "http://localhost:${PORT}" "http://127.0.0.1:${PORT}" | sort -u); do
  oidc_args+=(--redirect-uri "$site/eid/callback/" --post-logout-redirect-uri "$site/")
done

mkdir -p var
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; }
trap cleanup EXIT INT TERM

$PY -m hocvu.credentials.eid_standin --port "$EID_PORT" >var/eid-standin.log 2>&1 & pids+=($!)
# The certified oidc-provider (Node, from the committed lockfile) when Node.js is here and its
# packages are installed or installable; otherwise the Python stand-in.
OIDC_DIR=scripts/oidc-standin
if command -v node >/dev/null && { [ "$OIDC_DIR/node_modules/.package-lock.json" -nt "$OIDC_DIR/package-lock.json" ] ||
  (cd "$OIDC_DIR" && npm ci --no-audit --no-fund --loglevel=error >/dev/null 2>&1); }; then
  node "$OIDC_DIR/provider.mjs" "${oidc_args[@]}" >var/oidc-standin.log 2>&1 & pids+=($!)
  oidc_kind="oidc-provider"
else
  $PY -m hocvu.identity.oidc_standin "${oidc_args[@]}" >var/oidc-standin.log 2>&1 & pids+=($!)
  oidc_kind="Python stand-in"
fi
$PY manage.py db_worker --no-reload >var/worker.log 2>&1 & pids+=($!)
$PY -m hocvu.messaging.standin_smtp --port "$SMTP_PORT" --store var/mails.jsonl >var/smtp-standin.log 2>&1 & pids+=($!)
$PY -m hocvu.messaging.standin_gateway --port "$GATEWAY_PORT" >var/gateway-standin.log 2>&1 & pids+=($!)
$PY manage.py deliver_messages --loop --interval 5 >var/deliver.log 2>&1 & pids+=($!)

echo
echo "  hocvu is running at http://${HOST}:${PORT}/  (Ctrl+C stops it)"
echo "  stand-in national e-ID server: http://127.0.0.1:${EID_PORT}/_received"
echo "  stand-in SMS/Zalo gateway: http://127.0.0.1:${GATEWAY_PORT}/_received"
echo "  national e-ID login: the button on the login page, through the ${oidc_kind} provider"
echo "    at ${HOCVU_OIDC_ISSUER} (choose a demo person; 'Người chưa có hồ sơ' is refused)"
echo "  e-mails received by the stand-in SMTP server: var/mails.jsonl"
echo "  logs of the worker and the delivery worker: var/*.log"
echo
$PY manage.py runserver --insecure --noreload "${HOST}:${PORT}"
