# polyshop's front door: `make up` runs the store, `make test` checks it. `make help` lists the rest.
# Targets are thin wrappers over uv; versions come from uv.lock.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

SERVICES := storefront catalog cart orders payments notifications users inventory
# A uv on PATH, else one installed into .tools/ with the machine's Python (>= 3.11).
UV := $(or $(shell command -v uv 2>/dev/null),$(CURDIR)/.tools/bin/uv)
RUN := $(UV) run --frozen --no-sync
export DATA_DIR ?= $(CURDIR)/data
# Compiled once at install: where PYTHONDONTWRITEBYTECODE is set, every start would compile every
# module again (measured: 3x slower to ready, +70 MB for the store).
# The e2e run on real stores: a PostgreSQL maintenance database and a Redis, as on the CI machines.
E2E_POSTGRES_URL ?= postgresql://127.0.0.1:5432/postgres
E2E_REDIS_URL ?= redis://127.0.0.1:6379/0
# Integration tests create (and drop) their own databases through this one.
TEST_POSTGRES_URL ?= $(E2E_POSTGRES_URL)
TEST_REDIS_URL ?= $(E2E_REDIS_URL)
STORES_UP = $(RUN) python -c "import psycopg, redis; psycopg.connect('$(1)', connect_timeout=3).close(); redis.Redis.from_url('$(2)', socket_timeout=3).ping()" 2>/dev/null

.PHONY: help
help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z0-9_-]+:.*## / {printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(CURDIR)/.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/pip install --quiet uv

.venv/.synced: uv.lock pyproject.toml $(wildcard libs/*/pyproject.toml services/*/pyproject.toml tests/e2e/pyproject.toml loadgen/pyproject.toml) | $(UV)
	$(UV) sync --all-packages --frozen --compile-bytecode
	@touch $@

.PHONY: install
install: .venv/.synced ## install uv (if missing) and every package from the lock into .venv

.PHONY: up
up: install ## run all eight services locally (SQLite under ./data; Ctrl-C stops them)
	@printf '\n  polyshop is starting:\n'
	@printf '    storefront     http://127.0.0.1:8080/          status page http://127.0.0.1:8080/status\n'
	@printf '    catalog        http://127.0.0.1:8001/openapi.json\n'
	@printf '    cart           http://127.0.0.1:8002/openapi.json\n'
	@printf '    orders         http://127.0.0.1:8003/openapi.json\n'
	@printf '    payments       http://127.0.0.1:8004/openapi.json\n'
	@printf '    notifications  http://127.0.0.1:8005/openapi.json\n'
	@printf '    users          http://127.0.0.1:8006/openapi.json\n'
	@printf '    inventory      http://127.0.0.1:8007/openapi.json\n\n'
	$(RUN) python scripts/launch.py

.PHONY: test
test: lint test-unit test-deploy test-integration test-e2e test-e2e-stores test-browser test-observability bench-smoke test-hostile scan test-images ## run every suite: lint, unit, deployment checks, integration, end-to-end (SQLite, then PostgreSQL + Redis), browser, observability, benchmark smoke, hostile input, scans, images

.PHONY: lint
lint: install ## ruff: lint and format check
	$(RUN) ruff check .
	$(RUN) ruff format --check .

.PHONY: test-unit
test-unit: install ## unit tests of the kit, of each service and of the load generator, each in its own process
	$(RUN) pytest libs/polykit/tests
	@for service in $(SERVICES); do \
	  echo "── $$service"; \
	  $(RUN) pytest services/$$service/tests/unit || exit 1; \
	done
	@echo "── loadgen"
	$(RUN) pytest $(LOADGEN_PYTEST) loadgen/tests/unit

.PHONY: test-integration
test-integration: install ## integration tests: each service's store on the machine's PostgreSQL and Redis
	@suites=$$(ls -d services/*/tests/integration 2>/dev/null || true); \
	if [ -z "$$suites" ]; then echo "no integration suites"; exit 0; fi; \
	if ! $(call STORES_UP,$(TEST_POSTGRES_URL),$(TEST_REDIS_URL)); then \
	  if [ "$${CI:-}" = "true" ]; then echo "test-integration: PostgreSQL ($(TEST_POSTGRES_URL)) or Redis ($(TEST_REDIS_URL)) is not answering"; exit 1; fi; \
	  echo "SKIPPED test-integration: no PostgreSQL at $(TEST_POSTGRES_URL) or no Redis at $(TEST_REDIS_URL)."; \
	  echo "  Start both (e.g. apt-get install postgresql redis-server) or point TEST_POSTGRES_URL/TEST_REDIS_URL at yours."; \
	  exit 0; \
	fi; \
	for suite in $$suites; do \
	  echo "── $$suite"; \
	  TEST_POSTGRES_URL=$(TEST_POSTGRES_URL) TEST_REDIS_URL=$(TEST_REDIS_URL) $(RUN) pytest $$suite || exit 1; \
	done

.PHONY: test-e2e
test-e2e: install ## end-to-end tests; starts the store itself unless STOREFRONT_URL is set
	$(RUN) pytest tests/e2e --ignore=tests/e2e/browser

.PHONY: test-e2e-stores
test-e2e-stores: install ## the end-to-end tests again, on PostgreSQL and Redis (E2E_POSTGRES_URL, E2E_REDIS_URL)
	@if $(call STORES_UP,$(E2E_POSTGRES_URL),$(E2E_REDIS_URL)); then \
	  E2E_POSTGRES_URL=$(E2E_POSTGRES_URL) E2E_REDIS_URL=$(E2E_REDIS_URL) $(RUN) pytest tests/e2e --ignore=tests/e2e/browser; \
	elif [ "$${CI:-}" = "true" ]; then \
	  echo "test-e2e-stores: PostgreSQL at $(E2E_POSTGRES_URL) or Redis at $(E2E_REDIS_URL) is not answering"; exit 1; \
	else \
	  echo "SKIPPED test-e2e-stores: no PostgreSQL at $(E2E_POSTGRES_URL) or no Redis at $(E2E_REDIS_URL)."; \
	  echo "  Start both (e.g. apt-get install postgresql redis-server) or point E2E_POSTGRES_URL/E2E_REDIS_URL at yours."; \
	fi

.PHONY: test-browser
test-browser: install ## the browser journey: Playwright driving Chromium against a store it starts
	@if [ ! -x "$${CHROMIUM:-/usr/bin/chromium}" ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing Chromium (Debian's package)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi
	@if [ -x "$${CHROMIUM:-/usr/bin/chromium}" ]; then \
	  CHROMIUM=$${CHROMIUM:-/usr/bin/chromium} $(RUN) pytest tests/e2e/browser; \
	elif [ "$${CI:-}" = "true" ]; then \
	  echo "test-browser: no Chromium at $${CHROMIUM:-/usr/bin/chromium}"; exit 1; \
	else \
	  echo "SKIPPED test-browser: no Chromium. Install it (Debian: apt-get install chromium) or set CHROMIUM=/path/to/chrome."; \
	fi

.PHONY: test-deploy
test-deploy: install ## offline Kubernetes checks: chart, schema, rendered manifests, hardening, checkov, hadolint, Tiltfile, k8s/ in sync
	$(RUN) pytest tests/deploy --ignore=tests/deploy/test_images.py

.PHONY: test-hostile
test-hostile: install ## hostile input, against a store it starts: schemathesis on every service's OpenAPI document with a valid token, and no card, CVC, password or token in any log line or span
	$(RUN) pytest tests/hostile

.PHONY: scan
scan: install ## bandit on libs/ services/ loadgen/: no medium or high finding without a `# nosec` and its reason
	$(RUN) bandit -c pyproject.toml -r libs services loadgen --severity-level medium --quiet
	@echo "bandit: no medium or high finding"

# Not part of `make test`: the CI machines reach no advisory service (PyPI's per-version JSON and
# api.osv.dev are out of reach), and an audit that could not ask is a failure, never a pass.
.PHONY: audit
audit: install ## pip-audit on uv.lock: no known vulnerability unless .pip-audit-ignore gives its reason (needs PyPI's JSON API or OSV)
	UV=$(UV) scripts/audit-lock.sh

.PHONY: test-images
test-images: install ## build every image with Docker and run each read-only, as a non-root user, until /readyz answers
	$(RUN) pytest tests/deploy/test_images.py

.PHONY: test-observability
test-observability: install ## promtool checks, then every dashboard panel queried against a live Prometheus scraping the store under shopper traffic
	$(RUN) pytest tests/observability

.PHONY: observe
observe: install ## run Prometheus (same config and rules as the cluster) against a running `make up`
	scripts/observe.sh

.PHONY: manifests
manifests: install ## render k8s/ from the Helm chart (CI fails when k8s/ is out of date)
	$(RUN) python scripts/render_manifests.py

.PHONY: images
images: ## build every service's image with your Docker, tagged polyshop/<service>:<version>
	scripts/images.sh

.PHONY: kind
kind: ## create a kind cluster with a local registry (ctlptl), ready for `tilt up`
	scripts/kind.sh

.PHONY: screenshots
screenshots: install ## retake the README's screenshots (the browser test, writing into docs/screenshots)
	SCREENSHOT_DIR=$(CURDIR)/docs/screenshots CHROMIUM=$${CHROMIUM:-/usr/bin/chromium} $(RUN) pytest tests/e2e/browser

.PHONY: footprint
footprint: install ## benchmark: time from start to all-ready, and memory (RSS) per service
	$(RUN) python benchmarks/footprint.py

# Locust shoppers (loadgen/). With USERS set they run headless for DURATION, else the web UI waits
# for you to press start. The staff account restocks what long runs sell out.
USERS ?=
SPAWN_RATE ?= $(or $(USERS),2)
DURATION ?= 1m
# The real loadgen package imported first (and gevent's patching with it): pytest's importlib mode
# would otherwise name the test folder loadgen/ after it.
LOADGEN_PYTEST := -p loadgen.journeys
# wrk drives the benchmark's plain GETs (a Python load generator cannot outrun a hello-world).
WRK_OR_INSTALL = if ! command -v wrk >/dev/null && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing wrk (Debian's package)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	fi; \
	if ! command -v wrk >/dev/null; then \
	  if [ "$${CI:-}" = "true" ]; then echo "no wrk (apt-get install wrk)"; exit 1; fi; \
	  echo "no wrk: the plain GETs run with Locust, which may limit them (apt-get install wrk)"; \
	fi

.PHONY: load
load: install ## Locust shoppers against a running `make up`: web UI at http://127.0.0.1:8089, or headless with USERS=50 [SPAWN_RATE=5 DURATION=5m]
	STAFF_PASSWORD=$${STAFF_PASSWORD:-local-only-staff-password} $(RUN) python -m loadgen \
	  --web-host 127.0.0.1 --users $(or $(USERS),10) --spawn-rate $(SPAWN_RATE) \
	  $(if $(USERS),--headless --run-time $(DURATION) --only-summary,)

.PHONY: bench
bench: install ## benchmark the store it starts (E2E_POSTGRES_URL + E2E_REDIS_URL: on those too): report, CSV, charts in benchmarks/results/, summary in docs/performance.md
	@$(WRK_OR_INSTALL)
	$(RUN) python benchmarks/bench.py

.PHONY: profile
profile: install ## py-spy every process of the store under checkout load: hot spots in benchmarks/results/profile-*/ (root, or ptrace allowed)
	$(RUN) python benchmarks/profile.py

.PHONY: bench-smoke
bench-smoke: install ## seconds of each benchmark step and of `make load`: checks that reports, CSVs and charts are written (not the figures)
	@$(WRK_OR_INSTALL)
	$(RUN) pytest $(LOADGEN_PYTEST) benchmarks/tests

.PHONY: format
format: install ## apply ruff's fixes and formatting
	$(RUN) ruff check --fix .
	$(RUN) ruff format .

.PHONY: clean
clean: ## remove local data (SQLite files, keys) and caches
	rm -rf data .pytest_cache .ruff_cache
