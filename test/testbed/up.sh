#!/usr/bin/env bash
# up.sh brings up minikubelet's real-runtime test bed on a Debian 12 machine:
# installs what is missing, starts a local image registry and a container
# runtime of the project's own (beside, not instead of, any system one),
# pushes the test images and writes the env file for tests and for make run.
#
#   up.sh [containerd|containerd2|crio]
#
# containerd (the default) is Debian's containerd 1.6 and writes
# test/testbed/env; containerd2 (containerd 2.4) and crio (CRI-O 1.34) are
# built once per machine from the Go module proxy (build.sh) and write
# test/testbed/env.containerd2 and env.crio. Each runs on its own socket,
# directories, CNI conf dir, bridge and pod CIDR, so all three can be up at once.
#
# Idempotent: each step checks before it acts, so a second run only verifies,
# and a run after a crash or reboot replaces stale pid files and sockets.
set -euo pipefail

TESTBED_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$TESTBED_DIR/../.." && pwd)
# shellcheck source=lib.sh
source "$TESTBED_DIR/lib.sh"

# Debian packages the test bed and the e2e tests use; prometheus brings
# promtool, which checks the agent's metrics text.
PACKAGES=(containerd runc containernetworking-plugins iptables docker-registry skopeo umoci prometheus curl ca-certificates)


install_crictl() {
	if command -v crictl >/dev/null; then
		step "crictl present ($(command -v crictl))"
		return
	fi
	local gobin
	gobin=$(go env GOPATH)/bin
	if [[ ! -x $gobin/crictl ]]; then
		step "installing crictl $CRICTL_VERSION with go install (about a minute)"
		go install "sigs.k8s.io/cri-tools/cmd/crictl@$CRICTL_VERSION"
	fi
	install -m 0755 "$gobin/crictl" /usr/local/bin/crictl
	step "crictl installed to /usr/local/bin/crictl"
}

write_registry_config() {
	cat >"$REGISTRY_CONFIG" <<-YAML
		# Written by test/testbed/up.sh: the test bed's own image registry.
		version: 0.1
		log:
		  level: warn
		storage:
		  filesystem:
		    rootdirectory: $TESTBED_ROOT/registry
		  delete:
		    enabled: true
		http:
		  addr: $REGISTRY
	YAML
}

start_registry() {
	write_registry_config
	local status pid
	status=$(registry_status)
	if [[ $status == 200 ]]; then
		step "registry answering on $REGISTRY"
		return
	fi
	[[ $status == 000 ]] || die "something else answers on $REGISTRY (HTTP $status, not an open registry); stop it (e.g. systemctl stop docker-registry) and rerun"
	if pid=$(owned_pid "$REGISTRY_PIDFILE" "$REGISTRY_CONFIG"); then
		step "registry (pid $pid) not answering; restarting it"
		stop_owned "$REGISTRY_PIDFILE" "$REGISTRY_CONFIG" registry
	fi
	step "starting registry on $REGISTRY (log $REGISTRY_LOG)"
	spawn_daemon "$REGISTRY_LOG" docker-registry serve "$REGISTRY_CONFIG"
	echo $! >"$REGISTRY_PIDFILE"
	for _ in $(seq 100); do
		[[ $(registry_status) == 200 ]] && return
		sleep 0.1
	done
	tail -n 20 "$REGISTRY_LOG" >&2 || true
	die "registry did not answer on http://$REGISTRY/v2/ within 10s; see $REGISTRY_LOG"
}

push_images() {
	step "building and pushing test images (skipped when the registry already has them)"
	(cd "$REPO_ROOT" && go run ./test/images/build -registry "$REGISTRY")
}

write_registry_hosts() {
	mkdir -p "$TESTBED_ROOT/certs.d/$REGISTRY"
	cat >"$TESTBED_ROOT/certs.d/$REGISTRY/hosts.toml" <<-TOML
		# Written by test/testbed/up.sh: pull from the local registry over plain HTTP.
		server = "http://$REGISTRY"

		[host."http://$REGISTRY"]
		  capabilities = ["pull", "resolve"]
	TOML
}

# write_cni_conflist writes the initial pod network only if the conf dir has
# none: the agent owns the file once it runs, and a rewrite would undo it.
write_cni_conflist() {
	local conflist=$CNI_CONF_DIR/10-minikubelet.conflist
	if compgen -G "$CNI_CONF_DIR/*.conf*" >/dev/null; then
		step "CNI config present in $CNI_CONF_DIR (left as is)"
		return
	fi
	step "writing initial CNI config $conflist"
	cat >"$conflist.tmp" <<-JSON
		{
		  "cniVersion": "1.0.0",
		  "name": "$CNI_NETWORK",
		  "plugins": [
		    {
		      "type": "bridge",
		      "bridge": "$BRIDGE_NAME",
		      "isGateway": true,
		      "ipMasq": true,
		      "hairpinMode": true,
		      "ipam": {
		        "type": "host-local",
		        "ranges": [[{ "subnet": "$POD_CIDR" }]],${CNI_DATA_DIR:+
		        \"dataDir\": \"$CNI_DATA_DIR\",}
		        "routes": [{ "dst": "0.0.0.0/0" }]
		      }
		    },
		    { "type": "portmap", "capabilities": { "portMappings": true } }
		  ]
		}
	JSON
	mv "$conflist.tmp" "$conflist"
}

# render_containerd_config prints the containerd 1.6 config the test bed owns.
render_containerd_config() {
	containerd_config --format 2 \
		--comment "Written by test/testbed/up.sh; edits are overwritten." \
		--root "$TESTBED_ROOT/containerd" --state "$RUN_DIR/containerd-state" \
		--grpc-address "$CONTAINERD_SOCKET" --opt-dir "$TESTBED_ROOT/opt" \
		--disable-unused-snapshotters --sandbox-image "$PAUSE_IMAGE" \
		--restrict-oom-score-adj --netns-under-state \
		--runc-root "$RUN_DIR/runc" \
		--cni-bin-dir "$CNI_BIN_DIR" --cni-conf-dir "$CNI_CONF_DIR" \
		--registry-config-dir "$TESTBED_ROOT/certs.d"
}

start_containerd() {
	local config_changed=false pid
	write_if_changed "$CONTAINERD_CONFIG" render_containerd_config && config_changed=true
	if containerd_answers && ! $config_changed; then
		step "containerd answering on $CONTAINERD_SOCKET"
		return
	fi
	if pid=$(owned_pid "$CONTAINERD_PIDFILE" "$CONTAINERD_CONFIG"); then
		# Running containers survive: their shims outlive containerd.
		step "restarting containerd (pid $pid): config changed or not answering"
		stop_owned "$CONTAINERD_PIDFILE" "$CONTAINERD_CONFIG" containerd
	elif containerd_answers; then
		die "a containerd not started by up.sh serves $CONTAINERD_SOCKET; stop it and rerun"
	fi
	rm -f "$CONTAINERD_SOCKET" "$CONTAINERD_SOCKET.ttrpc"
	step "starting containerd (log $CONTAINERD_LOG)"
	spawn_daemon "$CONTAINERD_LOG" containerd --config "$CONTAINERD_CONFIG"
	echo $! >"$CONTAINERD_PIDFILE"
	for _ in $(seq 300); do
		containerd_answers && return
		[[ -d /proc/$(<"$CONTAINERD_PIDFILE") ]] || break
		sleep 0.1
	done
	tail -n 30 "$CONTAINERD_LOG" >&2 || true
	die "containerd did not answer on $CONTAINERD_SOCKET within 30s; see $CONTAINERD_LOG"
}

pull_images() {
	local image
	for image in "$PAUSE_IMAGE" "$KUBIA_IMAGE"; do
		crictl_tb --timeout 60s pull "$image" >/dev/null ||
			die "$RT_NAME could not pull $image from the local registry; see $RT_LOG"
	done
	step "$RT_NAME pulled $PAUSE_IMAGE and $KUBIA_IMAGE"
}

# write_env_file writes the selected runtime's env file. RUNTIME_LOG and
# BRIDGE_NAME are there for every runtime; CONTAINERD_LOG stays in the
# default bed's file for its older readers.
write_env_file() {
	local env_file=$RT_ENV_FILE
	[[ $RT_NAME != containerd ]] || env_file=${TESTBED_ENV_FILE:-$RT_ENV_FILE}
	cat >"$env_file.tmp" <<-ENV
		# Written by test/testbed/up.sh. Tests read it; source it and crictl talks to the test bed.
		export TESTBED_ROOT=$TESTBED_ROOT
		export RUNTIME_ENDPOINT=$RUNTIME_ENDPOINT
		export CONTAINER_RUNTIME_ENDPOINT=$RUNTIME_ENDPOINT
		export IMAGE_SERVICE_ENDPOINT=$RUNTIME_ENDPOINT
		export CRI_CONFIG_FILE=$CRICTL_CONFIG
		export REGISTRY=$REGISTRY
		export KUBIA_IMAGE=$KUBIA_IMAGE
		export PAUSE_IMAGE=$PAUSE_IMAGE
		export CNI_CONF_DIR=$CNI_CONF_DIR
		export CNI_BIN_DIR=$CNI_BIN_DIR
		export CNI_NETWORK=$CNI_NETWORK
		export POD_CIDR=$POD_CIDR
		export BRIDGE_NAME=$BRIDGE_NAME
		export CNI_CACHE_DIR=${CNI_CACHE_DIR:-}
		export CNI_DATA_DIR=${CNI_DATA_DIR:-}
		export CRICTL=$(command -v crictl)
		export RUNTIME=$RT_NAME
		export RUNTIME_LOG=$RT_LOG
	ENV
	[[ $RT_NAME != containerd ]] || echo "export CONTAINERD_LOG=$CONTAINERD_LOG" >>"$env_file.tmp"
	mv "$env_file.tmp" "$env_file"
	step "wrote $env_file"
}

usage() {
	echo "usage: $0 [containerd|containerd2|crio]   (default containerd)"
}

main() {
	local runtime=${1:-${RUNTIMES[0]}}
	case $runtime in
	-h | --help)
		usage
		return 0
		;;
	containerd) ;;
	containerd2) PACKAGES+=("${BUILD_PACKAGES[@]}") ;;
	crio) PACKAGES+=("${BUILD_PACKAGES[@]}" "${CRIO_PACKAGES[@]}") ;;
	*)
		usage >&2
		return 2
		;;
	esac
	require_root
	install_packages "${PACKAGES[@]}"
	require_go
	install_crictl
	select_runtime "$runtime"
	mkdir -p "$TESTBED_ROOT/registry" "$CNI_CONF_DIR" "$RUN_DIR/containerd" "$LOG_DIR"
	write_crictl_config
	# Two engineers or two make targets may bring the bed up at once.
	exec 9>"$RUN_DIR/up.lock"
	flock 9
	start_registry
	push_images
	write_registry_hosts
	write_cni_conflist
	share_root_mounts
	case $runtime in
	containerd) start_containerd ;;
	containerd2)
		# shellcheck source=containerd2.sh
		source "$TESTBED_DIR/containerd2.sh"
		up_containerd2
		;;
	crio)
		# shellcheck source=crio.sh
		source "$TESTBED_DIR/crio.sh"
		up_crio
		;;
	esac
	pull_images
	write_env_file
	step "ready: $runtime on $RUNTIME_ENDPOINT (source $RT_ENV_FILE)"
}

# Run only when executed, so the functions can be sourced without side effects.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	main "$@"
fi
