#!/usr/bin/env bash
# Make sure a PostgreSQL server answers on 127.0.0.1:5432 with a role postgres/postgres
# that may create databases: start it if it is stopped, install it if it is missing.
set -euo pipefail
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
if ! command -v pg_ctlcluster >/dev/null; then
  echo "Installing PostgreSQL"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
fi
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  version=$(ls /etc/postgresql | sort -V | tail -1)
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main start
  for _ in $(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
# Works with trust and with password authentication alike.
if [ "$(id -u)" = 0 ]; then
  su postgres -c "psql -q -c \"ALTER ROLE postgres PASSWORD 'postgres'\"" >/dev/null
else
  sudo -u postgres psql -q -c "ALTER ROLE postgres PASSWORD 'postgres'" >/dev/null
fi
# The database the application itself (and `makemigrations --check`) connects to; the test
# runner creates its own test_hocvu next to it.
if [ "$(id -u)" = 0 ]; then
  su postgres -c "psql -tAc \"SELECT 1 FROM pg_database WHERE datname='hocvu'\"" | grep -q 1 \
    || su postgres -c "createdb hocvu"
else
  sudo -u postgres psql -tAc "SELECT 1 FROM pg_database WHERE datname='hocvu'" | grep -q 1 \
    || sudo -u postgres createdb hocvu
fi
