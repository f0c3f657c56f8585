#!/usr/bin/env bash
# Makes sure PostgreSQL, RabbitMQ and Redis answer on localhost, starting any
# that is down, then creates what the tests need: one database per service
# and a RabbitMQ vhost per test stage. Safe to run again.
set -euo pipefail

wait_for() {  # wait_for NAME COMMAND...: retry for up to 90 seconds.
  local name=$1; shift
  for _ in $(seq 1 90); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 1
  done
  echo "ensure-services: $name did not come up" >&2
  return 1
}

if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
  echo "ensure-services: starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | tail -n 1)" \
    main start || true
fi
wait_for PostgreSQL pg_isready -h 127.0.0.1 -p 5432 -q

if ! rabbitmq-diagnostics -q ping >/dev/null 2>&1; then
  echo "ensure-services: starting RabbitMQ"
  rabbitmq-server -detached || true
fi
wait_for RabbitMQ rabbitmqctl -q await_startup
wait_for "RabbitMQ port" bash -c 'exec 3<>/dev/tcp/127.0.0.1/5672'

if ! redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then
  echo "ensure-services: starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" \
    --appendonly no || true
fi
wait_for Redis redis-cli -h 127.0.0.1 ping

for db in users accounting accounting_b; do
  psql -h 127.0.0.1 -U postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1 \
    || createdb -h 127.0.0.1 -U postgres "$db"
done

# Test vhosts are scratch space: start every run from empty ones.
for vhost in savings_test savings_test_users savings_test_accounting \
  savings_test_accounting_b savings_test_observability savings_e2e savings_smoke; do
  rabbitmqctl -q delete_vhost "$vhost" >/dev/null 2>&1 || true
  rabbitmqctl -q add_vhost "$vhost" >/dev/null
  rabbitmqctl -q set_permissions -p "$vhost" guest ".*" ".*" ".*" >/dev/null
done
echo "ensure-services: PostgreSQL, RabbitMQ and Redis are up"
