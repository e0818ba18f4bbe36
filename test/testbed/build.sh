#!/usr/bin/env bash
# build.sh builds the runtimes Debian does not package — containerd 2.4 and
# CRI-O 1.34 — from the Go module proxy into a cache keyed by version,
# outside any clone of the repository, so CI in a fresh clone on the same
# machine reuses them and only a new machine (or a new version) builds.
#
#   build.sh containerd2   containerd, containerd-shim-runc-v2, ctr (≈3 min on 2 cores)
#   build.sh crio          crio and pinns (≈9 min on 2 cores)
#   build.sh controlplane  kube-apiserver, kube-controller-manager, kube-scheduler
#                          (≈15 min on 2 cores)
#   build.sh etcd          etcd (≈1 min on 2 cores)
#   build.sh conformance   the upstream e2e suite (e2e.test), agnhost, nnp and ginkgo, from
#                          test/conformance/suite (≈8 min on 2 cores)
#   build.sh suite-debian  the Debian packages of the suite's glibc-dns-testing and nginx
#                          images, downloaded and extracted into root/ (≈10 s)
#
# Each build goes to a temporary directory that is renamed into place only
# when complete, so an interrupted build never counts as cached.
set -euo pipefail

TESTBED_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
source "$TESTBED_DIR/lib.sh"

CONTAINERD2_MODULE=github.com/containerd/containerd/v2
CONTAINERD2_TAGS='no_btrfs no_devmapper no_zfs no_aufs'
CRIO_MODULE=github.com/cri-o/cri-o
CRIO_TAGS='containers_image_openpgp containers_image_ostree_stub exclude_graphdriver_btrfs exclude_graphdriver_devicemapper seccomp'

# build_into NAME VERSION FUNC: runs FUNC STAGING_DIR unless NAME at VERSION
# is already cached; FUNC puts executables in STAGING_DIR/bin.
build_into() {
	local name=$1 version=$2 func=$3 dest staging
	dest=$(cache_dir "$name" "$version")
	if [[ -f $dest/.complete ]]; then
		step "$name $version cached in $dest"
		return
	fi
	mkdir -p "$BUILD_CACHE"
	staging=$(mktemp -d "$BUILD_CACHE/.$name-$version.XXXXXX")
	# Removes the half-built staging dir if the build fails or is interrupted.
	trap 'rm -rf "$staging"' EXIT
	step "building $name $version into $dest (once per machine; see $staging/build.log while it runs)"
	local started=$SECONDS
	mkdir -p "$staging/bin"
	# A separate bash, because errexit is off inside a function called as an
	# if condition: a failed step would not stop the build.
	if ! bash -euo pipefail -c "source '$TESTBED_DIR/build.sh'; $func '$staging'" >"$staging/build.log" 2>&1; then
		tail -n 40 "$staging/build.log" >&2
		die "building $name $version failed (log above)"
	fi
	chmod 0755 "$staging"
	touch "$staging/.complete"
	rm -rf "$dest"
	mv "$staging" "$dest"
	trap - EXIT
	step "built $name $version in $((SECONDS - started))s"
}

build_containerd2() {
	local staging=$1 cmd
	for cmd in containerd containerd-shim-runc-v2 ctr; do
		# Without the version stamp containerd reports "2.4.2+unknown".
		CGO_ENABLED=1 GOBIN="$staging/bin" go install -tags "$CONTAINERD2_TAGS" \
			-ldflags "-X $CONTAINERD2_MODULE/version.Version=$CONTAINERD2_VERSION" \
			"$CONTAINERD2_MODULE/cmd/$cmd@$CONTAINERD2_VERSION"
	done
}

# build_crio builds CRI-O at its exact version inside a throwaway module
# that requires it: go install pkg@version fails for cri-o because the proxy
# serves no version list (it is read for deprecation notices). pinns is C in
# the same module; it is built from a writable copy of the module's pinns/
# (its Makefile writes to ../bin).
build_crio() {
	local staging=$1 moddir work
	work=$staging/src
	mkdir -p "$work/mod"
	cd "$work/mod"
	go mod init minikubelet.testbed/crio-build
	go mod edit -require="$CRIO_MODULE@$CRIO_VERSION"
	go mod download "$CRIO_MODULE"
	moddir=$(go list -m -f '{{.Dir}}' "$CRIO_MODULE")
	# cri-o's go.sum vouches for its dependencies; the checksum database
	# does not know some of them (pseudo-versions), so without it go refuses.
	cp "$moddir/go.sum" go.sum
	chmod u+w go.sum
	CGO_ENABLED=1 GOFLAGS=-mod=mod go build -trimpath -tags "$CRIO_TAGS" \
		-o "$staging/bin/crio" "$CRIO_MODULE/cmd/crio"
	[[ -d $moddir/pinns ]] || die "no pinns/ in $CRIO_MODULE@$CRIO_VERSION (looked in '$moddir')"
	cp -r "$moddir/pinns" "$work/pinns"
	chmod -R u+w "$work"
	make -C "$work/pinns"
	install -m 0755 "$work/bin/pinns" "$staging/bin/pinns"
	cd /
	rm -rf "$work"
}

KUBERNETES_MODULE=k8s.io/kubernetes
KUBERNETES_COMMANDS=(kube-apiserver kube-controller-manager kube-scheduler)
ETCD_MODULE=go.etcd.io/etcd/server/v3

# build_controlplane builds the three control-plane commands inside a
# throwaway module that requires k8s.io/kubernetes: its go.mod points each
# staging module (k8s.io/api, k8s.io/apiserver, ...) at ./staging/..., which
# a dependency's replace lines cannot do, so this module replaces each one
# with its published v0.X.Y release instead. The list comes from that go.mod,
# so a new version brings its own.
build_controlplane() {
	local staging=$1 work gomod staging_version modules pkgs=() cmd
	work=$staging/src
	mkdir -p "$work"
	cd "$work"
	go mod init minikubelet.testbed/controlplane-build
	gomod=$(go mod download -json "$KUBERNETES_MODULE@$KUBERNETES_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
	[[ -f $gomod ]] || die "go mod download gave no go.mod for $KUBERNETES_MODULE@$KUBERNETES_VERSION"
	# v1.37.2 -> v0.37.2: the staging modules' releases follow the main one.
	staging_version=v0.${KUBERNETES_VERSION#v1.}
	modules=$(awk '{ for (i = 2; i < NF; i++) if ($i == "=>" && $(i + 1) ~ /^\.\/staging\//) print $(i - 1) }' "$gomod")
	[[ -n $modules ]] || die "no staging replace lines in $gomod"
	step "replacing $(wc -w <<<"$modules") staging modules with $staging_version"
	go mod edit -require="$KUBERNETES_MODULE@$KUBERNETES_VERSION"
	for mod in $modules; do
		go mod edit -replace="$mod=$mod@$staging_version"
	done
	{
		echo '//go:build tools'
		echo 'package tools'
		echo 'import ('
		for cmd in "${KUBERNETES_COMMANDS[@]}"; do
			echo "	_ \"$KUBERNETES_MODULE/cmd/$cmd\""
			pkgs+=("$KUBERNETES_MODULE/cmd/$cmd")
		done
		echo ')'
	} >tools.go
	go mod tidy
	# Without the version stamp each reports v0.0.0-master+$Format:...$.
	local ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$KUBERNETES_VERSION"
	ldflags+=" -X k8s.io/component-base/version.gitMajor=1"
	ldflags+=" -X k8s.io/component-base/version.gitMinor=$(cut -d. -f2 <<<"$KUBERNETES_VERSION")"
	ldflags+=" -X k8s.io/component-base/version.gitTreeState=clean"
	CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$staging/bin/" "${pkgs[@]}"
	cd /
	rm -rf "$work"
}

# build_etcd builds etcd in a throwaway module: go install pkg@version
# refuses etcd's server module because its go.mod has replace directives.
build_etcd() {
	local staging=$1 work
	work=$staging/src
	mkdir -p "$work"
	cd "$work"
	go mod init minikubelet.testbed/etcd-build
	go mod edit -require="$ETCD_MODULE@$ETCD_VERSION"
	printf '//go:build tools\npackage tools\nimport _ "%s"\n' "$ETCD_MODULE" >tools.go
	go mod tidy
	CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$staging/bin/etcd" "$ETCD_MODULE"
	cd /
	rm -rf "$work"
}

# build_conformance builds the upstream e2e suite's test binary and the
# agnhost command its images run, from the tool module test/conformance/suite
# (k8s.io/kubernetes pinned with the same staging replaces as the control
# plane; its go.sum is committed), copied so the build writes nothing into
# the checkout.
build_conformance() {
	local staging=$1 work
	work=$staging/src
	mkdir -p "$work"
	cp "$TESTBED_DIR"/../conformance/suite/{go.mod,go.sum,tools.go} "$work/"
	cd "$work"
	CGO_ENABLED=0 go test -c -vet=off -trimpath -ldflags "-s -w" -o "$staging/bin/e2e.test" "$KUBERNETES_MODULE/test/e2e"
	CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$staging/bin/agnhost" "$KUBERNETES_MODULE/test/images/agnhost"
	CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$staging/bin/nnp" "$KUBERNETES_MODULE/test/images/nonewprivs"
	CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$staging/bin/ginkgo" github.com/onsi/ginkgo/v2/ginkgo
	cd /
	rm -rf "$work"
}

# build_suite_debian downloads SUITE_DEBIAN_PACKAGES (apt-get download:
# nothing is installed on the host) and extracts them side by side into
# STAGING/root, where test/images/build takes the images' files from.
build_suite_debian() {
	local staging=$1 deb
	mkdir -p "$staging/debs" "$staging/root"
	cd "$staging/debs"
	apt-get update -qq
	apt-get download "${SUITE_DEBIAN_PACKAGES[@]}"
	for deb in ./*.deb; do
		dpkg-deb -x "$deb" "$staging/root"
	done
	cd /
	rm -rf "$staging/debs"
}

main() {
	require_root
	require_go
	case ${1:-} in
	containerd2)
		install_packages "${BUILD_PACKAGES[@]}"
		build_into containerd2 "$CONTAINERD2_VERSION" build_containerd2
		;;
	crio)
		install_packages "${BUILD_PACKAGES[@]}" "${CRIO_PACKAGES[@]}"
		build_into crio "$CRIO_VERSION" build_crio
		;;
	controlplane)
		build_into controlplane "$KUBERNETES_VERSION" build_controlplane
		;;
	etcd)
		build_into etcd "$ETCD_VERSION" build_etcd
		;;
	conformance)
		build_into conformance "$(conformance_version)" build_conformance
		;;
	suite-debian)
		build_into suite-debian "$(suite_debian_version)" build_suite_debian
		;;
	*)
		echo "usage: $0 containerd2|crio|controlplane|etcd|conformance|suite-debian" >&2
		return 2
		;;
	esac
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	main "$@"
fi
