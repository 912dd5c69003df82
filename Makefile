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
# Browsers come from Debian (make browser), never from Playwright's own download.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

.PHONY: help install catalogues browser run test lint format bench clean chart-bundles vendor-htmx

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

CHROMIUM := /usr/bin/chromium
browser: ## Install Debian's Chromium for the browser tests (tests/browser) when it is missing
	@if [ ! -x $(CHROMIUM) ]; then \
		echo "installing Debian's chromium for the browser tests (apt-get, log: var/apt-chromium.log)"; \
		mkdir -p var; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y --no-install-recommends chromium fonts-dejavu-core > var/apt-chromium.log 2>&1 \
			|| { apt-get update >> var/apt-chromium.log 2>&1 \
				&& apt-get install -y --no-install-recommends chromium fonts-dejavu-core >> var/apt-chromium.log 2>&1; } \
			|| { tail -20 var/apt-chromium.log; \
				if [ -n "$${CI:-}" ]; then echo "FATAL: could not install chromium; the browser tests cannot run" >&2; exit 1; fi; \
				echo "WARNING: could not install chromium (not root?); the browser tests will be skipped" >&2; exit 0; }; \
		test -x $(CHROMIUM) || { echo "FATAL: chromium installed but $(CHROMIUM) is missing" >&2; exit 1; }; \
	fi

TEST_JOBS ?= auto
test: install catalogues browser ## Run the whole test suite (PostgreSQL too when ASAN_TEST_DATABASE_URL is set)
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

HTMX := admin_console/static/vendor/htmx
vendor-htmx: ## Re-fetch htmx (VENDORED.toml's version) with npm pack, check its integrity, copy it
	@version=$$(sed -n 's/^version = "\(.*\)"$$/\1/p' $(HTMX)/VENDORED.toml); \
	recorded=$$(sed -n 's/^integrity = "\(.*\)"$$/\1/p' $(HTMX)/VENDORED.toml); \
	test -n "$$version" -a -n "$$recorded" || { echo "FATAL: no version or integrity in $(HTMX)/VENDORED.toml" >&2; exit 1; }; \
	work=$$(mktemp -d); trap 'rm -rf "$$work"' EXIT; \
	echo "fetching htmx.org@$$version with npm pack"; \
	(cd "$$work" && npm pack --silent "htmx.org@$$version" > /dev/null); \
	tarball="$$work/htmx.org-$$version.tgz"; \
	actual="sha512-$$(openssl dgst -sha512 -binary "$$tarball" | base64 -w0)"; \
	if [ "$$actual" != "$$recorded" ]; then \
		echo "FATAL: htmx.org@$$version tarball integrity $$actual differs from VENDORED.toml's $$recorded" >&2; exit 1; \
	fi; \
	tar -xzf "$$tarball" -C "$$work"; \
	cp "$$work/package/dist/htmx.min.js" "$$work/package/LICENSE" $(HTMX)/; \
	echo "integrity checked; copied dist/htmx.min.js and LICENSE into $(HTMX)/"; \
	echo "sha256 = \"$$(sha256sum $(HTMX)/htmx.min.js | cut -d' ' -f1)\"  (must match VENDORED.toml)"
