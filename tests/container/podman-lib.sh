# podman-lib.sh: podman for the container tests (container-tunnel.sh,
# compose-multichain.sh), sourced after tests/integration/lib.sh.
#
# Everything podman is told lives in files of the test: $T/containers.conf
# ($CONTAINERS_CONF) and $T/storage.conf ($CONTAINERS_STORAGE_CONF), so
# the machine's own podman configuration and storage are never touched.
# What this machine needs to run containers at all is in there: runc
# (crun fails on hybrid cgroups), cgroup_manager "cgroupfs" (no systemd)
# and no default ulimits (podman's exceed the hard limits).  Run state,
# networks and locks are in $T; only the images are kept, in
# $PM_CACHE/storage (default $top_builddir/container-cache: never
# committed, "rm -rf" it to start over), so that a second run reuses the
# base images and the build's layers instead of making them again.
#
# The base images are made without a registry: mmdebstrap --variant=minbase
# bookworm, imported as localhost/debian:bookworm and tagged
# localhost/debian:bookworm-slim (minbase is what slim is: no
# documentation, no recommends), once per cache.

PM_CACHE=${STUNNELD_CONTAINER_CACHE:-$top_builddir/container-cache}
PM_BASE=localhost/debian:bookworm
PM_SLIM=localhost/debian:bookworm-slim
PM_IMAGE=localhost/stunneld:test

# pm_missing: why the container tests cannot run here; nothing if they can.
pm_missing() {
	for _c in podman runc mmdebstrap nsenter; do
		command -v "$_c" >/dev/null 2>&1 ||
		    { echo "$_c not installed"; return; }
	done
	# Rootless podman needs subordinate ids and user namespaces set up
	# for the user; the tests make no such demand and run as root.
	[ "$(id -u)" -eq 0 ] || echo "needs root (rootful podman)"
}

# pm_setup: write the configuration files and export them.
pm_setup() {
	mkdir -p "$PM_CACHE/storage" "$T/pm-run" "$T/pm-tmp" "$T/pm-net" ||
	    die "cannot make podman's directories"
	cat >"$T/containers.conf" <<EOF
[containers]
default_ulimits = []
log_driver = "k8s-file"
[engine]
cgroup_manager = "cgroupfs"
runtime = "runc"
events_logger = "file"
events_logfile_path = "$T/pm-events.log"
tmp_dir = "$T/pm-tmp"
[network]
network_config_dir = "$T/pm-net"
EOF
	cat >"$T/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$PM_CACHE/storage"
runroot = "$T/pm-run"
EOF
	CONTAINERS_CONF=$T/containers.conf
	CONTAINERS_STORAGE_CONF=$T/storage.conf
	export CONTAINERS_CONF CONTAINERS_STORAGE_CONF
}

# pm ARG...: podman with this test's configuration.
pm() {
	podman --runtime runc "$@"
}

# pm_has_image NAME: whether the cache holds image NAME.
pm_has_image() {
	pm image exists "$1" 2>/dev/null
}

# pm_base: the base images, made (mmdebstrap, import) if the cache has
# none.  One at a time: a lock in the cache.
pm_base() {
	exec 9>"$PM_CACHE/base.lock" || die "cannot lock $PM_CACHE/base.lock"
	flock 9 || die "cannot lock $PM_CACHE/base.lock"
	if ! pm_has_image "$PM_BASE"; then
		if [ ! -s "$PM_CACHE/rootfs-bookworm.tar" ]; then
			note "making the base image: mmdebstrap --variant=minbase bookworm"
			mmdebstrap --variant=minbase --format=tar bookworm \
			    "$PM_CACHE/rootfs-bookworm.new.tar" \
			    >"$T/mmdebstrap.log" 2>&1 ||
			    die "mmdebstrap failed: $(tail -3 "$T/mmdebstrap.log")"
			mv -f "$PM_CACHE/rootfs-bookworm.new.tar" \
			    "$PM_CACHE/rootfs-bookworm.tar" || die "mv rootfs"
		fi
		pm import "$PM_CACHE/rootfs-bookworm.tar" "$PM_BASE" \
		    >"$T/pm-import.log" 2>&1 ||
		    die "podman import failed: $(tail -3 "$T/pm-import.log")"
	fi
	pm_has_image "$PM_SLIM" || pm tag "$PM_BASE" "$PM_SLIM" ||
	    die "podman tag $PM_SLIM failed"
	exec 9>&-
	# The tarball is only needed again if the images go.
	rm -f "$PM_CACHE/rootfs-bookworm.tar"
	# Where podman is installed but cannot start a container (inside an
	# unprivileged container, say), nothing below can be tried.
	pm run --rm --network none "$PM_BASE" true >"$T/pm-probe.log" 2>&1 ||
	    skip "podman cannot run a container here: $(grep -v systemd "$T/pm-probe.log" | tail -1)"
}

# pm_build_image: the stunneld image from this tree, as etc/container/README.md
# says, on the local base images.  Log in $T/image-build.log.  The RUN
# steps (apt-get) use the host's network: podman's default network would
# leave a bridge (cni-podman0) behind on the machine.  The build stage is
# tagged too (PM_BUILD_IMAGE), so that pruning what earlier runs left
# (every change of the tree makes new layers) keeps the layers this build
# can reuse.
PM_BUILD_IMAGE=localhost/stunneld-build:test
pm_build_image() {
	_t0=$(date +%s)
	for _target in build ""; do
		_tag=$PM_IMAGE
		[ -z "$_target" ] || _tag=$PM_BUILD_IMAGE
		pm build --network host --format docker ${_target:+--target "$_target"} \
		    -f "$top_srcdir/etc/container/Containerfile" \
		    --ignorefile "$top_srcdir/etc/container/Containerfile.dockerignore" \
		    --build-arg BUILD_IMAGE="$PM_BASE" \
		    --build-arg RUNTIME_IMAGE="$PM_SLIM" \
		    -t "$_tag" \
		    "$top_srcdir" >>"$T/image-build.log" 2>&1 ||
		    die "podman build failed: $(tail -5 "$T/image-build.log")"
	done
	pm image prune -f >/dev/null 2>&1
	note "image $PM_IMAGE built in $(( $(date +%s) - _t0))s"
}

# pm_network NAME SUBNET BRIDGE: a podman network whose bridge is BRIDGE.
# podman numbers bridges (cni-podmanN, podmanN) by the networks of its own
# configuration, which is the test's alone: the next test run, or the
# machine's podman, would take the same name.  CNI (.conflist) or netavark
# (.json) configuration, whichever podman wrote.
pm_network() {
	pm network create --subnet "$2" "$1" >"$T/pm-net.log" 2>&1 ||
	    die "podman network create: $(cat "$T/pm-net.log")"
	if [ -f "$T/pm-net/$1.conflist" ]; then
		sed -i "s/\"bridge\": \"cni-podman[0-9]*\"/\"bridge\": \"$3\"/" \
		    "$T/pm-net/$1.conflist"
	elif [ -f "$T/pm-net/$1.json" ]; then
		sed -i "s/\"network_interface\": \"podman[0-9]*\"/\"network_interface\": \"$3\"/" \
		    "$T/pm-net/$1.json"
	fi
	grep -q "\"$3\"" "$T/pm-net/$1".* 2>/dev/null ||
	    die "cannot name the bridge of network $1 (in $T/pm-net)"
}

# pm_network_rm NAME BRIDGE: remove what pm_network made, and the bridge
# and address leases that CNI leaves behind.
pm_network_rm() {
	pm network rm -f "$1" >/dev/null 2>&1
	ip link delete "$2" 2>/dev/null
	rm -rf "/var/lib/cni/networks/$1"
}

# pm_state NAME: "STATUS EXITCODE" of container NAME.
pm_state() {
	pm inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$1" 2>/dev/null
}

# pm_pid NAME: the host pid of container NAME's first process.
pm_pid() {
	pm inspect -f '{{.State.Pid}}' "$1" 2>/dev/null
}

# in_net NAME CMD...: CMD from the host, in the network namespace of
# container NAME (as multichaind beside its sidecar).
in_net() {
	_inp=$(pm_pid "$1")
	shift
	[ -n "$_inp" ] && [ "$_inp" -gt 0 ] || return 125
	nsenter -t "$_inp" -n "$@"
}

# pm_logs NAME: save container NAME's output in $T/NAME.log.
pm_logs() {
	pm logs "$1" >"$T/$1.log" 2>&1
}
