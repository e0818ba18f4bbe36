#!/usr/bin/env bash
# down.sh takes one runtime of minikubelet's test bed down: removes every
# pod of it, stops it and unmounts whatever it left under its roots. With
# --all it also stops the image registry (its storage stays, so the next
# up.sh pushes nothing) and the control plane (cluster.sh down, which
# removes the cluster's state).
#
#   down.sh [--all] [containerd|containerd2|crio|all-runtimes]
#
# containerd (1.6) is the default; all-runtimes takes every runtime down.
# Images, the runtime's root and the CNI config stay, so up.sh is fast again.
set -euo pipefail

TESTBED_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
source "$TESTBED_DIR/lib.sh"

usage() {
	echo "usage: $0 [--all] [containerd|containerd2|crio|all-runtimes]   (--all also stops the registry and the control plane)"
}

remove_runtime_pods() {
	if ! runtime_answers; then
		step "$RT_NAME not answering; no pods to remove through it"
		return
	fi
	local count
	count=$(crictl_tb pods -q | wc -l)
	step "removing $count pod(s) from $RT_NAME (crictl rmp -fa)"
	((count == 0)) || crictl_tb rmp -fa >/dev/null
}

# remove_stray_runc_containers ROOT... deletes containers left in the
# runtime's runc roots when the runtime was already gone (crash, kill -9):
# nothing else would stop them.
remove_stray_runc_containers() {
	local root id
	for root in "$@"; do
		[[ -d $root ]] || continue
		for id in $(runc --root "$root" list -q 2>/dev/null); do
			step "deleting stray container $id (runc root $root)"
			runc --root "$root" delete --force "$id" || true
			release_network_of "$id"
		done
	done
}

# release_network_of undoes what CNI ADD did for a sandbox whose CNI DEL
# never ran (containerd was dead): its host-local IP, libcni's cached result
# and the bridge plugin's masquerade rule and chain, all keyed by its ID.
release_network_of() {
	local id=$1 file rule chain state=${CNI_CACHE_DIR:-/var/lib/cni}
	for file in "$state"/networks/*/*; do
		# host-local ends its lines with \r\n.
		if [[ -f $file && $(head -n1 "$file" | tr -d '\r') == "$id" ]]; then
			rm -f "$file"
		fi
	done
	rm -f "$state"/results/*-"$id"-*
	iptables -t nat -S POSTROUTING 2>/dev/null | grep -F -- "$id" | while read -r rule; do
		chain=${rule##* -j }
		# The rule text carries shell quoting (its comment), hence eval.
		eval "iptables -t nat ${rule/#-A/-D}" || true
		iptables -t nat -F "$chain" 2>/dev/null && iptables -t nat -X "$chain" 2>/dev/null || true
	done || true # grep finds no rule when CNI DEL did run
}

# stop_stray_shims SOCKET stops shims that served the containerd on SOCKET,
# found by the exact socket address on their command line (never by name
# alone: the system containerd's shims must be left alone).
stop_stray_shims() {
	local socket=$1 cmdline pid
	for cmdline in /proc/[0-9]*/cmdline; do
		pid=${cmdline#/proc/}
		pid=${pid%/cmdline}
		if tr '\0' '\n' 2>/dev/null <"$cmdline" | grep -qxF -- "$socket" &&
			tr '\0' '\n' 2>/dev/null <"$cmdline" | head -n1 | grep -q 'containerd-shim'; then
			step "stopping stray shim pid $pid"
			kill -TERM "$pid" 2>/dev/null || true
		fi
	done
}

# down_containerd takes the default runtime, Debian's containerd 1.6, down.
# Its roots are the test bed's own roots, which also hold the other
# runtimes' (under runtimes/): those mounts stay.
down_containerd() {
	remove_runtime_pods
	stop_owned "$CONTAINERD_PIDFILE" "$CONTAINERD_CONFIG" containerd
	remove_stray_runc_containers "$RUN_DIR"/runc/*/
	stop_stray_shims "$CONTAINERD_SOCKET"
	rm -f "$CONTAINERD_SOCKET" "$CONTAINERD_SOCKET.ttrpc"
}

# take_down NAME takes one runtime down and checks that none of its mounts
# remain.
take_down() {
	local exclude_run="" exclude_root="" left
	select_runtime "$1"
	case $1 in
	containerd)
		down_containerd
		exclude_run=$RUN_DIR/runtimes exclude_root=$TESTBED_ROOT/runtimes
		;;
	containerd2)
		# shellcheck source=containerd2.sh
		source "$TESTBED_DIR/containerd2.sh"
		down_containerd2
		;;
	crio)
		# shellcheck source=crio.sh
		source "$TESTBED_DIR/crio.sh"
		down_crio
		;;
	esac
	unmount_under "$RT_RUN" "$exclude_run"
	unmount_under "$RT_ROOT" "$exclude_root"
	left=$(mounts_under "$RT_RUN" "$exclude_run"; mounts_under "$RT_ROOT" "$exclude_root")
	[[ -z $left ]] || die "mounts of $1 remain under the test bed: $left"
	step "$1 down"
}

main() {
	local stop_registry=false runtimes=()
	while (($#)); do
		case $1 in
		--all) stop_registry=true ;;
		-h | --help)
			usage
			return 0
			;;
		containerd | containerd2 | crio) runtimes+=("$1") ;;
		all-runtimes) runtimes+=("${RUNTIMES[@]}") ;;
		*)
			usage >&2
			return 2
			;;
		esac
		shift
	done
	((${#runtimes[@]})) || runtimes=("${RUNTIMES[0]}")
	require_root
	local runtime
	for runtime in "${runtimes[@]}"; do
		# Each in a subshell: select_runtime overrides the shared names.
		(take_down "$runtime")
	done
	if $stop_registry; then
		stop_owned "$REGISTRY_PIDFILE" "$REGISTRY_CONFIG" registry
		"$TESTBED_DIR/cluster.sh" down
	fi
	step "down"
}

# Run only when executed, so the functions can be sourced without side effects.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	main "$@"
fi
