# One entry point for build / run / test / bench. Every target runs with Node 24
# first on PATH (installed into .toolchain/ when the system Node is older).
SHELL := /bin/bash
NODE_DIR := $(shell scripts/ensure-node.sh)
export PATH := $(NODE_DIR):$(PATH)
NODE := $(NODE_DIR)/node

BROKER_CONFIG ?= config/server.properties
TEST_FILES_UNIT := $(shell find broker-image/src emulator/src operator/src -name '*.test.ts' 2>/dev/null | sort)
TEST_FILES_CLIENTS := $(shell find test/clients -name '*.test.ts' 2>/dev/null | sort)
TEST_FILES_EMULATOR := $(shell find test/emulator -name '*.test.ts' -not -name 'pubsub*' 2>/dev/null | sort)
TEST_FILES_PUBSUB := $(shell find test/emulator -name 'pubsub*.test.ts' 2>/dev/null | sort)
TEST_FILES_COMPARE := $(shell find test/compare -name '*.test.ts' 2>/dev/null | sort)

.PHONY: all deps npm-deps apt-deps typecheck test test-unit test-clients test-emulator test-pubsub bench-pubsub run run-emulator bench-broker bench-kinesis image-broker clean

all: npm-deps typecheck

npm-deps: node_modules/.install-stamp
node_modules/.install-stamp: package-lock.json package.json broker-image/package.json emulator/package.json operator/package.json test/package.json
	npm ci --no-fund --no-audit
	@touch $@

apt-deps:
	scripts/apt-deps.sh

deps: npm-deps apt-deps

typecheck: npm-deps
	npx tsc -p broker-image
	npx tsc -p emulator
	npx tsc -p test
	npx tsc -p operator
	npx tsc -p bench/compare

## run: a single broker on 127.0.0.1:9092 (metrics and probes on 127.0.0.1:9644), data under ./data,
## and the emulator in front of it (Kinesis on 127.0.0.1:4567, Pub/Sub on 127.0.0.1:8085); Ctrl-C stops both.
run: npm-deps
	BROKER_CONFIG=$(BROKER_CONFIG) scripts/run.sh

## test: installs what the tests need, type-checks, runs every test.
test: deps typecheck test-unit test-clients test-emulator test-pubsub test-compare test-k8s test-operator test-coordination

test-unit: npm-deps
	$(NODE) --test --test-concurrency=2 $(TEST_FILES_UNIT)

test-clients: deps
	$(NODE) --test --test-concurrency=1 $(TEST_FILES_CLIENTS)

## fuzz: the decoder and record-batch fuzzers (broker-image/src/protocol/fuzz) for 2/3 of FUZZ_SECONDS
## (default 600), then mutated frames at a real broker (test/clients/fuzz-wire.test.ts) for the rest;
## prints the inputs run per target. make test runs the same files briefly (20 s, and 10 s on the wire).
FUZZ_SECONDS ?= 600
.PHONY: fuzz
fuzz: deps
	FUZZ_SECONDS=$$(( $(FUZZ_SECONDS) * 2 / 3 )) $(NODE) --test --test-concurrency=1 --test-reporter=spec $(sort $(wildcard broker-image/src/protocol/fuzz/*.test.ts))
	FUZZ_WIRE_SECONDS=$$(( $(FUZZ_SECONDS) / 3 )) $(NODE) --test --test-reporter=spec test/clients/fuzz-wire.test.ts

## test-emulator: the emulator's front-ends with the official SDKs, over a real broker (and kinesis-mock side by side).
test-emulator: npm-deps
	$(NODE) --test --test-concurrency=1 $(TEST_FILES_EMULATOR)

## test-pubsub: the Pub/Sub front-end with @google-cloud/pubsub and REST, side by side with Google's emulator.
test-pubsub: npm-deps
	$(NODE) --test --test-concurrency=1 $(TEST_FILES_PUBSUB)

## test-compare: the short profile of `make compare` (2,000 records per path, correctness only) and its
## HTML report in headless Chromium (charts rendered, screenshot not blank).
.PHONY: test-compare compare
test-compare: deps
	$(NODE) --test --test-concurrency=1 $(TEST_FILES_COMPARE)

## compare: one workload through Kafka, Pub/Sub and Kinesis on one broker (+ Google's emulator and kinesis-mock
## when present), 1,000,000 records per path unless RECORDS=N; table on stdout, report in bench/compare/out/.
compare: npm-deps
	$(NODE) bench/compare/main.ts --records $(or $(RECORDS),1000000) $(COMPARE_ARGS)

## bench-pubsub: 100k × 100 B published with @google-cloud/pubsub and received by StreamingPull with acks; Google's emulator and ours side by side.
bench-pubsub: npm-deps
	$(NODE) bench/pubsub/run.ts

## run-emulator: the emulator against the broker of `make run` (Kinesis on 127.0.0.1:4567).
run-emulator: npm-deps
	$(NODE) emulator/src/main.ts --bootstrap-server 127.0.0.1:9092

bench-broker: deps
	bench/broker/run.sh

## bench-kinesis: PutRecords 200k x 100 B (batches of 500, 4 shards) + GetRecords back, ours vs kinesis-mock.
bench-kinesis: npm-deps
	$(NODE) bench/kinesis/run.ts

## bench-groups: member failover time, 10-member rebalance time, commit throughput with 100 groups.
.PHONY: bench-groups
bench-groups: deps
	$(NODE) bench/groups/run.ts

image-broker:
	test/images/build.sh broker

clean:
	rm -rf node_modules .toolchain

## Local Kubernetes (test/cluster, test/kubelet, test/images; see test/cluster/README.md)
K8S_DIR ?= /tmp/tributary-k8s
TEST_FILES_K8S := $(shell find test/images test/cluster test/kubelet test/chart-render test/k8s -name '*.test.ts' 2>/dev/null | sort)

.PHONY: images k8s-build k8s-up k8s-down test-k8s

## images: the base image, then every image whose Dockerfile exists (broker now).
images:
	test/images/build.sh

## k8s-build: control-plane binaries from Debian's kubernetes source, cached in ~/.cache/tributary.
k8s-build:
	test/cluster/build.sh >/dev/null

## k8s-up: a cluster in $(K8S_DIR) (KUBECONFIG=$(K8S_DIR)/kubeconfig); k8s-down stops it.
k8s-up: npm-deps k8s-build
	test/cluster/up.sh --dir $(K8S_DIR) --nodes $${NODES:-1}

k8s-down:
	test/cluster/down.sh $(K8S_DIR)

## test-k8s: image tests, then the Kubernetes end-to-end tests (one at a time: they share 2 cores).
test-k8s: npm-deps k8s-build images
	TRIBUTARY_BROKER_IMAGE=tributary/broker:dev $(NODE) --test --test-concurrency=1 $(TEST_FILES_K8S)

## Operator (operator/, crds/, charts/tributary-operator/): CRDs generated from operator/src/api.
TEST_FILES_OPERATOR := $(shell find operator/test -name '*.test.ts' 2>/dev/null | sort)
.PHONY: crds image-operator test-operator bench-operator

crds: npm-deps
	$(NODE) operator/src/api/generate.ts

image-operator:
	test/images/build.sh operator

## test-operator: the operator in-process and the chart's operator pods against the local cluster.
test-operator: npm-deps k8s-build
	test/images/build.sh broker operator
	TRIBUTARY_IMAGES_BUILT=1 TRIBUTARY_BROKER_IMAGE=tributary/broker:dev $(NODE) --test --test-concurrency=1 $(TEST_FILES_OPERATOR)

## bench-operator: 3-broker KafkaCluster apply→Ready time; rolling restart duration and longest produce stall.
bench-operator: npm-deps k8s-build
	test/images/build.sh broker
	TRIBUTARY_BROKER_IMAGE=tributary/broker:dev $(NODE) operator/bench/operator-bench.ts

## test-coordination: the coordination store's etcd and kubernetes backends against a real etcd and kube-apiserver.
TEST_FILES_COORDINATION := $(shell find test/coordination -name '*.test.ts' 2>/dev/null | sort)
.PHONY: test-coordination
test-coordination: deps k8s-build
	$(NODE) --test --test-concurrency=1 $(TEST_FILES_COORDINATION)

## test-replication (issue 7): 3-broker clusters of real processes on 127.0.0.1..3 over a real etcd (and the
## leader-kill scenario over the local kube-apiserver too): leader kill -9, paused follower, NOT_ENOUGH_REPLICAS,
## reassignment under load, coordinator failover, bootstrap from any broker. One file at a time (2 cores).
TEST_FILES_REPLICATION := $(shell find test/replication -name '*.test.ts' 2>/dev/null | sort)
.PHONY: test-replication
test-replication: deps k8s-build
	$(NODE) --test --test-concurrency=1 --test-reporter=spec $(TEST_FILES_REPLICATION)

## bench-cluster (issue 7): 3 brokers (etcd, rf=3, min.insync.replicas=2) beside a single broker (rf=1) in one run:
## producer-perf-test acks=1 vs acks=all (records/s, p99), leader failover (kill -9 and SIGTERM → first acks=all produce).
.PHONY: bench-cluster
bench-cluster: deps
	$(NODE) bench/cluster/run.ts
