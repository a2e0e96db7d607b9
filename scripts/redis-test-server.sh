# Functions to run a throw-away Redis server for the tests (sourced by test.sh), like
# pg-test-server.sh does for PostgreSQL: private folder (mktemp), 127.0.0.1 only, a free port,
# nothing saved to disk. The rate-limit tests prove against it that a limit holds across
# several processes (SPEC §6).
#
#   source scripts/redis-test-server.sh
#   redis_test_server_start          # exports REDIS_TEST_URL, REDIS_TEST_DIR, REDIS_TEST_PORT
#   trap redis_test_server_stop EXIT

_redis_free_port() {
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

redis_test_server_start() {
  command -v redis-server >/dev/null || { echo "Redis 未安装（需要 Debian 软件包 redis-server）" >&2; return 1; }
  REDIS_TEST_DIR=$(mktemp -d /tmp/expertpool-redis.XXXXXX)
  REDIS_TEST_PORT=${REDIS_TEST_PORT:-$(_redis_free_port)}
  chmod 700 "$REDIS_TEST_DIR"
  if ! redis-server --port "$REDIS_TEST_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
      --dir "$REDIS_TEST_DIR" --pidfile "$REDIS_TEST_DIR/redis.pid" --logfile "$REDIS_TEST_DIR/redis.log"; then
    echo "Redis 启动失败" >&2
    return 1
  fi
  for _ in $(seq 50); do
    [ -s "$REDIS_TEST_DIR/redis.pid" ] && redis-cli -p "$REDIS_TEST_PORT" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  REDIS_TEST_URL="redis://127.0.0.1:${REDIS_TEST_PORT}/0"
  export REDIS_TEST_DIR REDIS_TEST_PORT REDIS_TEST_URL
  echo "Redis 测试服务器：127.0.0.1:${REDIS_TEST_PORT}"
}

redis_test_server_stop() {
  [ -n "${REDIS_TEST_DIR:-}" ] || return 0
  local pid
  pid=$(cat "$REDIS_TEST_DIR/redis.pid" 2>/dev/null || true)
  if [ -n "$pid" ]; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
  fi
  rm -rf "$REDIS_TEST_DIR"
  unset REDIS_TEST_DIR REDIS_TEST_URL REDIS_TEST_PORT
}
