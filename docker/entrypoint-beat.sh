#!/bin/sh
# Runs Celery beat with the users service's schedule (the outbox sweep, see
# config/users/settings.py); its schedule file lives in VAR_DIR. Run exactly
# one beat per deployment.
set -eu
. "$(dirname "$0")/common.sh"
export DJANGO_SETTINGS_MODULE=config.users.settings

exec celery -A config.celery beat --loglevel "${LOG_LEVEL:-INFO}"
