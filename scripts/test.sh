#!/usr/bin/env bash
# Install what the tests need (Python packages, Debian's Chromium, PostgreSQL and Redis),
# run the linters, then the whole suite on SQLite and again on a throwaway PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql postgresql-contrib)
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -q
  $sudo apt-get install -y -q "${missing[@]}"
fi

# shellcheck source=scripts/install.sh
source scripts/install.sh
install_app -e ".[test]"

echo "== ruff"
.venv/bin/ruff format --check .
.venv/bin/ruff check .

echo "== pytest on SQLite"
.venv/bin/pytest "$@"

echo "== pytest on PostgreSQL"
# shellcheck source=scripts/postgres.sh
source scripts/postgres.sh
trap stop_postgres EXIT
start_postgres
.venv/bin/pytest "$@"
