# StuckFunds developer tasks.
#   make run      serve on http://127.0.0.1:8000 with a local SQLite file (migrated on start)
#   make test     the test suite (installs the Debian packages it needs when root, else names them;
#                 starts or installs a local PostgreSQL via scripts/ensure-postgres)
#   make openapi  regenerate openapi/openapi.json
#   make clients  generate the typed Python and TypeScript clients from openapi/openapi.json
#   make lint     lint openapi/openapi.json with Spectral and Redocly (pinned in tools/contract-lint)
#   make clean    remove the virtualenv, build output and caches (never the SQLite data file)

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Touched after a successful install: the venv is rebuilt only when pyproject.toml is newer.
VENV_MARKER := $(VENV)/.stuckfunds-installed

# The contract's linters (Node.js): installed from the lock file, again only when it changes.
LINT_TOOLS := tools/contract-lint
LINT_MARKER := $(LINT_TOOLS)/node_modules/.stuckfunds-installed
LINT_ENV := REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_UPDATE_NOTIFIER=1

.PHONY: venv run test test-system-packages openapi clients lint lint-tools clean

venv: $(VENV_MARKER)

$(VENV_MARKER): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -e '.[test]'
	touch $@

# --ignore-scripts: neither linter needs an install script (one dependency's only reports usage).
lint-tools: $(LINT_MARKER)

$(LINT_MARKER): $(LINT_TOOLS)/package-lock.json
	cd $(LINT_TOOLS) && npm ci --ignore-scripts --no-audit --no-fund
	touch $@

lint: lint-tools
	cd $(LINT_TOOLS) && $(LINT_ENV) ./node_modules/.bin/spectral lint --ruleset .spectral.yaml ../../openapi/openapi.json
	cd $(LINT_TOOLS) && $(LINT_ENV) ./node_modules/.bin/redocly lint --extends=recommended ../../openapi/openapi.json

# Extra arguments: make run ARGS='--port 9000 --workers 2'
run: venv
	$(BIN)/stuckfunds serve $(ARGS)

# scripts/ensure-postgres --print-env prints `export STUCKFUNDS_TEST_DATABASE_URL=...` when the
# server only accepts the current user over its unix socket; nothing when TCP on 127.0.0.1 works.
# PYTEST_EXIT_CODE_FILE (optional, used by .ci/run) receives pytest's own exit code, which make
# would otherwise turn into 2. Extra arguments: make test PYTEST_ARGS='-x -k cases'
# Before anything else: Pango, the CJK fonts, poppler-utils, Node.js and npm (see the script).
# Without npm (possible only off Debian) the lint tests skip, and fail under CI=true.
test-system-packages:
	@scripts/ensure-system-packages test

# Prerequisites are made left to right: the system packages first, then the venv.
test: test-system-packages venv
	@if command -v npm >/dev/null 2>&1; then $(MAKE) --no-print-directory lint-tools; fi
	@set -e; \
	env_lines=$$(scripts/ensure-postgres --print-env); \
	eval "$$env_lines"; \
	echo "$(BIN)/pytest -q $(PYTEST_ARGS)"; \
	rc=0; $(BIN)/pytest -q $(PYTEST_ARGS) || rc=$$?; \
	if [ -n "$$PYTEST_EXIT_CODE_FILE" ]; then echo "$$rc" > "$$PYTEST_EXIT_CODE_FILE"; fi; \
	if [ "$$rc" -eq 5 ]; then echo "make test: pytest collected no tests (exit code 5)" >&2; fi; \
	exit "$$rc"

# Written to a temporary file first, so a failing command never leaves a truncated spec behind.
openapi: venv
	@mkdir -p openapi
	$(BIN)/stuckfunds openapi > openapi/openapi.json.tmp || { rm -f openapi/openapi.json.tmp; exit 1; }
	mv openapi/openapi.json.tmp openapi/openapi.json

# Python: clients/python/ (package stuckfunds_client); TypeScript: clients/typescript/generated/.
clients: venv
	BIN=$(BIN) scripts/generate-clients

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .hypothesis openapi/openapi.json.tmp \
		$(LINT_TOOLS)/node_modules
	rm -rf clients/python clients/typescript/generated clients/typescript/build clients/typescript/node_modules
	find . -path ./.git -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +
