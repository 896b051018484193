# Consent Ledger — the two commands are `make run` and `make test`.
PYTHON ?= python3.11
PORT ?= 5000
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format bench system-deps clean banner-test

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,dev,scan]'
	touch $(STAMP)

## run: create .venv, set up a SQLite database with a demo site, serve on 127.0.0.1:$(PORT)
run: $(STAMP)
	CONSENT_PUBLIC_URL=$${CONSENT_PUBLIC_URL:-http://127.0.0.1:$(PORT)} $(BIN)/consent demo --port $(PORT)

## system-deps: Debian's chromium (browser tests) and Go with x/mod (the independent
## transparency-log check), installed when missing (needs root or sudo)
system-deps:
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	command -v go >/dev/null || missing="$$missing golang-go"; \
	[ -d /usr/share/gocode/src/golang.org/x/mod ] || missing="$$missing golang-golang-x-mod-dev"; \
	if [ -n "$$missing" ]; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

## test: lint, then the whole suite (SQLite, plus PostgreSQL when CONSENT_TEST_DATABASE_URL is set)
test: $(STAMP) system-deps lint banner-test
	$(BIN)/pytest -n 2 --dist loadgroup

## banner-test: esbuild (pinned by static/banner/package-lock.json; the bundle test rebuilds
## with it) installed by npm ci, then the banner's pure modules under node --test
BANNER := static/banner
BANNER_STAMP := $(BANNER)/node_modules/.installed
$(BANNER_STAMP): $(BANNER)/package.json $(BANNER)/package-lock.json
	@command -v npm >/dev/null || { echo "Node.js 20 and npm are required to build the banner"; exit 1; }
	npm ci --prefix $(BANNER) --no-audit --no-fund
	touch $(BANNER_STAMP)

banner-test: $(BANNER_STAMP)
	node --test $(BANNER)/test/*.test.mjs

lint: $(STAMP)
	$(BIN)/ruff check consent tests deploy
	$(BIN)/ruff format --check consent tests deploy
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff check --fix consent tests deploy
	$(BIN)/ruff format consent tests deploy

## bench: every figure against a baseline in the same run; rewrites docs/benchmarks.md
bench: $(STAMP) system-deps
	@command -v wrk >/dev/null || { SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq wrk; }
	$(BIN)/python -m pip install --quiet -e '.[test,dev,bench]'
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
