# shellcheck shell=bash
# crio.sh: the test bed's CRI-O 1.34, built from the Go module proxy by
# build.sh, with Debian's conmon and runc. Sourced by up.sh and down.sh after
# lib.sh and select_runtime crio, which set RT_* (socket, dirs, bridge, CIDR).
#
# Every path CRI-O would otherwise take under /etc, /var/lib/crio, /run/crio
# or /var/run is moved under RT_ROOT/RT_RUN, so it runs beside the
# containerds and leaves the host's container config alone.

CRIO_BIN=$(cache_dir crio "$CRIO_VERSION")/bin

# render_crio_config prints crio.conf. Points that differ from containerd:
#   - CRI-O always gives the infra container oom_score_adj -998, which runc
#     cannot set here (no CAP_SYS_RESOURCE); drop_infra_ctr runs pods without
#     one as long as they do not share a PID namespace.
#   - No NRI: its socket is shared by every runtime on the host.
#   - Attach sockets are DIR/<64-hex id>/attach, and a unix socket path
#     has at most 107 bytes: under RT_RUN (117 bytes) every attach failed
#     with "connect: invalid argument", so DIR is kept short.
#   - clean_shutdown_file is off. With it (CRI-O's default), a CRI-O that
#     was SIGKILLed wipes its container storage when it starts again
#     ("Wiping storage directory ... because of unclean shutdown"): every
#     container is gone and recreated, by the agent as by the kubelet, and
#     the netns pins of the wiped sandboxes stay behind. The chaos suite's
#     runtime cases judge the agent, which must restart nothing a runtime
#     kept, so the test bed's CRI-O keeps what it ran, as containerd does.
#   - enable_pod_events streams container events (CRI GetContainerEvents),
#     which the agent uses, as on containerd 2.x, to act on an exit at once
#     rather than at its next relist. Without it CRI-O closes the stream.
render_crio_config() {
	cat <<-TOML
		# Written by test/testbed/up.sh crio; edits are overwritten.
		[crio]
		root = "$RT_ROOT/storage"
		runroot = "$RT_RUN/storage"
		storage_driver = "overlay"
		log_dir = "$LOG_DIR/crio-pods"
		version_file = "$RT_RUN/version"
		version_file_persist = "$RT_ROOT/version"
		clean_shutdown_file = ""

		[crio.api]
		listen = "$RT_SOCKET"
		stream_address = "127.0.0.1"
		stream_port = "0"

		[crio.runtime]
		default_runtime = "runc"
		cgroup_manager = "cgroupfs"
		conmon_cgroup = "pod"
		drop_infra_ctr = true
		pinns_path = "$CRIO_BIN/pinns"
		namespaces_dir = "$RT_RUN/ns"
		container_exits_dir = "$RT_RUN/exits"
		container_attach_socket_dir = "$RUN_DIR/crio"
		irqbalance_config_restore_file = "disable"
		enable_pod_events = true
		log_level = "info"

		[crio.runtime.runtimes.runc]
		runtime_path = "$(command -v runc)"
		runtime_type = "oci"
		runtime_root = "$RT_RUN/runc"
		monitor_path = "$(command -v conmon)"
		monitor_cgroup = "pod"

		[crio.image]
		pause_image = "$PAUSE_IMAGE"
		signature_policy = "$RT_ROOT/policy.json"

		[crio.network]
		network_dir = "$RT_CNI_CONF_DIR"
		plugin_dirs = ["$CNI_BIN_DIR"]

		[crio.nri]
		enable_nri = false
	TOML
}

# render_registries_conf lets CRI-O pull from the local registry over plain
# HTTP, and from nowhere else by short name.
render_registries_conf() {
	cat <<-TOML
		# Written by test/testbed/up.sh crio.
		unqualified-search-registries = []

		[[registry]]
		location = "$REGISTRY"
		insecure = true
	TOML
}

# render_policy accepts any image: the registry is local and the images are
# built by the test bed itself.
render_policy() {
	printf '{ "default": [{ "type": "insecureAcceptAnything" }] }\n'
}

up_crio() {
	"$TESTBED_DIR/build.sh" crio
	mkdir -p "$RT_ROOT/crio.conf.d" "$RT_ROOT/registries.conf.d" "$RT_RUN" "$RT_CNI_CONF_DIR" "$LOG_DIR/crio-pods"
	write_if_changed "$RT_ROOT/registries.conf" render_registries_conf && RT_CONFIG_CHANGED=true
	write_if_changed "$RT_ROOT/policy.json" render_policy && RT_CONFIG_CHANGED=true
	write_if_changed "$RT_CONFIG" render_crio_config && RT_CONFIG_CHANGED=true
	start_crio_daemon
}

# start_crio_daemon starts CRI-O from the config up.sh wrote, unless it
# answers; runtime.sh calls it to bring the daemon back after a test
# stopped or killed it.
start_crio_daemon() {
	allow_localhost_hostports
	own_cni_state_prefix
	# Empty drop-in and registries.conf.d dirs: the host's /etc/crio and
	# /etc/containers must not change this CRI-O.
	start_daemon "CRI-O $CRIO_VERSION" "${OWN_CNI_STATE[@]}" "$CRIO_BIN/crio" --config "$RT_CONFIG" \
		--config-dir "$RT_ROOT/crio.conf.d" \
		--registries-conf "$RT_ROOT/registries.conf" \
		--registries-conf-dir "$RT_ROOT/registries.conf.d"
}

# allow_localhost_hostports makes hostPorts answer on 127.0.0.1 as they do
# with containerd. CRI-O maps hostPorts itself (nftables DNAT) instead of
# leaving them to the portmap plugin, and unlike portmap it neither lets
# 127.0.0.1-sourced packets be routed to the pod bridge (route_localnet) nor
# masquerades them, so the pod's reply never comes back. The bridge is made
# here, before the bridge plugin would make it, so the sysctl has a target.
allow_localhost_hostports() {
	local comment="minikubelet testbed: CRI-O hostPorts on 127.0.0.1"
	ip link show "$BRIDGE_NAME" >/dev/null 2>&1 || ip link add "$BRIDGE_NAME" type bridge
	ip link set "$BRIDGE_NAME" up
	sysctl -qw "net.ipv4.conf.$BRIDGE_NAME.route_localnet=1"
	local rule=(POSTROUTING -s 127.0.0.0/8 -o "$BRIDGE_NAME" -m comment --comment "$comment" -j MASQUERADE)
	iptables -w -t nat -C "${rule[@]}" 2>/dev/null || iptables -w -t nat -A "${rule[@]}"
}

down_crio() {
	remove_runtime_pods
	stop_owned "$RT_PIDFILE" "$RT_CONFIG" "CRI-O $CRIO_VERSION"
	remove_stray_runc_containers "$RT_RUN/runc"
	rm -f "$RT_SOCKET"
}
