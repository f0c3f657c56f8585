#!/bin/sh
# Runs one web service: SERVICE=users|accounting|integration (the gateway).
# Applies migrations (users and accounting own a database; the gateway has
# none) and seeds if SEED_DEMO=1, unless MIGRATE_ON_START=0 (Kubernetes: a
# Job does both before the rollout, deploy/k8s/README.md); collects static
# files, then serves with the same command as the Procfile, bound to
# BIND_HOST (0.0.0.0 in the image) on PORT: gunicorn for users and
# accounting, uvicorn (ASGI: HTTP and WebSocket) for the gateway, whose
# GATEWAY_WORKERS may exceed 1 only with a Redis CHANNEL_LAYER_URL.
# Metrics on METRICS_PORT (9100): gunicorn's master serves its workers' sum
# (config/metrics/gunicorn.py), one of uvicorn's workers serves theirs.
set -eu
. "$(dirname "$0")/common.sh"
# Metrics on a port of their own (config/metrics/), reachable by the
# cluster's Prometheus, never published: METRICS_PORT set empty disables them.
export METRICS_PORT="${METRICS_PORT-9100}"
export METRICS_BIND="${METRICS_BIND:-0.0.0.0}"

case "${SERVICE:?set SERVICE to users, accounting or integration}" in
  integration) default_port=8000 ;;
  users) default_port=8001 ;;
  accounting) default_port=8002 ;;
  *) echo "entrypoint-web: unknown SERVICE=$SERVICE" >&2; exit 64 ;;
esac
export DJANGO_SETTINGS_MODULE="config.$SERVICE.settings"

if [ "$SERVICE" != integration ] && [ "${MIGRATE_ON_START:-1}" = 1 ]; then
  python manage.py migrate --no-input -v 1
  if [ "${SEED_DEMO:-0}" = 1 ]; then
    python manage.py seed_demo
  fi
fi
python manage.py collectstatic --no-input -v 0

if [ "$SERVICE" = integration ]; then
  exec uvicorn config.integration.asgi:application \
    --host "${BIND_HOST:-127.0.0.1}" \
    --port "${PORT:-$default_port}" \
    --workers "${GATEWAY_WORKERS:-1}" \
    --http config.http11:ProblemH11Protocol \
    --ws websockets-sansio \
    --ws-max-size 65536 \
    --ws-ping-interval "${WS_PING_INTERVAL:-20}" \
    --ws-ping-timeout "${WS_PING_TIMEOUT:-20}" \
    --lifespan off \
    --no-proxy-headers \
    --no-use-colors \
    --timeout-keep-alive "${GATEWAY_KEEP_ALIVE:-5}" \
    --timeout-graceful-shutdown "${GRACEFUL_TIMEOUT:-5}"
fi

exec gunicorn "config.$SERVICE.wsgi:application" \
  -c python:config.gunicorn_conf \
  --name "$SERVICE" \
  --bind "${BIND_HOST:-127.0.0.1}:${PORT:-$default_port}" \
  --workers "${WEB_WORKERS:-2}" \
  --worker-class gthread \
  --threads "${WEB_THREADS:-2}" \
  --keep-alive "${WEB_KEEP_ALIVE:-30}" \
  --graceful-timeout "${GRACEFUL_TIMEOUT:-5}" \
  --worker-tmp-dir /dev/shm \
  --access-logfile - \
  --no-control-socket
