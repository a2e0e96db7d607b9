#!/usr/bin/env bash
# Install or update the expert pool on one Debian 12 server, as root: PostgreSQL, Redis,
# gunicorn behind nginx with HTTPS, nightly backups. docs/deployment.md explains every
# line of this file (tests/deploy/test_guide.py checks that it shows all of them).
# Running it again updates the installation and keeps its secrets and data.
set -euo pipefail

# Settings: the defaults suit a server; each can be given in the environment.
PREFIX=${PREFIX:-}            # empty on a server; the CI test installs under a throw-away folder
APP_DIR=$(cd "$(dirname "$0")/.." && pwd)
APP_USER=${APP_USER:-expertpool}
SERVER_NAME=${SERVER_NAME:-$(hostname -f 2>/dev/null || hostname)}
BIND_ADDR=${BIND_ADDR:-0.0.0.0}
HTTP_PORT=${HTTP_PORT:-80}
HTTPS_PORT=${HTTPS_PORT:-443}
APP_PORT=${APP_PORT:-8000}
WORKERS=${WORKERS:-4}
PG_CLUSTER=${PG_CLUSTER:-main}
PG_PORT=${PG_PORT:-5432}
DB_NAME=${DB_NAME:-expertpool}
REDIS_PORT=${REDIS_PORT:-6379}
ADMIN_USER=${ADMIN_USER:-admin}
ADMIN_PASSWORD_FILE=${ADMIN_PASSWORD_FILE:-}
ETC_DIR=$PREFIX/etc/expertpool
ENV_FILE=$ETC_DIR/expertpool.env
DATA_DIR=$PREFIX/var/lib/expertpool
BACKUP_DIR=$PREFIX/var/backups/expertpool
LOG_DIR=$PREFIX/var/log/expertpool
RUN_DIR=$PREFIX/run/expertpool
SSL_DIR=$PREFIX/etc/ssl/expertpool
NGINX_DIR=$PREFIX/etc/nginx
FLASK=$PREFIX/usr/local/bin/expertpool-flask
HTTPS_SUFFIX=$([ "$HTTPS_PORT" = 443 ] || echo ":$HTTPS_PORT")
# systemd on a server; where it is not running (containers, the CI test) services start directly.
if [ -z "$PREFIX" ] && [ -d /run/systemd/system ]; then USE_SYSTEMD=1; else USE_SYSTEMD=0; fi

step() { printf '\n== %s\n' "$*"; }

# Print stdin with every @NAME@ replaced by the setting NAME (no secrets pass through here).
fill() {
  local text name
  text=$(cat)
  for name in APP_DIR APP_USER SERVER_NAME BIND_ADDR HTTP_PORT HTTPS_PORT HTTPS_SUFFIX APP_PORT WORKERS \
      ENV_FILE ETC_DIR DATA_DIR BACKUP_DIR LOG_DIR RUN_DIR SSL_DIR FLASK ADMIN_STATIC; do
    text=${text//@$name@/${!name:-}}
  done
  printf '%s\n' "$text"
}

step "1. 系统软件包"
[ "$(id -u)" = 0 ] || { echo "请以 root 运行：bash scripts/deploy.sh" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq git python3 python3-venv nginx postgresql redis-server openssl cron logrotate \
  fonts-wqy-microhei >/dev/null
/usr/bin/python3 -c 'import sys; assert sys.version_info[:2] == (3, 11), sys.version'

step "2. 服务用户和目录"
id -u "$APP_USER" >/dev/null 2>&1 \
  || useradd --system --user-group --home-dir "$DATA_DIR" --no-create-home --shell /usr/sbin/nologin "$APP_USER"
chown -R root:root "$APP_DIR"
mkdir -p "$PREFIX/usr/local/bin" "$PREFIX/etc/systemd/system" "$PREFIX/etc/cron.d" "$PREFIX/etc/logrotate.d"
install -d -m 0755 -o root -g root "$ETC_DIR"
install -d -m 0750 -o "$APP_USER" -g "$APP_USER" "$DATA_DIR" "$DATA_DIR/uploads" "$BACKUP_DIR" "$LOG_DIR" \
  "$RUN_DIR" "$APP_DIR/instance"
chown -R "$APP_USER:$APP_USER" "$APP_DIR/instance"

step "3. Python 虚拟环境（系统自带的 Python 3.11）"
if [ "$(readlink -f "$APP_DIR/.venv/bin/python" 2>/dev/null)" != "$(readlink -f /usr/bin/python3)" ]; then
  rm -rf "$APP_DIR/.venv"
  /usr/bin/python3 -m venv "$APP_DIR/.venv"
fi
"$APP_DIR/.venv/bin/pip" install --quiet --disable-pip-version-check -r "$APP_DIR/requirements.txt"
ADMIN_STATIC=$("$APP_DIR/.venv/bin/python" -c \
  'import flask_admin, os; print(os.path.join(os.path.dirname(flask_admin.__file__), "static"))')

step "4. PostgreSQL 和 Redis"
PG_VERSION=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
pg_lsclusters -h | awk '{print $1 "/" $2}' | grep -qx "$PG_VERSION/$PG_CLUSTER" \
  || pg_createcluster --port "$PG_PORT" --locale C.UTF-8 "$PG_VERSION" "$PG_CLUSTER" >/dev/null
PG_PORT=$(pg_conftool -s "$PG_VERSION" "$PG_CLUSTER" show port)
if [ "$USE_SYSTEMD" = 1 ]; then
  systemctl enable --now postgresql redis-server
else
  pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" status >/dev/null || pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" start
  install -d -m 0750 -o redis -g redis "$PREFIX/run/redis"
  redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 \
    || runuser -u redis -- redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no \
      --dir /var/lib/redis --daemonize yes --pidfile "$PREFIX/run/redis/redis-server.pid" --logfile ''
fi

step "5. 密钥和环境文件"
# Secrets are made once, in a file that is 0600 from its first byte (umask 077), and never
# pass through a command line. Further secrets (such as the key that encrypts personal
# data) are generated here the same way, when absent, next to this file.
if [ ! -f "$ENV_FILE" ]; then
  SECRET_KEY=$(openssl rand -hex 32)
  DB_PASSWORD=$(openssl rand -hex 24)
  (
    umask 077
    cat >"$ENV_FILE" <<EOF
# The expert pool's settings (docs/deployment.md, step 5). Made by scripts/deploy.sh;
# running it again keeps this file. Owned by root, mode 0600: it holds the secrets.
APP_ENV=production
SECRET_KEY=$SECRET_KEY
DATABASE_URL=postgresql://$APP_USER:$DB_PASSWORD@127.0.0.1:$PG_PORT/$DB_NAME
UPLOAD_DIR=$DATA_DIR/uploads
RATELIMIT_STORAGE_URI=redis://127.0.0.1:$REDIS_PORT/0
PUBLIC_BASE_URL=https://$SERVER_NAME$HTTPS_SUFFIX
PROXY_FIX=1
# Further secrets go below (KEY=value, one a line).
EOF
  )
fi
# Keys added since the file was first made are appended when absent, so an upgrade keeps
# every existing key: DATA_ENCRYPTION_KEY (SM4, 128 bits) encrypts personal data and
# two-factor secrets; AUDIT_HMAC_KEY seals the head of the audit log's hash chain.
for spec in DATA_ENCRYPTION_KEY:16 AUDIT_HMAC_KEY:32; do
  name=${spec%%:*}
  grep -q "^$name=" "$ENV_FILE" || (umask 077; echo "$name=$(openssl rand -hex "${spec#*:}")" >>"$ENV_FILE")
done
chown root:root "$ENV_FILE"
chmod 0600 "$ENV_FILE"
. "$ENV_FILE"
DB_PASSWORD=${DATABASE_URL#*://*:}
DB_PASSWORD=${DB_PASSWORD%%@*}

step "6. 数据库账号和数据库"
# The password reaches psql on its standard input, never on a command line.
(cd / && runuser -u postgres -- psql --quiet --no-psqlrc -v ON_ERROR_STOP=1 -p "$PG_PORT" -d postgres) <<SQL
SELECT 'CREATE ROLE "$APP_USER" LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$APP_USER')\gexec
ALTER ROLE "$APP_USER" PASSWORD '$DB_PASSWORD';
SELECT 'CREATE DATABASE "$DB_NAME" OWNER "$APP_USER" ENCODING ''UTF8'' TEMPLATE template0'
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$DB_NAME')\gexec
SQL

step "7. 管理命令 expertpool-flask"
fill >"$FLASK" <<'EOF'
#!/bin/bash
# expertpool-flask COMMAND …: "flask --app wsgi COMMAND …" of the expert pool, run as
# @APP_USER@ with the settings of @ENV_FILE@. Run it as root. A variable set by the
# caller wins over the file: a restore drill sets DATABASE_URL and UPLOAD_DIR.
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "expertpool-flask：请以 root 运行（它读取 @ENV_FILE@）。" >&2; exit 1; }
while IFS= read -r line; do
  case $line in '' | '#'*) continue ;; esac
  name=${line%%=*}
  [ -z "${!name+set}" ] || continue
  export "$line"
done <"@ENV_FILE@"
cd "@APP_DIR@"
umask 027
exec /usr/sbin/runuser -u "@APP_USER@" -- "@APP_DIR@/.venv/bin/flask" --app wsgi "$@"
EOF
chmod 0755 "$FLASK"

step "8. 数据库结构、基础数据和第一个系统管理员"
"$FLASK" db upgrade
# The 附件5 form, the 附件4 fee standard, holidays and settings: added where missing, never overwritten.
"$FLASK" reference-data
if [ -n "$ADMIN_PASSWORD_FILE" ]; then
  "$FLASK" create-user "$ADMIN_USER" --role sysadmin --name 系统管理员 --if-absent --password-file - \
    <"$ADMIN_PASSWORD_FILE"
else
  "$FLASK" create-user "$ADMIN_USER" --role sysadmin --name 系统管理员 --if-absent
fi

step "9. gunicorn"
fill >"$ETC_DIR/gunicorn.conf.py" <<'EOF'
# gunicorn settings of the expert pool (written by scripts/deploy.sh).
import os

# Only nginx reaches the workers: nothing else can send a forged X-Forwarded-For.
bind = "127.0.0.1:@APP_PORT@"
workers = @WORKERS@
timeout = 60
graceful_timeout = 20
max_requests = 2000
max_requests_jitter = 200
pidfile = "@RUN_DIR@/gunicorn.pid"
errorlog = "@LOG_DIR@/error.log"
accesslog = "@LOG_DIR@/access.log"
# %(h)s is the client's address as the app sees it (PROXY_FIX=1: the one nginx passed on);
# <pid> tells the workers apart.
access_log_format = '%(h)s - %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms %(p)s'


def post_fork(server, worker):
    # Uploads (ID-card scans) are 0640 in 0750 folders, whatever umask started gunicorn.
    os.umask(0o027)
EOF
fill >"$PREFIX/etc/systemd/system/expertpool.service" <<'EOF'
[Unit]
Description=武进区安全生产专家库 (gunicorn)
After=network.target postgresql.service redis-server.service
Wants=postgresql.service redis-server.service

[Service]
User=@APP_USER@
Group=@APP_USER@
WorkingDirectory=@APP_DIR@
EnvironmentFile=@ENV_FILE@
UMask=0027
RuntimeDirectory=expertpool
ExecStart=@APP_DIR@/.venv/bin/gunicorn --config @ETC_DIR@/gunicorn.conf.py wsgi:app
ExecReload=/bin/kill -s HUP $MAINPID
Restart=on-failure
PrivateTmp=true
NoNewPrivileges=true
ProtectSystem=full
ReadWritePaths=@DATA_DIR@ @BACKUP_DIR@ @LOG_DIR@ @APP_DIR@/instance

[Install]
WantedBy=multi-user.target
EOF
if [ "$USE_SYSTEMD" = 1 ]; then
  systemctl daemon-reload
  systemctl enable expertpool
  systemctl reload-or-restart expertpool
elif [ -s "$RUN_DIR/gunicorn.pid" ] && kill -0 "$(cat "$RUN_DIR/gunicorn.pid")" 2>/dev/null; then
  kill -HUP "$(cat "$RUN_DIR/gunicorn.pid")"
else
  (set -a && . "$ENV_FILE" && set +a && cd "$APP_DIR" && umask 027 \
    && runuser -u "$APP_USER" -- .venv/bin/gunicorn --config "$ETC_DIR/gunicorn.conf.py" --daemon wsgi:app)
fi
for _ in $(seq 100); do (: <"/dev/tcp/127.0.0.1/$APP_PORT") 2>/dev/null && break; sleep 0.2; done
(: <"/dev/tcp/127.0.0.1/$APP_PORT") 2>/dev/null || { echo "gunicorn 未能启动，见 $LOG_DIR/error.log" >&2; exit 1; }

step "10. HTTPS 证书"
# A self-signed certificate for a trial. For service, put the bureau's certificate chain
# and key in these two files (same names) and reload nginx (step 11).
install -d -m 0700 -o root -g root "$SSL_DIR"
if [ ! -f "$SSL_DIR/fullchain.pem" ]; then
  (umask 077 && openssl req -x509 -newkey rsa:2048 -nodes -days 397 -subj "/CN=$SERVER_NAME" \
    -addext "subjectAltName=DNS:$SERVER_NAME" -keyout "$SSL_DIR/privkey.pem" -out "$SSL_DIR/fullchain.pem" 2>/dev/null)
fi

step "11. nginx"
fill >"$NGINX_DIR/sites-available/expertpool" <<'EOF'
# nginx site of the expert pool (written by scripts/deploy.sh).
# Static files with a version in their address (Flask-Admin's ?v=…) never change: cached
# for a year. The others change with an update: the browser revalidates them (304).
map $arg_v $expertpool_static_expires {
    ""      epoch;
    default 1y;
}

server {
    listen @BIND_ADDR@:@HTTP_PORT@ default_server;
    server_name @SERVER_NAME@;
    server_tokens off;
    return 301 https://$host@HTTPS_SUFFIX@$request_uri;
}

server {
    listen @BIND_ADDR@:@HTTPS_PORT@ ssl http2 default_server;
    server_name @SERVER_NAME@;
    server_tokens off;

    ssl_certificate     @SSL_DIR@/fullchain.pem;
    ssl_certificate_key @SSL_DIR@/privkey.pem;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_prefer_server_ciphers off;
    ssl_session_cache shared:expertpool:10m;
    ssl_session_timeout 1d;
    ssl_session_tickets off;

    # On every answer of this server, static files and nginx's own error pages included.
    # No location below has an add_header of its own: it would drop these two.
    add_header Strict-Transport-Security "max-age=31536000" always;
    add_header X-Content-Type-Options "nosniff" always;

    gzip on;
    gzip_vary on;
    gzip_proxied any;
    gzip_comp_level 5;
    gzip_min_length 256;
    gzip_types text/css text/javascript application/javascript application/json image/svg+xml
               text/plain application/xml;

    # The 自荐 form carries a photo and scans; the app itself refuses more than 30 MB.
    client_max_body_size 32m;

    location /static/ {
        alias @APP_DIR@/app/static/;
        expires $expertpool_static_expires;
    }

    location /admin/static/ {
        alias @ADMIN_STATIC@/;
        expires $expertpool_static_expires;
    }

    location / {
        proxy_pass http://127.0.0.1:@APP_PORT@;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host              $host;
        proxy_set_header X-Forwarded-For   $remote_addr;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header X-Forwarded-Host  $host;
        proxy_set_header X-Forwarded-Port  $server_port;
        # nginx adds these two itself (above); the app's copies would double them.
        proxy_hide_header Strict-Transport-Security;
        proxy_hide_header X-Content-Type-Options;
        proxy_read_timeout 90s;
    }
}
EOF
ln -sf "$NGINX_DIR/sites-available/expertpool" "$NGINX_DIR/sites-enabled/expertpool"
rm -f "$NGINX_DIR/sites-enabled/default"
nginx -q -t -c "$NGINX_DIR/nginx.conf"
if [ "$USE_SYSTEMD" = 1 ]; then
  systemctl enable nginx
  systemctl reload-or-restart nginx
else
  nginx -c "$NGINX_DIR/nginx.conf" -s reload 2>/dev/null || nginx -c "$NGINX_DIR/nginx.conf"
fi

step "12. 每晚备份"
fill >"$PREFIX/etc/cron.d/expertpool-backup" <<'EOF'
# Nightly backup at 02:30, keeping 30 days. Each run appends a dated line to the log; a
# failed run exits 1, and the sysadmin's dashboard warns when no backup succeeded for 26 hours.
30 2 * * * root @FLASK@ backup @BACKUP_DIR@ >>@LOG_DIR@/backup.log 2>&1 && find @BACKUP_DIR@ -name '专家库备份-*.tar.gz' -mtime +30 -delete
EOF
fill >"$PREFIX/etc/logrotate.d/expertpool" <<'EOF'
@LOG_DIR@/*.log {
    su @APP_USER@ @APP_USER@
    weekly
    rotate 12
    compress
    delaycompress
    missingok
    notifempty
    copytruncate
}
EOF
[ -f "$LOG_DIR/backup.log" ] || install -m 0640 -o "$APP_USER" -g "$APP_USER" /dev/null "$LOG_DIR/backup.log"
if [ "$USE_SYSTEMD" = 1 ]; then
  systemctl enable --now cron
else
  echo "注意：没有 systemd，请另行保证 cron 在运行，否则夜间备份不会执行。"
fi
# The first backup now: it proves that pg_dump works and marks the uploads folder as this database's.
"$FLASK" backup "$BACKUP_DIR" 2>&1 | tee -a "$LOG_DIR/backup.log"

step "完成"
cat <<EOF
  登录地址：      https://$SERVER_NAME$HTTPS_SUFFIX/login
  系统管理员：    $ADMIN_USER（首次登录时须用手机验证器绑定两步验证）
  环境文件：      $ENV_FILE（含 SECRET_KEY 和数据库密码，请与备份分开另存一份）
  HTTPS 证书：    $SSL_DIR/fullchain.pem 和 privkey.pem（自签名，仅供试运行）
  备份：          每晚 02:30 存入 $BACKUP_DIR，日志 $LOG_DIR/backup.log
  管理命令：      $FLASK 命令 …（例如 backup、reset-2fa、create-user）
EOF
