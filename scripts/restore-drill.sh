#!/usr/bin/env bash
# Restore drill: restore a backup into a second database and a second uploads folder on the
# same server, while the live system keeps running untouched. Run as root:
#   bash scripts/restore-drill.sh /var/backups/expertpool/专家库备份-YYYYmmdd-HHMMSS.tar.gz
# docs/deployment.md ("Restore drill") explains every line of this file.
set -euo pipefail

ARCHIVE=${1:?用法：bash scripts/restore-drill.sh 备份文件.tar.gz}
PREFIX=${PREFIX:-}
ENV_FILE=$PREFIX/etc/expertpool/expertpool.env
FLASK=$PREFIX/usr/local/bin/expertpool-flask
DRILL_DB=${DRILL_DB:-expertpool_drill}
DRILL_UPLOADS=${DRILL_UPLOADS:-$PREFIX/var/lib/expertpool/drill-uploads}

[ "$(id -u)" = 0 ] || { echo "请以 root 运行。" >&2; exit 1; }
. "$ENV_FILE"
case $DATABASE_URL in postgres*://*) ;; *) echo "本演练脚本用于 PostgreSQL 部署。" >&2; exit 1 ;; esac
DB_USER=${DATABASE_URL#*://}
DB_USER=${DB_USER%%:*}
DB_PORT=${DATABASE_URL##*:}
DB_PORT=${DB_PORT%%/*}
LIVE_DB=${DATABASE_URL##*/}
[ "$DRILL_DB" != "$LIVE_DB" ] || { echo "演练数据库不能是正在使用的数据库 $LIVE_DB。" >&2; exit 1; }
[ "$DRILL_UPLOADS" != "$UPLOAD_DIR" ] || { echo "演练目录不能是正在使用的上传目录。" >&2; exit 1; }
APP_USER=$(stat -c %U "$UPLOAD_DIR")

# A fresh, empty second database and uploads folder, owned like the live ones.
(cd / && runuser -u postgres -- dropdb --if-exists -p "$DB_PORT" "$DRILL_DB")
(cd / && runuser -u postgres -- createdb -p "$DB_PORT" -O "$DB_USER" -E UTF8 -T template0 "$DRILL_DB")
rm -rf "$DRILL_UPLOADS"

# The restore itself, as the service user, with the two addresses changed for this command only.
started=$(date +%s.%N)
DATABASE_URL=${DATABASE_URL%/*}/$DRILL_DB UPLOAD_DIR=$DRILL_UPLOADS "$FLASK" restore --yes "$ARCHIVE"
DATABASE_URL=${DATABASE_URL%/*}/$DRILL_DB UPLOAD_DIR=$DRILL_UPLOADS "$FLASK" db upgrade
finished=$(date +%s.%N)

# What came back, and whether every scan is private to the service user.
experts=$(cd / && runuser -u postgres -- psql -At -p "$DB_PORT" -d "$DRILL_DB" -c 'SELECT count(*) FROM expert')
users=$(cd / && runuser -u postgres -- psql -At -p "$DB_PORT" -d "$DRILL_DB" -c 'SELECT count(*) FROM "user"')
files=$(find "$DRILL_UPLOADS" -type f ! -name .expertpool-database | wc -l)
loose=$(find "$DRILL_UPLOADS" \( -type f ! -perm 0640 \) -o \( -type d ! -perm 0750 \) -o ! -user "$APP_USER" | wc -l)
seconds=$(awk -v a="$started" -v b="$finished" 'BEGIN { printf "%.1f", b - a }')
echo "演练完成：用时 $seconds 秒；专家 $experts 名，账号 $users 个，上传文件 $files 个；权限不符的文件或目录 $loose 个。"
echo "演练数据库 $DRILL_DB 和目录 $DRILL_UPLOADS 留待检查；用完删除："
echo "  runuser -u postgres -- dropdb -p $DB_PORT $DRILL_DB && rm -rf $DRILL_UPLOADS"
[ "$loose" = 0 ]
