# Sourced by the entrypoints: picks up the secrets docker/bootstrap.sh made.
#
# The compose stack runs `docker/bootstrap.sh` once; it gives each service a
# folder of its own secrets (SECRETS_DIR, default /secrets/$SERVICE, the one
# volume of secrets this container mounts). Copying its local.env into
# VAR_DIR lets config/base.py read it exactly as it does for `make run`:
# variables set in the container's environment still win over the file.
# Copied at every start: the volume may have gained a secret since (the
# bootstrap adds what a newer version needs, ACCOUNTING_USERS_TOKEN).
SECRETS_DIR=${SECRETS_DIR:-/secrets/${SERVICE:?set SERVICE}}
VAR_DIR=${VAR_DIR:-/app/var}
export VAR_DIR
mkdir -p "$VAR_DIR"
if [ -f "$SECRETS_DIR/local.env" ]; then
  cp "$SECRETS_DIR/local.env" "$VAR_DIR/local.env"
fi
# Containers log JSON lines, one object per line with the request id
# (config/logs.py); LOG_FORMAT=text in the environment says otherwise.
LOG_FORMAT=${LOG_FORMAT:-json}
export LOG_FORMAT
