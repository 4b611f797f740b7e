# shellcheck shell=bash
# mk/common.sh - output helpers and the one list of Debian packages.

# Every Debian package the build, the appliance, the tests and the
# benchmarks use, installed by `./build.sh deps` (any command runs it).
# Sources of what goes into the appliance (libraries, kernel, busybox) are
# not here: they are pinned in deps.lock (mk/fetch.sh).
APT_PACKAGES=(
	# toolchain: gcc for the kernel and host tools, musl-gcc for berth and
	# the sysroot, autotools/gperf/flex/bison for the libraries' builds,
	# dpkg-source (dpkg-dev) and the kernel UAPI headers
	build-essential musl-tools linux-libc-dev dpkg-dev gperf autoconf automake libtool
	pkg-config flex bison bc libelf-dev libssl-dev xz-utils bzip2 zstd cpio gzip
	# the appliance: QEMU (TCG), e2fsprogs for the data disk, kmod's depmod for
	# the distribution kernel's modules
	qemu-system-x86 e2fsprogs kmod
	# the UEFI disk image (mk/disk.sh): GPT (fdisk's sfdisk), the ESP
	# (dosfstools, mtools: no loop mount), Secure Boot signing (sbsigntool),
	# the firmware for --uefi boots and their tests (ovmf)
	fdisk dosfstools mtools sbsigntool ovmf
	# tests: cmocka, clang + libFuzzer, python3, shellcheck; busybox-static
	# for the host tests' root filesystems; iproute2, iptables (what
	# `berth daemon` runs on a host) and curl for network tests; skopeo
	# reads what `berth save` writes
	libcmocka-dev libjansson-dev libyaml-dev nettle-dev clang libclang-rt-14-dev python3
	shellcheck busybox-static iproute2 iptables curl ca-certificates file skopeo
	# registry tests and bench: the reference registry, htpasswd for its Basic auth,
	# GNU time for peak RSS
	docker-registry apache2-utils time
	# bench: the runtimes berth is compared with
	crun runc
	# the Secure Boot check's fuzzer (fuzz_sbcheck): mbedTLS's X.509 on the host
	libmbedtls-dev
	# bench: the start path's profile (strace -c), the namespace floor (util-linux unshare)
	strace util-linux
	# the OCI runtime's clients in tests/host/test_oci_clients.py
	containerd podman conmon
	# podman's own network (CNI bridge + portmap) for the published port test
	containernetworking-plugins
)

elapsed() {
	local now
	now=$(date +%s%N)
	printf '%6.1fs' "$(((now - T0) / 1000000))e-3"
}

say() { printf '[%s] %s\n' "$(elapsed)" "$*"; }

# step NAME CMD...: run CMD with its output in $LOGS/NAME.log; one line with
# the time it took, or the tail of the log when it failed.
step() {
	local name=$1 log=$LOGS/$1.log start now rc=0
	shift
	mkdir -p "$LOGS"
	start=$(date +%s%N)
	# A background subshell, so `set -e` still applies inside "$@".
	(
		set -e
		"$@"
	) >"$log" 2>&1 &
	wait $! || rc=$?
	now=$(date +%s%N)
	if [[ $rc -ne 0 ]]; then
		say "$name: FAILED after $(((now - start) / 1000000)) ms (exit $rc)"
		tail -n 40 "$log" | sed 's/^/    /'
		echo "    (full log: $log)"
		return "$rc"
	fi
	say "$name: ok ($(((now - start) / 1000000)) ms)"
}

die() {
	echo "build.sh: $*" >&2
	exit 1
}

deps_apt() {
	local missing
	mapfile -t missing < <(dpkg-query -W -f='${Package} ${Status}\n' "${APT_PACKAGES[@]}" 2>&1 |
		awk '/^dpkg-query: no packages found matching / { print $NF; next }
			$NF != "installed" { print $1 }')
	[[ ${#missing[@]} -eq 0 ]] && return 0
	[[ $(id -u) == 0 ]] || die "missing packages (${missing[*]}) and not root"
	echo "installing: ${missing[*]}"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# After deps_apt: every locked source fetched and verified, the sysroot.
cmd_deps() {
	step fetch fetch_all
	step sysroot sysroot_build
	sysroot_export
}
