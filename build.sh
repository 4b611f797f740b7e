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
	libcmocka-dev libjansson-dev libyaml-dev nettle-dev clang libclang-rt-14-dev python3 iproute2 e2fsprogs kmod curl ca-certificates file bzip2
	skopeo"
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
	# A background subshell, so `set -e` still applies inside "$@".
	(
		set -e
		"$@"
	) >"$log" 2>&1 &
	wait $! || rc=$?
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

# ------------------------------------------------------------------ sysroot

# shellcheck shell=bash disable=SC2153
# Berth sysroot: static musl libraries built from Debian source packages.
#
# Pasted into build.sh. Defines functions and variables only; safe under
# `set -euo pipefail`; never calls `exit`. Progress goes to stderr and tool
# output to stdout/stderr (build.sh sends both to its log). The only thing
# any function prints to stdout on purpose is noted below.
#
#   sysroot_apt_setup     private deb-src index under $BERTH_CACHE/apt
#                         (apt-get update when missing or > 7 days old)
#   sysroot_fetch PKG     download + dpkg-source -x Debian source package PKG
#                         (once); prints the unpacked dir
#   sysroot_build         build every SYSROOT_RECIPES line (once, resumable)
#                         into $BERTH_CACHE/sysroot/<key>/; exports SYSROOT and
#                         the variables below; prints $SYSROOT
#   sysroot_flags [WHAT]  print the flags (WHAT: cflags ldflags libs iptc-libs
#                         xtables; none = VAR='value' lines for eval)
#   sysroot_prune         remove sysroots and build trees other than $SYSROOT
#
# Exported by sysroot_build (and sysroot_flags):
#   SYSROOT            $BERTH_CACHE/sysroot/<key>
#   SYSROOT_CFLAGS     -I$SYSROOT/include -I$SYSROOT/include/libnl3 -idirafter $SYSROOT/kinc
#   SYSROOT_LDFLAGS    -L$SYSROOT/lib
#   SYSROOT_LIBS       -lnl-route-3 -lnl-3 -lseccomp -lcap -lyaml -ljansson -larchive -lz -lnettle
#   SYSROOT_IPTC_LIBS  -lip4tc -lip6tc -lxtables (optional; put before SYSROOT_LIBS)
#   SYSROOT_XTABLES    $SYSROOT/sbin/xtables-legacy-multi (static, stripped)
# Link with: musl-gcc -static $SYSROOT_CFLAGS ... $SYSROOT_LDFLAGS $SYSROOT_LIBS
#
# Knobs: BERTH_CACHE (default /var/cache/berth), SYSROOT_JOBS (default nproc),
# SYSROOT_APT_MAX_AGE (days, default 7), SYSROOT_BUILD_CFLAGS (extra CFLAGS for
# the library builds; part of the key).

# Debian packages the functions below need (apt-get install -y $APT_BUILD_DEPS):
# gcc/make/binutils, musl-gcc, gperf (libseccomp), autotools (every autotools
# recipe is autoreconf'ed), flex+bison (libnl3), dpkg-source (dpkg-dev; it
# pulls in patch), kernel UAPI headers, xz/bzip2 for the source tarballs.
# flock and unshare come from util-linux (essential).
# shellcheck disable=SC2034
APT_BUILD_DEPS="build-essential musl-tools gperf autoconf automake libtool pkg-config dpkg-dev flex bison linux-libc-dev xz-utils bzip2"

# One line per library, built in this order:
#   NAME|DEBIAN_SOURCE_PACKAGE|BUILDER|ARGS
# BUILDER "auto" = generic autotools build (autoreconf -fi, like Debian;
# configure; CC=musl-gcc --prefix=$SYSROOT --disable-shared --enable-static;
# make; make install) with ARGS appended to configure. Any other BUILDER names
# a function sysroot_build_<BUILDER> that gets ARGS as its arguments.
# ARGS are split on whitespace (no quoting). Later lines may use earlier ones
# (libarchive finds zlib in the sysroot). Editing this table changes the key,
# so the next sysroot_build builds a new sysroot.
#   nettle      sha256 etc. only: no hogweed/gmp; fat = runtime SHA-NI pick
#   libnl3      also installs libnl-genl/nf/idiag/xfrm (unused, harmless)
#   libarchive  tar + gzip (zlib) only
#   iptables    legacy only; --enable-devel installs xtables.h + libiptc/*.h;
#               no libnetfilter_conntrack (connlabel) in the sysroot
# shellcheck disable=SC2034
SYSROOT_RECIPES=(
	"zlib|zlib|zlib|--static"
	"nettle|nettle|auto|--disable-openssl --disable-documentation --disable-public-key --enable-fat"
	"libnl3|libnl3|auto|--disable-cli --disable-debug"
	"libseccomp|libseccomp|auto|--disable-python"
	"libcap|libcap2|libcap|"
	"libyaml|libyaml|auto|"
	"jansson|jansson|auto|"
	"libarchive|libarchive|auto|--without-xml2 --without-expat --without-openssl --without-mbedtls --without-nettle --without-bz2lib --without-lzma --without-zstd --without-lz4 --without-lzo2 --without-libb2 --without-cng --without-iconv --disable-acl --disable-xattr --disable-posix-regex-lib --disable-bsdtar --disable-bsdcpio --disable-bsdcat --with-zlib"
	"iptables|iptables|iptables|--disable-nftables --disable-connlabel --disable-bpf-compiler --disable-nfsynproxy --disable-libipq --enable-devel"
)

# Link order for the main build (static: users before providers).
SYSROOT_LINK_ORDER="-lnl-route-3 -lnl-3 -lseccomp -lcap -lyaml -ljansson -larchive -lz -lnettle"

# ---------------------------------------------------------------- apt (deb-src)

_sysroot_cache() { printf '%s\n' "${BERTH_CACHE:-/var/cache/berth}"; }

_sysroot_log() { printf 'sysroot: %s\n' "$*" >&2; }

# apt-get/apt-cache with the private deb-src index; never touches the system's
# lists, caches or sources.
_sysroot_apt() {
	local tool=$1 dir
	shift
	dir="$(_sysroot_cache)/apt"
	"$tool" -q \
		-o Dir::Etc::SourceList="$dir/sources.list" \
		-o Dir::Etc::SourceParts="$dir/sources.list.d" \
		-o Dir::State::Lists="$dir/lists" \
		-o Dir::Cache::pkgcache="$dir/pkgcache.bin" \
		-o Dir::Cache::srcpkgcache="$dir/srcpkgcache.bin" \
		-o APT::Sandbox::User=root \
		"$@"
}

# Print deb-src lines for the system's Debian sources (deb822 files and the
# one-line sources.list), falling back to deb.debian.org bookworm.
_sysroot_src_lines() {
	local f out=""
	for f in /etc/apt/sources.list.d/*.sources; do
		[[ -r $f ]] || continue
		out+=$(awk '
			function flush(   i, j, n, m, u, s, opt) {
				if (types ~ /(^| )deb( |$)/ && uris != "" && suites != "") {
					n = split(uris, u, " "); m = split(suites, s, " ")
					opt = (signed ~ /^\//) ? "[signed-by=" signed "] " : ""
					for (i = 1; i <= n; i++) for (j = 1; j <= m; j++)
						print "deb-src " opt u[i] " " s[j] " " comps
				}
				types = uris = suites = comps = signed = ""; enabled = 1
			}
			BEGIN { enabled = 1 }
			/^[ \t]*#/ { next }
			/^[ \t]*$/ { if (enabled) flush(); else { types = ""; enabled = 1 } next }
			/^[ \t]/ { next }
			{
				k = tolower($1); sub(/:$/, "", k); v = $0
				sub(/^[^:]*:[ \t]*/, "", v); gsub(/[ \t]+/, " ", v); sub(/ $/, "", v)
				if (k == "types") types = v
				else if (k == "uris") uris = v
				else if (k == "suites") suites = v
				else if (k == "components") comps = v
				else if (k == "signed-by") signed = v
				else if (k == "enabled" && tolower(v) == "no") enabled = 0
			}
			END { if (enabled) flush() }
		' "$f" | grep -E ' (bookworm|stable)(-updates|-security|/updates)? ' || true)
		out+=$'\n'
	done
	if [[ -r /etc/apt/sources.list ]]; then
		out+=$(sed -nE 's/^[ \t]*deb[ \t]+/deb-src /p' /etc/apt/sources.list |
			grep -E ' (bookworm|stable)(-updates|-security|/updates)? ' || true)
		out+=$'\n'
	fi
	out=$(printf '%s\n' "$out" | sed '/^$/d' | awk '!seen[$0]++')
	if [[ -z $out ]]; then
		out="deb-src http://deb.debian.org/debian bookworm main
deb-src http://deb.debian.org/debian bookworm-updates main
deb-src http://deb.debian.org/debian-security bookworm-security main"
	fi
	printf '%s\n' "$out"
}

# Private deb-src index under $BERTH_CACHE/apt; `apt-get update` only when the
# lists are missing or older than SYSROOT_APT_MAX_AGE days (default 7). If the
# refresh fails but older lists exist, carry on with those.
sysroot_apt_setup() {
	local dir lines stamp age=${SYSROOT_APT_MAX_AGE:-7}
	dir="$(_sysroot_cache)/apt"
	mkdir -p "$dir/lists/partial" "$dir/sources.list.d"
	lines=$(_sysroot_src_lines)
	if [[ ! -f $dir/sources.list ]] || [[ $(<"$dir/sources.list") != "$lines" ]]; then
		printf '%s\n' "$lines" >"$dir/sources.list.tmp"
		mv -f "$dir/sources.list.tmp" "$dir/sources.list"
		rm -f "$dir/updated"
	fi
	stamp="$dir/updated"
	if [[ -f $stamp ]] && [[ -z $(find "$stamp" -mtime "+$((age - 1))" 2>/dev/null) ]] &&
		compgen -G "$dir/lists/*Sources*" >/dev/null; then
		return 0
	fi
	_sysroot_log "apt-get update (private deb-src lists in $dir)"
	if _sysroot_apt apt-get update; then
		touch "$stamp"
		rm -f "$dir/versions"
	elif compgen -G "$dir/lists/*Sources*" >/dev/null; then
		_sysroot_log "warning: apt-get update failed; using the old lists"
	else
		_sysroot_log "error: apt-get update failed and there are no lists"
		return 1
	fi
}

# Newest version of source package $1 in the private index (cached in
# $BERTH_CACHE/apt/versions until the next update, so warm runs stay fast).
_sysroot_src_version() {
	local pkg=$1 dir v best=""
	dir="$(_sysroot_cache)/apt"
	if [[ -f $dir/versions ]]; then
		v=$(awk -v p="$pkg" '$1 == p { print $2; exit }' "$dir/versions")
		if [[ -n $v ]]; then
			printf '%s\n' "$v"
			return 0
		fi
	fi
	while read -r v; do
		if [[ -z $best ]] || dpkg --compare-versions "$v" gt "$best"; then
			best=$v
		fi
	done < <(_sysroot_apt apt-cache showsrc --only-source "$pkg" 2>/dev/null |
		awk -v p="$pkg" '/^Package: / { ok = ($2 == p) } ok && /^Version: / { print $2 }')
	if [[ -z $best ]]; then
		_sysroot_log "error: no source package '$pkg' in the deb-src index"
		return 1
	fi
	printf '%s %s\n' "$pkg" "$best" >>"$dir/versions"
	printf '%s\n' "$best"
}

# Download (once) and unpack with Debian patches applied (once) source package
# $1 into $BERTH_CACHE/src/PKG-VERSION (VERSION without epoch); echo that dir.
sysroot_fetch() {
	local pkg=$1 src ver nover dsc dest tmp
	src="$(_sysroot_cache)/src"
	mkdir -p "$src"
	sysroot_apt_setup
	ver=$(_sysroot_src_version "$pkg")
	nover=${ver#*:}
	dsc="$src/${pkg}_${nover}.dsc"
	dest="$src/$pkg-$nover"
	if [[ ! -f $dsc ]]; then
		# Download into a scratch dir and move the .dsc in last, so an
		# interrupted download never looks complete.
		_sysroot_log "fetch $pkg $ver"
		tmp="$src/.download-$pkg"
		rm -rf "$tmp"
		mkdir -p "$tmp"
		(cd "$tmp" && _sysroot_apt apt-get source --download-only "$pkg=$ver") >&2 ||
			{ _sysroot_log "error: apt-get source $pkg=$ver failed"; return 1; }
		[[ -f $tmp/${dsc##*/} ]] || { _sysroot_log "error: ${dsc##*/} missing after download"; return 1; }
		find "$tmp" -maxdepth 1 -type f ! -name '*.dsc' -exec mv -f {} "$src/" \;
		mv -f "$tmp/${dsc##*/}" "$dsc"
		rm -rf "$tmp"
	fi
	if [[ ! -f $dest/.berth-unpacked ]]; then
		tmp="$src/.unpack-$pkg-$nover"
		rm -rf "$tmp" "$dest"
		mkdir -p "$tmp"
		_sysroot_log "unpack $pkg $ver"
		dpkg-source --no-copy -x "$dsc" "$tmp/tree" >&2 ||
			{ _sysroot_log "error: dpkg-source -x $dsc failed"; return 1; }
		touch "$tmp/tree/.berth-unpacked"
		mv "$tmp/tree" "$dest"
		rmdir "$tmp"
	fi
	printf '%s\n' "$dest"
}

# ---------------------------------------------------------------- builders

# Generic autotools build, run inside the (copied) source tree with the
# sysroot environment set by _sysroot_build_one. "$@" = extra configure args.
# Always autoreconf, as Debian's dh_autoreconf does: some tarballs are git
# snapshots without configure, and Debian patches may touch configure.ac or
# Makefile.am (libarchive's do), which would otherwise make `make` re-run an
# older/newer automake and fail on a libtool version mismatch.
# sysconfdir/localstatedir are the appliance's (/etc, /var): libnl compiles in
# /etc/libnl/classid; only `make install` puts those files into the sysroot.
sysroot_build_auto() {
	autoreconf -fi
	./configure -q --prefix="$SYSROOT" --libdir="$SYSROOT/lib" \
		--sysconfdir=/etc --localstatedir=/var \
		--disable-shared --enable-static "$@"
	make -s -j"$SYSROOT_JOBS"
	make -s install sysconfdir="$SYSROOT/etc" localstatedir="$SYSROOT/var"
}

# zlib: its own configure script (not autoconf), --static builds libz.a only.
sysroot_build_zlib() {
	./configure --prefix="$SYSROOT" --libdir="$SYSROOT/lib" "$@"
	make -s -j"$SYSROOT_JOBS" libz.a
	make -s install
}

# libcap: plain Makefiles. Only libcap.a (no libpsx, no Go, no PAM, no tools);
# _makenames is a build-host helper, so BUILD_CC is the host gcc.
sysroot_build_libcap() {
	local v=(CC="$CC" BUILD_CC=gcc AR=ar RANLIB=ranlib
		COPTS="$CFLAGS" prefix="$SYSROOT" lib=lib
		SHARED=no PTHREADS=no GOLANG=no PAM_CAP=no USE_GPERF=no "$@")
	make -s -C libcap -j"$SYSROOT_JOBS" "${v[@]}" libcap.a libcap.pc
	make -s -C libcap "${v[@]}" install-static-cap
}

# iptables: legacy (x_tables) backend only, static, extensions linked into
# xtables-legacy-multi. libtool eats a plain -static for programs, so the final
# link gets -all-static (configure's own tests use -static).
sysroot_build_iptables() {
	autoreconf -fi
	./configure -q --prefix="$SYSROOT" --libdir="$SYSROOT/lib" \
		--disable-shared --enable-static "$@" \
		LDFLAGS="$LDFLAGS -static"
	make -s -j"$SYSROOT_JOBS" LDFLAGS="$LDFLAGS -all-static"
	make -s install LDFLAGS="$LDFLAGS -all-static"
	strip --strip-all "$SYSROOT/sbin/xtables-legacy-multi"
}

# ---------------------------------------------------------------- sysroot

# Kernel UAPI headers for musl-gcc: a directory of three symlinks only
# (linux/, asm/, asm-generic/), used with -idirafter so musl's own headers
# always win. Never all of /usr/include.
_sysroot_kinc() {
	local kinc=$1 ma asm
	ma=$(gcc -print-multiarch 2>/dev/null || true)
	asm=/usr/include/${ma:-x86_64-linux-gnu}/asm
	[[ -d $asm ]] || asm=/usr/include/asm
	if [[ ! -d /usr/include/linux || ! -d $asm || ! -d /usr/include/asm-generic ]]; then
		_sysroot_log "error: kernel headers missing (apt-get install linux-libc-dev)"
		return 1
	fi
	mkdir -p "$kinc"
	ln -sfn /usr/include/linux "$kinc/linux"
	ln -sfn "$asm" "$kinc/asm"
	ln -sfn /usr/include/asm-generic "$kinc/asm-generic"
}

# Everything that decides what the sysroot contains, as text; its hash names
# the sysroot directory.
_sysroot_key_text() {
	local line name pkg builder rest ver
	printf 'recipes:\n'
	printf '%s\n' "${SYSROOT_RECIPES[@]}"
	printf 'versions:\n'
	for line in "${SYSROOT_RECIPES[@]}"; do
		IFS='|' read -r name pkg builder rest <<<"$line"
		ver=$(_sysroot_src_version "$pkg") || return 1
		printf '%s %s\n' "$pkg" "$ver"
	done
	printf 'toolchain:\n'
	musl-gcc --version 2>&1 | sed -n 1p
	dpkg-query -W -f='${Package} ${Version}\n' musl musl-dev linux-libc-dev 2>/dev/null || true
	printf 'cflags: %s\n' "${SYSROOT_BUILD_CFLAGS:-}"
	printf 'builders:\n'
	declare -f _sysroot_build_env _sysroot_build_one _sysroot_finish sysroot_build_auto
	for line in "${SYSROOT_RECIPES[@]}"; do
		IFS='|' read -r name pkg builder rest <<<"$line"
		[[ $builder == auto ]] || declare -f "sysroot_build_$builder"
	done
}

# Environment for one library build (printed as NUL-separated VAR=value for
# env(1)): musl-gcc, sysroot include/lib paths, kernel headers after musl's,
# pkg-config confined to the sysroot.
_sysroot_build_env() {
	local cflags="-O2 -pipe -ffunction-sections -fdata-sections -idirafter $SYSROOT/kinc ${SYSROOT_BUILD_CFLAGS:-}"
	printf '%s\0' \
		"SYSROOT=$SYSROOT" \
		"SYSROOT_JOBS=${SYSROOT_JOBS:-$(nproc 2>/dev/null || echo 2)}" \
		"CC=musl-gcc" "AR=ar" "RANLIB=ranlib" \
		"CFLAGS=$cflags" \
		"CPPFLAGS=-I$SYSROOT/include -idirafter $SYSROOT/kinc" \
		"LDFLAGS=-L$SYSROOT/lib" \
		"PKG_CONFIG_LIBDIR=$SYSROOT/lib/pkgconfig" "PKG_CONFIG_PATH=" \
		"LC_ALL=C" "TZ=UTC" "SOURCE_DATE_EPOCH=1672531200"
}

# Build recipe line $2 in build dir $1 (a fresh bash with errexit, so a
# failure stops the library even when our caller runs in an `if`).
_sysroot_build_one() {
	local bdir=$1 line=$2 name pkg builder rest args src fn
	IFS='|' read -r name pkg builder rest <<<"$line"
	read -ra args <<<"$rest"
	src=$(sysroot_fetch "$pkg") || return 1
	rm -rf "${bdir:?}/$name"
	mkdir -p "$bdir"
	cp -a "$src" "$bdir/$name"
	fn=sysroot_build_$builder
	_sysroot_log "build $name ($pkg, $builder)"
	(
		cd "$bdir/$name" &&
			mapfile -d '' envs < <(_sysroot_build_env) &&
			env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u CONFIG_SITE -u DESTDIR \
				-u LIBS -u CPATH -u C_INCLUDE_PATH -u LIBRARY_PATH \
				-u PKG_CONFIG_SYSROOT_DIR -u PKG_CONFIG "${envs[@]}" \
				bash -euo pipefail -c "$(declare -f "$fn"); $fn \"\$@\"" "$fn" "${args[@]}"
	) || { _sysroot_log "error: building $name failed (tree kept in $bdir/$name)"; return 1; }
	rm -rf "${bdir:?}/$name"
}

# Last step of a build: check the iptables binary, drop docs, and strip debug
# info from the static libraries (nettle forces -ggdb3; it also carries build
# paths into every binary linked against it).
_sysroot_finish() {
	local dir=$1
	if [[ ! -x $dir/sbin/xtables-legacy-multi ]]; then
		_sysroot_log "error: $dir/sbin/xtables-legacy-multi was not installed"
		return 1
	fi
	rm -rf "$dir/share/man" "$dir/share/doc" "$dir/share/info"
	strip --strip-debug --enable-deterministic-archives "$dir"/lib/*.a
}

# Set SYSROOT_* for sysroot $1 (exported).
_sysroot_export() {
	SYSROOT=$1
	SYSROOT_CFLAGS="-I$SYSROOT/include -I$SYSROOT/include/libnl3 -idirafter $SYSROOT/kinc"
	SYSROOT_LDFLAGS="-L$SYSROOT/lib"
	SYSROOT_LIBS=$SYSROOT_LINK_ORDER
	SYSROOT_IPTC_LIBS="-lip4tc -lip6tc -lxtables"
	SYSROOT_XTABLES=$SYSROOT/sbin/xtables-legacy-multi
	export SYSROOT SYSROOT_CFLAGS SYSROOT_LDFLAGS SYSROOT_LIBS SYSROOT_IPTC_LIBS SYSROOT_XTABLES
}

# Build (once) every recipe into $BERTH_CACHE/sysroot/<key>/, resuming per
# library after an interruption. Exports SYSROOT and friends; echoes SYSROOT.
sysroot_build() {
	local cache key dir bdir line name lockfd
	cache=$(_sysroot_cache)
	sysroot_apt_setup || return 1
	key=$(_sysroot_key_text) || return 1
	key=$(printf '%s\n' "$key" | sha256sum)
	key=${key:0:16}
	dir=$cache/sysroot/$key
	_sysroot_export "$dir"
	if [[ -f $dir/.complete ]]; then
		printf '%s\n' "$dir"
		return 0
	fi
	mkdir -p "$cache/sysroot"
	exec {lockfd}>"$cache/sysroot/.lock"
	flock "$lockfd"
	if [[ ! -f $dir/.complete ]]; then
		_sysroot_log "building sysroot $dir"
		mkdir -p "$dir/include" "$dir/lib" "$dir/sbin"
		_sysroot_kinc "$dir/kinc" || { exec {lockfd}>&-; return 1; }
		_sysroot_key_text >"$dir/.key" || { exec {lockfd}>&-; return 1; }
		bdir=$cache/build/$key
		for line in "${SYSROOT_RECIPES[@]}"; do
			name=${line%%|*}
			[[ -f $dir/.stamp-$name ]] && continue
			_sysroot_build_one "$bdir" "$line" || { exec {lockfd}>&-; return 1; }
			touch "$dir/.stamp-$name"
		done
		_sysroot_finish "$dir" || { exec {lockfd}>&-; return 1; }
		rm -rf "${bdir:?}"
		rmdir "$cache/build" 2>/dev/null || true
		touch "$dir/.complete"
		_sysroot_log "sysroot complete: $dir"
	fi
	exec {lockfd}>&-
	printf '%s\n' "$dir"
}

# Remove every sysroot and build tree in the cache except $SYSROOT (sources
# and apt lists stay). Not called by sysroot_build: another checkout may
# still use an older sysroot.
sysroot_prune() {
	local cache d
	cache=$(_sysroot_cache)
	[[ -n ${SYSROOT:-} ]] || { _sysroot_log "error: SYSROOT unset (run sysroot_build)"; return 1; }
	for d in "$cache"/sysroot/*/ "$cache"/build/*/; do
		[[ -d $d ]] || continue
		d=${d%/}
		[[ $d == "$SYSROOT" ]] && continue
		_sysroot_log "prune $d"
		rm -rf "$d"
	done
}

# Print the flags for the main build. With an argument (cflags, ldflags, libs,
# iptc-libs, xtables) print just that value; without, print shell assignments.
# Uses $SYSROOT (from sysroot_build).
sysroot_flags() {
	[[ -n ${SYSROOT:-} ]] || { _sysroot_log "error: SYSROOT unset (run sysroot_build)"; return 1; }
	_sysroot_export "$SYSROOT"
	case ${1:-all} in
	cflags) printf '%s\n' "$SYSROOT_CFLAGS" ;;
	ldflags) printf '%s\n' "$SYSROOT_LDFLAGS" ;;
	libs) printf '%s\n' "$SYSROOT_LIBS" ;;
	iptc-libs) printf '%s\n' "$SYSROOT_IPTC_LIBS" ;;
	xtables) printf '%s\n' "$SYSROOT_XTABLES" ;;
	all)
		printf 'SYSROOT=%s\n' "${SYSROOT@Q}"
		printf 'SYSROOT_CFLAGS=%s\n' "${SYSROOT_CFLAGS@Q}"
		printf 'SYSROOT_LDFLAGS=%s\n' "${SYSROOT_LDFLAGS@Q}"
		printf 'SYSROOT_LIBS=%s\n' "${SYSROOT_LIBS@Q}"
		printf 'SYSROOT_IPTC_LIBS=%s\n' "${SYSROOT_IPTC_LIBS@Q}"
		printf 'SYSROOT_XTABLES=%s\n' "${SYSROOT_XTABLES@Q}"
		;;
	*) _sysroot_log "error: sysroot_flags: unknown '$1'"; return 1 ;;
	esac
}

# Export SYSROOT* for the steps after `step sysroot` (a warm call: instant).
sysroot_env() {
	sysroot_build >/dev/null 2>&1 || die "the static sysroot is not built (./build.sh deps)"
}

# ------------------------------------------------------------------ kernel build
#@@KERNEL-BEGIN@@
# parts/kernel.sh -- Berth kernel build (pasted into build.sh).
#
# Builds an x86_64 bzImage from Debian's linux-source-6.1 package:
#   make ARCH=x86_64 tinyconfig
#   scripts/kconfig/merge_config.sh -m .config kernel-config/berth.config
#   make ARCH=x86_64 olddefconfig
#   (check that every option the fragment sets survived)
#   make -j$(nproc) bzImage
#
# Inputs (environment):
#   TOP                  repo root (kernel-config/berth.config lives there)
#   BERTH_CACHE          cache root, default /var/cache/berth
#   KERNEL_SRC_TARBALL   default /usr/src/linux-source-6.1.tar.xz
#   KERNEL_SRC_PKG       default linux-source-6.1 (dpkg package name)
#   CC                   compiler, default gcc
# Outputs:
#   $BERTH_CACHE/kernel/<KEY>/bzImage and .../config (the final .config)
#   KERNEL_IMAGE         set to the bzImage path; the path is also echoed.
#   KERNEL_KEY           the 16-hex cache key.
#
# Usage:
#   . parts/kernel.sh
#   kernel_build >"$log" 2>&1 || { cat "$log"; exit 1; }
#   echo "kernel: $KERNEL_IMAGE"
#   kernel_smoke "$KERNEL_IMAGE" path/to/kernel-smoke-init.c   # optional boot test
# Cold: ~25 s to extract the source once, then ~8-9 min to build on 2 cores.
# Warm (key dir exists): ~25 ms.  Several builds may share one BERTH_CACHE
# (different keys or the same one): a per-key lock serialises builders of
# one key and a shared/exclusive lock keeps the source tree from being
# re-extracted under a running build.  The build tree in
# $BERTH_CACHE/kernel-build/<KEY> (~230 MB) is kept for incremental rebuilds
# and may be deleted at any time.

# Debian packages the kernel build needs (install before kernel_build).
APT_KERNEL_DEPS="linux-source-6.1 build-essential flex bison bc libelf-dev libssl-dev xz-utils zstd"
# Extra packages only for booting/smoke-testing the kernel in QEMU.
APT_KERNEL_TEST_DEPS="qemu-system-x86 cpio gzip"

# kernel_key: print the 16-hex cache key = sha256(fragment, source pkg
# version, compiler version).
kernel_key() {
    local frag="${TOP:?TOP not set}/kernel-config/berth.config"
    local pkg="${KERNEL_SRC_PKG:-linux-source-6.1}" pkgver ccver
    [ -r "$frag" ] || { echo "kernel_key: missing $frag" >&2; return 1; }
    pkgver=$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null) || {
        echo "kernel_key: package $pkg is not installed" >&2; return 1; }
    ccver=$("${CC:-gcc}" --version 2>/dev/null) || {
        echo "kernel_key: no compiler ${CC:-gcc}" >&2; return 1; }
    ccver=${ccver%%$'\n'*}
    { cat "$frag"; printf '\n--\n%s\n%s\n%s\n' "$pkg" "$pkgver" "$ccver"; } |
        sha256sum | cut -c1-16
}

# kernel_check_config FRAGMENT FINAL_CONFIG
# Every CONFIG_X=value line of the fragment must appear verbatim in the
# final .config (a missing dependency makes olddefconfig drop options
# silently); those that did not survive are listed and the call fails.
# "# CONFIG_X is not set" lines that ended up enabled anyway (selected by
# something else) are only warned about.
kernel_check_config() {
    local frag=$1 final=$2 line sym want got dropped="" forced=""
    while IFS= read -r line || [ -n "$line" ]; do
        case $line in
            CONFIG_*=*) sym=${line%%=*}; want=${line#*=} ;;
            "# CONFIG_"*" is not set") sym=${line#\# }; sym=${sym%% *}; want=n ;;
            *) continue ;;
        esac
        got=$(grep -m1 -E "^(${sym}=|# ${sym} is not set\$)" "$final") || got=
        case $got in
            "$sym="*) got=${got#*=} ;;
            *) got=n ;;
        esac
        [ "$got" = "$want" ] && continue
        if [ "$want" = n ]; then
            forced+="  $sym: requested off, got $got"$'\n'
        else
            dropped+="  $sym: requested $want, got $got"$'\n'
        fi
    done <"$frag"
    [ -z "$forced" ] || printf 'kernel config: warning: options forced on despite %s:\n%s' \
        "$frag" "$forced" >&2
    if [ -n "$dropped" ]; then
        printf 'kernel config: options requested in %s were dropped by olddefconfig (missing dependency?):\n%s' \
            "$frag" "$dropped" >&2
        return 1
    fi
}

# _kernel_src CACHE: make sure the source tree is extracted (once) and print
# its path.  Caller must hold $CACHE/kernel-src/.lock (fd 8) shared or
# exclusive; this upgrades to exclusive only when it has to (re-)extract, so
# a tree that another build is using is never replaced under it.
_kernel_src() {
    local cache=$1 pkg="${KERNEL_SRC_PKG:-linux-source-6.1}"
    local tarball="${KERNEL_SRC_TARBALL:-/usr/src/linux-source-6.1.tar.xz}"
    local srcroot="$cache/kernel-src" name pkgver tmp src
    name=$(basename "$tarball"); name=${name%.tar.*}
    pkgver=$(dpkg-query -W -f='${Version}' "$pkg") || return 1
    src="$srcroot/$name"
    if [ "$(cat "$src/.berth-extracted" 2>/dev/null)" != "$pkgver" ]; then
        flock -x 8 || return 1
        # re-check: another builder may have extracted while we waited
        if [ "$(cat "$src/.berth-extracted" 2>/dev/null)" != "$pkgver" ]; then
            [ -r "$tarball" ] || { echo "kernel: no $tarball (apt-get install $pkg)" >&2; return 1; }
            tmp=$(mktemp -d "$srcroot/.extract.XXXXXX") || return 1
            if ! tar -C "$tmp" -xf "$tarball" || [ ! -f "$tmp/$name/Makefile" ]; then
                echo "kernel: extracting $tarball failed" >&2; rm -rf "$tmp"; return 1
            fi
            echo "$pkgver" >"$tmp/$name/.berth-extracted"
            rm -rf "$src" && mv "$tmp/$name" "$src" && rmdir "$tmp" || return 1
        fi
        flock -s 8 || return 1
    fi
    echo "$src"
}

# _kernel_build_cold KEY: configure, check and build into the cache.
# Runs in a subshell so 'cd' and the lock fds stay local.  Every step is
# checked explicitly: 'set -e' would be ignored here because the caller
# tests our status with '||'.
_kernel_build_cold() (
    key=$1 cache="${BERTH_CACHE:-/var/cache/berth}"
    frag="$TOP/kernel-config/berth.config"
    out="$cache/kernel/$key" bld="$cache/kernel-build/$key"
    mk=(make -s ARCH=x86_64 "CC=${CC:-gcc}" KBUILD_BUILD_USER=berth KBUILD_BUILD_HOST=berth)
    die() { echo "kernel_build: $*" >&2; exit 1; }

    mkdir -p "$cache/kernel" "$cache/kernel-build" "$cache/kernel-src" || die "cannot create $cache"
    # One builder per key; a second caller waits and then finds the result.
    exec 9>"$cache/kernel-build/$key.lock" || die "cannot open lock"
    flock -x 9 || die "flock $key"
    [ -f "$out/bzImage" ] && exit 0
    # Shared lock on the source tree for the whole build (see _kernel_src).
    exec 8>"$cache/kernel-src/.lock" || die "cannot open source lock"
    flock -s 8 || die "flock source"
    src=$(_kernel_src "$cache") || die "kernel source not available"

    mkdir -p "$bld" || die "mkdir $bld"
    cd "$src" || die "cd $src"
    "${mk[@]}" O="$bld" tinyconfig || die "make tinyconfig failed"
    scripts/kconfig/merge_config.sh -m -O "$bld" "$bld/.config" "$frag" >/dev/null ||
        die "merge_config.sh failed"
    "${mk[@]}" O="$bld" olddefconfig || die "make olddefconfig failed"
    kernel_check_config "$frag" "$bld/.config" || die "config check failed"
    "${mk[@]}" O="$bld" -j"$(nproc)" bzImage || die "make bzImage failed"
    # The build may not change the config behind our back either.
    kernel_check_config "$frag" "$bld/.config" || die "config check failed after build"
    [ -s "$bld/arch/x86/boot/bzImage" ] || die "no bzImage produced"

    tmp=$(mktemp -d "$cache/kernel/.$key.XXXXXX") || die "mktemp"
    cp "$bld/arch/x86/boot/bzImage" "$tmp/bzImage" &&
        cp "$bld/.config" "$tmp/config" &&
        chmod 755 "$tmp" || { rm -rf "$tmp"; die "copying results failed"; }
    rm -rf "$out"
    mv "$tmp" "$out" || die "cannot move results into $out"
)

# kernel_build: build (or reuse) the Berth kernel; sets KERNEL_IMAGE and
# echoes its path.
kernel_build() {
    local cache="${BERTH_CACHE:-/var/cache/berth}" key
    KERNEL_IMAGE=
    key=$(kernel_key) || return 1
    KERNEL_KEY=$key
    if [ ! -f "$cache/kernel/$key/bzImage" ]; then
        _kernel_build_cold "$key" || { echo "kernel_build: build failed (key $key)" >&2; return 1; }
        [ -f "$cache/kernel/$key/bzImage" ] || { echo "kernel_build: no bzImage after build" >&2; return 1; }
    fi
    KERNEL_IMAGE="$cache/kernel/$key/bzImage"
    echo "$KERNEL_IMAGE"
}

# Recommended QEMU (TCG) invocation pieces for the Berth kernel.
# -nic none / romfile= : no iPXE option ROM scan; noreplace-smp / noapictimer:
# see kernel-config/berth.config.  Never add -enable-kvm here.
KERNEL_QEMU_ARGS=(-M q35 -m 256 -nographic -no-reboot -nic none)
KERNEL_CMDLINE="console=ttyS0 quiet panic=-1 noreplace-smp noapictimer"

# kernel_smoke BZIMAGE SMOKE_INIT_C [WORKDIR]
# Boots BZIMAGE under QEMU TCG with a static test init built from SMOKE_INIT_C
# (parts/kernel-smoke-init.c), with a virtio-net NIC and an i6300esb
# watchdog, and checks the init reported PASS and QEMU exited by itself
# (ACPI power-off).  Needs gcc (static libc), cpio, gzip, qemu-system-x86.
kernel_smoke() (
    img=$1 csrc=$2 work=${3:-$(mktemp -d)}
    die() { echo "kernel_smoke: $*" >&2; exit 1; }
    [ -f "$img" ] && [ -f "$csrc" ] || die "usage: kernel_smoke BZIMAGE SMOKE_INIT_C [WORKDIR]"
    mkdir -p "$work/root" || die "mkdir $work"
    gcc -static -O2 -o "$work/root/init" "$csrc" || die "compiling $csrc failed"
    (cd "$work/root" && echo init | cpio -o -H newc --quiet | gzip -9) >"$work/smoke.cpio.gz" ||
        die "cpio failed"
    rc=0
    timeout 60 qemu-system-x86_64 "${KERNEL_QEMU_ARGS[@]}" -kernel "$img" \
        -initrd "$work/smoke.cpio.gz" \
        -append "$KERNEL_CMDLINE smoke.expect_net=1 smoke.expect_wdt=1" \
        -netdev user,id=n0 -device virtio-net-pci,netdev=n0,romfile= \
        -device i6300esb </dev/null >"$work/serial.log" 2>&1 || rc=$?
    tr -d '\r' <"$work/serial.log" | grep -a 'SMOKE:' || true
    [ $rc -eq 0 ] || die "qemu exited with $rc (124 = timeout: no ACPI power-off?)"
    grep -aq 'SMOKE: RESULT PASS' "$work/serial.log" || die "smoke test failed (log: $work/serial.log)"
)
#@@KERNEL-END@@

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
		-DBERTH_VERSION="\"$(berth_version)\"")
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
		$SYSROOT_LIBS
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

# shellcheck shell=bash
# images.sh - bake the busybox image into the appliance. Pasted into build.sh.
#
#   image_bake_images STAGE    build images/busybox, images/httpd and images/hello
#                              with `berth build` (cache in build/images/store,
#                              SOURCE_DATE_EPOCH for reproducible IDs), then save
#                              them and load them into STAGE/var/lib/berth
# Uses $TOP, $BUILD and BERTH_BIN (default $BUILD/berth). Call it from
# image_rootfs after the tree is staged and before cpio. Needs root (RUN
# steps run in a sandbox).
BAKED_IMAGES="busybox httpd hello"
image_bake_images() {
	local stage=$1 berth=${BERTH_BIN:-$BUILD/berth} store=$BUILD/images/store
	local epoch=${SOURCE_DATE_EPOCH:-1704067200} name ctx t0 refs=()
	mkdir -p "$BUILD/images"
	for name in $BAKED_IMAGES; do
		# the context: the image's folder (busybox: plus the host's
		# busybox-static binary, as images/busybox/Containerfile expects)
		ctx=$BUILD/images/$name.ctx
		rm -rf "$ctx"
		cp -a "$TOP/images/$name" "$ctx"
		[ "$name" != busybox ] || install -m 0755 /bin/busybox "$ctx/busybox"
		t0=$(date +%s%N)
		SOURCE_DATE_EPOCH=$epoch "$berth" --root "$store" build -q \
			-t "$name:latest" "$ctx" >"$BUILD/images/$name.id" || {
			echo "build of images/$name failed" >&2
			return 1
		}
		echo "image $name: $(cut -c8-19 "$BUILD/images/$name.id") built in $((($(date +%s%N) - t0) / 1000000)) ms"
		rm -rf "$ctx"
		refs+=("$name:latest")
	done
	"$berth" --root "$store" save -o "$BUILD/images/baked.tar" "${refs[@]}"
	"$berth" --root "$stage" load -q -i "$BUILD/images/baked.tar"
	rm -f "$stage/var/lib/berth/images.lock"
}

# /etc/berth/compose.yaml, the services PID 1 starts at boot: the one in
# rootfs/etc/berth/ or the file BERTH_COMPOSE names. It is checked with the
# berth just built; any error fails the build, naming the file and line.
image_compose() {
	local stage=$1 src=${BERTH_COMPOSE:-$TOP/rootfs/etc/berth/compose.yaml}
	if [ -n "${BERTH_COMPOSE:-}" ]; then
		[ -f "$BERTH_COMPOSE" ] || die "BERTH_COMPOSE=$BERTH_COMPOSE: no such file"
		install -m 0644 "$BERTH_COMPOSE" "$stage/etc/berth/compose.yaml"
	fi
	[ -f "$src" ] || return 0
	"${BERTH_BIN:-$BUILD/berth}" compose -f "$src" config -q ||
		die "$src has errors (above); fix them or name another file with BERTH_COMPOSE"
	echo "compose: $src"
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
	image_bake_images "$stage"
	image_compose "$stage"
	# Everything is root's, except the unpacked image layers: they keep the
	# owners their images give (a second cpio archive; the kernel unpacks
	# concatenated archives in order).
	(cd "$stage" && {
		find . -mindepth 1 | grep -v '^\./var/lib/berth/layers/' | LC_ALL=C sort |
			cpio -o -H newc -R 0:0 --quiet
		find ./var/lib/berth/layers -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet
	} | gzip -9 -n) >"$BUILD/initramfs.cpio.gz.tmp"
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
# default 8080; 0 disables it), BERTH_HOSTFWD (more forwards, QEMU's syntax,
# comma-separated, e.g. udp:127.0.0.1:5353-:5353; keep them on 127.0.0.1),
# BERTH_INITRD (another initramfs, e.g. this one with more cpio archives
# appended; default initramfs.cpio.gz here).
here=$(cd "$(dirname "$0")" && pwd)
port=${BERTH_HTTP_PORT:-8080}
fwd=
[ "$port" = 0 ] || fwd=",hostfwd=tcp:127.0.0.1:$port-:80"
for f in $(echo "${BERTH_HOSTFWD:-}" | tr ',' ' '); do
	case "$f" in
	tcp:127.0.0.1:* | udp:127.0.0.1:*) fwd="$fwd,hostfwd=$f" ;;
	*) echo "qemu.sh: BERTH_HOSTFWD: $f: want tcp|udp:127.0.0.1:HOSTPORT-:GUESTPORT" >&2 && exit 1 ;;
	esac
done
# qboot starts a Linux kernel faster than SeaBIOS; the NIC needs no boot ROM.
bios=
[ -f /usr/share/qemu/qboot.rom ] && bios="-bios /usr/share/qemu/qboot.rom"
# shellcheck disable=SC2086
exec qemu-system-x86_64 -machine q35 -accel tcg -smp 2 -m "${BERTH_MEM:-512}" $bios \
	-nographic -no-user-config -nodefaults -serial stdio \
	-kernel "$here/bzImage" -initrd "${BERTH_INITRD:-$here/initramfs.cpio.gz}" \
	-append "console=ttyS0 quiet loglevel=5 panic=-1 noapictimer ${BERTH_APPEND:-}" \
	-netdev "user,id=n0$fwd" -device virtio-net-pci,netdev=n0,romfile= \
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


# Unit tests: cmocka, against glibc, on the pure-logic modules.
unit_build_and_run() {
	local t name bin out pass fail srcs libs UNIT_PASSED=0 UNIT_FAILED=0
	mkdir -p "$BUILD/unit"
	for t in "$TOP"/tests/unit/test_*.c; do
		name=$(basename "${t%.c}")
		bin=$BUILD/unit/$name
		# Each test names the sources it needs on a line "// sources: a.c b.c".
		srcs=$(sed -n 's|^// sources: ||p' "$t" | head -1)
		# ... and the system libraries on a line "// libs: -lfoo".
		libs=$(sed -n 's|^// libs: ||p' "$t" | head -1)
		# shellcheck disable=SC2086
		gcc -std=gnu11 -D_GNU_SOURCE -g -O1 -Wall -Wextra -Werror -Wno-unused-parameter -Wno-format-truncation \
			-fsanitize=address,undefined -I"$TOP" -o "$bin" "$t" \
			$(for s in $srcs; do echo "$TOP/$s"; done) $libs -lcmocka
		out=$(CMOCKA_MESSAGE_OUTPUT=stdout "$bin" 2>&1) || true
		echo "$out"
		pass=$(echo "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
		fail=$(echo "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -1)
		[ -n "$pass$fail" ] || fail=1 # crashed before reporting
		UNIT_PASSED=$((UNIT_PASSED + ${pass:-0}))
		UNIT_FAILED=$((UNIT_FAILED + ${fail:-0}))
	done
	echo "unit: $UNIT_PASSED passed, $UNIT_FAILED failed"
	# step runs this in a subshell: the counts travel in a file.
	echo "$UNIT_PASSED $UNIT_FAILED" >"$BUILD/unit/counts"
}

# libFuzzer harnesses for every parser PID 1 runs on outside input, each
# for BERTH_FUZZ_SECONDS (default 10) from its seed corpus; a crash fails.
fuzz_build_and_run() {
	local f name bin srcs libs pass=0 fail=0 secs=${BERTH_FUZZ_SECONDS:-10}
	mkdir -p "$BUILD/fuzz"
	for f in "$TOP"/tests/fuzz/fuzz_*.c; do
		name=$(basename "${f%.c}")
		bin=$BUILD/fuzz/$name
		srcs=$(sed -n 's|^// sources: ||p' "$f" | head -1)
		libs=$(sed -n 's|^// libs: ||p' "$f" | head -1)
		# shellcheck disable=SC2086
		clang -std=gnu11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
			-I"$TOP" -o "$bin" "$f" $(for s in $srcs; do echo "$TOP/$s"; done) $libs
		mkdir -p "$BUILD/fuzz/$name.corpus"
		if "$bin" -max_total_time="$secs" -artifact_prefix="$BUILD/fuzz/$name-" \
			"$BUILD/fuzz/$name.corpus" "$TOP/tests/fuzz/corpus/$name"; then
			pass=$((pass + 1))
			echo "fuzz: $name ok"
		else
			fail=$((fail + 1))
			echo "fuzz: $name FAILED (artifacts in $BUILD/fuzz/)"
		fi
	done
	echo "$pass $fail" >"$BUILD/fuzz/counts"
}

distro_kernel() {
	local dir=$BERTH_CACHE/distro pkg deb
	mkdir -p "$dir"
	pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
	[ -n "$pkg" ] || die "cannot find Debian's linux-image-amd64 (apt-get update?)"
	if [ ! -f "$dir/$pkg/.complete" ]; then
		rm -rf "${dir:?}/$pkg"
		mkdir -p "$dir/$pkg"
		{
			(cd "$dir/$pkg" && apt-get download "$pkg" && dpkg-deb -x ./*.deb x && rm -f ./*.deb)
			depmod -b "$dir/$pkg/x" "$(ls "$dir/$pkg/x/lib/modules")"
		} >&2
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
	rm -f "$BUILD/unit/counts"
	step unit unit_build_and_run || rc=$?
	grep -E '^\[  (FAILED|  OK  |RUN|PASSED)' "$LOGS/unit.log" | grep -v '^\[ RUN' |
		grep -E 'FAILED' | sed 's/^/    /' || true
	local counts=(0 1) fz=(0 1)
	# A unit build that failed before counting counts as one failure.
	[ -f "$BUILD/unit/counts" ] && read -r -a counts <"$BUILD/unit/counts"
	say "unit: ${counts[0]} passed, ${counts[1]} failed"
	rm -f "$BUILD/fuzz/counts"
	step fuzz fuzz_build_and_run || rc=$?
	[ -f "$BUILD/fuzz/counts" ] && read -r -a fz <"$BUILD/fuzz/counts"
	say "fuzz: ${fz[0]} passed, ${fz[1]} failed"
	counts=($((counts[0] + fz[0])) $((counts[1] + fz[1])))
	python3 "$TOP/tests/run.py" --build "$BUILD" --unit-passed "${counts[0]}" \
		--unit-failed "${counts[1]}" "$@" || rc=1
	return $rc
}

cmd_bench() {
	EXTRA_APT="$APT_BENCH_DEPS" step deps-bench deps_apt "$APT_BENCH_DEPS"
	cmd_build
	cmd_kernel
	cmd_image
	python3 "$TOP/tests/bench.py" --build "$BUILD" "$@"
	python3 "$TOP/tests/bench_run.py" --build "$BUILD"
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
