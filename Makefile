# minikubelet — build, test and run on a Linux machine (root for anything
# that touches the runtime). `make help` lists the targets.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := build

# Go lives in /usr/local/go on the project's machines.
export PATH := /usr/local/go/bin:$(PATH)

GO       ?= go
BIN      := bin/minikubelet
# RUNTIME picks the test bed's runtime for testbed-up, testbed-down, e2e and
# run: containerd (Debian's 1.6, the default), containerd2 (2.4) or crio
# (CRI-O 1.34). Each has its own env file; e2e-matrix runs them all.
RUNTIME  ?= containerd
RUNTIMES := containerd containerd2 crio
ENV_FILE := test/testbed/env$(if $(filter-out containerd,$(RUNTIME)),.$(RUNTIME))
# CLUSTER=1 adds the control plane (etcd, kube-apiserver, controller-manager,
# scheduler on loopback; test/testbed/cluster.sh) to testbed-up and
# testbed-down; it writes test/testbed/env.cluster.
CLUSTER  ?=
# The test bed needs root; prefix its scripts with sudo when make is not root.
SUDO     := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Extra arguments: make e2e E2E_FLAGS='-run TestSmoke', make run RUN_ARGS='--log-level debug'.
E2E_FLAGS ?=
RUN_ARGS  ?=
# How long `make fuzz` runs each fuzz target.
FUZZTIME  ?= 20s
# SCALE sets the pod counts of `make bench`'s test/bench/podstart: unset,
# 1 and 20 pods (quick); SCALE=110 the curve 1, 20, 50 and 110; a list
# (SCALE=1,50) exactly those counts.
SCALE ?=
PODSTART_FLAGS := $(if $(SCALE),-scale $(SCALE))
# How many pod lifecycles `make soak` churns (the test reads SOAK_LIFECYCLES;
# SOAK_PARALLEL, SOAK_SAMPLE_EVERY and SOAK_KINDS pass through too), and its
# timeout: 30 minutes plus 3 s a lifecycle, past the slowest rate seen on a
# busy 2-core machine.
SOAK_LIFECYCLES ?= 1000
SOAK_TIMEOUT    ?= $(shell echo $$(( 1800 + $(SOAK_LIFECYCLES) * 3 )))s

.PHONY: help build test test-unit fuzz e2e e2e-matrix chaos soak bench conformance lint run install uninstall clean testbed-up testbed-down

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{ printf "  %-13s %s\n", $$1, $$2 }'

# The pause image the managed containerd needs is built into the binary
# (cri/managed/pause_gen.go). The agent is built without cgo: a static
# binary needs no libc on the node, and not mapping libc saves 1.1 MiB of
# resident memory (README, Figures).
build: ## build bin/minikubelet, with the pause image its managed containerd needs
	$(GO) generate ./cri/managed
	CGO_ENABLED=0 $(GO) build -tags minikubelet_pause -o $(BIN) ./cmd/minikubelet

test: testbed-up test-unit e2e ## bring the test bed up, then unit and end-to-end tests

test-unit: ## unit tests: no root, no runtime
	$(GO) test ./...

fuzz: ## run each Go fuzz target for FUZZTIME (default 20s), one after another; no root, no runtime
	FUZZTIME=$(FUZZTIME) GO=$(GO) test/fuzz/run.sh

# Only the e2e package: the framework's own unit tests run in test-unit, not
# once more per runtime (and one package streams -v output as it goes).
e2e: testbed-up build ## end-to-end tests on the real runtime; RUNTIME=containerd2|crio for another
	MINIKUBELET_BIN=$(CURDIR)/$(BIN) MINIKUBELET_E2E_RUNTIME=$(RUNTIME) MINIKUBELET_E2E_CLUSTER=$(CLUSTER) $(GO) test -tags e2e -count=1 -timeout 30m -v $(E2E_FLAGS) ./test/e2e/

# Every runtime runs even when one fails, so one run shows the whole matrix.
e2e-matrix: ## the end-to-end suite on containerd 1.6, containerd 2.4 and CRI-O in turn
	@failed=""; summary=""; \
	for runtime in $(RUNTIMES); do \
		echo "e2e-matrix: $$runtime"; \
		start=$$SECONDS; \
		if $(MAKE) --no-print-directory e2e RUNTIME=$$runtime; then result=passed; else result=FAILED; failed="$$failed $$runtime"; fi; \
		summary="$$summary$$(printf '\n  %-12s %-7s %4ds' $$runtime $$result $$((SECONDS - start)))"; \
	done; \
	echo "e2e-matrix:$$summary"; \
	if [ -n "$$failed" ]; then echo "e2e-matrix: failed on:$$failed"; exit 1; fi

# The chaos cases kill and stop the test bed's RUNTIME itself: run them
# where no other test uses that runtime. They judge convergence, leaks and
# restarts; the table of figures they print at the end is for reading.
chaos: testbed-up build ## fault cases on the real RUNTIME (agent or runtime killed, CNI plugin gone, disk full, manifest dir swapped); prints a table of figures
	MINIKUBELET_CHAOS=1 MINIKUBELET_BIN=$(CURDIR)/$(BIN) MINIKUBELET_E2E_RUNTIME=$(RUNTIME) $(GO) test -tags e2e -count=1 -timeout 45m -v -run 'TestChaos' $(E2E_FLAGS) ./test/e2e/

soak: testbed-up build ## churn SOAK_LIFECYCLES pod lifecycles (1000, about 15 min; 20000 for a long run) and check nothing grows or leaks
	MINIKUBELET_BIN=$(CURDIR)/$(BIN) MINIKUBELET_E2E_RUNTIME=$(RUNTIME) SOAK_LIFECYCLES=$(SOAK_LIFECYCLES) \
		$(GO) test -tags e2e -count=1 -run TestSoak -timeout $(SOAK_TIMEOUT) -v ./test/soak/

# The nodes run their own containerd in network namespaces of their own
# (test/conformance/conformance_test.go): 1.6, or with RUNTIME=containerd2
# the test bed's 2.4 build (which mounts image volumes). The test bed's
# containerd 1.6 comes up for the registry and control plane either way.
conformance: build ## Kubernetes' own e2e suite (node conformance; FOCUS=/SKIP= ginkgo regexps; RUNTIME=containerd2 for 2.4 nodes) against two minikubelet nodes of a real control plane
	$(MAKE) --no-print-directory testbed-up RUNTIME=containerd CLUSTER=1
	$(SUDO) env FOCUS='$(FOCUS)' SKIP='$(SKIP)' TIMEOUT='$(TIMEOUT)' PROCS='$(PROCS)' RUNTIME='$(RUNTIME)' MINIKUBELET_BIN=$(CURDIR)/$(BIN) test/conformance/run.sh

bench: testbed-up build ## benchmarks on the real runtime (SCALE=110: the pod-count curve); they print figures, they do not judge them
	MINIKUBELET_E2E_RUNTIME=$(RUNTIME) $(GO) test -tags e2e -run '^$$' -bench . ./test/e2e/...
	MINIKUBELET_E2E_RUNTIME=$(RUNTIME) $(GO) test -tags e2e -run '^$$' -bench . -benchtime 1x ./test/bench/...
	@envfile=$(ENV_FILE); \
	for dir in test/bench/*/; do \
		[ -f "$$dir/main.go" ] || continue; \
		dir=$${dir%/}; flags=""; \
		[ "$$dir" != test/bench/podstart ] || flags="$(PODSTART_FLAGS)"; \
		echo "bench: go run ./$$dir -env $$envfile $$flags"; \
		$(GO) run "./$$dir" -env "$$envfile" $$flags; \
	done
	@for script in test/bench/*.sh; do \
		[ -x "$$script" ] || continue; \
		echo "bench: $$script"; \
		"$$script"; \
	done

lint: ## gofmt must list nothing; go vet with and without the e2e tag
	@unformatted=$$(gofmt -l .); \
	if [ -n "$$unformatted" ]; then echo "gofmt -l lists files that need gofmt -w:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags e2e ./...

run: build ## run the agent in the foreground with its own containerd and the kubia example pod; RUNTIME=... uses that test bed runtime instead
ifeq ($(origin RUNTIME),command line)
	$(MAKE) --no-print-directory testbed-up
	source $(ENV_FILE) && $(SUDO) ./$(BIN) run --runtime-endpoint "$$RUNTIME_ENDPOINT" --cni-conf-dir "$$CNI_CONF_DIR" \
		--pod-cidr "$$POD_CIDR" --bridge-name "$${BRIDGE_NAME:-mkbr0}" \
		$${CNI_CACHE_DIR:+--cni-cache-dir "$$CNI_CACHE_DIR" --cni-data-dir "$$CNI_DATA_DIR"} $(RUN_ARGS)
else
	$(SUDO) deploy/quickstart.sh $(BIN) $(RUN_ARGS)
endif

install: build ## install the binary, the systemd unit minikubelet.service and /etc/minikubelet/config.yaml (kept if present); DESTDIR=... stages
	$(if $(DESTDIR),DESTDIR=$(DESTDIR) deploy/install.sh,$(SUDO) deploy/install.sh) $(BIN)

uninstall: ## stop the service, remove the managed containerd's pods and stop it, remove binary and unit; PURGE=1 also config and state
	$(SUDO) PURGE=$(PURGE) deploy/uninstall.sh

clean: ## remove build output (the test bed stays; see testbed-down)
	rm -rf bin
	find . -name '*.test' -type f -delete

testbed-up: ## install what is missing, start registry + the RUNTIME, push test images (idempotent); CLUSTER=1 adds a control plane
	$(SUDO) test/testbed/up.sh $(RUNTIME)
	$(if $(CLUSTER),$(SUDO) test/testbed/cluster.sh up)

testbed-down: ## remove the RUNTIME's pods and stop it; ALL=1 stops every runtime, the registry and the control plane; CLUSTER=1 the control plane too
	$(if $(CLUSTER),$(SUDO) test/testbed/cluster.sh down)
	$(SUDO) test/testbed/down.sh $(if $(ALL),--all all-runtimes,$(RUNTIME))
