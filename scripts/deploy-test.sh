#!/usr/bin/env bash
# The deployment test (CI, after scripts/test.sh): runs scripts/deploy.sh on this machine the
# way an administrator would, but into a throw-away prefix — its own nginx configuration,
# PostgreSQL cluster, Redis, service user and ports on 127.0.0.1, services started directly
# (no systemd) — then scripts/deploy_smoke.py checks the result through nginx over HTTPS.
# Everything it started is stopped and removed at the end. Needs root on Debian 12.
#   bash scripts/deploy-test.sh            KEEP=1 keeps the prefix for a look afterwards
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
[ "$(id -u)" = 0 ] || { echo "部署测试需要 root（它安装系统软件包并启动服务）。" >&2; exit 1; }
started=$(date +%s)

# What deploy.sh installs, installed first so that nginx's configuration can be copied.
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq git python3 python3-venv nginx postgresql redis-server openssl cron logrotate \
  fonts-wqy-microhei >/dev/null

free_port() { /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PREFIX=$(mktemp -d /tmp/expertpool-deploy.XXXXXX)
chmod 0755 "$PREFIX"  # the service user and nginx must reach the checkout inside
export PREFIX
export APP_USER=expertpool-ci SERVER_NAME=localhost BIND_ADDR=127.0.0.1 WORKERS=4
export PG_CLUSTER="deploytest$$"
HTTP_PORT=$(free_port) HTTPS_PORT=$(free_port) APP_PORT=$(free_port) REDIS_PORT=$(free_port) PG_PORT=$(free_port)
export HTTP_PORT HTTPS_PORT APP_PORT REDIS_PORT PG_PORT
export ADMIN_USER=admin ADMIN_PASSWORD_FILE=$PREFIX/admin-password
PG_VERSION=$(ls /usr/lib/postgresql | sort -V | tail -n 1)

stop_pidfile() {  # stop the process named by a pid file, and wait for it to go
  local pid
  [ -s "$1" ] || return 0
  pid=$(cat "$1")
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}
cleanup() {
  local status=$?
  set +e
  stop_pidfile "$PREFIX/run/expertpool/gunicorn.pid"
  stop_pidfile "$PREFIX/run/nginx.pid"
  stop_pidfile "$PREFIX/run/redis/redis-server.pid"
  if pg_lsclusters -h 2>/dev/null | awk '{print $2}' | grep -qx "$PG_CLUSTER"; then
    pg_dropcluster --stop "$PG_VERSION" "$PG_CLUSTER"
  fi
  if [ "${KEEP:-0}" = 1 ]; then
    echo "保留了测试目录 $PREFIX（服务已停止）。"
  else
    rm -rf "$PREFIX"
  fi
  id -u "$APP_USER" >/dev/null 2>&1 && userdel "$APP_USER"
  echo "部署测试总用时 $(($(date +%s) - started)) 秒（退出码 $status）。"
  exit "$status"
}
trap cleanup EXIT

# The checkout, as "git clone" would leave it (tracked and new files; no .venv, no instance/).
mkdir -p "$PREFIX/opt/expertpool"
if git rev-parse --git-dir >/dev/null 2>&1; then
  git ls-files -z --cached --others --exclude-standard \
    | while IFS= read -r -d '' f; do [ -f "$f" ] && printf '%s\0' "$f"; done \
    | tar --null -T - -cf - | tar -xf - -C "$PREFIX/opt/expertpool"
else
  tar --exclude=./.git --exclude=./.venv --exclude=./instance --exclude=./test-artifacts -cf - . \
    | tar -xf - -C "$PREFIX/opt/expertpool"
fi

# nginx's own configuration, moved into the prefix (its sites, pid file and logs).
mkdir -p "$PREFIX/etc" "$PREFIX/run" "$PREFIX/var/log/nginx"
cp -a /etc/nginx "$PREFIX/etc/nginx"
sed -i -e "s#/etc/nginx/#$PREFIX/etc/nginx/#g" -e "s#^pid .*#pid $PREFIX/run/nginx.pid;#" \
  -e "s#/var/log/nginx/#$PREFIX/var/log/nginx/#g" "$PREFIX/etc/nginx/nginx.conf"
[ -e "$PREFIX/etc/nginx/sites-enabled/default" ] || ln -s ../sites-available/default "$PREFIX/etc/nginx/sites-enabled/default"
sed -i -e "s#listen 80 default_server#listen 127.0.0.1:$(free_port) default_server#" \
  -e "s#listen \[::\]:80 default_server;##" "$PREFIX/etc/nginx/sites-available/default"

# The first sysadmin's password, in a file (never on a command line).
(umask 077 && /usr/bin/python3 -c 'import secrets; print("Ep#" + secrets.token_urlsafe(18))' >"$ADMIN_PASSWORD_FILE")

echo "== 部署（scripts/deploy.sh，前缀 $PREFIX）"
deploy_started=$(date +%s.%N)
timeout 600 bash "$PREFIX/opt/expertpool/scripts/deploy.sh"
deploy_seconds=$(awk -v a="$deploy_started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
echo "deploy.sh 用时 $deploy_seconds 秒"

echo "== 冒烟测试（scripts/deploy_smoke.py）"
timeout 240 "$PREFIX/opt/expertpool/.venv/bin/python" "$PREFIX/opt/expertpool/scripts/deploy_smoke.py"
