# Quick start: `make run` (HAProxy + dataplane) and `make test` (everything).
GO ?= go
BIN := bin/dataplane
VERSION ?= 3.0.0-dev
LDFLAGS := -X main.version=$(VERSION) -X main.buildDate=$(shell date -u +%Y-%m-%dT%H:%M:%SZ)

.PHONY: all build run test vet bench bench-table bench-check bench-baseline bench-reload deps generate check-spec clients-check

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/dataplane

deps:
	./scripts/ensure-haproxy.sh socat wrk promtool chromium npm etcd

run: build
	./scripts/ensure-haproxy.sh
	./scripts/run.sh

# api/openapi.yaml (and openapi.json) from api/spec and the resources
# declared in internal/config (go test ./api fails when they are stale).
generate:
	$(GO) generate ./api

# Lint the contract (redocly, recommended rules) and type-check a
# TypeScript program against it (needs npm).
check-spec:
	./scripts/check-spec.sh

# The contract in the hands of its users, against the real binary and
# HAProxy: Chromium renders /v3/docs with every operation, and generated Go
# (oapi-codegen) and TypeScript (openapi-fetch) clients commit a
# transaction and follow its reload. About 3 minutes.
clients-check:
	./scripts/clients-check.sh

vet:
	gofmt -l . | (! grep .) || (echo "gofmt needed on the files above" && exit 1)
	! grep -rnE --exclude-dir=.git --exclude-dir=node_modules '^(<<<<<<<|>>>>>>>) ' . || (echo "merge conflict markers left in the files above" && exit 1)
	$(GO) vet ./...

# Timing tests skip themselves under the race detector (it slows hashing
# unevenly); they run again without it.
TIMING_TESTS = TestFailureTimingDoesNotTellUsersApart|TestLoginUnderFlood
test: deps vet
	CI=$${CI:-1} $(GO) test -race -count=1 -timeout 60m ./...
	CI=$${CI:-1} $(GO) test -count=1 -timeout 10m -run '$(TIMING_TESTS)' ./internal/auth
	./scripts/check-spec.sh
	./scripts/clients-check.sh

# Benchmarks on generated files of 10, 1,000 and 10,000 backends, one
# package at a time (-p 1: packages benchmarked in parallel skew each
# other's timings on a small machine), then the resource table. About 10
# minutes; the reload-under-load run is `make bench-reload`.
bench: build
	$(GO) test -p 1 -run '^$$' -bench . -skip 'ReloadUnderLoad|BenchmarkResources' -benchmem -timeout 30m ./...
	$(BENCH_TABLE)

# The resource table (internal/benchguard): every resource family x
# operation at 10 and 10,000 backends on real HAProxy, medians against
# internal/benchguard/testdata/baseline.tsv (SLOWER: >10%), and the RSS of
# dataplane at 100,000 backends after every family ran. It reports;
# bench-check measures the baseline's commit alongside (built from git,
# one round of each in turn) and fails on a row >10% slower than it
# (measured twice more first) or an RSS over 400 MiB; bench-baseline
# rewrites the baseline from this run and records its commit.
BENCH_TABLE = $(GO) test -run '^$$' -bench BenchmarkResources -benchtime 1x -timeout 30m ./internal/benchguard
bench-table:
	$(BENCH_TABLE)
bench-check:
	BENCHGUARD_CHECK=1 BENCHGUARD_REF=$${BENCHGUARD_REF:-baseline} $(GO) test -run '^$$' -bench BenchmarkResources -benchtime 1x -timeout 90m ./internal/benchguard
bench-baseline:
	BENCHGUARD_UPDATE=1 $(BENCH_TABLE)

# 100 reloads per strategy under load (wrk and a Go load generator that
# records every request, both Connection: close), quiet and with a CPU hog
# keeping one core busy: failed/total per strategy and mode, and each
# failure with its class and reload phase. About 10 minutes on 2 cores.
# One mode: make bench-reload BENCH_RELOAD='BenchmarkReloadUnderLoad/.*/hog'
BENCH_RELOAD ?= BenchmarkReloadUnderLoad
bench-reload: deps
	$(GO) test -run '^$$' -bench '$(BENCH_RELOAD)' -benchtime 1x -timeout 40m ./internal/api/
