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
	cat <<-TOML
		# Written by test/testbed/up.sh containerd2; edits are overwritten.
		# Format version 3 (2.0's); 2.4 migrates it to 4 in memory at start.
		version = 3
		root = '$RT_ROOT/root'
		state = '$RT_RUN/state'

		[grpc]
		  address = '$RT_SOCKET'

		[ttrpc]
		  address = '$RT_SOCKET.ttrpc'

		[plugins]
		  [plugins.'io.containerd.internal.v1.opt']
		    path = '$RT_ROOT/opt'

		  # NRI's default socket is shared by every containerd on the host.
		  [plugins.'io.containerd.nri.v1.nri']
		    disable = true

		  [plugins.'io.containerd.shim.v1.manager']
		    socket_dir = '$CD2_SHIM_DIR'

		  [plugins.'io.containerd.grpc.v1.cri']
		    stream_server_address = '127.0.0.1'
		    stream_server_port = '0'

		  [plugins.'io.containerd.cri.v1.images']
		    snapshotter = 'overlayfs'

		    [plugins.'io.containerd.cri.v1.images'.pinned_images]
		      sandbox = '$PAUSE_IMAGE'

		    [plugins.'io.containerd.cri.v1.images'.registry]
		      config_path = '$TESTBED_ROOT/certs.d'

		  [plugins.'io.containerd.cri.v1.runtime']
		    # Processes here lack CAP_SYS_RESOURCE: a negative oom_score_adj makes
		    # runc fail with "can't get final child's PID from pipe: EOF".
		    restrict_oom_score_adj = true
		    netns_mounts_under_state_dir = true

		    [plugins.'io.containerd.cri.v1.runtime'.containerd]
		      default_runtime_name = 'runc'

		      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
		        runtime_type = 'io.containerd.runc.v2'
		        runtime_path = '$CD2_BIN/containerd-shim-runc-v2'

		        [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
		          Root = '$RT_RUN/runc'
		          SystemdCgroup = false

		    [plugins.'io.containerd.cri.v1.runtime'.cni]
		      bin_dirs = ['$CNI_BIN_DIR']
		      conf_dir = '$RT_CNI_CONF_DIR'
		      max_conf_num = 1
	TOML
}

up_containerd2() {
	((${#CD2_SHIM_DIR} <= 42)) || die "containerd's shim socket dir $CD2_SHIM_DIR is longer than 42 characters: set TESTBED_RUN_DIR to a shorter path"
	"$TESTBED_DIR/build.sh" containerd2
	mkdir -p "$RT_ROOT" "$RT_RUN" "$RT_CNI_CONF_DIR" "$(dirname "$RT_SOCKET")"
	write_if_changed "$RT_CONFIG" render_containerd2_config && RT_CONFIG_CHANGED=true
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
