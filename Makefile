# msbuild: every target installs what it needs first, so each works on a fresh clone.
SHELL := /bin/bash
.DEFAULT_GOAL := help
.PHONY: help install build typecheck lint docker fixtures test-tools test test-unit test-integration demo bench clean

help:
	@echo "make demo   build the Go client/server example with msbuild and run it"
	@echo "make test   install everything (npm packages, Docker engine, base images) and run all tests"
	@echo "make test-unit | test-integration | bench | lint | typecheck | fixtures | build"

install: node_modules/.installed

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# tsc, then the CLI bundled into one file with a V8 code cache (scripts/bundle.mjs) for fast starts.
build: install
	npx tsc -p tsconfig.json
	node scripts/bundle.mjs

typecheck: install
	npx tsc -p tsconfig.json --noEmit

lint: typecheck
	node scripts/lint.mjs

docker:
	bash scripts/ensure-docker.sh

fixtures: docker
	bash fixtures/images/build-all.sh

# tmux drives the live TTY view in a real terminal (test/cli/tty.int.test.ts).
test-tools:
	@command -v tmux >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tmux >/dev/null; }

test: build fixtures test-tools
	node scripts/run-tests.mjs all

test-unit: build
	node scripts/run-tests.mjs unit

test-integration: build fixtures test-tools
	node scripts/run-tests.mjs integration

demo: build fixtures
	bash scripts/demo.sh

bench: build fixtures
	node dist/bench/run.js

clean:
	rm -rf dist
