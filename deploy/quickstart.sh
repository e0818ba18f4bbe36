#!/usr/bin/env bash
# quickstart.sh BINARY [FLAGS...] is what `make run` does once the binary is
# built: install the runtime packages that are missing, make the example
# pod's image available (a local registry on 127.0.0.1:5000, the test bed's),
# install the example manifest, and run the agent in the foreground with a
# containerd of its own. FLAGS go to `minikubelet run`; with
# --runtime-endpoint the agent uses that runtime instead.
#
# Ctrl-C stops the agent only: the pod and the managed containerd keep
# running, and the next `make run` adopts them.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

DEPLOY_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$DEPLOY_DIR/.." && pwd)
# The test bed's functions (registry, image push, crictl); sourcing runs none.
# shellcheck source=../test/testbed/up.sh
source "$REPO_ROOT/test/testbed/up.sh"
step() { printf 'make run: %s\n' "$*"; }

# What the managed containerd and the example need; up.sh's list adds the
# e2e tools.
PACKAGES=(containerd runc containernetworking-plugins iptables docker-registry curl ca-certificates)
CONFIG=$DEPLOY_DIR/config.yaml
MANIFEST_DIR=/etc/minikubelet/manifests
EXAMPLE=$REPO_ROOT/examples/manifests/kubia-manual.yaml
MANAGED_ENDPOINT=unix:///run/minikubelet/containerd.sock

# install_example copies the example pod into the manifest directory unless
# a file of that name is there already (it may be the user's edit).
install_example() {
	local target
	target=$MANIFEST_DIR/$(basename "$EXAMPLE")
	mkdir -p "$MANIFEST_DIR"
	if [[ -e $target ]]; then
		step "manifest $target present (left as is)"
		return
	fi
	install -m 0644 "$EXAMPLE" "$target"
	step "installed the example pod manifest $target"
}

# runtime_flags chooses the managed containerd unless the user named a
# runtime (or a mode) himself.
runtime_flags() {
	local arg
	for arg in "$@"; do
		case $arg in
		--runtime-endpoint* | --managed-runtime*) return ;;
		esac
	done
	echo "--managed-runtime=always"
}

print_next_steps() {
	cat <<-TEXT
		make run: starting the agent; in another terminal, as root, once "pod running" shows:
		  ./bin/minikubelet get pods          # reads the agent's /var/lib/minikubelet/admin.kubeconfig
		  ./bin/minikubelet logs kubia-manual
		  ./bin/minikubelet port-forward kubia-manual 8080:8080   # then: curl localhost:8080
		  CONTAINER_RUNTIME_ENDPOINT=$MANAGED_ENDPOINT crictl pods
		  kubectl --kubeconfig /var/lib/minikubelet/admin.kubeconfig get --raw /metrics
		make run: Ctrl-C stops the agent; the pod and its containerd keep running.
	TEXT
}

# install_dependencies installs what make run needs and the machine lacks.
install_dependencies() {
	install_packages "${PACKAGES[@]}"
	require_go
	install_crictl
}

main() {
	(($# >= 1)) || die "usage: $0 BINARY [minikubelet run flags...] | $0 --dependencies-only"
	require_root
	if [[ $1 == --dependencies-only ]]; then
		install_dependencies
		return
	fi
	local binary=$1
	shift
	install_dependencies
	mkdir -p "$TESTBED_ROOT/registry" "$RUN_DIR" "$LOG_DIR"
	# up.sh may run at the same time (make test); it takes the same lock.
	exec 9>"$RUN_DIR/up.lock"
	flock 9
	start_registry
	push_images
	exec 9>&-
	install_example
	print_next_steps
	# shellcheck disable=SC2046 # runtime_flags prints zero or one word
	exec "$binary" run --config "$CONFIG" $(runtime_flags "$@") "$@"
}

main "$@"
