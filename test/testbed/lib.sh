# shellcheck shell=bash
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
BRIDGE_NAME=mkbr0

# The runtimes the test bed can run, side by side; the first is the default.
RUNTIMES=(containerd containerd2 crio)

CRICTL_VERSION=v1.37.0

# What building and running the other runtimes needs on top of up.sh's
# packages: cgo for both, libseccomp for CRI-O's seccomp tag, make for
# pinns, conmon as CRI-O's container monitor.
BUILD_PACKAGES=(gcc libc6-dev make pkg-config)
CRIO_PACKAGES=(conmon libseccomp-dev)

# Runtimes built from the Go module proxy (build.sh), cached by version
# outside any clone so a fresh CI clone on the same machine reuses them.
BUILD_CACHE=${TESTBED_BUILD_CACHE:-/var/cache/minikubelet-testbed}
CONTAINERD2_VERSION=v2.4.2
CRIO_VERSION=v1.34.0
# The control plane of the cluster test bed (cluster.sh): kube-apiserver,
# kube-controller-manager and kube-scheduler, and the etcd they store in.
KUBERNETES_VERSION=v1.37.2
ETCD_VERSION=v3.7.3

# The Debian bookworm packages the e2e suite's glibc-dns-testing and nginx
# images take programs from (test/images/build picks the files and the
# shared libraries they load): glibc, Debian's hostname and getent, nginx
# and its libraries. build.sh suite-debian extracts them, once per list.
SUITE_DEBIAN_PACKAGES=(libc6 libc-bin hostname nginx nginx-common libcrypt1 libpcre2-8-0 libssl3 zlib1g)

# suite_debian_version keys the cached extraction of SUITE_DEBIAN_PACKAGES:
# a digest of the list, so a changed list extracts again.
suite_debian_version() {
	printf '%s\n' "${SUITE_DEBIAN_PACKAGES[@]}" | sha256sum | cut -c1-12
}

# conformance_version keys the cached build of the upstream e2e suite
# (build.sh conformance): the Kubernetes version and a digest of the tool
# module test/conformance/suite, so a change to it rebuilds.
conformance_version() {
	local suite
	suite=$(cd "$(dirname "${BASH_SOURCE[0]}")/../conformance/suite" && pwd)
	printf '%s-%s\n' "$KUBERNETES_VERSION" "$(cat "$suite"/go.mod "$suite"/go.sum "$suite"/tools.go | sha256sum | cut -c1-12)"
}

# Go lives in /usr/local/go on project machines; crictl may have been
# installed with go install into GOPATH/bin.
export PATH=/usr/local/go/bin:/usr/local/bin:$PATH:/root/go/bin

step() { printf 'testbed: %s\n' "$*"; }

# spawn_daemon LOG CMD... starts CMD in the background in its own session,
# appending to LOG, with no descriptor of ours but its stdio: a daemon
# that inherited one would hold whatever lock is on it for as long as it
# runs (up.sh's own, or the fd of a `flock FILE make conformance` that
# brought the test bed up, which then never frees FILE). $! is its pid.
spawn_daemon() {
	local log=$1
	shift
	(
		for fd in /proc/$BASHPID/fd/*; do
			fd=${fd##*/}
			# 255 is the fd bash reads this script from.
			if ((fd > 2 && fd != 255)); then eval "exec $fd>&-"; fi
		done
		exec setsid "$@" >>"$log" 2>&1 </dev/null
	) &
}
die() {
	printf 'testbed: ERROR: %s\n' "$*" >&2
	exit 1
}

# install_packages PKG... installs the Debian packages that are missing.
install_packages() {
	local missing=() pkg
	for pkg in "$@"; do
		dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
	done
	if ((${#missing[@]} == 0)); then
		step "packages present"
		return
	fi
	step "installing ${missing[*]}"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

require_go() {
	command -v go >/dev/null || die "Go is not installed; install Go 1.26 into /usr/local/go (https://go.dev/doc/install)"
}

# cache_dir NAME VERSION prints where build.sh keeps NAME at VERSION; its
# executables are in bin/.
cache_dir() {
	printf '%s/%s-%s\n' "$BUILD_CACHE" "$1" "$2"
}

require_root() {
	[[ $(id -u) -eq 0 ]] || die "must run as root (it starts containerd and configures networking); try: sudo $0"
}

# select_runtime NAME points the test bed's variables at one runtime. The
# default, containerd (1.6, Debian's), keeps the names and paths the test bed
# always had; the others each get their own directories under runtimes/, a
# socket, a CNI conf dir, a bridge and a pod CIDR, and an env file
# test/testbed/env.NAME, so all three run at once without touching each
# other. It sets RT_* for the runtime-specific scripts and overrides the
# shared names (RUNTIME_ENDPOINT, CNI_CONF_DIR, POD_CIDR, ...) that the
# common steps use.
select_runtime() {
	RT_NAME=$1
	RT_CONFIG_CHANGED=false
	# The default runtime keeps CNI state where the host keeps it.
	CNI_CACHE_DIR="" CNI_DATA_DIR=""
	case $RT_NAME in
	containerd)
		RT_ROOT=$TESTBED_ROOT RT_RUN=$RUN_DIR
		RT_SOCKET=$CONTAINERD_SOCKET RT_CONFIG=$CONTAINERD_CONFIG
		RT_PIDFILE=$CONTAINERD_PIDFILE RT_LOG=$CONTAINERD_LOG
		RT_ENV_FILE=$TESTBED_DIR/env
		return
		;;
	containerd2)
		RT_SOCKET_NAME=containerd.sock RT_CONFIG_NAME=config.toml
		POD_CIDR=10.86.0.0/16 BRIDGE_NAME=mkbr1
		;;
	crio)
		RT_SOCKET_NAME=crio.sock RT_CONFIG_NAME=crio.conf
		POD_CIDR=10.87.0.0/16 BRIDGE_NAME=mkbr2
		;;
	*) die "unknown runtime '$RT_NAME': use one of ${RUNTIMES[*]}" ;;
	esac
	RT_ROOT=$TESTBED_ROOT/runtimes/$RT_NAME
	RT_RUN=$RUN_DIR/runtimes/$RT_NAME
	RT_SOCKET=$RT_RUN/$RT_SOCKET_NAME
	RT_CONFIG=$RT_ROOT/$RT_CONFIG_NAME
	RT_PIDFILE=$RT_RUN/daemon.pid
	RT_LOG=$LOG_DIR/$RT_NAME.log
	RT_ENV_FILE=$TESTBED_DIR/env.$RT_NAME
	RT_CNI_CONF_DIR=$RT_ROOT/net.d
	CNI_CONF_DIR=$RT_CNI_CONF_DIR
	# The runtime's own /var/lib/cni (see own_cni_state_prefix): libcni's
	# result cache, and host-local's allocations in networks/.
	RT_CNI_STATE=$RT_ROOT/cni
	CNI_CACHE_DIR=$RT_CNI_STATE
	CNI_DATA_DIR=$RT_CNI_STATE/networks
	RUNTIME_ENDPOINT=unix://$RT_SOCKET
	CRICTL_CONFIG=$RT_ROOT/crictl.yaml
}

# OWN_CNI_STATE is a command prefix: it runs the command in a mount
# namespace of its own in which /var/lib/cni is RT_CNI_STATE. Each runtime
# and each minikubelet treats CNI entries of its network name that it does
# not know as leaked — CRI-O runs CNI DEL on them at start, the agent after a
# grace period — so side by side on one libcni cache (which no runtime lets
# one move) each would tear down the other runtimes' pods. The agent is
# pointed at the same directory with --cni-cache-dir. The namespace is a
# slave of the host's: mounts the agent makes on the host (memory emptyDirs,
# subPath bind mounts) reach the runtime, as on a host where both share one
# namespace, while the runtime's own (rootfs, netns, the bind above) stay
# inside.
#
# The namespace is pinned to a file under RUN_DIR/mntns (a private mount,
# as `ip netns` keeps its pins), so it outlives the runtime: one killed and
# started again (the chaos suite) enters the same namespace and finds its
# sandboxes' network namespaces and root filesystems still mounted, as a
# runtime restarted on a host does. In a namespace made fresh at each start
# they were bare files, and CRI-O dropped every sandbox it had ("could not
# restore sandbox: unknown FS magic").
own_cni_state_prefix() {
	mkdir -p "$RT_CNI_STATE" /var/lib/cni
	local pins=$RUN_DIR/mntns
	local pin=$pins/$RT_NAME
	if ! nsenter --mount="$pin" true 2>/dev/null; then
		mkdir -p "$pins"
		mountpoint -q "$pins" || mount --bind "$pins" "$pins"
		mount --make-private "$pins"
		touch "$pin"
		unshare --mount="$pin" --propagation slave -- mount --bind "$RT_CNI_STATE" /var/lib/cni
	fi
	OWN_CNI_STATE=(nsenter --mount="$pin" --)
}

# share_root_mounts makes / a shared mount, as systemd does at boot on
# every host it runs: without it, a mount made on the host never reaches a
# runtime in its own (slave) namespace. Machines without systemd (this
# project's VMs) start with / private.
share_root_mounts() {
	if [[ $(findmnt -no PROPAGATION /) == private ]]; then
		mount --make-rshared /
		step "made / a shared mount (as systemd does), so the agent's mounts reach runtimes in their own namespace"
	fi
}

# containerd_config ARGS... prints a containerd config.toml from the renderer
# the agent's managed containerd and the e2e framework's nodes use
# (cri/containerdconfig, through the hidden `minikubelet containerd-config`),
# so the test bed runs on what the product writes. go run builds it from
# this checkout, cached after the first time: a bin/minikubelet built
# earlier could render an older config than the code under test.
containerd_config() {
	(cd "$TESTBED_DIR/../.." && go run ./cmd/minikubelet containerd-config "$@")
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

# runtime_answers reports whether the selected runtime serves CRI.
runtime_answers() {
	[[ -S ${RUNTIME_ENDPOINT#unix://} ]] && crictl_tb --timeout 2s info >/dev/null 2>&1
}

# write_if_changed FILE RENDER writes RENDER's output to FILE atomically and
# reports (exit 0) whether the settings in it changed, which needs a restart
# of the runtime reading it: new comments alone rewrite the file without one.
# Callers test its status, which turns set -e off inside: a failed RENDER
# must stop here, not write an empty file.
write_if_changed() {
	local file=$1 render=$2 rendered old=""
	rendered=$("$render") || die "could not render $file (see above)"
	if [[ -f $file ]]; then
		old=$(<"$file")
		[[ $old != "$rendered" ]] || return 1
	fi
	printf '%s\n' "$rendered" >"$file.tmp"
	mv "$file.tmp" "$file"
	if [[ -n $old && $(settings_of <<<"$old") == "$(settings_of <<<"$rendered")" ]]; then
		step "rewrote $file (comments only: no restart needed)"
		return 1
	fi
	step "wrote $file"
}

# settings_of prints a config read from stdin without its comment lines
# (TOML's #; the JSON files have none): what the runtime acts on.
settings_of() {
	grep -v '^[[:space:]]*#' || true
}

# start_daemon NAME CMD... runs CMD as the selected runtime's daemon unless
# it already answers with an unchanged config (RT_CONFIG_CHANGED), and waits
# up to 30 s for its socket.
start_daemon() {
	local name=$1 pid
	shift
	if runtime_answers && ! $RT_CONFIG_CHANGED; then
		step "$name answering on $RT_SOCKET"
		return
	fi
	if pid=$(owned_pid "$RT_PIDFILE" "$RT_CONFIG"); then
		step "restarting $name (pid $pid): config changed or not answering"
		stop_owned "$RT_PIDFILE" "$RT_CONFIG" "$name"
	elif runtime_answers; then
		die "a $name not started by up.sh serves $RT_SOCKET; stop it and rerun"
	fi
	# A killed runtime leaves its sockets; containerd refuses to start on them.
	rm -f "$RT_SOCKET" "$RT_SOCKET.ttrpc"
	step "starting $name (log $RT_LOG)"
	spawn_daemon "$RT_LOG" "$@"
	echo $! >"$RT_PIDFILE"
	for _ in $(seq 300); do
		runtime_answers && return
		[[ -d /proc/$(<"$RT_PIDFILE") ]] || break
		sleep 0.1
	done
	tail -n 30 "$RT_LOG" >&2 || true
	die "$name did not answer on $RT_SOCKET within 30s; see $RT_LOG"
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

# unmount_under DIR [EXCLUDE] lazily unmounts every mount point below DIR
# but not below EXCLUDE, deepest first, so nothing the runtime mounted
# outlives the test bed and another runtime's mounts stay.
unmount_under() {
	local dir=$1 exclude=${2:-} mountpoint
	mounts_under "$dir" "$exclude" | awk '{ print length($0), $0 }' |
		sort -rn | cut -d' ' -f2- |
		while read -r mountpoint; do
			umount -l "$mountpoint" 2>/dev/null || umount -l "$(printf '%b' "$mountpoint")" || true
		done
}

# mounts_under DIR [EXCLUDE] lists mount points below DIR, not below EXCLUDE.
mounts_under() {
	awk -v d="$1/" -v x="${2:-}" 'index($5, d) == 1 && (x == "" || index($5, x "/") != 1) { print $5 }' /proc/self/mountinfo
}
