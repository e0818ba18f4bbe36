# shellcheck shell=bash
# containerd2.sh: the test bed's containerd 2.4, built from the Go module
# proxy by build.sh. Sourced by up.sh and down.sh after lib.sh and
# select_runtime containerd2, which set RT_* (socket, dirs, bridge, CIDR).
#
# It runs beside containerd 1.6 and CRI-O: every address, directory, shim
# socket dir and runc root of its own, NRI off, and its own shim binary
# (the PATH lookup would find Debian's 1.6 shim).

CD2_BIN=$(cache_dir containerd2 "$CONTAINERD2_VERSION")/bin
# Shim sockets live in a dir whose path containerd caps at 42 characters
# (unix socket paths are short), hence not under RT_RUN.
CD2_SHIM_DIR=$RUN_DIR/cd2-shims

# render_containerd2_config prints the config in containerd 2's native
# format (version 3), whose CRI sections differ from 1.6's version 2.
render_containerd2_config() {
	containerd_config --format 3 \
		--comment "Written by test/testbed/up.sh containerd2; edits are overwritten." \
		--root "$RT_ROOT/root" --state "$RT_RUN/state" \
		--grpc-address "$RT_SOCKET" --opt-dir "$RT_ROOT/opt" \
		--disable-nri --shim-socket-dir "$CD2_SHIM_DIR" \
		--stream-server-address 127.0.0.1 --stream-server-port 0 \
		--sandbox-image "$PAUSE_IMAGE" --registry-config-dir "$TESTBED_ROOT/certs.d" \
		--restrict-oom-score-adj --netns-under-state \
		--runc-root "$RT_RUN/runc" --shim-runtime-path "$CD2_BIN/containerd-shim-runc-v2" \
		--cni-bin-dir "$CNI_BIN_DIR" --cni-conf-dir "$RT_CNI_CONF_DIR"
}

up_containerd2() {
	((${#CD2_SHIM_DIR} <= 42)) || die "containerd's shim socket dir $CD2_SHIM_DIR is longer than 42 characters: set TESTBED_RUN_DIR to a shorter path"
	"$TESTBED_DIR/build.sh" containerd2
	mkdir -p "$RT_ROOT" "$RT_RUN" "$RT_CNI_CONF_DIR" "$(dirname "$RT_SOCKET")"
	write_if_changed "$RT_CONFIG" render_containerd2_config && RT_CONFIG_CHANGED=true
	start_containerd2_daemon
}

# start_containerd2_daemon starts containerd 2.4 from the config up.sh
# wrote, unless it answers; runtime.sh calls it to bring the daemon back
# after a test stopped or killed it.
start_containerd2_daemon() {
	# The shim finds containerd's own binaries (and runc) on its PATH.
	own_cni_state_prefix
	start_daemon "containerd $CONTAINERD2_VERSION" "${OWN_CNI_STATE[@]}" env PATH="$CD2_BIN:$PATH" \
		"$CD2_BIN/containerd" --config "$RT_CONFIG"
}

down_containerd2() {
	remove_runtime_pods
	stop_owned "$RT_PIDFILE" "$RT_CONFIG" "containerd $CONTAINERD2_VERSION"
	# containerd puts one runc root per namespace (k8s.io) under Root.
	remove_stray_runc_containers "$RT_RUN"/runc/*/
	stop_stray_shims "$RT_SOCKET"
	rm -f "$RT_SOCKET" "$RT_SOCKET.ttrpc"
}
