#!/usr/bin/env bash
# build.sh - the only entry point. The stages live in mk/:
#   mk/common.sh   output helpers, the Debian package list, `deps`
#   mk/fetch.sh    deps.lock: pinned, hash-checked downloads; `lock`
#   mk/sysroot.sh  static musl libraries from the locked Debian sources
#   mk/kernel.sh   the appliance kernel (and Debian's, for module tests)
#   mk/berth.sh    build/berth
#   mk/image.sh    build/initramfs.cpio.gz, build/qemu.sh; `run`
#   mk/test.sh     `test`
#   mk/bench.sh    `bench`
# Every command runs `deps` first. Expensive results (sysroot, kernel) are
# cached outside the tree in $BERTH_CACHE (default /var/cache/berth), keyed
# by their inputs; a warm run takes seconds. Each step prints one line with
# its time; a failed step prints the tail of its log and the log's path.
set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD=${BERTH_BUILD:-$TOP/build}
BERTH_CACHE=${BERTH_CACHE:-/var/cache/berth}
BERTH_BIN=${BERTH_BIN:-$BUILD/berth}
LOGS=$BUILD/logs
T0=$(date +%s%N)
export TOP BERTH_CACHE

# shellcheck source=mk/common.sh
. "$TOP/mk/common.sh"
# shellcheck source=mk/fetch.sh
. "$TOP/mk/fetch.sh"
# shellcheck source=mk/sysroot.sh
. "$TOP/mk/sysroot.sh"
# shellcheck source=mk/kernel.sh
. "$TOP/mk/kernel.sh"
# shellcheck source=mk/berth.sh
. "$TOP/mk/berth.sh"
# shellcheck source=mk/image.sh
. "$TOP/mk/image.sh"
# shellcheck source=mk/test.sh
. "$TOP/mk/test.sh"
# shellcheck source=mk/bench.sh
. "$TOP/mk/bench.sh"
# shellcheck source=mk/fuzz.sh
. "$TOP/mk/fuzz.sh"

usage() {
	cat <<EOF
usage: ./build.sh COMMAND
  deps     install Debian packages, fetch the locked sources, build the sysroot
  fetch    download and hash-check the sources in deps.lock (or the NAMEs given)
  lock     pin the newest downloadable version of each source in deps.lock
  build    build build/berth
  kernel   build build/bzImage (cached by config and source)
  image    build build/initramfs.cpio.gz and build/qemu.sh
  run      build what is stale and boot the appliance in QEMU
  test     build everything and run unit, fuzz, host and appliance tests
  bench    run the benchmarks (figures go to docs/figures.md by hand)
  fuzz     run every fuzzer longer: ./build.sh fuzz [SECONDS] [NAME...];
           minimised corpora are written back to tests/fuzz/corpus
  clean    remove build/
EOF
}

# fetch NAME...: the named lock entries only.
cmd_fetch() {
	local name kind
	[[ $# -gt 0 ]] || {
		step fetch fetch_all
		return
	}
	for name in "$@"; do
		kind=$(awk -v n="$name" '$2 == n { print $1; exit }' "$LOCK_FILE")
		[[ -n $kind ]] || die "deps.lock has no entry $name"
		_fetch_ensure "$kind" "$name" || die "fetch $name failed"
	done
}

main() {
	local cmd=${1:-}
	[[ $# -eq 0 ]] || shift
	case $cmd in
	deps | fetch | lock | build | kernel | image | run | test | bench | fuzz) ;;
	clean)
		rm -rf "$BUILD"
		echo "removed $BUILD (the cache in $BERTH_CACHE stays; remove it by hand to rebuild all)"
		return 0
		;;
	-h | --help | help)
		usage
		return 0
		;;
	*)
		usage >&2
		return 2
		;;
	esac
	mkdir -p "$BUILD"
	step deps-apt deps_apt
	case $cmd in
	fetch)
		cmd_fetch "$@"
		return
		;;
	lock)
		lock_refresh
		return
		;;
	esac
	cmd_deps
	case $cmd in
	build) cmd_build ;;
	kernel) cmd_kernel ;;
	image | run)
		cmd_build
		cmd_kernel
		cmd_image
		[[ $cmd == image ]] || cmd_run
		;;
	test) cmd_test "$@" ;;
	bench) cmd_bench "$@" ;;
	fuzz) cmd_fuzz "$@" ;;
	esac
}

main "$@"
