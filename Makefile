# Sluice — the two commands that matter: `make run` and `make test`.
SHELL := /bin/bash
export PATH := $(PATH):/opt/swift/usr/bin

SWIFT ?= swift
# A wrong import (one the target graph of Package.swift does not declare)
# fails the build instead of slipping through transitively.
SWIFT_FLAGS ?= --explicit-target-dependency-import-check error
CONFIG ?= debug

.PHONY: run test build build-tests deps test-deps validate-deploy bench bench-deps bench-http bench-api bench-gateway bench-eventloop bench-datastore bench-aws bench-deployments bench-dataset fuzz clean

deps:
	@scripts/install-deps.sh build

test-deps:
	@scripts/install-deps.sh test

build: deps
	$(SWIFT) build -c $(CONFIG) --product sluice $(SWIFT_FLAGS)

## make run — build and start `sluice serve` on 127.0.0.1:8080.
run: build
	@scripts/run.sh "$$($(SWIFT) build -c $(CONFIG) --show-bin-path)/sluice"

build-tests: test-deps
	$(SWIFT) build --build-tests $(SWIFT_FLAGS)

## make validate-deploy — check deploy/ offline: Terraform (layout, IAM
## actions, bucket and database settings) and the Kubernetes manifests
## (schemas, probes, replicas, disruption budgets). A few seconds.
validate-deploy: test-deps
	scripts/validate-deploy.sh

## make test — install what the tests need and run the whole suite.
# Suites run one after another (about a minute in all): the wire tests
# assert timeouts of a few hundred milliseconds, and on two shared cores the
# parallel suites' blocking clients and servers could starve their threads.
# deploy/ is validated first: it takes seconds, the Swift build minutes.
test: validate-deploy build-tests
	SLUICE_TEST_PYTHON="$$(scripts/python-venv.sh)" $(SWIFT) test --skip-build --no-parallel

## make bench — every benchmark (long; not part of make test).
bench: bench-http bench-api bench-gateway bench-eventloop bench-datastore bench-aws bench-deployments bench-dataset

# What the benchmarks need beyond the build: wrk, nginx, curl.
bench-deps:
	@scripts/install-deps.sh bench

bench-http: bench-deps
	Benchmarks/run-http.sh

## make bench-api — the REST API through HTTP, auth, pool and PostgreSQL (Benchmarks/run-api.sh).
bench-api: bench-deps
	Benchmarks/run-api.sh

## make bench-gateway — `sluice gateway` beside the model server called
## directly and nginx proxy_pass + mirror (Benchmarks/run-gateway.sh).
bench-gateway: bench-deps
	Benchmarks/run-gateway.sh

## make bench-datastore — ML Data Store ingest beside psql \copy; scoreboard over 10M rows.
bench-datastore: bench-deps
	Benchmarks/run-datastore.sh

## make bench-deployments — 1,000 deployments at once against moto: time to ready, AWS calls each.
bench-deployments: bench-deps
	Benchmarks/run-deployments.sh

bench-eventloop:
	$(SWIFT) build -c release --package-path Benchmarks --scratch-path Benchmarks/.build --product EventLoopBench
	Benchmarks/.build/release/EventLoopBench 64 5

## make bench-aws — SluiceAWS against boto3 on S3 (moto on loopback); docs/benchmarks.md.
bench-aws: bench-deps
	Benchmarks/run-aws.sh

## make bench-dataset — the dataset worker on a 1 GiB CSV beside awk and boto3 + csv (Benchmarks/run-dataset.sh).
bench-dataset: bench-deps
	Benchmarks/run-dataset.sh

## make fuzz — fuzz the HTTP decoder for FUZZ_SECONDS (default 300).
FUZZ_SECONDS ?= 300
fuzz:
	scripts/fuzz.sh $(FUZZ_SECONDS)

clean:
	rm -rf .build .build-* Benchmarks/.build Fuzz/.build
