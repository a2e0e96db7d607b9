#!/usr/bin/env bash
# Install and start the system on SQLite with demo data (README, first command).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  if ! dpkg -s fonts-wqy-microhei fonts-dejavu-core >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei fonts-dejavu-core >/dev/null
  fi
fi
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
[ -d .venv ] || "$PY" -m venv .venv
.venv/bin/pip install -q -r requirements.txt

export APP_ENV=${APP_ENV:-development}
export FLASK_APP=wsgi
.venv/bin/flask --app wsgi db upgrade
.venv/bin/flask --app wsgi seed-demo --if-empty

PORT=${PORT:-5000}
cat <<MSG

  武进区安全生产专家库已启动： http://127.0.0.1:${PORT}/login
  演示账号（密码均为 Demo#2026pass）：
    admin   系统管理员      office  基础科
    dept    局科室/大队     town    镇/街道
    leader  局领导          expert  专家（手机页面 /m/）
    secadmin 安全管理员     auditor 安全审计员（三员分立）
  企业扫码核验示例：管理后台 → 专家工作证，或 http://127.0.0.1:${PORT}/announcements

MSG
exec .venv/bin/flask --app wsgi run --host 0.0.0.0 --port "$PORT"
