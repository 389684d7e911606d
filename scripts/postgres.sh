# Sourced by scripts/test.sh: a throwaway PostgreSQL server on a loopback port.
# start_postgres installs Debian's server if needed, starts a fresh cluster in a
# temporary folder, creates the test database and exports BOOKING_TEST_DATABASE_URL;
# stop_postgres stops it and removes the folder.

start_postgres() {
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -q
    $sudo apt-get install -y -q postgresql postgresql-contrib
  fi
  PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  PGTMP=$(mktemp -d)
  $sudo chown postgres:postgres "$PGTMP"
  PGPORT_TEST=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  $sudo runuser -u postgres -- "$PGBIN/initdb" -D "$PGTMP/data" -U postgres -A trust -E UTF8 --no-locale >/dev/null
  $sudo runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGTMP/data" -l "$PGTMP/log" -w \
    -o "-p $PGPORT_TEST -k $PGTMP -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
    start >/dev/null
  "$PGBIN/createdb" -h 127.0.0.1 -p "$PGPORT_TEST" -U postgres booking_test
  export BOOKING_TEST_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$PGPORT_TEST/booking_test"
  echo "PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PGPORT_TEST"
}

stop_postgres() {
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  if [ -n "${PGTMP:-}" ] && [ -d "$PGTMP/data" ]; then
    $sudo runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGTMP/data" -m fast -w stop >/dev/null || true
    $sudo rm -rf "$PGTMP"
  fi
}
