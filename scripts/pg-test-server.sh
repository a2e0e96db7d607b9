# Functions to run a throw-away PostgreSQL server for the tests and benchmarks (sourced by
# test.sh and bench/*.sh). initdb refuses root, so as root the server runs as the postgres
# user; its data folder is private (mktemp), it listens on 127.0.0.1 only, on a free port.
#
#   source scripts/pg-test-server.sh
#   pg_test_server_start            # exports PG_TEST_URL, PG_TEST_DIR, PG_TEST_PORT, PG_TEST_BINDIR
#   trap pg_test_server_stop EXIT
#
# Durability is switched off (fsync, synchronous_commit, full_page_writes): the data is
# thrown away at the end, and the tests create and drop the schema hundreds of times.

_pg_free_port() {
  # A port nobody listens on (several test runs may share a machine).
  local py
  py=$(command -v python3 || true)
  [ -x .venv/bin/python ] && py=.venv/bin/python
  "$py" - <<'PY'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
}

_pg_runas() {
  if [ "$(id -u)" = "0" ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

pg_test_server_start() {
  local bindir
  bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$bindir" ] && [ -x "$bindir/initdb" ] || { echo "PostgreSQL 未安装（需要 Debian 软件包 postgresql）" >&2; return 1; }
  PG_TEST_BINDIR=$bindir
  PG_TEST_DIR=$(mktemp -d /tmp/expertpool-pg.XXXXXX)
  PG_TEST_PORT=${PG_TEST_PORT:-$(_pg_free_port)}
  export PG_TEST_DIR PG_TEST_BINDIR PG_TEST_PORT
  if [ "$(id -u)" = "0" ]; then
    chown postgres "$PG_TEST_DIR"
  fi
  chmod 700 "$PG_TEST_DIR"
  if ! _pg_runas "$bindir/initdb" -D "$PG_TEST_DIR/data" --auth=trust -U postgres -E UTF8 --locale=C.UTF-8 \
      >"$PG_TEST_DIR/initdb.log" 2>&1; then
    cat "$PG_TEST_DIR/initdb.log" >&2
    echo "PostgreSQL initdb 失败" >&2
    return 1
  fi
  if ! _pg_runas "$bindir/pg_ctl" -D "$PG_TEST_DIR/data" -l "$PG_TEST_DIR/log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $PG_TEST_PORT -k $PG_TEST_DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
      start >/dev/null; then
    cat "$PG_TEST_DIR/log" >&2 || true
    echo "PostgreSQL 启动失败" >&2
    return 1
  fi
  _pg_runas "$bindir/createdb" -h 127.0.0.1 -p "$PG_TEST_PORT" -U postgres expertpool_test
  PG_TEST_URL="postgresql+psycopg://postgres@127.0.0.1:${PG_TEST_PORT}/expertpool_test"
  export PG_TEST_URL
  echo "PostgreSQL 测试服务器：127.0.0.1:${PG_TEST_PORT}（数据目录 ${PG_TEST_DIR}）"
}

pg_test_server_stop() {
  [ -n "${PG_TEST_DIR:-}" ] || return 0
  if [ -f "$PG_TEST_DIR/data/postmaster.pid" ]; then
    _pg_runas "$PG_TEST_BINDIR/pg_ctl" -D "$PG_TEST_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$PG_TEST_DIR"
  unset PG_TEST_DIR PG_TEST_URL
}
