#!/bin/sh
# Runs a Celery worker for one service's queue, as the Procfile does:
# SERVICE=accounting consumes user events (queue "accounting"); SERVICE=users
# runs the outbox sweep (queue "users").
set -eu
. "$(dirname "$0")/common.sh"
# Metrics on a port of their own (config/metrics/), reachable by the
# cluster's Prometheus, never published: METRICS_PORT set empty disables them.
export METRICS_PORT="${METRICS_PORT-9100}"
export METRICS_BIND="${METRICS_BIND:-0.0.0.0}"

case "${SERVICE:?set SERVICE to accounting or users}" in
  accounting | users) ;;
  *) echo "entrypoint-worker: unknown SERVICE=$SERVICE" >&2; exit 64 ;;
esac
export DJANGO_SETTINGS_MODULE="config.$SERVICE.settings"

# With JSON logs Celery prints no banner: every line of output is JSON.
quiet=
if [ "$LOG_FORMAT" = json ]; then quiet=--quiet; fi
exec celery -A config.celery $quiet worker \
  -Q "$SERVICE" \
  -n "$SERVICE@%h" \
  --pool threads --concurrency "${WORKER_CONCURRENCY:-4}" \
  --without-gossip --without-mingle \
  --loglevel "${LOG_LEVEL:-INFO}"
