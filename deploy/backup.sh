#!/bin/sh
# The nightly backup: pg_dump of the service's database (custom format, for pg_restore) into
# BACKUP_DIR (default /var/backups/professional-learning), keeping BACKUP_KEEP_DAYS days
# (default 14). Reads the environment file as deploy/manage.sh does; prints the file written.
# Restore: docs/deployment.md, "Backups and restore".
set -eu
env_file="${PL_ENV_FILE:-/etc/professional-learning/env}"
if [ ! -r "$env_file" ]; then
  echo "deploy/backup.sh: cannot read the environment file $env_file (set PL_ENV_FILE)." >&2
  exit 2
fi
case "$env_file" in
  */*) ;;
  *) env_file="./$env_file" ;;
esac
set -a
. "$env_file"
set +a
case "${DATABASE_URL:-}" in
  postgres://* | postgresql://*) ;;
  *)
    echo "deploy/backup.sh: DATABASE_URL is not a PostgreSQL URL; nothing to dump." >&2
    exit 2
    ;;
esac
backup_dir="${BACKUP_DIR:-/var/backups/professional-learning}"
keep_days="${BACKUP_KEEP_DAYS:-14}"
target="$backup_dir/professional_learning-$(date +%Y%m%d-%H%M%S).dump"
# The dump holds staff records: readable by the service's user only.
umask 077
# Written under a temporary name first, so a failed dump never looks like a backup.
trap 'rm -f "$target.partial"' EXIT
pg_dump --format=custom --file="$target.partial" --dbname="$DATABASE_URL"
mv "$target.partial" "$target"
find "$backup_dir" -name 'professional_learning-*.dump' -mtime +"$keep_days" -delete
echo "$target"
