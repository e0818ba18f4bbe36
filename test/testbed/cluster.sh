#!/usr/bin/env bash
# cluster.sh runs the test bed's Kubernetes control plane on loopback: etcd,
# kube-apiserver, kube-controller-manager and kube-scheduler, built once per
# machine from the Go module proxy (build.sh controlplane, build.sh etcd), so
# minikubelet can join a real cluster as a node in end-to-end tests.
#
#   cluster.sh up                       certificates, the four components, the
#                                       bootstrap token and RBAC, env.cluster
#   cluster.sh down                     stop what up started and remove its state
#   cluster.sh node-kubeconfig NAME OUT write OUT, a kubeconfig for node NAME
#                                       (CN=system:node:NAME, O=system:nodes)
#   cluster.sh status                   print each component's pid and health
#
# Idempotent: up leaves a component that runs healthy with the same flags
# alone, and keeps the certificates and etcd data it finds, so a second run
# only verifies. down removes all of it (certificates, etcd data, kubeconfigs
# and env.cluster): the next up starts a fresh cluster. Logs are appended to
# under LOG_DIR/cluster/.
#
# CLUSTER_NODE_NAMES="a b" makes up mint node kubeconfigs for those names
# into CLUSTER_DIR/nodes/NAME.kubeconfig. CLUSTER_BIND_ADDRESS and
# CLUSTER_EXTRA_SANS (e.g. "IP:10.199.0.1,DNS:host") serve the API on another
# address than loopback, for nodes that cannot reach the host's loopback.
set -euo pipefail

TESTBED_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
source "$TESTBED_DIR/lib.sh"

CLUSTER_DIR=$TESTBED_ROOT/cluster
PKI=$CLUSTER_DIR/pki
CLUSTER_RUN=$RUN_DIR/cluster
CLUSTER_LOG_DIR=$LOG_DIR/cluster
CLUSTER_ENV_FILE=${TESTBED_CLUSTER_ENV_FILE:-$TESTBED_DIR/env.cluster}

# Ports, all on loopback and off the components' defaults (2379/2380, 6443,
# 10257, 10259), so a real cluster on the machine is no obstacle.
ETCD_CLIENT_PORT=23790
ETCD_PEER_PORT=23800
APISERVER_PORT=16443
CONTROLLER_MANAGER_PORT=16257
SCHEDULER_PORT=16259
BIND_ADDRESS=${CLUSTER_BIND_ADDRESS:-127.0.0.1}
APISERVER_URL=https://127.0.0.1:$APISERVER_PORT
ETCD_URL=http://127.0.0.1:$ETCD_CLIENT_PORT

# Services get 10.0.0.0/24; nodes get a /24 each out of 10.244.0.0/16, which
# overlaps none of the runtimes' bridges (10.86-10.88.0.0/16) nor the
# subnets the e2e tests make.
SERVICE_CIDR=10.0.0.0/24
CLUSTER_CIDR=10.244.0.0/16
NODE_CIDR_MASK_SIZE=24
CLUSTER_NAME=minikubelet-testbed
# Bootstrap tokens of this bed put their users in this group beside
# system:bootstrappers, so tests can tell its nodes apart.
BOOTSTRAP_GROUP=system:bootstrappers:minikubelet
CERT_DAYS=365

CP_BIN=$(cache_dir controlplane "$KUBERNETES_VERSION")/bin
ETCD_BIN=$(cache_dir etcd "$ETCD_VERSION")/bin
# How long each component may take to report healthy before up gives up.
START_TIMEOUT=90

# --- certificates ------------------------------------------------------------

# new_key FILE writes an RSA key unless FILE exists.
new_key() {
	[[ -f $1 ]] || (umask 077 && openssl genrsa -out "$1" 2048 2>/dev/null)
}

ensure_ca() {
	new_key "$PKI/ca.key"
	[[ -f $PKI/ca.crt ]] && return
	step "making the cluster CA $PKI/ca.crt"
	openssl req -x509 -new -key "$PKI/ca.key" -subj "/CN=$CLUSTER_NAME-ca" -days 3650 \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign" \
		-out "$PKI/ca.crt"
}

# sign_cert NAME SUBJECT EXTENSIONS writes PKI/NAME.crt for PKI/NAME.key,
# signed by the CA, unless it exists. EXTENSIONS are openssl extension
# lines (extendedKeyUsage, subjectAltName).
sign_cert() {
	local name=$1 subject=$2 ext=$3 dir=${4:-$PKI}
	new_key "$dir/$name.key"
	[[ -f $dir/$name.crt ]] && return
	openssl req -new -key "$dir/$name.key" -subj "$subject" |
		openssl x509 -req -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" \
			-set_serial "0x$(openssl rand -hex 16)" -days "$CERT_DAYS" -out "$dir/$name.crt" \
			-extfile <(printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n%b\n' "$ext") 2>/dev/null
}

client_ext='extendedKeyUsage=clientAuth'

# apiserver_sans lists the serving certificate's names: loopback, and what
# CLUSTER_EXTRA_SANS adds; the service IP lets pods verify it too.
apiserver_sans() {
	printf 'IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc%s' \
		"${CLUSTER_EXTRA_SANS:+,$CLUSTER_EXTRA_SANS}"
}

ensure_certs() {
	mkdir -p "$PKI"
	ensure_ca
	# A serving cert made for other names is made again.
	if [[ -f $PKI/apiserver.sans && $(<"$PKI/apiserver.sans") != "$(apiserver_sans)" ]]; then
		rm -f "$PKI/apiserver.crt"
	fi
	sign_cert apiserver "/CN=kube-apiserver" "extendedKeyUsage=serverAuth\nsubjectAltName=$(apiserver_sans)"
	apiserver_sans >"$PKI/apiserver.sans"
	sign_cert admin "/O=system:masters/CN=kubernetes-admin" "$client_ext"
	# The users the bootstrap RBAC policy already grants their components'
	# permissions to.
	sign_cert controller-manager "/CN=system:kube-controller-manager" "$client_ext"
	sign_cert scheduler "/CN=system:kube-scheduler" "$client_ext"
	# kube-apiserver's client certificate towards the nodes' HTTPS endpoint
	# (logs, exec, port-forward), as kubeadm's apiserver-kubelet-client.
	sign_cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" "$client_ext"
	new_key "$PKI/sa.key"
	[[ -f $PKI/sa.pub ]] || openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
	step "certificates in $PKI"
}

# --- kubeconfigs -------------------------------------------------------------

# write_kubeconfig OUT USER CREDENTIALS writes a self-contained kubeconfig
# (certificates inlined, so it can be copied anywhere) for USER;
# CREDENTIALS are the YAML lines of its user entry.
write_kubeconfig() {
	local out=$1 user=$2 credentials=$3
	(
		umask 077
		cat >"$out.tmp" <<-YAML
			# Written by test/testbed/cluster.sh.
			apiVersion: v1
			kind: Config
			clusters:
			- name: $CLUSTER_NAME
			  cluster:
			    server: $APISERVER_URL
			    certificate-authority-data: $(base64 -w0 "$PKI/ca.crt")
			users:
			- name: $user
			  user:
			$credentials
			contexts:
			- name: $user@$CLUSTER_NAME
			  context:
			    cluster: $CLUSTER_NAME
			    user: $user
			current-context: $user@$CLUSTER_NAME
		YAML
	)
	mv "$out.tmp" "$out"
}

# cert_credentials DIR NAME prints a kubeconfig user entry for DIR/NAME.crt.
cert_credentials() {
	printf '    client-certificate-data: %s\n    client-key-data: %s' \
		"$(base64 -w0 "$1/$2.crt")" "$(base64 -w0 "$1/$2.key")"
}

write_kubeconfigs() {
	local name
	for name in admin controller-manager scheduler; do
		write_kubeconfig "$CLUSTER_DIR/$name.kubeconfig" "$name" "$(cert_credentials "$PKI" "$name")"
	done
}

# node_kubeconfig NAME OUT issues node NAME a client certificate, as the
# controller-manager would after TLS bootstrapping, and writes OUT for it.
node_kubeconfig() {
	local node=$1 out=$2 dir
	[[ $node =~ ^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$ ]] || die "'$node' is not a valid node name (lower-case DNS name)"
	[[ -f $PKI/ca.key ]] || die "no cluster CA in $PKI: run '$0 up' first"
	dir=$(mktemp -d)
	sign_cert node "/O=system:nodes/CN=system:node:$node" "$client_ext" "$dir"
	mkdir -p "$(dirname "$out")"
	write_kubeconfig "$out" "system:node:$node" "$(cert_credentials "$dir" node)"
	rm -rf "$dir"
}

# --- processes ---------------------------------------------------------------

# healthy NAME reports whether component NAME answers its health check.
# The controller-manager and the scheduler serve /healthz to anyone, on a
# certificate they make for themselves at start (hence -k).
healthy() {
	case $1 in
	etcd) curl -sf --max-time 2 "$ETCD_URL/health" | grep -q '"health":"true"' ;;
	kube-apiserver)
		[[ $(curl -s --max-time 2 --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" \
			"$APISERVER_URL/readyz") == ok ]]
		;;
	kube-controller-manager) [[ $(curl -sk --max-time 2 "https://127.0.0.1:$CONTROLLER_MANAGER_PORT/healthz") == ok ]] ;;
	kube-scheduler) [[ $(curl -sk --max-time 2 "https://127.0.0.1:$SCHEDULER_PORT/healthz") == ok ]] ;;
	esac
}

# start_component NAME PORT CMD... runs CMD as component NAME unless it runs
# healthy with these same arguments and certificates, and waits up to
# START_TIMEOUT for it. The pid file and the record of what it started with
# live in CLUSTER_RUN; the marker that proves a pid is ours is CLUSTER_DIR
# on its command line.
start_component() {
	local name=$1 port=$2 pid log=$CLUSTER_LOG_DIR/$1.log started_with
	shift 2
	local pidfile=$CLUSTER_RUN/$name.pid argsfile=$CLUSTER_RUN/$name.args
	# A file it reads made again (a certificate with new SANs, a new CA in a
	# kubeconfig) needs a restart too; other components' files do not.
	local arg files=()
	for arg in "$@"; do
		[[ $arg == "$CLUSTER_DIR"/* && -f $arg ]] && files+=("$arg")
	done
	started_with="$* files:$(cat "${files[@]}" </dev/null | sha256sum | cut -c1-16)"
	if pid=$(owned_pid "$pidfile" "$CLUSTER_DIR"); then
		if [[ -f $argsfile && $(<"$argsfile") == "$started_with" ]] && wait_healthy "$name" "$pid" 10; then
			step "$name running healthy (pid $pid)"
			return
		fi
		step "restarting $name (pid $pid): flags or files it reads changed, or not healthy"
		stop_owned "$pidfile" "$CLUSTER_DIR" "$name"
	fi
	if ss -Hltn "sport = :$port" | grep -q .; then
		die "port $port, which $name uses, is taken by a process cluster.sh did not start: $(ss -Hltnp "sport = :$port")"
	fi
	step "starting $name (log $log)"
	printf '\n=== %s cluster.sh starts %s\n' "$(date -u +%FT%TZ)" "$name" >>"$log"
	spawn_daemon "$log" "$@"
	pid=$!
	echo "$pid" >"$pidfile"
	printf '%s' "$started_with" >"$argsfile"
	local started=$SECONDS
	if ! wait_healthy "$name" "$pid" "$START_TIMEOUT"; then
		tail -n 30 "$log" >&2 || true
		die "$name did not become healthy within ${START_TIMEOUT}s; see $log"
	fi
	step "$name healthy after $((SECONDS - started))s (pid $pid)"
}

# wait_healthy NAME PID SECONDS waits for NAME to answer healthy, and stops
# waiting when its process is gone.
wait_healthy() {
	local name=$1 pid=$2 deadline=$((SECONDS + $3))
	while ((SECONDS < deadline)); do
		healthy "$name" && return 0
		[[ -d /proc/$pid ]] || return 1
		sleep 0.5
	done
	return 1
}

start_etcd() {
	start_component etcd "$ETCD_CLIENT_PORT" "$ETCD_BIN/etcd" --name testbed \
		--data-dir "$CLUSTER_DIR/etcd" \
		--listen-client-urls "$ETCD_URL" --advertise-client-urls "$ETCD_URL" \
		--listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
		--initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
		--initial-cluster "testbed=http://127.0.0.1:$ETCD_PEER_PORT" \
		--log-level warn
}

# start_apiserver: the loopback advertise address needs
# --endpoint-reconciler-type none ("may not be in the loopback range").
# Nodes are reached by InternalIP first: the test bed's nodes have no
# resolvable host names.
start_apiserver() {
	start_component kube-apiserver "$APISERVER_PORT" "$CP_BIN/kube-apiserver" \
		--etcd-servers "$ETCD_URL" \
		--bind-address "$BIND_ADDRESS" --secure-port "$APISERVER_PORT" \
		--advertise-address 127.0.0.1 --endpoint-reconciler-type none \
		--tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" \
		--client-ca-file "$PKI/ca.crt" \
		--kubelet-client-certificate "$PKI/apiserver-kubelet-client.crt" \
		--kubelet-client-key "$PKI/apiserver-kubelet-client.key" \
		--kubelet-preferred-address-types InternalIP,ExternalIP,Hostname \
		--service-account-key-file "$PKI/sa.pub" --service-account-signing-key-file "$PKI/sa.key" \
		--service-account-issuer https://kubernetes.default.svc \
		--service-cluster-ip-range "$SERVICE_CIDR" \
		--authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction \
		--enable-bootstrap-token-auth --allow-privileged
}

# start_controller_manager: it signs node CSRs with the cluster CA, gives
# each node a podCIDR, and runs the bootstrap token controllers, which
# are off by default.
start_controller_manager() {
	local kubeconfig=$CLUSTER_DIR/controller-manager.kubeconfig
	start_component kube-controller-manager "$CONTROLLER_MANAGER_PORT" "$CP_BIN/kube-controller-manager" \
		--kubeconfig "$kubeconfig" \
		--authentication-kubeconfig "$kubeconfig" --authorization-kubeconfig "$kubeconfig" \
		--bind-address 127.0.0.1 --secure-port "$CONTROLLER_MANAGER_PORT" \
		--leader-elect=false --controllers '*,bootstrapsigner,tokencleaner' \
		--use-service-account-credentials \
		--cluster-signing-cert-file "$PKI/ca.crt" --cluster-signing-key-file "$PKI/ca.key" \
		--root-ca-file "$PKI/ca.crt" --service-account-private-key-file "$PKI/sa.key" \
		--allocate-node-cidrs --cluster-cidr "$CLUSTER_CIDR" --node-cidr-mask-size "$NODE_CIDR_MASK_SIZE" \
		--service-cluster-ip-range "$SERVICE_CIDR"
}

start_scheduler() {
	local kubeconfig=$CLUSTER_DIR/scheduler.kubeconfig
	start_component kube-scheduler "$SCHEDULER_PORT" "$CP_BIN/kube-scheduler" \
		--kubeconfig "$kubeconfig" \
		--authentication-kubeconfig "$kubeconfig" --authorization-kubeconfig "$kubeconfig" \
		--bind-address 127.0.0.1 --secure-port "$SCHEDULER_PORT" --leader-elect=false
}

# --- API objects -------------------------------------------------------------

# apply PATH JSON creates or updates the object at PATH (its URL path,
# name included) with server-side apply, which does both in one call.
apply() {
	local path=$1 json=$2 code
	code=$(curl -s -o "$CLUSTER_RUN/apply.out" -w '%{http_code}' --max-time 10 \
		--cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" \
		-X PATCH -H 'Content-Type: application/apply-patch+yaml' --data-binary "$json" \
		"$APISERVER_URL$path?fieldManager=minikubelet-testbed&force=true")
	[[ $code == 200 || $code == 201 ]] || die "applying $path: HTTP $code: $(cat "$CLUSTER_RUN/apply.out")"
}

# bind_cluster_role NAME ROLE GROUP grants GROUP the cluster role ROLE.
bind_cluster_role() {
	apply "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/$1" "$(
		cat <<-JSON
			{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
			 "metadata": {"name": "$1"},
			 "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "$2"},
			 "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "$3"}]}
		JSON
	)"
}

# ensure_bootstrap makes what `kubeadm init` makes for nodes to join with a
# token: the token's secret, and the bindings that let its holders ask for
# a node certificate, get it approved automatically, and later renew it.
ensure_bootstrap() {
	local token id secret
	if [[ ! -f $PKI/bootstrap-token ]]; then
		# Token IDs and secrets are [a-z0-9]{6} and [a-z0-9]{16}; hex is a subset.
		(umask 077 && printf '%s.%s\n' "$(openssl rand -hex 3)" "$(openssl rand -hex 8)" >"$PKI/bootstrap-token")
	fi
	token=$(<"$PKI/bootstrap-token")
	id=${token%%.*} secret=${token#*.}
	# No expiration: the bed's token lives as long as its cluster.
	apply "/api/v1/namespaces/kube-system/secrets/bootstrap-token-$id" "$(
		cat <<-JSON
			{"apiVersion": "v1", "kind": "Secret", "type": "bootstrap.kubernetes.io/token",
			 "metadata": {"name": "bootstrap-token-$id", "namespace": "kube-system"},
			 "stringData": {"description": "minikubelet test bed nodes", "token-id": "$id", "token-secret": "$secret",
			   "usage-bootstrap-authentication": "true", "usage-bootstrap-signing": "true",
			   "auth-extra-groups": "$BOOTSTRAP_GROUP"}}
		JSON
	)"
	bind_cluster_role minikubelet:node-bootstrapper system:node-bootstrapper system:bootstrappers
	bind_cluster_role minikubelet:node-autoapprove-bootstrap \
		system:certificates.k8s.io:certificatesigningrequests:nodeclient system:bootstrappers
	bind_cluster_role minikubelet:node-autoapprove-certificate-rotation \
		system:certificates.k8s.io:certificatesigningrequests:selfnodeclient system:nodes
	write_kubeconfig "$CLUSTER_DIR/bootstrap.kubeconfig" "kubelet-bootstrap" "    token: $token"
	step "bootstrap token $id. (secret kube-system/bootstrap-token-$id, groups system:bootstrappers, $BOOTSTRAP_GROUP)"
}

# ensure_node_routes lets every node read all Nodes, as deploy/node-routes-rbac.yaml
# does for a real cluster: minikubelet routes to other nodes' pod CIDRs from
# them, and the Node authorizer allows a node only its own Node.
ensure_node_routes() {
	apply "/apis/rbac.authorization.k8s.io/v1/clusterroles/minikubelet:node-routes" '{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
	 "metadata": {"name": "minikubelet:node-routes"},
	 "rules": [{"apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "list", "watch"]}]}'
	bind_cluster_role minikubelet:node-routes minikubelet:node-routes system:nodes
}

write_env_file() {
	cat >"$CLUSTER_ENV_FILE.tmp" <<-ENV
		# Written by test/testbed/cluster.sh up; removed by cluster.sh down.
		# Source it to talk to the test bed's control plane (loopback only).
		#
		# KUBECONFIG: the admin's kubeconfig (kubernetes-admin, group system:masters).
		export KUBECONFIG=$CLUSTER_DIR/admin.kubeconfig
		# NODE_KUBECONFIG: the kubeconfig a node joins with: a bootstrap-token
		# kubeconfig (kubeadm join's), from which the node asks for its client
		# certificate by a CSR that the controller-manager approves and signs.
		export NODE_KUBECONFIG=$CLUSTER_DIR/bootstrap.kubeconfig
		# NODE_CERT_TOOL NAME OUT: writes OUT, a kubeconfig with a client
		# certificate for node NAME (CN=system:node:NAME, O=system:nodes, signed
		# by the CA), for a node that joins without bootstrapping. Needs root.
		export NODE_CERT_TOOL="$TESTBED_DIR/cluster.sh node-kubeconfig"
		# BOOTSTRAP_TOKEN: the token inside NODE_KUBECONFIG (id.secret); its
		# users are in system:bootstrappers and BOOTSTRAP_GROUP.
		export BOOTSTRAP_TOKEN=$(<"$PKI/bootstrap-token")
		export BOOTSTRAP_GROUP=$BOOTSTRAP_GROUP
		# APISERVER_URL: kube-apiserver; CLUSTER_CA: the CA that signed its serving
		# certificate, every client certificate and the nodes' CSRs.
		export APISERVER_URL=$APISERVER_URL
		export CLUSTER_CA=$PKI/ca.crt
		# CLUSTER_CIDR: the range node podCIDRs (/$NODE_CIDR_MASK_SIZE each) come from;
		# SERVICE_CIDR: service cluster IPs.
		export CLUSTER_CIDR=$CLUSTER_CIDR
		export NODE_CIDR_MASK_SIZE=$NODE_CIDR_MASK_SIZE
		export SERVICE_CIDR=$SERVICE_CIDR
		# KUBERNETES_VERSION: the control plane's version.
		export KUBERNETES_VERSION=$KUBERNETES_VERSION
		# CLUSTER_DIR: certificates (pki/), etcd data, kubeconfigs (nodes/ has
		# those of CLUSTER_NODE_NAMES); CLUSTER_LOG_DIR: one log per component.
		export CLUSTER_DIR=$CLUSTER_DIR
		export CLUSTER_LOG_DIR=$CLUSTER_LOG_DIR
	ENV
	mv "$CLUSTER_ENV_FILE.tmp" "$CLUSTER_ENV_FILE"
	step "wrote $CLUSTER_ENV_FILE"
}

# --- commands ----------------------------------------------------------------

up() {
	local started=$SECONDS node
	"$TESTBED_DIR/build.sh" etcd
	"$TESTBED_DIR/build.sh" controlplane
	mkdir -p "$CLUSTER_DIR" "$CLUSTER_RUN" "$CLUSTER_LOG_DIR"
	exec 9>"$CLUSTER_RUN/up.lock"
	flock 9
	ensure_certs
	write_kubeconfigs
	start_etcd
	start_apiserver
	start_controller_manager
	start_scheduler
	ensure_bootstrap
	ensure_node_routes
	for node in ${CLUSTER_NODE_NAMES:-}; do
		node_kubeconfig "$node" "$CLUSTER_DIR/nodes/$node.kubeconfig"
		step "node kubeconfig $CLUSTER_DIR/nodes/$node.kubeconfig"
	done
	write_env_file
	step "cluster ready in $((SECONDS - started))s: $APISERVER_URL (source $CLUSTER_ENV_FILE)"
}

# down stops the components in the reverse order, each only if its pid
# file names a process running with CLUSTER_DIR on its command line.
down() {
	local name
	for name in kube-scheduler kube-controller-manager kube-apiserver etcd; do
		stop_owned "$CLUSTER_RUN/$name.pid" "$CLUSTER_DIR" "$name"
		rm -f "$CLUSTER_RUN/$name.args"
	done
	rm -rf "$CLUSTER_DIR" "$CLUSTER_RUN"
	rm -f "$CLUSTER_ENV_FILE"
	step "cluster down; its state ($CLUSTER_DIR) removed, logs kept in $CLUSTER_LOG_DIR"
}

status() {
	local name pid health
	for name in etcd kube-apiserver kube-controller-manager kube-scheduler; do
		pid=$(owned_pid "$CLUSTER_RUN/$name.pid" "$CLUSTER_DIR") || pid=-
		health=unhealthy
		healthy "$name" 2>/dev/null && health=healthy
		printf '%-24s pid %-8s %s\n' "$name" "$pid" "$health"
	done
}

usage() {
	echo "usage: $0 up | down | status | node-kubeconfig NAME OUT"
}

main() {
	case ${1:-} in
	up)
		require_root
		require_go
		up
		;;
	down)
		require_root
		down
		;;
	status) status ;;
	node-kubeconfig)
		(($# == 3)) || {
			usage >&2
			return 2
		}
		node_kubeconfig "$2" "$3"
		;;
	-h | --help) usage ;;
	*)
		usage >&2
		return 2
		;;
	esac
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	main "$@"
fi
