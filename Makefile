# ASAN Platform. `make help` lists the targets.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PLUGINS := $(wildcard plugins/*/pyproject.toml)
INSTALLED := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help install catalogues run test lint format bench clean chart-bundles

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

install: $(INSTALLED) ## Create .venv and install the locked dependencies, the platform and its plugins

$(INSTALLED): requirements.lock pyproject.toml $(PLUGINS)
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Python 3.11 is required, found " + sys.version.split()[0])'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "installing locked dependencies into $(VENV) (log: $(VENV)/install.log)"
	@$(BIN)/pip install --disable-pip-version-check --require-hashes -r requirements.lock > $(VENV)/install.log 2>&1 \
		|| { tail -20 $(VENV)/install.log; exit 1; }
	@$(BIN)/pip install --disable-pip-version-check --no-deps -e . $(foreach p,$(PLUGINS),-e $(dir $(p))) >> $(VENV)/install.log 2>&1 \
		|| { tail -20 $(VENV)/install.log; exit 1; }
	@touch $@

catalogues: install ## Compile the UI message catalogues (i18n/*/LC_MESSAGES/messages.mo, not committed)
	@$(BIN)/asan i18n compile > /dev/null

run: install catalogues ## Install, migrate the SQLite database under var/, load tenants/, serve on :8000
	$(BIN)/asan demo --host $(HOST) --port $(PORT)

TEST_JOBS ?= auto
test: install catalogues ## Run the whole test suite (PostgreSQL too when ASAN_TEST_DATABASE_URL is set)
	$(BIN)/python -m pytest -n $(TEST_JOBS) --dist worksteal

lint: install ## ruff (lint and format check) and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install ## Format and fix what ruff can fix
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean: ## Remove the virtual environment and local data (var/)
	rm -rf $(VENV) var

bench: install catalogues ## Benchmarks (tests/perf/bench_*.py): each prints a table against a bare baseline
	@for bench in tests/perf/bench_*.py; do \
		echo "== $$bench"; \
		$(BIN)/python -m tests.perf.$$(basename $$bench .py); \
	done

chart-bundles: ## Copy tenants/ into the Helm chart's demo bundles (a test fails when they drift)
	@for dir in tenants/*/; do \
		code=$$(basename $$dir); \
		mkdir -p helm/asan/files/tenants/$$code; \
		cp $$dir/tenant.toml $$dir/catalogue.yaml $$dir/policy.csv helm/asan/files/tenants/$$code/; \
	done
	@echo "helm/asan/files/tenants/ now matches tenants/"
