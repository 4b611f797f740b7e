# shellcheck shell=bash
# mk/berth.sh - build/berth: one static, stripped musl binary, small enough
# to rebuild whole. Same commit, same bytes: the version comes from git,
# source paths are mapped to the tree's root.

# BERTH_VERSION, or the git description: the latest tag's, or without
# tags 0.0.COMMITS-gHASH (it grows with every commit: the update bundles'
# version floor compares versions as strverscmp does).
berth_version() {
	local n h
	if [[ -n ${BERTH_VERSION:-} ]]; then
		printf '%s\n' "$BERTH_VERSION"
	elif git -C "$TOP" describe --tags --dirty 2>/dev/null; then
		:
	elif n=$(git -C "$TOP" rev-list --count HEAD 2>/dev/null) &&
		h=$(git -C "$TOP" describe --always --dirty 2>/dev/null); then
		printf '0.0.%s-g%s\n' "$n" "$h"
	else
		echo dev
	fi
}

build_berth() {
	local out=$BUILD/berth objdir=$BUILD/obj objs=() pids=() src obj rc=0 jobs
	local cflags=(-std=gnu11 -D_GNU_SOURCE -Os -Wall -Wextra -Werror -Wno-unused-parameter
		-Wno-format-truncation -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables
		-iquote "$TOP" "-ffile-prefix-map=$TOP/=" -DBERTH_VERSION="\"$(berth_version)\"")
	jobs=$(nproc)
	rm -rf "$objdir"
	mkdir -p "$objdir"
	for src in $(cd "$TOP" && find runtime init -name '*.c' | LC_ALL=C sort); do
		obj=$objdir/$(tr / _ <<<"${src%.c}").o
		src=$TOP/$src
		objs+=("$obj")
		# shellcheck disable=SC2086 # SYSROOT_CFLAGS is a list of flags
		musl-gcc "${cflags[@]}" $SYSROOT_CFLAGS -c "$src" -o "$obj" &
		pids+=($!)
		if [[ ${#pids[@]} -ge $jobs ]]; then
			wait "${pids[0]}" || rc=1
			pids=("${pids[@]:1}")
		fi
	done
	for src in "${pids[@]}"; do
		wait "$src" || rc=1
	done
	[[ $rc -eq 0 ]] || return 1
	# shellcheck disable=SC2086 # lists of flags
	musl-gcc -static -Wl,--gc-sections -Wl,--build-id=none -s -o "$out.tmp" "${objs[@]}" \
		$SYSROOT_LDFLAGS $SYSROOT_LIBS
	mv "$out.tmp" "$out"
	ls -l "$out"
}

cmd_build() {
	step berth build_berth
}
