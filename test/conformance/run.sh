#!/usr/bin/env bash
# run.sh is `make conformance`: Kubernetes' own e2e suite against two
# minikubelet nodes joined to the test bed's control plane.
#
#  1. builds the suite's test binary and agnhost from test/conformance/suite
#     (k8s.io/kubernetes at the control plane's version), once per machine;
#  2. makes the images the selected tests use and pushes them to the test
#     bed's registry: agnhost (that binary on Debian's busybox-static, with
#     Debian's curl and netcat-openbsd and their libraries),
#     busybox (Debian's busybox-static), glibc-dns-testing and nginx
#     (Debian's hostname and nginx on that busybox, from the packages
#     build.sh suite-debian extracts) and pause (ours); the suite finds
#     them through KUBE_TEST_REPO_LIST;
#  3. runs TestConformance (conformance_test.go): two network-namespace
#     nodes with their own containerd and agent, then e2e.test.
#
# RUNTIME is the nodes' containerd: containerd (Debian's 1.6, the default)
# or containerd2 (the test bed's 2.4 build, `build.sh containerd2`, cached),
# which mounts image volumes.
# The Makefile brings the test bed and the control plane up first
# (make testbed-up CLUSTER=1). FOCUS and SKIP are ginkgo regexps replacing
# the default selection (the node conformance tests); PROCS is how many
# specs run at once (4); TIMEOUT bounds the
# suite (ginkgo's --timeout, default 3h). Results go to
# test/conformance/results/: junit.xml, report.json, e2e.log, the agents'
# logs and summary.md; the run ends with the line
#   conformance: P passed, F failed, S skipped of N selected
set -euo pipefail

CONFORMANCE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$CONFORMANCE_DIR/../.." && pwd)
# shellcheck source=../testbed/lib.sh
source "$REPO_ROOT/test/testbed/lib.sh"

require_root
install_packages busybox-static bash-static curl netcat-openbsd
nice -n 10 "$REPO_ROOT/test/testbed/build.sh" conformance
suite=$(cache_dir conformance "$(conformance_version)")/bin
"$REPO_ROOT/test/testbed/build.sh" suite-debian
debian_root=$(cache_dir suite-debian "$(suite_debian_version)")/root

step "pushing the suite's images to $REGISTRY"
(cd "$REPO_ROOT" && go run ./test/images/build -registry "$REGISTRY" -suite-bin "$suite" -busybox /bin/busybox -shell /bin/bash-static -debian-root "$debian_root")

node_containerd_bin=
case ${RUNTIME:-containerd} in
containerd) ;;
containerd2)
	nice -n 10 "$REPO_ROOT/test/testbed/build.sh" containerd2
	node_containerd_bin=$(cache_dir containerd2 "$CONTAINERD2_VERSION")/bin
	;;
*) die "RUNTIME=$RUNTIME: the conformance nodes run containerd (1.6) or containerd2 (2.4)" ;;
esac

results=$CONFORMANCE_DIR/results
mkdir -p "$results"
rm -f "$results"/{junit.xml,report.json,e2e.log,*.log}
step "running the suite: focus ${FOCUS:-(node conformance)}, skip ${SKIP:-(Disruptive, Flaky, Feature, FeatureGate, Alpha, Beta)}"
cd "$REPO_ROOT"
status=0
CONFORMANCE_SUITE=$suite/e2e.test CONFORMANCE_RESULTS=$results \
	CONFORMANCE_FOCUS=${FOCUS:-} CONFORMANCE_SKIP=${SKIP:-} CONFORMANCE_TIMEOUT=${TIMEOUT:-} CONFORMANCE_PROCS=${PROCS:-} \
	CONFORMANCE_CONTAINERD_BIN=$node_containerd_bin \
	MINIKUBELET_BIN=${MINIKUBELET_BIN:-$REPO_ROOT/bin/minikubelet} MINIKUBELET_E2E_RUNTIME=containerd \
	MINIKUBELET_E2E_CLUSTER=1 go test -tags conformance -count=1 -timeout 0 -v -run '^TestConformance$' ./test/conformance/ \
	>"$results/harness.log" 2>&1 || status=$?
grep -E '^\s*(---|conformance_test.go)' "$results/harness.log" || true
((status == 0)) || tail -n 40 "$results/harness.log"
[[ -f $results/summary.md ]] && step "table of results: $results/summary.md, JUnit: $results/junit.xml"
# The run's last line.
grep -m1 '^conformance:' "$results/harness.log" || echo "conformance: no result (the suite did not run; $results/harness.log says why)"
exit "$status"
