#!/usr/bin/env bash
# down.sh takes minikubelet's test bed down: removes every pod of the test
# bed's containerd, stops that containerd and unmounts whatever it left under
# the test bed's roots. With --all it also stops the image registry (its
# storage stays, so the next up.sh pushes nothing).
#
# Images, the containerd root and the CNI config stay, so up.sh is fast again.
set -euo pipefail

TESTBED_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
source "$TESTBED_DIR/lib.sh"

usage() {
	echo "usage: $0 [--all]   (--all also stops the registry)"
}

remove_pods() {
	if ! containerd_answers; then
		step "containerd not answering; no pods to remove through it"
		return
	fi
	local count
	count=$(crictl_tb pods -q | wc -l)
	step "removing $count pod(s) (crictl rmp -fa)"
	((count == 0)) || crictl_tb rmp -fa >/dev/null
}

# remove_stray_containers deletes containers left in our runc root when
# containerd was already gone (crash, kill -9): nothing else would stop them.
remove_stray_containers() {
	local root id
	for root in "$RUN_DIR"/runc/*/; do
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
	local id=$1 file rule chain
	for file in /var/lib/cni/networks/*/*; do
		# host-local ends its lines with \r\n.
		if [[ -f $file && $(head -n1 "$file" | tr -d '\r') == "$id" ]]; then
			rm -f "$file"
		fi
	done
	rm -f /var/lib/cni/results/*-"$id"-*
	iptables -t nat -S POSTROUTING 2>/dev/null | grep -F -- "$id" | while read -r rule; do
		chain=${rule##* -j }
		# The rule text carries shell quoting (its comment), hence eval.
		eval "iptables -t nat ${rule/#-A/-D}" || true
		iptables -t nat -F "$chain" 2>/dev/null && iptables -t nat -X "$chain" 2>/dev/null || true
	done || true # grep finds no rule when CNI DEL did run
}

# stop_stray_shims stops shims that served the test bed's containerd, found
# by the exact socket address on their command line (never by name alone:
# the system containerd's shims must be left alone).
stop_stray_shims() {
	local cmdline pid
	for cmdline in /proc/[0-9]*/cmdline; do
		pid=${cmdline#/proc/}
		pid=${pid%/cmdline}
		if tr '\0' '\n' 2>/dev/null <"$cmdline" | grep -qxF -- "$CONTAINERD_SOCKET" &&
			tr '\0' '\n' 2>/dev/null <"$cmdline" | head -n1 | grep -q 'containerd-shim'; then
			step "stopping stray shim pid $pid"
			kill -TERM "$pid" 2>/dev/null || true
		fi
	done
}

main() {
	case ${1:-} in
	"") stop_registry=false ;;
	--all) stop_registry=true ;;
	-h | --help)
		usage
		return 0
		;;
	*)
		usage >&2
		return 2
		;;
	esac
	require_root
	remove_pods
	stop_owned "$CONTAINERD_PIDFILE" "$CONTAINERD_CONFIG" containerd
	remove_stray_containers
	stop_stray_shims
	if $stop_registry; then
		stop_owned "$REGISTRY_PIDFILE" "$REGISTRY_CONFIG" registry
	fi
	unmount_under "$RUN_DIR"
	unmount_under "$TESTBED_ROOT"
	rm -f "$CONTAINERD_SOCKET" "$CONTAINERD_SOCKET.ttrpc"
	local left
	left=$(awk -v a="$RUN_DIR/" -v b="$TESTBED_ROOT/" 'index($5, a) == 1 || index($5, b) == 1 { print $5 }' /proc/self/mountinfo)
	[[ -z $left ]] || die "mounts remain under the test bed: $left"
	step "down"
}

# Run only when executed, so the functions can be sourced without side effects.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	main "$@"
fi
