#!/bin/sh
# Runs Celery beat with the users service's schedule (the outbox sweep, see
# config/users/settings.py); its schedule file lives in VAR_DIR. Run exactly
# one beat per deployment.
set -eu
. "$(dirname "$0")/common.sh"
# Metrics on a port of their own (config/metrics/), reachable by the
# cluster's Prometheus, never published: METRICS_PORT set empty disables them.
export METRICS_PORT="${METRICS_PORT-9100}"
export METRICS_BIND="${METRICS_BIND:-0.0.0.0}"
export DJANGO_SETTINGS_MODULE=config.users.settings

# With JSON logs Celery prints no banner: every line of output is JSON.
quiet=
if [ "$LOG_FORMAT" = json ]; then quiet=--quiet; fi
exec celery -A config.celery $quiet beat --loglevel "${LOG_LEVEL:-INFO}"
