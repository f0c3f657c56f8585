#!/bin/sh
# One-shot: generate the stack's secrets (Django keys, service tokens, JWT key
# pair, staff password) into SECRETS_DIR unless they are there already, and
# give each service a folder with only its own (SECRETS_DIR/<service>, a
# volume that service alone mounts). Production sets these variables itself
# and does not run this.
set -eu
exec python -m config.bootstrap --per-service "${SECRETS_DIR:-/secrets}"
