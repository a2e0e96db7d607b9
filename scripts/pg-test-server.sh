# Functions to run a throw-away PostgreSQL server for the tests (sourced by test.sh).
# initdb refuses root, so the server runs as the postgres user on a private data dir.
pg_test_server_start() {
  local bindir
  bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$bindir" ] || { echo "PostgreSQL 未安装" >&2; return 1; }
  PG_TEST_DIR=$(mktemp -d /tmp/expertpool-pg.XXXXXX)
  PG_TEST_PORT=${PG_TEST_PORT:-55432}
  local runas=()
  if [ "$(id -u)" = "0" ]; then
    chown postgres "$PG_TEST_DIR"
    runas=(runuser -u postgres --)
  fi
  "${runas[@]}" "$bindir/initdb" -D "$PG_TEST_DIR/data" --auth=trust -U postgres -E UTF8 >/dev/null
  "${runas[@]}" "$bindir/pg_ctl" -D "$PG_TEST_DIR/data" -l "$PG_TEST_DIR/log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $PG_TEST_PORT -k $PG_TEST_DIR -c fsync=off" start >/dev/null
  "${runas[@]}" "$bindir/createdb" -h 127.0.0.1 -p "$PG_TEST_PORT" -U postgres expertpool_test
  PG_TEST_BINDIR=$bindir
  PG_TEST_URL="postgresql+psycopg://postgres@127.0.0.1:${PG_TEST_PORT}/expertpool_test"
  export PG_TEST_URL PG_TEST_DIR PG_TEST_BINDIR
}

pg_test_server_stop() {
  [ -n "${PG_TEST_DIR:-}" ] || return 0
  local runas=()
  [ "$(id -u)" = "0" ] && runas=(runuser -u postgres --)
  "${runas[@]}" "$PG_TEST_BINDIR/pg_ctl" -D "$PG_TEST_DIR/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$PG_TEST_DIR"
}
