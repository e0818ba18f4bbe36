# lib.sh: names and helpers shared by up.sh and down.sh. Sourced, not run.
#
# Everything the test bed owns lives under three roots, apart from the system
# containerd (/etc/containerd, /run/containerd) it must not disturb:
#   TESTBED_ROOT  persistent state: containerd root, registry storage, configs
#   RUN_DIR       runtime state: sockets, pid files, containerd state, runc root
#   LOG_DIR       containerd.log and registry.log
# The TESTBED_* variables move a second, separate bed elsewhere (to try these
# scripts without disturbing the bed that tests are using); it shares the pod
# network (bridge, IP pool) with the first.

TESTBED_ROOT=${TESTBED_ROOT:-/var/lib/minikubelet-testbed}
RUN_DIR=${TESTBED_RUN_DIR:-/run/minikubelet-testbed}
LOG_DIR=${TESTBED_LOG_DIR:-/var/log/minikubelet-testbed}

REGISTRY=${TESTBED_REGISTRY:-127.0.0.1:5000}
PAUSE_IMAGE=$REGISTRY/minikubelet/pause:3.10
KUBIA_IMAGE=$REGISTRY/minikubelet/kubia:1.0

CONTAINERD_CONFIG=$TESTBED_ROOT/containerd.toml
CONTAINERD_SOCKET=$RUN_DIR/containerd/containerd.sock
CONTAINERD_PIDFILE=$RUN_DIR/containerd.pid
CONTAINERD_LOG=$LOG_DIR/containerd.log
RUNTIME_ENDPOINT=unix://$CONTAINERD_SOCKET
CRICTL_CONFIG=$TESTBED_ROOT/crictl.yaml

REGISTRY_CONFIG=$TESTBED_ROOT/registry.yml
REGISTRY_PIDFILE=$RUN_DIR/registry.pid
REGISTRY_LOG=$LOG_DIR/registry.log

CNI_CONF_DIR=$TESTBED_ROOT/net.d
CNI_BIN_DIR=/usr/lib/cni
CNI_NETWORK=minikubelet
POD_CIDR=10.88.0.0/16

CRICTL_VERSION=v1.37.0

# Go lives in /usr/local/go on project machines; crictl may have been
# installed with go install into GOPATH/bin.
export PATH=/usr/local/go/bin:/usr/local/bin:$PATH:/root/go/bin

step() { printf 'testbed: %s\n' "$*"; }
die() {
	printf 'testbed: ERROR: %s\n' "$*" >&2
	exit 1
}

require_root() {
	[[ $(id -u) -eq 0 ]] || die "must run as root (it starts containerd and configures networking); try: sudo $0"
}

# crictl_tb runs crictl against the test bed's containerd only, whatever
# /etc/crictl.yaml says; its own config file also spares the warning crictl
# prints when it finds none.
crictl_tb() {
	crictl --config "$CRICTL_CONFIG" --runtime-endpoint "$RUNTIME_ENDPOINT" --image-endpoint "$RUNTIME_ENDPOINT" "$@"
}

write_crictl_config() {
	mkdir -p "$(dirname "$CRICTL_CONFIG")"
	printf 'runtime-endpoint: %s\nimage-endpoint: %s\ntimeout: 10\n' "$RUNTIME_ENDPOINT" "$RUNTIME_ENDPOINT" >"$CRICTL_CONFIG"
}

containerd_answers() {
	[[ -S $CONTAINERD_SOCKET ]] && crictl_tb --timeout 2s info >/dev/null 2>&1
}

registry_status() {
	curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://$REGISTRY/v2/" 2>/dev/null || true
}

# owned_pid PIDFILE MARKER prints the pid recorded in PIDFILE if that process
# still runs with MARKER (our config path) on its command line. A pid file
# left from before a reboot may name an unrelated process: never trust it.
owned_pid() {
	local pidfile=$1 marker=$2 pid
	[[ -f $pidfile ]] || return 1
	pid=$(<"$pidfile")
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	[[ -r /proc/$pid/cmdline ]] || return 1
	tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$marker" || return 1
	echo "$pid"
}

# stop_owned PIDFILE MARKER NAME sends SIGTERM to the process we started,
# waits up to 10 s, then SIGKILLs it.
stop_owned() {
	local pidfile=$1 marker=$2 name=$3 pid
	if ! pid=$(owned_pid "$pidfile" "$marker"); then
		rm -f "$pidfile"
		return 0
	fi
	step "stopping $name (pid $pid)"
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 100); do
		[[ -d /proc/$pid ]] || break
		sleep 0.1
	done
	if [[ -d /proc/$pid ]]; then
		step "$name (pid $pid) ignored SIGTERM for 10s; killing it"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -f "$pidfile"
}

# unmount_under DIR lazily unmounts every mount point below DIR, deepest
# first, so nothing the runtime mounted outlives the test bed.
unmount_under() {
	local dir=$1 mountpoint
	awk -v d="$dir/" 'index($5, d) == 1 { print length($5), $5 }' /proc/self/mountinfo |
		sort -rn | cut -d' ' -f2- |
		while read -r mountpoint; do
			umount -l "$mountpoint" 2>/dev/null || umount -l "$(printf '%b' "$mountpoint")" || true
		done
}
