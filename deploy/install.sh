#!/usr/bin/env bash
# install.sh BINARY is what `make install` does: the binary to
# /usr/local/bin, the systemd unit, the default config (an existing one is
# kept) and an empty manifest directory. DESTDIR stages everything under
# another root, for packaging.
set -euo pipefail

DEPLOY_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DESTDIR=${DESTDIR:-}
BIN_PATH=$DESTDIR/usr/local/bin/minikubelet
UNIT_PATH=$DESTDIR/etc/systemd/system/minikubelet.service
CONFIG_DIR=$DESTDIR/etc/minikubelet

step() { printf 'install: %s\n' "$*"; }
die() {
	printf 'install: ERROR: %s\n' "$*" >&2
	exit 1
}

main() {
	(($# == 1)) || die "usage: $0 BINARY"
	local binary=$1
	[[ -x $binary ]] || die "$binary is not an executable; run make install (it builds first)"
	[[ -n $DESTDIR || $(id -u) -eq 0 ]] || die "must run as root to install into /usr/local and /etc; try: sudo $0 $binary"
	install -D -m 0755 "$binary" "$BIN_PATH"
	step "installed $BIN_PATH"
	install -D -m 0644 "$DEPLOY_DIR/minikubelet.service" "$UNIT_PATH"
	step "installed $UNIT_PATH"
	if [[ -e $CONFIG_DIR/config.yaml ]]; then
		step "kept the existing $CONFIG_DIR/config.yaml (the new default is $DEPLOY_DIR/config.yaml)"
	else
		install -D -m 0644 "$DEPLOY_DIR/config.yaml" "$CONFIG_DIR/config.yaml"
		step "installed $CONFIG_DIR/config.yaml"
	fi
	install -d -m 0755 "$CONFIG_DIR/manifests"
	if [[ -z $DESTDIR && -d /run/systemd/system ]]; then
		systemctl daemon-reload
		step "done; start it with: systemctl enable --now minikubelet (after an upgrade: systemctl restart minikubelet)"
	else
		step "done; systemd is not running here, so start it by hand: minikubelet run --config /etc/minikubelet/config.yaml"
	fi
}

main "$@"
