#!/usr/bin/env bash
# Runs each Go fuzz target for FUZZTIME (default 20s), one after another,
# and ends with one "fuzz: N passed, N failed" line. Each target starts
# from its seed corpus in testdata/fuzz/<target>/; a failing input the
# fuzzer finds is written there too, to commit with its fix.
#
# Go 1.26's fuzz coordinator can end a run with a bare "context deadline
# exceeded" at the -fuzztime boundary without having found anything, more
# often on a loaded machine (golang/go#75804, fixed in Go 1.27). Such a run
# is reported and counted as passed; a run that writes a failing input, or
# fails any other way, fails.
set -euo pipefail

FUZZTIME=${FUZZTIME:-20s}
GO=${GO:-go}
targets=(
	"./static-pods FuzzDecodeManifest"
	"./kubelet/agent FuzzParseConfig"
	"./kubelet/apiserver FuzzPodBody"
)

passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for target in "${targets[@]}"; do
	read -r pkg name <<<"$target"
	echo "fuzz: $name in $pkg for $FUZZTIME"
	if "$GO" test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" "$pkg" 2>&1 | tee "$log"; then
		passed=$((passed + 1))
	elif grep -qx '    context deadline exceeded' "$log" && ! grep -q 'Failing input written' "$log"; then
		echo "fuzz: $name hit the Go fuzz coordinator's deadline race (golang/go#75804) and found nothing: counted as passed"
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
	fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
