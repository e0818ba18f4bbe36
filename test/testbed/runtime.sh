#!/usr/bin/env bash
# runtime.sh stops, kills or starts one runtime of the test bed, leaving
# its pods, images and config alone: the e2e chaos tests use it to take the
# shared runtime away under a running agent and bring it back.
#
#   runtime.sh kill  RUNTIME   SIGKILL, as a crash would; shims and containers live on
#   runtime.sh stop  RUNTIME   SIGTERM (SIGKILL after 10 s), as `systemctl stop` would
#   runtime.sh start RUNTIME   start it again from the config up.sh wrote, unless it answers
#   runtime.sh pid   RUNTIME   print its pid, or fail when it is not running
#
# RUNTIME is containerd (1.6, the default), containerd2 or crio. Only a
# daemon up.sh started (its pid file names a process running with its
# config) is signalled. Run up.sh once before: start needs its config.
set -euo pipefail

TESTBED_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
source "$TESTBED_DIR/lib.sh"

usage() {
	echo "usage: $0 kill|stop|start|pid [containerd|containerd2|crio]   (default containerd)"
}

# kill_runtime SIGKILLs the selected runtime and waits until it is gone.
kill_runtime() {
	local pid
	if ! pid=$(owned_pid "$RT_PIDFILE" "$RT_CONFIG"); then
		step "$RT_NAME is not running"
		return
	fi
	step "killing $RT_NAME (pid $pid) with SIGKILL"
	kill -KILL "$pid"
	for _ in $(seq 100); do
		process_lives "$pid" || return 0
		sleep 0.1
	done
	die "$RT_NAME (pid $pid) outlived SIGKILL by 10s"
}

# process_lives PID reports whether PID runs; a zombie (dead, not yet
# reaped) does not.
process_lives() {
	local state
	state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
	[[ -n $state && $state != Z && $state != X ]]
}

# start_runtime starts the selected runtime the way up.sh does, from the
# config already on disk.
start_runtime() {
	[[ -f $RT_CONFIG ]] || die "no config at $RT_CONFIG: run up.sh $RT_NAME first"
	case $RT_NAME in
	containerd) start_daemon containerd containerd --config "$RT_CONFIG" ;;
	containerd2)
		# shellcheck source=containerd2.sh
		source "$TESTBED_DIR/containerd2.sh"
		start_containerd2_daemon
		;;
	crio)
		# shellcheck source=crio.sh
		source "$TESTBED_DIR/crio.sh"
		start_crio_daemon
		;;
	esac
}

main() {
	local action=${1:-} runtime=${2:-${RUNTIMES[0]}}
	case $action in
	kill | stop | start | pid) ;;
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
	select_runtime "$runtime"
	if [[ $action == pid ]]; then
		owned_pid "$RT_PIDFILE" "$RT_CONFIG"
		return
	fi
	# Not while up.sh (re)starts runtimes: it would see a runtime this
	# script is taking down, or start it twice.
	exec 9>"$RUN_DIR/up.lock"
	flock 9
	case $action in
	kill) kill_runtime ;;
	stop) stop_owned "$RT_PIDFILE" "$RT_CONFIG" "$RT_NAME" ;;
	start) start_runtime ;;
	esac
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	main "$@"
fi
