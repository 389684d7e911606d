# Sourced by scripts/serve.sh and scripts/test.sh. install_app ARGS... installs into
# .venv what pip's arguments name (-e . or -e ".[test]"), showing its progress: with uv
# (installed from PyPI into the venv first; seconds instead of a minute), or with plain
# pip when uv cannot (an index only pip is set up for, no wheel of uv for the machine).

UV_VERSION=0.13.8

install_app() {
  if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "== Python 3.11 or newer is needed; python3 is $(python3 --version 2>&1)" >&2
    return 1
  fi
  # A .venv left half-made (no pip) or made by an older Python is made again.
  if ! .venv/bin/python -c 'import pip, sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    python3 -m venv --clear .venv
  fi
  if have_uv && .venv/bin/python -m uv pip install --python .venv/bin/python "$@"; then
    return 0
  fi
  echo "== uv could not install: installing with pip instead (slower)" >&2
  .venv/bin/python -m pip install --disable-pip-version-check --progress-bar on "$@"
}

have_uv() {
  .venv/bin/python -m uv --version >/dev/null 2>&1 && return 0
  echo "== installing uv $UV_VERSION into .venv (a faster installer)"
  .venv/bin/python -m pip install -q --disable-pip-version-check "uv==$UV_VERSION"
}
