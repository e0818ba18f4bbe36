#!/usr/bin/env bash
# uninstall.sh is what `make uninstall` does: stop the service, remove the
# pods of the managed containerd and stop it (an external runtime and its
# pods are left alone), then remove the binary and the unit. The config,
# manifests and state stay unless PURGE=1.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

DEPLOY_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../test/testbed/lib.sh
source "$DEPLOY_DIR/../test/testbed/lib.sh" # unmount_under, PATH
step() { printf 'uninstall: %s\n' "$*"; }
die() {
	printf 'uninstall: ERROR: %s\n' "$*" >&2
	exit 1
}

ROOT_DIR=/var/lib/minikubelet
RUN_DIR=/run/minikubelet
MANAGED_CONFIG=$ROOT_DIR/containerd/config.toml
INSTALLED_CONFIG=${INSTALLED_CONFIG:-/etc/minikubelet/config.yaml}
MANAGED_ENDPOINT=unix://$RUN_DIR/containerd.sock

# managed_pid prints the pid of the containerd started with our config.
managed_pid() {
	local cmdline pid
	for cmdline in /proc/[0-9]*/cmdline; do
		pid=${cmdline#/proc/}
		pid=${pid%/cmdline}
		if [[ $(tr '\0' ' ' 2>/dev/null <"$cmdline") == *"containerd --config $MANAGED_CONFIG "* ]]; then
			echo "$pid"
			return
		fi
	done
}

stop_service() {
	if [[ -d /run/systemd/system ]] && systemctl cat minikubelet.service >/dev/null 2>&1; then
		systemctl disable --now minikubelet.service
		step "stopped and disabled minikubelet.service"
	fi
}

stop_managed_runtime() {
	local pid
	pid=$(managed_pid)
	if [[ -z $pid ]]; then
		step "no managed containerd running"
		return
	fi
	if command -v crictl >/dev/null; then
		step "removing the managed containerd's pods"
		crictl --config /dev/null --runtime-endpoint "$MANAGED_ENDPOINT" --timeout 60s rmp -fa >/dev/null || step "could not remove every pod; see crictl --runtime-endpoint $MANAGED_ENDPOINT pods"
	else
		step "crictl is missing: the pods' containers keep running under their shims"
	fi
	step "stopping the managed containerd (pid $pid)"
	kill -TERM "$pid"
	for _ in $(seq 100); do
		[[ -d /proc/$pid ]] || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
}

# remove_masquerade_chains removes the agent's nat chain, named after the
# bridge of the installed config (MKLT-MASQ-<bridge>), and its POSTROUTING
# jump; also the single MINIKUBELET-MASQ chain of earlier versions. The
# service is stopped by now, so nothing puts them back.
remove_masquerade_chains() {
	local bridge binary chain rule
	local -a words
	# No config file (make run uses deploy/config.yaml) means the default
	# bridge; under pipefail a failing sed would end the script here.
	bridge=
	if [[ -f $INSTALLED_CONFIG ]]; then
		bridge=$(sed -n 's/^bridgeName:[[:space:]]*["'\'']\{0,1\}\([A-Za-z0-9._-]*\).*/\1/p' "$INSTALLED_CONFIG" | tail -n 1)
	fi
	bridge=${bridge:-mkbr0}
	for binary in iptables ip6tables; do
		command -v "$binary" >/dev/null || continue
		for chain in "MKLT-MASQ-$bridge" MINIKUBELET-MASQ; do
			"$binary" -w -t nat -S "$chain" >/dev/null 2>&1 || continue
			while read -r rule; do
				read -ra words <<<"${rule/#-A/-D}"
				"$binary" -w -t nat "${words[@]}"
			done < <("$binary" -w -t nat -S POSTROUTING | grep -e " -j $chain\$" || true)
			"$binary" -w -t nat -F "$chain"
			"$binary" -w -t nat -X "$chain"
			step "removed the $binary nat chain $chain and its jump"
		done
	done
}

# purge empties each directory and removes it unless it is a mount point
# (a separate disk for the state, say), which stays, empty.
purge() {
	local dir
	remove_masquerade_chains
	unmount_under "$RUN_DIR"
	unmount_under "$ROOT_DIR"
	for dir in /etc/minikubelet "$ROOT_DIR" "$RUN_DIR"; do
		[[ -d $dir ]] || continue
		find "$dir" -mindepth 1 -maxdepth 1 -exec rm -rf --one-file-system {} +
		rmdir "$dir" 2>/dev/null || true
	done
	step "removed /etc/minikubelet, $ROOT_DIR and $RUN_DIR"
}

main() {
	[[ $(id -u) -eq 0 ]] || die "must run as root; try: sudo $0"
	stop_service
	stop_managed_runtime
	rm -f /usr/local/bin/minikubelet /etc/systemd/system/minikubelet.service
	[[ ! -d /run/systemd/system ]] || systemctl daemon-reload
	step "removed /usr/local/bin/minikubelet and /etc/systemd/system/minikubelet.service"
	if [[ ${PURGE:-} == 1 ]]; then
		purge
	else
		step "kept /etc/minikubelet (config, manifests) and $ROOT_DIR (images, state); PURGE=1 removes them"
	fi
}

main "$@"
