# Phonebox: `make run` to use it, `make test` to check it.
SHELL := /bin/bash
CARGO ?= cargo
PHONEBOX_LISTEN ?= 127.0.0.1:7676
export CARGO_TERM_COLOR ?= auto

UI_SOURCES := $(shell find ui/src -type f 2>/dev/null) ui/index.html ui/vite.config.js

.PHONY: run test deps serve bench ui ui-types openapi lint test-rust test-sdk test-clients test-e2e test-desktop help

help:
	@echo "make run     install what is missing, build, and open the desktop app"
	@echo "make test    every check and test (never prompts)"
	@echo "make deps    install the tests' npm packages and Python venv (then make test runs offline)"
	@echo "make serve   run the server headless on $(PHONEBOX_LISTEN)"
	@echo "make ui      build the web UI into ui/dist"
	@echo "make bench   capture throughput, wait latency and store-at-scale figures"

## run: install what is missing, build, and open the desktop app
run: ui
	@scripts/deps.sh desktop
	$(CARGO) build -p phonebox-desktop
	./target/debug/phonebox-desktop

## test: formatting, lints, Rust tests, SDK tests, the client libraries, the UI in
## Chromium, the desktop window
test: lint test-rust test-sdk test-clients test-e2e test-desktop

## lint: formatting, clippy, licenses and sources (cargo deny), unused dependencies
## (cargo machete), the UI's types. Advisories need the RustSec database: where it
## cannot be fetched, that one check is skipped and says so.
lint: ui/node_modules/.installed
	@scripts/deps.sh test
	@scripts/deps.sh lint
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets -- -D warnings
	$(CARGO) machete
	$(CARGO) deny check licenses bans sources
	@if $(CARGO) deny fetch db >/dev/null 2>&1; then $(CARGO) deny check advisories; \
	else echo "skipped: cargo deny check advisories (the RustSec database cannot be fetched from here)"; fi
	cd ui && npm run check --silent

## ui-types: rewrite ui/src/lib/types.gen.ts from the Rust types (cargo test checks it)
ui-types:
	PHONEBOX_WRITE_UI_TYPES=1 $(CARGO) test --lib ui_types

## openapi: rewrite docs/openapi.json from the handlers' annotations, and the JS client's
## types from it (cargo test and the client's tests check both)
openapi: clients/js/node_modules/.installed
	PHONEBOX_WRITE_OPENAPI=1 $(CARGO) test --lib http::openapi
	cd clients/js && npm run types --silent

test-rust: ui
	PHONEBOX_SECRETS_STORE=file $(CARGO) test
	@scripts/deps.sh keyring
	@# A real Secret Service (gnome-keyring) on a private bus with a throwaway keyring
	@# directory, so the developer's own keyring is never touched.
	XDG_DATA_HOME=$$(mktemp -d) dbus-run-session -- sh -c 'echo -n pw | \
		gnome-keyring-daemon --unlock --components=secrets >/dev/null && \
		$(CARGO) test --lib secrets::keyring::tests::real_keyring_round_trip -- --ignored --exact'

## deps: the npm packages and the SDK tests' Python venv, so that later runs need no network
deps: ui/node_modules/.installed tests/sdk/node_modules/.installed tests/sdk/.venv/.installed \
	tests/e2e/node_modules/.installed clients/js/node_modules/.installed clients/python/.venv/.installed

## test-sdk: provider SDKs, Actions and Hooks, and Auth0's own Node (auth0 v4) and
## Python (auth0-python 4.x) SDKs, against a real phonebox serve
test-sdk: tests/sdk/node_modules/.installed tests/sdk/.venv/.installed
	$(CARGO) build --bin phonebox
	cd tests/sdk && node --test

# auth0-python and what it needs, at the versions tests/sdk/python/requirements.txt
# pins, in a venv of its own (git-ignored). Needs python3 with venv (Debian: python3-venv).
tests/sdk/.venv/.installed: tests/sdk/python/requirements.txt
	@scripts/deps.sh test
	rm -rf tests/sdk/.venv
	@python3 -m venv tests/sdk/.venv || { rm -rf tests/sdk/.venv; \
		echo "The Python SDK tests need python3 with its venv module. On Debian/Ubuntu:" >&2; \
		echo "  sudo apt-get install -y --no-install-recommends python3 python3-venv" >&2; exit 1; }
	PIP_DISABLE_PIP_VERSION_CHECK=1 tests/sdk/.venv/bin/pip install --quiet --no-input \
		--only-binary=:all: -r tests/sdk/python/requirements.txt
	touch $@

## test-clients: the client libraries in clients/ against a real phonebox serve: the
## JS one (types, node --test, its Playwright fixture in eight workers) and the Python
## one (mypy --strict, pytest with eight xdist workers), eight processes on one phone
test-clients: clients/js/node_modules/.installed clients/python/.venv/.installed
	$(CARGO) build --bin phonebox
	cd clients/js && npm run --silent build && npm run --silent check && \
		node --test test/*.test.js && ./node_modules/.bin/playwright test
	cd clients/python && .venv/bin/mypy && .venv/bin/python -m pytest -n 8

# The Python client's test tools at the versions clients/python/requirements-test.txt
# pins, then the client itself (editable, so its sources are what runs), in a venv of
# its own (git-ignored).
clients/python/.venv/.installed: clients/python/requirements-test.txt clients/python/pyproject.toml
	@scripts/deps.sh test
	rm -rf clients/python/.venv
	@python3 -m venv clients/python/.venv || { rm -rf clients/python/.venv; \
		echo "The Python client's tests need python3 with its venv module. On Debian/Ubuntu:" >&2; \
		echo "  sudo apt-get install -y --no-install-recommends python3 python3-venv" >&2; exit 1; }
	PIP_DISABLE_PIP_VERSION_CHECK=1 clients/python/.venv/bin/pip install --quiet --no-input \
		--only-binary=:all: -r clients/python/requirements-test.txt
	PIP_DISABLE_PIP_VERSION_CHECK=1 clients/python/.venv/bin/pip install --quiet --no-input \
		--no-deps --no-build-isolation -e clients/python
	touch $@

## test-e2e: the inbox in Debian's Chromium (playwright-core), 1,000,000 messages included
test-e2e: ui tests/e2e/node_modules/.installed
	@scripts/deps.sh browser
	$(CARGO) build --bin phonebox
	cd tests/e2e && node --test

## test-desktop: the desktop app under Xvfb. It needs WebKitGTK, which `make run` and
## CI install; where it is missing, say so rather than install it from a test run.
test-desktop: ui
	@if scripts/deps.sh has-desktop; then \
		scripts/deps.sh xvfb && \
		$(CARGO) clippy -p phonebox-desktop --all-targets -- -D warnings && \
		$(CARGO) build -p phonebox-desktop && \
		xvfb-run -a -s "-screen 0 1280x800x24" node --test tests/desktop; \
	else \
		echo "skipped: the desktop window test (WebKitGTK is not installed; make run installs it)"; \
	fi

## ui: the web UI, built by Vite into ui/dist (served by the phonebox binary)
ui: ui/dist/index.html

ui/dist/index.html: ui/node_modules/.installed $(UI_SOURCES)
	cd ui && npm run build --silent

# The npm packages each part needs, at the versions its lock file pins.
%/node_modules/.installed: %/package-lock.json
	@scripts/deps.sh test
	cd $* && npm ci --no-audit --no-fund
	touch $@

## serve: the server without a window
serve: ui
	$(CARGO) run --bin phonebox -- serve --listen $(PHONEBOX_LISTEN)

## bench: figures for the capture path, template rendering and the store at a million messages (see benches/)
bench: ui
	@scripts/deps.sh bench
	$(CARGO) bench --bench capture
	$(CARGO) bench --bench templates
	$(CARGO) bench --bench store
