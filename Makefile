# msbuild: every target installs what it needs first, so each works on a fresh clone.
SHELL := /bin/bash
.DEFAULT_GOAL := help
.PHONY: help install build typecheck lint format docker fixtures test-tools test test-unit test-integration demo examples bench clean

help:
	@echo "make demo   build the Go client/server example with msbuild and run it"
	@echo "make examples   build every tutorial example (fixtures/apps) with msbuild and BuildKit, smoke-test it, print a table"
	@echo "make test   install everything (npm packages, Docker engine, base images) and run all tests"
	@echo "make test-unit | test-integration | bench | lint | format | typecheck | fixtures | build"

install: node_modules/.installed

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# tsc, then the CLI bundled into one file with a V8 code cache (scripts/bundle.mjs) for fast starts,
# and the OCI worker's system-call helper compiled with the machine's C compiler.
build: install dist/oci-helper
	npx tsc -p tsconfig.json
	node scripts/bundle.mjs

dist/oci-helper: engine/oci/native/helper.c
	@command -v gcc >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc libc6-dev >/dev/null; }
	@mkdir -p dist
	gcc -O2 -Wall -Wextra -o $@ $<

typecheck: install
	npx tsc -p tsconfig.json --noEmit

# Prettier owns the layout (.prettierrc.json: 120 columns, imports organized); `make format` rewrites.
FORMATTED := 'engine/**/*.ts' 'cli/**/*.{ts,cts}' 'test/**/*.ts' 'bench/**/*.ts' 'scripts/**/*.mjs'

lint: typecheck
	node scripts/lint.mjs
	node scripts/imports.mjs --quiet
	npx prettier --check --log-level warn $(FORMATTED)

format: install
	npx prettier --write --log-level warn $(FORMATTED)

docker:
	bash scripts/ensure-docker.sh

fixtures: docker
	bash fixtures/images/build-all.sh

# tmux drives the live TTY view in a real terminal (test/cli/tty.int.test.ts); the registry tests
# start Debian's docker-registry on loopback ports of their own (scripts/ensure-registry.sh).
test-tools:
	@command -v tmux >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tmux >/dev/null; }
	@bash scripts/ensure-registry.sh

test: lint build fixtures test-tools
	node scripts/run-tests.mjs all

test-unit: build
	node scripts/run-tests.mjs unit

test-integration: build fixtures test-tools
	node scripts/run-tests.mjs integration

demo: build fixtures
	bash scripts/demo.sh

# Every tutorial example of fixtures/apps: msbuild beside BuildKit, smoke tests, files, one table.
examples: build fixtures
	node dist/bench/examples.js

bench: build fixtures
	node dist/bench/run.js

clean:
	rm -rf dist
