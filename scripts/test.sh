#!/usr/bin/env bash
# Install everything the tests need and run every test (README, second command):
# the whole suite on SQLite, then again on a private PostgreSQL server; a private Redis server
# runs throughout for the rate-limit tests across processes. Each pass runs in parallel on
# every core (pytest-xdist; TEST_WORKERS=N to choose, 0 for one process) and prints its duration.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  need=""
  for pkg in chromium fonts-wqy-microhei poppler-utils postgresql redis-server; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need="$need $pkg"
  done
  if [ -n "$need" ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null
  fi
fi
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
[ -d .venv ] || "$PY" -m venv .venv
.venv/bin/pip install -q -r requirements-dev.txt

# Both passes run even if the first fails, so one CI run shows every failure; the script
# fails if either pass failed. The PostgreSQL and Redis servers are stopped however the run ends.
source scripts/redis-test-server.sh
trap redis_test_server_stop EXIT
redis_test_server_start
# Each xdist worker is a process with its own SQLite in memory; on PostgreSQL each worker
# creates and uses a database of its own (tests/__init__.py). --dist loadfile keeps a file's
# tests on one worker, so module-scoped fixtures (servers, installations) are built once.
workers=${TEST_WORKERS:-auto}
parallel=(-n "$workers" --dist loadfile)
[ "$workers" != "0" ] || parallel=()

# Seconds since $1, as "N 秒（M 分 S 秒）".
took() {
  local s=$(( $(date +%s) - $1 ))
  echo "${s} 秒（$((s / 60)) 分 $((s % 60)) 秒）"
}

status=0
echo "== 测试：SQLite =="
started=$(date +%s)
.venv/bin/python -m pytest -q -p no:cacheprovider "${parallel[@]}" "$@" || status=$?
echo "== SQLite 测试用时：$(took "$started") =="

if [ "${SKIP_POSTGRES:-0}" != "1" ]; then
  echo "== 测试：PostgreSQL =="
  source scripts/pg-test-server.sh
  trap 'pg_test_server_stop; redis_test_server_stop' EXIT
  pg_test_server_start
  pg_status=0
  started=$(date +%s)
  TEST_DATABASE_URL="$PG_TEST_URL" .venv/bin/python -m pytest -q -p no:cacheprovider "${parallel[@]}" "$@" \
    || pg_status=$?
  echo "== PostgreSQL 测试用时：$(took "$started") =="
  [ "$status" != "0" ] || status=$pg_status
  pg_test_server_stop
  trap redis_test_server_stop EXIT
fi
redis_test_server_stop
trap - EXIT
if [ "$status" != "0" ]; then
  echo "测试未全部通过（退出码 $status）" >&2
fi
exit "$status"
