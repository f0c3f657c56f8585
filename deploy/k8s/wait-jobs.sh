#!/bin/sh
# Waits for Jobs: exits 0 once every one is Complete, 1 as soon as one has
# Failed (its last log lines go to stderr), cannot be read, or the wait
# outlasts WAIT_JOBS_TIMEOUT seconds (default 1200; the migrate Jobs give
# up by themselves after activeDeadlineSeconds, 900). `kubectl wait
# --for=condition=complete` alone would sit out its whole timeout on a
# failed Job, and a script would go on to roll out the new code.
#
# Usage: deploy/k8s/wait-jobs.sh NAMESPACE JOB...
set -eu
if [ $# -lt 2 ]; then
  echo "usage: $0 NAMESPACE JOB..." >&2
  exit 2
fi
namespace=$1
shift
interval=${WAIT_JOBS_INTERVAL:-5}
deadline=$(($(date +%s) + ${WAIT_JOBS_TIMEOUT:-1200}))
pending="$*"
while [ -n "$pending" ]; do
  waiting=""
  for job in $pending; do
    if ! state=$(kubectl -n "$namespace" get "job/$job" -o \
      jsonpath='{range .status.conditions[?(@.status=="True")]}{.type}{" "}{end}'); then
      echo "wait-jobs: job/$job: cannot read its status" >&2
      exit 1
    fi
    case " $state " in
      *" Complete "*) echo "wait-jobs: job/$job complete" ;;
      *" Failed "*)
        echo "wait-jobs: job/$job FAILED; its last lines:" >&2
        kubectl -n "$namespace" logs "job/$job" --tail=50 >&2 || true
        exit 1
        ;;
      *) waiting="$waiting $job" ;;
    esac
  done
  pending=${waiting# }
  if [ -n "$pending" ]; then
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "wait-jobs: still running after the timeout: $pending" >&2
      exit 1
    fi
    sleep "$interval"
  fi
done
