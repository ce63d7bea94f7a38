# Phonebox: `make run` to use it, `make test` to check it.
SHELL := /bin/bash
CARGO ?= cargo
PHONEBOX_LISTEN ?= 127.0.0.1:7676
export CARGO_TERM_COLOR ?= auto

.PHONY: run test serve bench lint test-rust test-sdk test-desktop-build help

help:
	@echo "make run     install what is missing, build, and open the desktop app"
	@echo "make test    every check and test (never prompts)"
	@echo "make serve   run the server headless on $(PHONEBOX_LISTEN)"
	@echo "make bench   capture throughput and wait latency figures"

## run: install what is missing, build, and open the desktop app
run:
	@scripts/deps.sh desktop
	$(CARGO) build -p phonebox-desktop
	./target/debug/phonebox-desktop

## test: formatting, lints, Rust unit and integration tests, SDK tests
test: lint test-rust test-sdk test-desktop-build

lint:
	@scripts/deps.sh test
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets -- -D warnings

test-rust:
	$(CARGO) test

test-sdk: tests/sdk/node_modules/.installed
	$(CARGO) build --bin phonebox
	cd tests/sdk && node --test

# The official SDKs the tests drive (twilio...), at the versions the lock file pins.
tests/sdk/node_modules/.installed: tests/sdk/package-lock.json
	cd tests/sdk && npm ci --no-audit --no-fund
	touch $@

# The desktop crate needs WebKitGTK; CI installs it (.ci/run). Where it is missing,
# say so rather than install system packages from a test run.
test-desktop-build:
	@if scripts/deps.sh has-desktop; then \
		$(CARGO) clippy -p phonebox-desktop --all-targets -- -D warnings; \
	else \
		echo "skipped: the desktop crate (WebKitGTK is not installed; make run installs it)"; \
	fi

## serve: the server without a window
serve:
	$(CARGO) run --bin phonebox -- serve --listen $(PHONEBOX_LISTEN)

## bench: figures for the capture path (see benches/capture.rs)
bench:
	@scripts/deps.sh bench
	$(CARGO) bench --bench capture
