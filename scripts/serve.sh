#!/usr/bin/env bash
# Install the app into .venv, create and seed the SQLite database, serve on 127.0.0.1:5000.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e .
.venv/bin/flask --app booking init-db
.venv/bin/flask --app booking seed-demo
exec .venv/bin/flask --app booking run --host 127.0.0.1 --port "${PORT:-5000}"
