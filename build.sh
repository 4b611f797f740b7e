#!/usr/bin/env bash
# build.sh - the only entry point: deps, build, kernel, image, run, test, bench, clean.
#
# Every subcommand runs `deps` first. Expensive results (static libraries,
# the kernel) are cached outside the tree in $BERTH_CACHE (default
# /var/cache/berth), keyed by their inputs; a warm run takes seconds.
# Each step prints one line with the elapsed time; a failed step prints the
# tail of its log and the log's path.
set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD=${BERTH_BUILD:-$TOP/build}
export BERTH_CACHE=${BERTH_CACHE:-/var/cache/berth}
export TOP
LOGS=$BUILD/logs
T0=$(date +%s%N)

# Debian packages the build, the appliance and the tests need.
APT_DEPS="build-essential musl-tools busybox-static qemu-system-x86 linux-source-6.1 flex bison bc
	libelf-dev libssl-dev cpio gzip xz-utils gperf autoconf automake libtool pkg-config dpkg-dev
	libcmocka-dev python3 iproute2 e2fsprogs kmod curl ca-certificates file bzip2"
# What `./build.sh bench` compares against.
APT_BENCH_DEPS="crun runc"

# ------------------------------------------------------------------ output

elapsed() {
	local now
	now=$(date +%s%N)
	printf '%6.1fs' "$(((now - T0) / 1000000))e-3"
}

say() { printf '[%s] %s\n' "$(elapsed)" "$*"; }

# step NAME CMD...: run CMD with its output in $LOGS/NAME.log.
step() {
	local name=$1 log=$LOGS/$1.log start now rc=0
	shift
	mkdir -p "$LOGS"
	start=$(date +%s%N)
	"$@" >"$log" 2>&1 || rc=$?
	now=$(date +%s%N)
	if [ "$rc" -ne 0 ]; then
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

# ------------------------------------------------------------------ deps

apt_missing() {
	local p missing=()
	for p in $*; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	echo "${missing[*]:-}"
}

deps_apt() {
	local missing
	missing=$(apt_missing "$APT_DEPS $APT_BUILD_DEPS $APT_KERNEL_DEPS ${1:-}")
	[ -z "$missing" ] && return 0
	[ "$(id -u)" = 0 ] || die "missing packages ($missing) and not root"
	echo "installing: $missing"
	apt-get update -qq
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
}

cmd_deps() {
	step deps-apt deps_apt "${EXTRA_APT:-}"
	step sysroot sysroot_build
	sysroot_env
}

#@@SYSROOT@@
#@@KERNEL@@

# ------------------------------------------------------------------ binary

berth_sources() {
	ls "$TOP"/runtime/*.c "$TOP"/init/*.c
}

berth_version() {
	git -C "$TOP" describe --always --dirty 2>/dev/null || echo dev
}

# One static, stripped musl binary. Small enough to rebuild whole.
build_berth() {
	local out=$BUILD/berth objdir=$BUILD/obj
	mkdir -p "$objdir"
	local cflags=(-std=gnu11 -D_GNU_SOURCE -Os -Wall -Wextra -Werror -Wno-unused-parameter -Wno-format-truncation
		-ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables
		-DBERTH_VERSION="\"$(berth_version)\"" -I"$SYSROOT/include/libnl3")
	# shellcheck disable=SC2086
	local objs=() src obj
	for src in $(berth_sources); do
		obj=$objdir/$(basename "$(dirname "$src")")_$(basename "${src%.c}").o
		objs+=("$obj")
		# shellcheck disable=SC2086
		musl-gcc "${cflags[@]}" $SYSROOT_CFLAGS -c "$src" -o "$obj" &
		[ "$(jobs -rp | wc -l)" -lt "$(nproc)" ] || wait -n
	done
	wait
	# shellcheck disable=SC2086
	musl-gcc -static -Wl,--gc-sections -s -o "$out.tmp" "${objs[@]}" $SYSROOT_LDFLAGS \
		$SYSROOT_LINK_ORDER
	mv "$out.tmp" "$out"
	ls -l "$out"
}

cmd_build() {
	step berth build_berth
}

# ------------------------------------------------------------------ kernel

# BERTH_KERNEL=path/to/vmlinuz (with BERTH_MODULES=lib/modules/VER) boots a
# distribution kernel instead of ours.
kernel_copy() {
	if [ -n "${BERTH_KERNEL:-}" ]; then
		[ -f "$BERTH_KERNEL" ] || die "BERTH_KERNEL=$BERTH_KERNEL: no such file"
		cp "$BERTH_KERNEL" "$BUILD/bzImage"
	else
		kernel_build
		cp "$KERNEL_IMAGE" "$BUILD/bzImage"
	fi
	ls -l "$BUILD/bzImage"
}

cmd_kernel() {
	mkdir -p "$BUILD"
	step kernel kernel_copy
}

# ------------------------------------------------------------------ image

# Copy a distribution kernel's modules that /etc/berth/modules names, with
# their dependencies, resolved by berth itself (the code PID 1 runs).
image_modules() {
	local stage=$1 src=$BERTH_MODULES ver dst
	ver=$(basename "$src")
	dst=$stage/lib/modules/$ver
	[ -f "$src/modules.dep" ] || depmod -b "$(dirname "$(dirname "$(dirname "$src")")")" "$ver" ||
		die "no modules.dep in $src and depmod failed"
	mkdir -p "$dst"
	local wanted list
	wanted=$(grep -v '^#' "$stage/etc/berth/modules" | tr '\n' ' ')
	# shellcheck disable=SC2086
	list=$("${BERTH_BIN:-$BUILD/berth}" modules --dir "$src" $wanted 2>"$LOGS/modules-missing.log") || true
	local m
	for m in $list; do
		mkdir -p "$dst/$(dirname "$m")"
		cp "$src/$m" "$dst/$m"
	done
	# A modules.dep with only what the image carries.
	grep -F -f <(printf '%s:\n' $list) "$src/modules.dep" >"$dst/modules.dep" || true
	cp "$src/modules.builtin" "$dst/" 2>/dev/null || : >"$dst/modules.builtin"
	echo "modules: $(echo "$list" | wc -w) copied for $ver"
}

image_rootfs() {
	local stage=$BUILD/rootfs
	rm -rf "$stage"
	mkdir -p "$stage"
	cp -a "$TOP/rootfs/." "$stage/"
	(cd "$stage" && mkdir -p bin sbin usr/bin usr/sbin lib dev proc sys run tmp root data \
		var/lib/berth/images var/log etc/berth)
	chmod 1777 "$stage/tmp"
	chmod 0700 "$stage/root"
	# busybox provides the shell tools.
	cp /bin/busybox "$stage/bin/busybox"
	local app
	for app in $(/bin/busybox --list-full); do
		case "$app" in sbin/init | linuxrc | bin/busybox) continue ;; esac
		[ -e "$stage/$app" ] || ln -s /bin/busybox "$stage/$app"
	done
	# berth: /usr/bin/berth, /sbin/init, and /init for the kernel.
	install -m 0755 "${BERTH_BIN:-$BUILD/berth}" "$stage/usr/bin/berth"
	ln -sf ../usr/bin/berth "$stage/sbin/init"
	ln -sf sbin/init "$stage/init"
	# Static iptables (legacy x_tables) for the notes' commands.
	install -m 0755 "$SYSROOT_XTABLES" "$stage/sbin/xtables-legacy-multi"
	for app in iptables iptables-save iptables-restore iptables-legacy iptables-legacy-save \
		iptables-legacy-restore; do
		ln -sf xtables-legacy-multi "$stage/sbin/$app"
	done
	mknod -m 600 "$stage/dev/console" c 5 1
	mknod -m 666 "$stage/dev/null" c 1 3
	[ -z "${BERTH_MODULES:-}" ] || image_modules "$stage"
	(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort |
		cpio -o -H newc -R 0:0 --quiet | gzip -9 -n) >"$BUILD/initramfs.cpio.gz.tmp"
	mv "$BUILD/initramfs.cpio.gz.tmp" "$BUILD/initramfs.cpio.gz"
	ls -l "$BUILD/initramfs.cpio.gz"
}

# build/qemu.sh boots the artifacts beside it; extra arguments go to QEMU.
image_qemu_script() {
	cat >"$BUILD/qemu.sh" <<'EOF'
#!/bin/sh
# Boots this directory's bzImage + initramfs.cpio.gz under QEMU (TCG, never
# KVM) with the serial console on stdio. Any arguments are appended to
# QEMU's. Environment: BERTH_APPEND (extra kernel parameters), BERTH_MEM
# (MiB, default 512), BERTH_HTTP_PORT (host side of hostfwd to guest port 80,
# default 8080; 0 disables it).
here=$(cd "$(dirname "$0")" && pwd)
port=${BERTH_HTTP_PORT:-8080}
fwd=
[ "$port" = 0 ] || fwd=",hostfwd=tcp:127.0.0.1:$port-:80"
exec qemu-system-x86_64 -machine q35 -accel tcg -cpu max -smp 2 -m "${BERTH_MEM:-512}" \
	-nographic -no-user-config -nodefaults -serial stdio \
	-kernel "$here/bzImage" -initrd "$here/initramfs.cpio.gz" \
	-append "console=ttyS0 quiet loglevel=5 panic=-1 ${BERTH_APPEND:-}" \
	-netdev "user,id=n0$fwd" -device virtio-net-pci,netdev=n0 \
	-device virtio-rng-pci -device i6300esb "$@"
EOF
	chmod +x "$BUILD/qemu.sh"
}

cmd_image() {
	step image-rootfs image_rootfs
	image_qemu_script
}

# ------------------------------------------------------------------ run

run_data_disk() {
	local img=$BUILD/data.img
	[ -f "$img" ] && return 0
	truncate -s 256M "$img.tmp"
	mkfs.ext4 -q -L berth-data "$img.tmp"
	mv "$img.tmp" "$img"
}

cmd_run() {
	step data-disk run_data_disk
	echo "Berth: serial console below. Quit QEMU with Ctrl-A then X; 'berth poweroff' shuts down cleanly."
	exec "$BUILD/qemu.sh" -drive "file=$BUILD/data.img,format=raw,if=virtio"
}

# ------------------------------------------------------------------ tests

UNIT_PASSED=0
UNIT_FAILED=0

# Unit tests: cmocka, against glibc, on the pure-logic modules.
unit_build_and_run() {
	local t name bin out pass fail srcs
	mkdir -p "$BUILD/unit"
	for t in "$TOP"/tests/unit/test_*.c; do
		name=$(basename "${t%.c}")
		bin=$BUILD/unit/$name
		# Each test names the sources it needs on a line "// sources: a.c b.c".
		srcs=$(sed -n 's|^// sources: ||p' "$t" | head -1)
		# shellcheck disable=SC2086
		gcc -std=gnu11 -D_GNU_SOURCE -g -O1 -Wall -Wextra -Werror -Wno-unused-parameter -Wno-format-truncation \
			-fsanitize=address,undefined -I"$TOP" -o "$bin" "$t" \
			$(for s in $srcs; do echo "$TOP/$s"; done) -lcmocka
		out=$(CMOCKA_MESSAGE_OUTPUT=stdout "$bin" 2>&1) || true
		echo "$out"
		pass=$(echo "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
		fail=$(echo "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -1)
		[ -n "$pass$fail" ] || fail=1 # crashed before reporting
		UNIT_PASSED=$((UNIT_PASSED + ${pass:-0}))
		UNIT_FAILED=$((UNIT_FAILED + ${fail:-0}))
	done
	echo "unit: $UNIT_PASSED passed, $UNIT_FAILED failed"
}

distro_kernel() {
	local dir=$BERTH_CACHE/distro pkg deb
	mkdir -p "$dir"
	pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
	[ -n "$pkg" ] || die "cannot find Debian's linux-image-amd64 (apt-get update?)"
	if [ ! -f "$dir/$pkg/.complete" ]; then
		rm -rf "${dir:?}/$pkg"
		mkdir -p "$dir/$pkg"
		(cd "$dir/$pkg" && apt-get download "$pkg" && dpkg-deb -x ./*.deb x && rm -f ./*.deb)
		local ver
		ver=$(ls "$dir/$pkg/x/lib/modules")
		depmod -b "$dir/$pkg/x" "$ver"
		touch "$dir/$pkg/.complete"
	fi
	local ver
	ver=$(ls "$dir/$pkg/x/lib/modules")
	echo "$dir/$pkg/x/boot/vmlinuz-$ver $dir/$pkg/x/lib/modules/$ver"
}

# The same appliance on Debian's kernel, in build/distro/.
build_distro_image() {
	local paths main=$BUILD
	paths=$(distro_kernel)
	# shellcheck disable=SC2086
	set -- $paths
	(
		BUILD=$main/distro BERTH_BIN=$main/berth BERTH_KERNEL=$1 BERTH_MODULES=$2
		mkdir -p "$BUILD"
		kernel_copy
		image_rootfs
		image_qemu_script
	)
}

cmd_test() {
	cmd_build
	cmd_kernel
	cmd_image
	step distro-image build_distro_image
	local rc=0
	step unit unit_build_and_run || rc=$?
	grep -E '^\[  (FAILED|  OK  |RUN|PASSED)' "$LOGS/unit.log" | grep -v '^\[ RUN' |
		grep -E 'FAILED' | sed 's/^/    /' || true
	say "unit: $UNIT_PASSED passed, $UNIT_FAILED failed"
	python3 "$TOP/tests/run.py" --build "$BUILD" --unit-passed "$UNIT_PASSED" \
		--unit-failed "$UNIT_FAILED" "$@" || rc=1
	return $rc
}

cmd_bench() {
	EXTRA_APT="$APT_BENCH_DEPS" step deps-bench deps_apt "$APT_BENCH_DEPS"
	cmd_build
	cmd_kernel
	cmd_image
	python3 "$TOP/tests/bench.py" --build "$BUILD" "$@"
}

cmd_clean() {
	rm -rf "$BUILD"
	say "removed $BUILD (the cache in $BERTH_CACHE stays; remove it by hand to rebuild all)"
}

usage() {
	cat <<EOF
usage: ./build.sh COMMAND
  deps     install Debian packages and build the static musl sysroot
  build    build build/berth
  kernel   build build/bzImage (cached by config hash)
  image    build build/initramfs.cpio.gz and build/qemu.sh
  run      build what is stale and boot the appliance in QEMU
  test     build everything and run unit, host and appliance tests
  bench    run the benchmarks (figures go to docs/figures.md by hand)
  clean    remove build/
EOF
}

main() {
	local cmd=${1:-}
	[ -n "$cmd" ] || {
		usage
		exit 2
	}
	shift
	case "$cmd" in
	deps | build | kernel | image | run | test | bench | clean) ;;
	-h | --help | help)
		usage
		exit 0
		;;
	*)
		usage >&2
		exit 2
		;;
	esac
	mkdir -p "$BUILD"
	cmd_deps
	case "$cmd" in
	deps) ;;
	build) cmd_build ;;
	kernel) cmd_kernel ;;
	image)
		cmd_build
		cmd_kernel
		cmd_image
		;;
	run)
		cmd_build
		cmd_kernel
		cmd_image
		cmd_run
		;;
	test) cmd_test "$@" ;;
	bench) cmd_bench "$@" ;;
	clean) cmd_clean ;;
	esac
}

main "$@"
