#!/bin/sh
# One-shot: generate the stack's secrets (Django key, service tokens, JWT key
# pair, staff password) into SECRETS_DIR unless they are there already.
# Production sets these variables itself and does not run this.
set -eu
exec python -m config.bootstrap "${SECRETS_DIR:-/secrets}"
