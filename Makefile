# The two commands a newcomer needs: `make run` and `make test`.
# Everything else here is a step of one of them.

SHELL := /bin/bash
.DEFAULT_GOAL := help

# Django 5.2 LTS runs on Python 3.10-3.13; take the newest the machine has.
PYTHON ?= $(shell for v in 3.13 3.12 3.11 3.10; do \
	command -v python$$v >/dev/null && python$$v -c 'import venv' 2>/dev/null \
	&& { echo python$$v; break; }; done)
VENV ?= .venv
PY := $(VENV)/bin/python
VAR_DIR ?= var
export VAR_DIR

USERS := DJANGO_SETTINGS_MODULE=config.users.settings
ACCOUNTING := DJANGO_SETTINGS_MODULE=config.accounting.settings
INTEGRATION := DJANGO_SETTINGS_MODULE=config.integration.settings

# The test stack: real PostgreSQL, RabbitMQ and Redis (started if down).
PG_URL ?= postgres://postgres@127.0.0.1:5432
AMQP_URL ?= amqp://guest:guest@127.0.0.1:5672
REDIS_URL ?= redis://127.0.0.1:6379
TEST_ENV := USERS_DATABASE_URL=$(PG_URL)/users \
	ACCOUNTING_DATABASE_URL=$(PG_URL)/accounting \
	CACHE_URL=locmemcache://

PYTEST := $(PY) -m pytest -p no:cacheprovider

.PHONY: help run test test-long install install-dev bootstrap migrate seed static \
	services lint format migrations-check validate unit coverage contract \
	observability metrics contract-logs-metrics e2e browser e2e-and-browser \
	smoke faults scaleout \
	bench bench-capacity bench-balance bench-dashboard clean

help:  ## List the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | \
		awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

# --- make run ---------------------------------------------------------------

run: install bootstrap migrate seed static  ## Serve the whole platform.
	@echo "gateway http://127.0.0.1:8000  users http://127.0.0.1:8001/admin/"
	@echo "accounting http://127.0.0.1:8002/admin/   (Ctrl-C stops all)"
	PATH="$(abspath $(VENV))/bin:$$PATH" $(PY) scripts/procs.py \
		-e /dev/null -f Procfile start

$(PY):
	@test -n "$(PYTHON)" || { echo "Python 3.10+ with venv is required"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@ $(VENV)/.runtime

install: $(VENV)/.runtime  ## Create .venv with the pinned runtime packages.

install-dev: $(VENV)/.dev  ## Create .venv with runtime and test packages.

# Every time: it keeps what var/local.env holds and adds what it lacks (a
# credential a newer version needs).
bootstrap: | $(PY)
	$(PY) -m config.bootstrap $(VAR_DIR)

migrate: install bootstrap  ## Apply migrations of users and accounting.
	$(USERS) $(PY) manage.py migrate --no-input -v 0
	$(ACCOUNTING) $(PY) manage.py migrate --no-input -v 0

seed: install bootstrap  ## Create demo plans, rates and the staff account.
	$(USERS) $(PY) manage.py seed_demo
	$(ACCOUNTING) $(PY) manage.py seed_demo

static: install bootstrap
	$(INTEGRATION) $(PY) manage.py collectstatic --no-input -v 0
	$(USERS) $(PY) manage.py collectstatic --no-input -v 0
	$(ACCOUNTING) $(PY) manage.py collectstatic --no-input -v 0

# --- make test --------------------------------------------------------------

test: install-dev bootstrap services lint migrations-check validate unit \
	coverage contract-logs-metrics e2e-and-browser smoke faults \
	scaleout  ## Every check CI runs.
	@echo "make test: all checks passed"

services:  ## Start PostgreSQL, RabbitMQ and Redis if down; create test DBs.
	scripts/ensure-services.sh

lint: install-dev  ## ruff (lint + format check) and import-linter.
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: install-dev  ## Fix what ruff can fix.
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

migrations-check: install-dev bootstrap  ## No model change without migration.
	$(USERS) $(PY) manage.py makemigrations --check --dry-run
	$(ACCOUNTING) $(PY) manage.py makemigrations --check --dry-run

# Kubernetes (deploy/k8s): yamllint, then tests/deploy renders each overlay
# with kubectl kustomize, validates every document strictly (offline) and
# checks the policies; manifests, not code, so outside coverage. Monitoring
# (deploy/monitoring): promtool checks the alert rules, tests/deploy that
# they and the dashboard name only metrics the code defines.
validate: install-dev  ## Compose, GitLab CI, Kubernetes, alert rules, linters.
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.compose-spec \
		docker-compose.yml
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.gitlab-ci \
		.gitlab-ci.yml
	$(VENV)/bin/hadolint docker/Dockerfile
	$(VENV)/bin/yamllint -c .yamllint.yml --strict deploy/k8s
	scripts/ensure-tools.sh
	promtool check rules deploy/monitoring/alerts.yml
	$(PYTEST) tests/deploy

# accounting's suite, the longest, runs as two halves side by side, beside
# users' then the gateway's: each has stores of its own (test databases,
# vhosts, Redis database or none) and its own coverage data, combined once
# all passed. The halves' output is shown when they end (var/unit-*.log).
ACCOUNTING_A := accounting/tests/api accounting/tests/services \
	accounting/tests/webhooks
ACCOUNTING_B := accounting/tests/selectors accounting/tests/models \
	accounting/tests/management $(wildcard accounting/tests/test_*.py)

unit: install-dev bootstrap services  ## pytest per service, with coverage.
	@rm -f $(VAR_DIR)/.coverage $(VAR_DIR)/.coverage.*
	@$(TEST_ENV) CELERY_BROKER_URL=$(AMQP_URL)/savings_test_accounting \
		CACHE_URL=$(REDIS_URL)/1 COVERAGE_FILE=$(VAR_DIR)/.coverage.acc_a \
		$(PYTEST) $(ACCOUNTING_A) --ds=config.accounting.settings \
		--cov --cov-report= --cov-fail-under=0 \
		> $(VAR_DIR)/unit-accounting-a.log 2>&1 & half_a=$$!; \
	$(TEST_ENV) ACCOUNTING_DATABASE_URL=$(PG_URL)/accounting_b \
		CELERY_BROKER_URL=$(AMQP_URL)/savings_test_accounting_b \
		CACHE_URL=$(REDIS_URL)/3 COVERAGE_FILE=$(VAR_DIR)/.coverage.acc_b \
		$(PYTEST) $(ACCOUNTING_B) --ds=config.accounting.settings \
		--cov --cov-report= --cov-fail-under=0 \
		> $(VAR_DIR)/unit-accounting-b.log 2>&1 & half_b=$$!; \
	$(TEST_ENV) CELERY_BROKER_URL=$(AMQP_URL)/savings_test_users \
		COVERAGE_FILE=$(VAR_DIR)/.coverage.users \
		$(PYTEST) users --ds=config.users.settings \
		--cov --cov-report= --cov-fail-under=0 \
	&& $(TEST_ENV) CELERY_BROKER_URL=$(AMQP_URL)/savings_test \
		COVERAGE_FILE=$(VAR_DIR)/.coverage.integration \
		$(PYTEST) integration config/tests \
		--ds=config.integration.settings --cov --cov-report= \
		--cov-fail-under=0; others=$$?; \
	wait $$half_a; status_a=$$?; wait $$half_b; status_b=$$?; \
	echo "--- accounting, first half (beside the two above) ---"; \
	cat $(VAR_DIR)/unit-accounting-a.log; \
	echo "--- accounting, second half ---"; \
	cat $(VAR_DIR)/unit-accounting-b.log; \
	test $$others -eq 0 && test $$status_a -eq 0 && test $$status_b -eq 0
	$(PY) -m coverage combine --quiet $(VAR_DIR)/.coverage.users \
		$(VAR_DIR)/.coverage.acc_a $(VAR_DIR)/.coverage.acc_b \
		$(VAR_DIR)/.coverage.integration

coverage: install-dev  ## 100% statement and branch coverage, combined.
	$(PY) -m coverage report --fail-under=100

# The same databases, vhosts and Redis database as `unit` (not counted in
# coverage): each test file runs under its own service's settings.
contract: install-dev bootstrap services  ## Schemathesis on both internal APIs.
	$(TEST_ENV) CELERY_BROKER_URL=$(AMQP_URL)/savings_test_users \
		$(PYTEST) tests/contract/test_users.py --ds=config.users.settings
	$(TEST_ENV) CELERY_BROKER_URL=$(AMQP_URL)/savings_test_accounting \
		CACHE_URL=$(REDIS_URL)/1 \
		$(PYTEST) tests/contract/test_accounting.py \
		--ds=config.accounting.settings

# gunicorn, uvicorn and a Celery worker with LOG_FORMAT=json, on free ports:
# every line is JSON and a request's id is in each line it caused.
observability: install-dev bootstrap services  ## JSON logs of real processes.
	$(TEST_ENV) CELERY_BROKER_URL=$(AMQP_URL)/savings_test_observability \
		$(PYTEST) tests/observability

# Each process's metrics port, on processes of the Procfile started one by
# one (ports the kernel picks; databases metrics_users and
# metrics_accounting, vhost savings_metrics).
metrics: install-dev bootstrap services  ## Metrics of real processes, scraped.
	$(PYTEST) tests/metrics

e2e: install-dev bootstrap services  ## Real processes on PostgreSQL + RabbitMQ.
	$(PYTEST) tests/e2e

# Both admins and the API docs in Debian's Chromium (installed from Debian's
# packages when missing; Playwright drives it and downloads no browser),
# headless, on the real platform: databases browser_users and
# browser_accounting, vhost savings_browser, Redis databases 8 and 9, ports
# 18900-18902 (BROWSER_INSTANCE=N moves a second run beside the first). A
# failing test leaves its page in var/browser/failures/;
# BROWSER_SCREENSHOTS=docs/images refreshes the README's pictures.
browser: install-dev bootstrap services  ## Both admins and the docs in Chromium.
	scripts/ensure-tools.sh
	$(PYTEST) tests/browser

# contract, observability and metrics side by side: databases (test_*,
# the TEST_ENV ones, metrics_*), vhosts and ports of their own.
contract-logs-metrics:
	$(MAKE) --no-print-directory -j3 --output-sync=target contract \
		observability metrics

# The two suites side by side (ports, databases, vhosts and Redis databases
# of their own): the browser's work fills e2e's waits (its soak of idle
# sockets). Each one's output is shown whole when it ends.
e2e-and-browser:
	$(MAKE) --no-print-directory -j2 --output-sync=target e2e browser

smoke: install-dev  ## `make run` with no environment: sign up, credit once.
	$(PYTEST) tests/smoke

faults: install-dev  ## Kill, freeze, restart under load: money stays exact.
	$(PYTEST) tests/faults

# Two gateways, users and accounting behind HAProxy (installed from Debian's
# packages when missing), two accounting workers, one beat, on the shared
# PostgreSQL (fresh databases scaleout_*), RabbitMQ (vhost
# savings_test_scaleout) and Redis (db 14), on ports the kernel picks: one
# of each is killed under load, and no client's operation is lost or
# doubled; WebSocket events cross gateways. About 2 minutes on 2 cores.
scaleout: install-dev bootstrap services  ## Two of everything behind HAProxy.
	scripts/ensure-tools.sh
	PG_URL=$(PG_URL) AMQP_URL=$(AMQP_URL) REDIS_URL=$(REDIS_URL) \
		$(PYTEST) tests/scaleout

test-long:  ## `make test`, faults x3, an 11-minute soak, 4x the examples.
	FAULTS_ROUNDS=3 FAULTS_CLIENTS=16 E2E_SOAK_SECONDS=660 \
		PROPERTY_EXAMPLES_SCALE=4 $(MAKE) test

# One run, one report (bench/run.py): pgbench's reference credit and the
# service's SQL, then credits and movements through the real stack with
# wrk, ratios, targets, verify_ledger, balance-as-of and pages at 1k/1M.
# BENCH_SECONDS per step (10); BENCH_QUICK=1 skips the 1M-entry load.
bench: install-dev bootstrap services  ## Money path vs pgbench, one report.
	scripts/ensure-tools.sh
	PG_URL=$(PG_URL) AMQP_URL=$(AMQP_URL) REDIS_URL=$(REDIS_URL) \
		$(PY) bench/run.py

# docs/scaling.md's figures: the credit per core under pgbench, the growth
# of the journal over 1M credits (CAPACITY_TRANSACTIONS), verify_ledger on
# it, and balance-as-of with 10M entries (CAPACITY_PROBE_ENTRIES).
bench-capacity: install-dev bootstrap services  ## One primary's ledger limits.
	scripts/ensure-tools.sh
	PG_URL=$(PG_URL) AMQP_URL=$(AMQP_URL) REDIS_URL=$(REDIS_URL) \
		$(PY) bench/capacity.py

bench-balance: install-dev bootstrap services  ## Balance-as-of, pages: 1k/1M.
	$(ACCOUNTING) ACCOUNTING_DATABASE_URL=$(PG_URL)/bench_balance \
		$(PY) scripts/bench_balance_at.py 1000 1000000

bench-dashboard: install-dev bootstrap services  ## The admin's dashboard: 1M entries.
	$(ACCOUNTING) ACCOUNTING_DATABASE_URL=$(PG_URL)/bench_dashboard \
		$(PY) scripts/bench_dashboard.py 1000000

clean:  ## Remove the embedded default's data (var/) and the venv.
	rm -rf $(VAR_DIR) $(VENV)
