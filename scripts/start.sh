#!/usr/bin/env bash
# Install and start the system on SQLite with demo data (README, first command).
#
# It listens on 127.0.0.1 only: nobody else can reach the trial. To open it to the network,
# read the README ("开放到局域网") first, then e.g. HOST=0.0.0.0 bash scripts/start.sh.
#   HOST             address to listen on (default 127.0.0.1)
#   PORT             port (default 5000)
#   WORKERS          1 (default): Flask's own server; more: gunicorn with that many processes
#   PUBLIC_BASE_URL  printed into QR codes; default: the address and port served here
#   SKIP_INSTALL=1   do not install system or Python packages (already done)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${SKIP_INSTALL:-0}" != "1" ] && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  if ! dpkg -s fonts-wqy-microhei fonts-dejavu-core >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei fonts-dejavu-core >/dev/null
  fi
fi
VENV=${VENV:-.venv}
if [ "${SKIP_INSTALL:-0}" != "1" ]; then
  PY=${PYTHON:-python3.11}
  command -v "$PY" >/dev/null || PY=python3
  [ -d "$VENV" ] || "$PY" -m venv "$VENV"
  "$VENV/bin/pip" install -q -r requirements.txt
fi

export APP_ENV=${APP_ENV:-development}
export FLASK_APP=wsgi
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-5000}
WORKERS=${WORKERS:-1}

# QR codes on permits and 告知书 are printed with PUBLIC_BASE_URL and cannot be corrected on
# paper later: unless it is given, it is the address this start serves.
if [ -z "${PUBLIC_BASE_URL:-}" ]; then
  url_host=$HOST
  if [ "$HOST" = "0.0.0.0" ] || [ "$HOST" = "::" ]; then
    url_host=$(hostname -I 2>/dev/null | awk '{print $1}')
    url_host=${url_host:-127.0.0.1}
  fi
  case "$url_host" in *:*) url_host="[$url_host]" ;; esac
  export PUBLIC_BASE_URL="http://${url_host}:${PORT}"
fi

"$VENV/bin/flask" --app wsgi db upgrade
"$VENV/bin/flask" --app wsgi seed-demo --if-empty

cat <<MSG

  武进区安全生产专家库已启动： ${PUBLIC_BASE_URL}/login
  （监听 ${HOST}:${PORT}；二维码中的地址为 ${PUBLIC_BASE_URL}）
  演示账号（密码均为 Demo#2026pass）：
    admin   系统管理员      office  基础科
    dept    局科室/大队     town    镇/街道
    leader  局领导          expert  专家（手机页面 /m/）
    secadmin 安全管理员     auditor 安全审计员（三员分立）
  企业扫码核验示例：管理后台 → 专家工作证，或 ${PUBLIC_BASE_URL}/announcements

MSG
if [ "$HOST" = "127.0.0.1" ]; then
  echo "  仅本机可访问。开放到局域网前请先阅读 README“开放到局域网”一节（HOST=0.0.0.0）。"
else
  echo "  注意：已在 ${HOST} 上监听，网络中的其他计算机可以访问本系统；演示账号的密码是公开的，请先修改。" >&2
fi

if [ "$WORKERS" -gt 1 ]; then
  storage=${RATELIMIT_STORAGE_URI:-memory://}
  if [ "${storage#memory://}" != "$storage" ]; then
    echo "  警告：${WORKERS} 个进程使用 memory:// 计数，登录和公开页面的访问频率限制按进程各自计算，" >&2
    echo "        实际上限将是设定值的 ${WORKERS} 倍。请设置 RATELIMIT_STORAGE_URI=redis://…（见 README）。" >&2
  fi
  # --limit-request-line 0: a long link (e.g. a damaged QR code) reaches the app and gets the
  # Chinese 无效证件 page instead of gunicorn's English 414 (gunicorn still caps a line at 1 MB).
  exec "$VENV/bin/gunicorn" --workers "$WORKERS" --bind "${HOST}:${PORT}" --limit-request-line 0 wsgi:app
fi
exec "$VENV/bin/flask" --app wsgi run --host "$HOST" --port "$PORT"
