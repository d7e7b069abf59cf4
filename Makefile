# callctl — see README.md.
SHELL := /bin/bash
export PATH := $(PATH):/usr/local/go/bin
GO ?= go

.PHONY: run test unit integration testbed-up testbed-down fuzz bench load load-cps vet build deb deb-test

## run: bring up the test-bed Asterisk and run the daemon with the built-in defaults
## (Asterisk runs in the test bed's root: its recording paths live under it)
run: testbed-up
	CALLCTL_RECORDING_HOST_PREFIX=$${CALLCTL_TESTBED_ROOT:-$${CALLCTL_TESTBED_CACHE:-/var/cache/callctl-testbed}/root} $(GO) run ./cmd/callctl serve

build:
	$(GO) build -o bin/callctl ./cmd/callctl

## test: everything CI runs — installs what it needs (Go modules, the test bed, sipp)
test: testbed-up vet unit integration deb-test

vet:
	$(GO) mod download
	test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...
	$(GO) vet -tags integration ./...

## unit: unit tests (no Asterisk needed), race detector on
unit:
	$(GO) test -race -count=1 ./...

## integration: tests on the real Asterisk with SIP test phones, one package at a time
## (the test bed is one Asterisk: concurrent runs on one machine wait for each other)
TESTBED_LOCK ?= /tmp/callctl-testbed.lock
integration: testbed-up
	flock -o $(TESTBED_LOCK) $(GO) test -race -count=1 -p 1 -tags integration -timeout 30m ./test/...

testbed-up:
	bash test/asterisk/up.sh

## deb: callctl_<version>_amd64.deb in the repository's root (dpkg-deb; packaging/deb)
deb:
	bash packaging/deb/build.sh

## deb-test: the package installed, configured, run against the test-bed Asterisk and
## purged in a fresh Debian root (packaging/deb/test.sh; the package is built outside the lock)
deb-test:
	d=$$(mktemp -d) && trap 'rm -rf "$$d"' EXIT && deb=$$(bash packaging/deb/build.sh "$$d") && bash packaging/deb/test.sh --base && \
	flock -o $(TESTBED_LOCK) bash -c 'bash test/asterisk/up.sh && bash packaging/deb/test.sh "$$0"' "$$deb"

testbed-down:
	bash test/asterisk/down.sh

## fuzz: a short run of every fuzz target
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list 'Fuzz.*' $$pkg | grep ^Fuzz); do \
	    echo "== $$pkg $$f"; $(GO) test -run XXX -fuzz "^$$f$$" -fuzztime 20s $$pkg || exit 1; \
	  done; \
	done

## bench: benchmarks
bench:
	$(GO) test -run XXX -bench . -benchmem ./...

## load: listcalls latency with 100 calls up at 500 req/s, click-to-call throughput (reports, no assertions)
load: testbed-up
	flock -o $(TESTBED_LOCK) $(GO) test -count=1 -tags load -v -timeout 15m ./test/load/

## load-cps: what callctl costs the PBX: calls placed with sipp at a fixed rate
## (CPS_ARGS, default 1,000 calls at 50/s, 10 s talk; e.g. CPS_ARGS="-calls 2000 -rate 100")
CPS_ARGS ?= -calls 1000 -rate 50 -talk 10s
load-cps: testbed-up
	flock -o $(TESTBED_LOCK) $(GO) run ./test/load/cps $(CPS_ARGS)
