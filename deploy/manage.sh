#!/bin/sh
# manage.py with the service's environment, for the operator, cron and upgrades, e.g.
#   sudo -u pl /srv/professional-learning/deploy/manage.sh migrate --noinput
# It reads /etc/professional-learning/env (PL_ENV_FILE names another file), the file the systemd
# unit reads, so commands see exactly the settings the served application sees.
set -eu
env_file="${PL_ENV_FILE:-/etc/professional-learning/env}"
if [ ! -r "$env_file" ]; then
  echo "deploy/manage.sh: cannot read the environment file $env_file (set PL_ENV_FILE)." >&2
  exit 2
fi
case "$env_file" in
  */*) ;;
  *) env_file="./$env_file" ;;
esac
set -a
. "$env_file"
set +a
# Management commands default to DEBUG on (a developer's shell); a deployment never does.
export DEBUG="${DEBUG:-false}"
cd "$(dirname "$0")/.."
exec .venv/bin/python manage.py "$@"
