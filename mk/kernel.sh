# shellcheck shell=bash
# mk/kernel.sh - the appliance kernel, from the linux-source-6.1 package
# pinned in deps.lock:
#   make tinyconfig; merge_config.sh -m kernel-config/berth.config;
#   make olddefconfig; check every option of the fragment survived;
#   make bzImage
# Cached in $BERTH_CACHE/kernel/KEY (KEY: fragment, locked source, compiler).
# Cold: ~25 s to extract the source, ~8-9 min to build on 2 cores; warm:
# instant. Builders sharing one cache wait for each other per key; a shared
# lock keeps the extracted source from being replaced under a running build.
# The build tree ($BERTH_CACHE/kernel-build/KEY, ~230 MB) is kept for
# incremental rebuilds and may be deleted at any time.
#
#   kernel_build           sets KERNEL_IMAGE (the cached bzImage)
#   kernel_gen_init_cpio   sets GEN_INIT_CPIO (the source tree's
#                          usr/gen_init_cpio, built once for this host)
#   kernel_copy DIR        DIR/bzImage: ours, or BERTH_KERNEL's
#   distro_kernel          Debian's kernel package from deps.lock, unpacked;
#                          prints "VMLINUZ MODULES_DIR"

KERNEL_FRAGMENT=$TOP/kernel-config/berth.config

kernel_key() {
	local lock ccver
	lock=$(lock_line deb linux-source-6.1) || return 1
	ccver=$(gcc --version | head -1)
	{
		cat "$KERNEL_FRAGMENT"
		printf '\n--\n%s\n%s\n' "$lock" "$ccver"
	} | sha256sum | cut -c1-16
}

# kernel_check_config FRAGMENT FINAL_CONFIG: every CONFIG_X=value line of
# the fragment is in the final .config (olddefconfig silently drops options
# whose dependencies are missing); "is not set" lines that ended up enabled
# anyway (selected by something else) are only warned about.
kernel_check_config() {
	local frag=$1 final=$2 line sym want got dropped="" forced=""
	while IFS= read -r line || [[ -n $line ]]; do
		case $line in
		CONFIG_*=*) sym=${line%%=*} want=${line#*=} ;;
		"# CONFIG_"*" is not set") sym=${line#\# } sym=${sym%% *} want=n ;;
		*) continue ;;
		esac
		got=$(grep -m1 -E "^(${sym}=|# ${sym} is not set\$)" "$final") || got=
		case $got in
		"$sym="*) got=${got#*=} ;;
		*) got=n ;;
		esac
		[[ $got == "$want" ]] && continue
		if [[ $want == n ]]; then
			forced+="  $sym: requested off, got $got"$'\n'
		else
			dropped+="  $sym: requested $want, got $got"$'\n'
		fi
	done <"$frag"
	[[ -z $forced ]] || printf 'kernel config: warning: options forced on despite %s:\n%s' \
		"$frag" "$forced" >&2
	if [[ -n $dropped ]]; then
		printf 'kernel config: options requested in %s were dropped by olddefconfig (missing dependency?):\n%s' \
			"$frag" "$dropped" >&2
		return 1
	fi
}

# _kernel_src: the locked kernel source, extracted once into
# $BERTH_CACHE/kernel-src/linux-source-6.1 (stamped with its lock line);
# prints its path. The caller holds $BERTH_CACHE/kernel-src/.lock on fd 8
# (shared); this takes it exclusively only to (re-)extract.
_kernel_src() {
	local root=$BERTH_CACHE/kernel-src lock deb src tmp
	lock=$(lock_line deb linux-source-6.1) || return 1
	src=$root/linux-source-6.1
	if [[ $(cat "$src/.berth-lock" 2>/dev/null) != "$lock" ]]; then
		flock -x 8 || return 1
		if [[ $(cat "$src/.berth-lock" 2>/dev/null) != "$lock" ]]; then
			deb=$(fetch_deb linux-source-6.1) || return 1
			tmp=$(mktemp -d "$root/.extract.XXXXXX") || return 1
			echo "kernel: extracting the source from ${deb##*/}" >&2
			if ! dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/src/linux-source-6.1.tar.xz |
				tar -C "$tmp" -xJ || [[ ! -f $tmp/linux-source-6.1/Makefile ]]; then
				echo "kernel: extracting ${deb##*/} failed" >&2
				rm -rf "$tmp"
				return 1
			fi
			printf '%s\n' "$lock" >"$tmp/linux-source-6.1/.berth-lock"
			rm -rf "$src" && mv "$tmp/linux-source-6.1" "$src" && rmdir "$tmp" || return 1
		fi
		flock -s 8 || return 1
	fi
	printf '%s\n' "$src"
}

# _kernel_build_cold KEY: configure, check and build into the cache (a
# subshell: cd, the lock fds and die stay local).
_kernel_build_cold() (
	key=$1
	out=$BERTH_CACHE/kernel/$key bld=$BERTH_CACHE/kernel-build/$key
	mk=(make -s ARCH=x86_64 CC=gcc KBUILD_BUILD_USER=berth KBUILD_BUILD_HOST=berth)
	die() {
		echo "kernel: $*" >&2
		exit 1
	}
	mkdir -p "$BERTH_CACHE/kernel" "$BERTH_CACHE/kernel-build" "$BERTH_CACHE/kernel-src" ||
		die "cannot create $BERTH_CACHE"
	exec 9>"$BERTH_CACHE/kernel-build/$key.lock" || die "cannot open lock"
	flock -x 9 || die "flock $key"
	[[ -f $out/bzImage ]] && exit 0
	exec 8>"$BERTH_CACHE/kernel-src/.lock" || die "cannot open source lock"
	flock -s 8 || die "flock source"
	src=$(_kernel_src) || die "kernel source not available"
	mkdir -p "$bld" || die "mkdir $bld"
	cd "$src" || die "cd $src"
	# uname -v shows the source's date, not the build's, and always "#1"
	# (the build counter would count incremental rebuilds): reproducible.
	mk+=(KBUILD_BUILD_TIMESTAMP="$(date -u -r Makefile '+%Y-%m-%d')" KBUILD_BUILD_VERSION=1)
	"${mk[@]}" O="$bld" tinyconfig || die "make tinyconfig failed"
	scripts/kconfig/merge_config.sh -m -O "$bld" "$bld/.config" "$KERNEL_FRAGMENT" >/dev/null ||
		die "merge_config.sh failed"
	"${mk[@]}" O="$bld" olddefconfig || die "make olddefconfig failed"
	kernel_check_config "$KERNEL_FRAGMENT" "$bld/.config" || die "config check failed"
	"${mk[@]}" O="$bld" -j"$(nproc)" bzImage || die "make bzImage failed"
	kernel_check_config "$KERNEL_FRAGMENT" "$bld/.config" || die "config check failed after build"
	[[ -s $bld/arch/x86/boot/bzImage ]] || die "no bzImage produced"
	tmp=$(mktemp -d "$BERTH_CACHE/kernel/.$key.XXXXXX") || die "mktemp"
	if ! cp "$bld/arch/x86/boot/bzImage" "$bld/.config" "$tmp/" || ! chmod 755 "$tmp"; then
		rm -rf "$tmp"
		die "copying results failed"
	fi
	mv "$tmp/.config" "$tmp/config"
	rm -rf "$out"
	mv "$tmp" "$out" || die "cannot move results into $out"
)

kernel_build() {
	local key
	key=$(kernel_key) || return 1
	if [[ ! -f $BERTH_CACHE/kernel/$key/bzImage ]]; then
		_kernel_build_cold "$key" || {
			echo "kernel: build failed (key $key)" >&2
			return 1
		}
	fi
	KERNEL_IMAGE=$BERTH_CACHE/kernel/$key/bzImage
}

# The kernel tree's cpio writer: the initramfs is made from a list (owners,
# modes, device nodes, mtimes all stated), with no mknod and no dependence on
# who builds it.
kernel_gen_init_cpio() {
	local src lock sum
	lock=$(lock_line deb linux-source-6.1) || return 1
	sum=$(printf '%s' "$lock" | sha256sum)
	GEN_INIT_CPIO=$BERTH_CACHE/kernel-src/gen_init_cpio-${sum:0:16}
	[[ -x $GEN_INIT_CPIO ]] && return 0
	mkdir -p "$BERTH_CACHE/kernel-src"
	src=$(
		exec 8>"$BERTH_CACHE/kernel-src/.lock" && flock -s 8 && _kernel_src
	) || return 1
	gcc -O2 -o "$GEN_INIT_CPIO.tmp" "$src/usr/gen_init_cpio.c" &&
		mv "$GEN_INIT_CPIO.tmp" "$GEN_INIT_CPIO"
}

# kernel_copy DIR [VMLINUZ]: DIR/bzImage, ours or VMLINUZ. BERTH_KERNEL=
# path/to/vmlinuz (with BERTH_MODULES=lib/modules/VER) boots a distribution
# kernel instead of ours.
kernel_copy() {
	local dir=$1 kernel=${2:-${BERTH_KERNEL:-}}
	if [[ -n $kernel ]]; then
		[[ -f $kernel ]] || die "$kernel: no such file"
		cp "$kernel" "$dir/bzImage"
	else
		kernel_build
		cp "$KERNEL_IMAGE" "$dir/bzImage"
	fi
	ls -l "$dir/bzImage"
}

distro_kernel() {
	local deb line dir ver
	deb=$(fetch_deb linux-image-amd64) || return 1
	line=$(lock_line deb linux-image-amd64)
	read -r _ _ ver _ <<<"$line"
	dir=$BERTH_CACHE/distro/$(basename "$deb" .deb)
	if [[ ! -f $dir/.complete ]]; then
		rm -rf "$dir"
		mkdir -p "$dir"
		dpkg-deb -x "$deb" "$dir/x" >&2
		depmod -b "$dir/x" "$(ls "$dir/x/lib/modules")" >&2
		touch "$dir/.complete"
	fi
	ver=$(ls "$dir/x/lib/modules")
	echo "$dir/x/boot/vmlinuz-$ver $dir/x/lib/modules/$ver"
}

cmd_kernel() {
	mkdir -p "$BUILD"
	step kernel kernel_copy "$BUILD"
}
