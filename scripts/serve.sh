#!/usr/bin/env bash
# Install the app into .venv, create and seed the SQLite database, serve on
# 127.0.0.1:$PORT (5000 unless PORT says otherwise).
set -euo pipefail
cd "$(dirname "$0")/.."
port="${PORT:-5000}"
# On another port, links in emails and the printed sign-in point at it (unless told).
if [ -n "${PORT:-}" ] && [ -z "${BOOKING_BASE_URL:-}" ]; then
  export BOOKING_BASE_URL="http://127.0.0.1:$port"
fi
# shellcheck source=scripts/install.sh
source scripts/install.sh
install_app -e .
.venv/bin/flask --app booking init-db
.venv/bin/flask --app booking seed-demo
exec .venv/bin/flask --app booking run --host 127.0.0.1 --port "$port"
