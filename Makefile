# One entry point for build / run / test / bench. Every target runs with Node 24
# first on PATH (installed into .toolchain/ when the system Node is older).
SHELL := /bin/bash
NODE_DIR := $(shell scripts/ensure-node.sh)
export PATH := $(NODE_DIR):$(PATH)
NODE := $(NODE_DIR)/node

BROKER_CONFIG ?= config/server.properties
TEST_FILES_UNIT := $(shell find broker-image/src -name '*.test.ts' 2>/dev/null | sort)
TEST_FILES_CLIENTS := $(shell find test/clients -name '*.test.ts' 2>/dev/null | sort)

.PHONY: all deps npm-deps apt-deps typecheck test test-unit test-clients run bench-broker image-broker clean

all: npm-deps typecheck

npm-deps: node_modules/.install-stamp
node_modules/.install-stamp: package-lock.json package.json broker-image/package.json test/package.json
	npm ci --no-fund --no-audit
	@touch $@

apt-deps:
	scripts/apt-deps.sh

deps: npm-deps apt-deps

typecheck: npm-deps
	npx tsc -p broker-image
	npx tsc -p test

## run: a single broker on 127.0.0.1:9092, data under ./data; Ctrl-C stops it cleanly.
run: npm-deps
	$(NODE) broker-image/src/cli/main.ts broker start --config $(BROKER_CONFIG)

## test: installs what the tests need, type-checks, runs every test.
test: deps typecheck test-unit test-clients

test-unit: npm-deps
	$(NODE) --test --test-concurrency=2 $(TEST_FILES_UNIT)

test-clients: deps
	$(NODE) --test --test-concurrency=1 $(TEST_FILES_CLIENTS)

bench-broker: deps
	bench/broker/run.sh

image-broker:
	test/images/build.sh broker

clean:
	rm -rf node_modules .toolchain
