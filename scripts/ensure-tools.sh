#!/usr/bin/env bash
# Installs the tools of `make bench`, the scale-out suite and `make
# validate` from Debian's packages, only when they are missing: wrk (HTTP)
# and pgbench (postgresql-client, which the test stack already needs) for
# the bench, haproxy for tests/scaleout (the load balancer in front of two
# instances of each web service), promtool (prometheus) for the alert
# rules of deploy/monitoring/alerts.yml, chromium (with a font, for
# legible screenshots) for the browser suite (tests/browser, driven by
# Playwright, which downloads no browser of its own). Safe to run again.
set -euo pipefail

missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v pgbench >/dev/null 2>&1 || missing+=(postgresql-client)
command -v haproxy >/dev/null 2>&1 || missing+=(haproxy)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] ||
  missing+=(fonts-dejavu-core)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || {
    echo "ensure-tools: install ${missing[*]} (apt-get needs root)" >&2
    exit 1
  }
  sudo=(sudo)
fi
echo "ensure-tools: installing ${missing[*]}"
if ! "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"; then
  # A fresh machine may not have the package lists yet.
  "${sudo[@]}" apt-get update
  "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
fi
