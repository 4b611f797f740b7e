# shellcheck shell=bash
# mk/sysroot.sh - static musl libraries built from the Debian source packages
# pinned in deps.lock, into $BERTH_CACHE/sysroot/KEY (KEY: the recipes, the
# lock lines, the toolchain and the builder functions). Resumable per
# library; builders sharing one cache wait for each other.
#
#   sysroot_build    build (once) every SYSROOT_RECIPES line
#   sysroot_export   set the variables below for the sysroot of this tree
#
#   SYSROOT           $BERTH_CACHE/sysroot/KEY
#   SYSROOT_CFLAGS    include paths, kernel UAPI headers after musl's
#   SYSROOT_LDFLAGS   -L$SYSROOT/lib
#   SYSROOT_LIBS      the libraries in static link order
#   SYSROOT_XTABLES   the static iptables (xtables-legacy-multi)

# One line per library, built in this order:
#   NAME|DEBIAN_SOURCE_PACKAGE|BUILDER|CONFIGURE_ARGS
# BUILDER "auto" is the generic autotools build (sysroot_build_auto); any
# other names a function sysroot_build_BUILDER. Later lines may use earlier
# ones (libarchive finds zlib in the sysroot).
#   nettle      sha256 etc. and hogweed (ed25519 for signed update bundles)
#               on nettle's own mini-gmp, no libgmp; fat = runtime SHA-NI pick
#   libnl3      also installs libnl-genl/nf/idiag/xfrm (unused, harmless)
#   libarchive  tar + gzip (zlib) only
#   iptables    legacy only; no libnetfilter_conntrack (connlabel)
#   mbedtls     TLS 1.2 client for libcurl (registries); no server side,
#               DTLS, PSK or old ciphers (sysroot_build_mbedtls)
#   curl        libcurl only: HTTP(S) over mbedtls, nothing else
SYSROOT_RECIPES=(
	"zlib|zlib|zlib|--static"
	"nettle|nettle|auto|--disable-openssl --disable-documentation --enable-mini-gmp --enable-fat"
	"libnl3|libnl3|auto|--disable-cli --disable-debug"
	"libseccomp|libseccomp|auto|--disable-python"
	"libcap|libcap2|libcap|"
	"libyaml|libyaml|auto|"
	"jansson|jansson|auto|"
	"libarchive|libarchive|auto|--without-xml2 --without-expat --without-openssl --without-mbedtls --without-nettle --without-bz2lib --without-lzma --without-zstd --without-lz4 --without-lzo2 --without-libb2 --without-cng --without-iconv --disable-acl --disable-xattr --disable-posix-regex-lib --disable-bsdtar --disable-bsdcpio --disable-bsdcat --with-zlib"
	"iptables|iptables|iptables|--disable-nftables --disable-connlabel --disable-bpf-compiler --disable-nfsynproxy --disable-libipq"
	"mbedtls|mbedtls|mbedtls|"
	"curl|curl|curl|--without-zlib --without-brotli --without-zstd --without-libpsl --without-libidn2 --without-nghttp2 --without-nghttp3 --without-ngtcp2 --without-librtmp --without-libssh2 --without-libssh --without-gssapi --without-libgsasl --without-hyper --without-quiche --without-msh3 --without-openssl --without-gnutls --disable-ldap --disable-ldaps --disable-rtsp --disable-dict --disable-telnet --disable-tftp --disable-pop3 --disable-imap --disable-smb --disable-smtp --disable-gopher --disable-mqtt --disable-ftp --disable-file --disable-manual --disable-ntlm --disable-ntlm-wb --disable-kerberos-auth --disable-negotiate-auth --disable-aws --disable-alt-svc --disable-hsts --disable-cookies --disable-doh --disable-mime --disable-netrc --disable-dateparse --disable-progress-meter --disable-websockets --disable-verbose --disable-unix-sockets --disable-headers-api --with-ca-bundle=/etc/ssl/certs/ca-certificates.crt --without-ca-path"
)

# Static link order (users before providers).
SYSROOT_LINK_ORDER="-lcurl -lmbedtls -lmbedx509 -lmbedcrypto -lnl-route-3 -lnl-3 -lseccomp -lcap -lyaml -ljansson -larchive -lz -lhogweed -lnettle"

_sysroot_log() { printf 'sysroot: %s\n' "$*" >&2; }

# ------------------------------------------------------------ builders

# Generic autotools build, in the copied source tree with the environment of
# _sysroot_build_env; "$@" = extra configure arguments. Always autoreconf,
# as Debian's dh_autoreconf does: some tarballs are git snapshots without
# configure, and Debian patches touch configure.ac or Makefile.am.
# sysconfdir/localstatedir are the appliance's (libnl compiles in
# /etc/libnl/classid); only `make install` puts those files into the sysroot.
sysroot_build_auto() {
	autoreconf -fi
	./configure -q --prefix="$SYSROOT" --libdir="$SYSROOT/lib" \
		--sysconfdir=/etc --localstatedir=/var \
		--disable-shared --enable-static "$@"
	make -s -j"$(nproc)"
	make -s install sysconfdir="$SYSROOT/etc" localstatedir="$SYSROOT/var"
}

# zlib: its own configure script (not autoconf); --static builds libz.a only.
sysroot_build_zlib() {
	./configure --prefix="$SYSROOT" --libdir="$SYSROOT/lib" "$@"
	make -s -j"$(nproc)" libz.a
	make -s install
}

# libcap: plain Makefiles. Only libcap.a (no libpsx, Go, PAM or tools);
# _makenames runs on the build host, so BUILD_CC is the host gcc.
sysroot_build_libcap() {
	local v=(CC="$CC" BUILD_CC=gcc AR=ar RANLIB=ranlib
		COPTS="$CFLAGS" prefix="$SYSROOT" lib=lib
		SHARED=no PTHREADS=no GOLANG=no PAM_CAP=no USE_GPERF=no "$@")
	make -s -C libcap -j"$(nproc)" "${v[@]}" libcap.a libcap.pc
	make -s -C libcap "${v[@]}" install-static-cap
}

# iptables: legacy (x_tables) backend only, static, extensions linked into
# xtables-legacy-multi. libtool eats a plain -static for programs, so the
# final link gets -all-static (configure's own tests use -static).
sysroot_build_iptables() {
	autoreconf -fi
	./configure -q --prefix="$SYSROOT" --libdir="$SYSROOT/lib" \
		--disable-shared --enable-static "$@" \
		LDFLAGS="$LDFLAGS -static"
	make -s -j"$(nproc)" LDFLAGS="$LDFLAGS -all-static"
	make -s install LDFLAGS="$LDFLAGS -all-static"
	strip --strip-all "$SYSROOT/sbin/xtables-legacy-multi"
}

# mbedtls: its plain Makefile, static libraries only. config.h trimmed
# with upstream's config.py to what a TLS 1.2 client needs (ECDHE/RSA key
# exchange, AES-GCM, ChaCha20-Poly1305, P-256/P-384/X25519): smaller
# binary, less attack surface. PSA crypto stays out (TLS does not use it
# in 2.28 without MBEDTLS_USE_PSA_CRYPTO).
sysroot_build_mbedtls() {
	local o
	for o in SSL_SRV_C SSL_PROTO_TLS1 SSL_PROTO_TLS1_1 SSL_PROTO_DTLS SSL_DTLS_ANTI_REPLAY \
		SSL_DTLS_HELLO_VERIFY SSL_DTLS_CLIENT_PORT_REUSE SSL_DTLS_BADMAC_LIMIT \
		SSL_DTLS_CONNECTION_ID SSL_COOKIE_C SSL_TICKET_C SSL_CACHE_C SSL_RENEGOTIATION \
		SSL_CBC_RECORD_SPLITTING SSL_TRUNCATED_HMAC TIMING_C NET_C CAMELLIA_C ARIA_C DES_C \
		BLOWFISH_C XTEA_C ARC4_C RIPEMD160_C CCM_C ECJPAKE_C DHM_C \
		KEY_EXCHANGE_PSK_ENABLED KEY_EXCHANGE_DHE_PSK_ENABLED KEY_EXCHANGE_ECDHE_PSK_ENABLED \
		KEY_EXCHANGE_RSA_PSK_ENABLED KEY_EXCHANGE_DHE_RSA_ENABLED KEY_EXCHANGE_ECJPAKE_ENABLED \
		KEY_EXCHANGE_ECDH_ECDSA_ENABLED KEY_EXCHANGE_ECDH_RSA_ENABLED \
		X509_CSR_PARSE_C X509_CREATE_C X509_CRT_WRITE_C X509_CSR_WRITE_C \
		PEM_WRITE_C PADLOCK_C SELF_TEST VERSION_FEATURES DEBUG_C \
		PSA_CRYPTO_C PSA_CRYPTO_STORAGE_C PSA_ITS_FILE_C \
		ECP_DP_SECP192R1_ENABLED ECP_DP_SECP224R1_ENABLED ECP_DP_SECP192K1_ENABLED \
		ECP_DP_SECP224K1_ENABLED ECP_DP_SECP256K1_ENABLED ECP_DP_BP256R1_ENABLED \
		ECP_DP_BP384R1_ENABLED ECP_DP_BP512R1_ENABLED ECP_DP_CURVE448_ENABLED; do
		python3 scripts/config.py unset "MBEDTLS_$o"
	done
	make -s -C library -j"$(nproc)" CC="$CC" AR="$AR" CFLAGS="$CFLAGS" static
	install -m 0644 library/libmbedtls.a library/libmbedx509.a library/libmbedcrypto.a \
		"$SYSROOT/lib/"
	mkdir -p "$SYSROOT/include"
	cp -r include/mbedtls include/psa "$SYSROOT/include/"
}

# curl: libcurl only (lib/ and include/, no curl tool). Debian's series
# ends with its GnuTLS and NSS flavour renames (libcurl-gnutls,
# libcurl-nss); undone first, as Debian does for its OpenSSL flavour.
sysroot_build_curl() {
	patch -s -R -p1 <debian/patches/99_nss.patch
	patch -s -R -p1 <debian/patches/90_gnutls.patch
	autoreconf -fi
	./configure -q --prefix="$SYSROOT" --libdir="$SYSROOT/lib" \
		--disable-shared --enable-static --with-mbedtls="$SYSROOT" "$@"
	make -s -C lib -j"$(nproc)"
	make -s -C lib install
	make -s -C include install
}

# ------------------------------------------------------------ sysroot

# Kernel UAPI headers for musl-gcc: a directory of three links (linux/,
# asm/, asm-generic/), used with -idirafter so musl's own headers always
# win. Never all of /usr/include.
_sysroot_kinc() {
	local kinc=$1 asm
	asm=/usr/include/$(gcc -print-multiarch)/asm
	if [[ ! -d /usr/include/linux || ! -d $asm || ! -d /usr/include/asm-generic ]]; then
		_sysroot_log "error: kernel headers missing (apt-get install linux-libc-dev)"
		return 1
	fi
	mkdir -p "$kinc"
	ln -sfn /usr/include/linux "$kinc/linux"
	ln -sfn "$asm" "$kinc/asm"
	ln -sfn /usr/include/asm-generic "$kinc/asm-generic"
}

# Everything that decides what the sysroot contains; its hash names it.
_sysroot_key_text() {
	local line pkg builder
	printf 'recipes:\n'
	printf '%s\n' "${SYSROOT_RECIPES[@]}"
	printf 'sources:\n'
	for line in "${SYSROOT_RECIPES[@]}"; do
		IFS='|' read -r _ pkg _ <<<"$line"
		lock_line src "$pkg" || return 1
	done
	printf 'toolchain:\n'
	musl-gcc --version 2>&1 | sed -n 1p
	dpkg-query -W -f='${Package} ${Version}\n' musl musl-dev linux-libc-dev
	printf 'builders:\n'
	declare -f _sysroot_build_env _sysroot_build_one _sysroot_finish sysroot_build_auto
	for line in "${SYSROOT_RECIPES[@]}"; do
		IFS='|' read -r _ _ builder _ <<<"$line"
		[[ $builder == auto ]] || declare -f "sysroot_build_$builder"
	done
}

# Environment for library $1's build (NUL-separated VAR=value for env(1)):
# musl-gcc, the sysroot's include and lib paths, kernel headers after
# musl's, pkg-config confined to the sysroot. -Os (build/berth has a size
# budget), except zlib and nettle: inflate and sha256 are a pull's hot path.
# No unwind tables: C libraries do not unwind, and their .eh_frame was 95 KB
# of build/berth.
_sysroot_build_env() {
	local opt=-Os cflags
	[[ $1 == zlib || $1 == nettle ]] && opt=-O2
	cflags="$opt -pipe -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables"
	cflags+=" -fno-unwind-tables -idirafter $SYSROOT/kinc"
	printf '%s\0' \
		"SYSROOT=$SYSROOT" \
		"CC=musl-gcc" "AR=ar" "RANLIB=ranlib" \
		"CFLAGS=$cflags" \
		"CPPFLAGS=-I$SYSROOT/include -idirafter $SYSROOT/kinc" \
		"LDFLAGS=-L$SYSROOT/lib" \
		"PKG_CONFIG_LIBDIR=$SYSROOT/lib/pkgconfig" "PKG_CONFIG_PATH=" \
		"LC_ALL=C" "TZ=UTC" "SOURCE_DATE_EPOCH=1672531200"
}

# Build recipe line $2 in build dir $1, in a fresh bash with errexit (so a
# failure stops the library even when our caller runs in an `if`).
_sysroot_build_one() {
	local bdir=$1 line=$2 name pkg builder rest args src fn envs
	IFS='|' read -r name pkg builder rest <<<"$line"
	read -ra args <<<"$rest"
	src=$(fetch_src "$pkg") || return 1
	rm -rf "${bdir:?}/$name"
	mkdir -p "$bdir"
	cp -a "$src" "$bdir/$name"
	fn=sysroot_build_$builder
	_sysroot_log "build $name ($pkg, $builder)"
	mapfile -d '' envs < <(_sysroot_build_env "$name")
	(
		cd "$bdir/$name" &&
			env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u CONFIG_SITE -u DESTDIR \
				-u LIBS -u CPATH -u C_INCLUDE_PATH -u LIBRARY_PATH \
				-u PKG_CONFIG_SYSROOT_DIR -u PKG_CONFIG "${envs[@]}" \
				bash -euo pipefail -c "$(declare -f "$fn"); $fn \"\$@\"" "$fn" "${args[@]}"
	) || {
		_sysroot_log "error: building $name failed (tree kept in $bdir/$name)"
		return 1
	}
	rm -rf "${bdir:?}/$name"
}

# Last step: check the iptables binary, drop docs, strip debug info from
# the static libraries (nettle forces -ggdb3, carrying build paths along).
_sysroot_finish() {
	local dir=$1
	if [[ ! -x $dir/sbin/xtables-legacy-multi ]]; then
		_sysroot_log "error: $dir/sbin/xtables-legacy-multi was not installed"
		return 1
	fi
	rm -rf "$dir/share/man" "$dir/share/doc" "$dir/share/info"
	strip --strip-debug --enable-deterministic-archives "$dir"/lib/*.a
}

_sysroot_dir() {
	local key
	key=$(_sysroot_key_text) || return 1
	key=$(printf '%s\n' "$key" | sha256sum)
	printf '%s\n' "$BERTH_CACHE/sysroot/${key:0:16}"
}

sysroot_build() {
	local dir bdir line name lockfd rc=0
	dir=$(_sysroot_dir) || return 1
	[[ -f $dir/.complete ]] && return 0
	mkdir -p "$BERTH_CACHE/sysroot"
	exec {lockfd}>"$BERTH_CACHE/sysroot/.lock"
	flock "$lockfd"
	if [[ ! -f $dir/.complete ]]; then
		SYSROOT=$dir
		_sysroot_log "building $dir"
		bdir=$BERTH_CACHE/build/${dir##*/}
		mkdir -p "$dir/include" "$dir/lib" "$dir/sbin"
		if _sysroot_kinc "$dir/kinc" && _sysroot_key_text >"$dir/.key"; then
			for line in "${SYSROOT_RECIPES[@]}"; do
				name=${line%%|*}
				[[ -f $dir/.stamp-$name ]] && continue
				_sysroot_build_one "$bdir" "$line" || { rc=1 && break; }
				touch "$dir/.stamp-$name"
			done
		else
			rc=1
		fi
		if [[ $rc -eq 0 ]] && _sysroot_finish "$dir"; then
			rm -rf "${bdir:?}"
			touch "$dir/.complete"
			_sysroot_log "complete: $dir"
		else
			rc=1
		fi
	fi
	exec {lockfd}>&-
	return $rc
}

# Set SYSROOT and friends (exported) for the steps after `step sysroot`.
sysroot_export() {
	SYSROOT=$(_sysroot_dir) || die "deps.lock lacks a source of the sysroot"
	[[ -f $SYSROOT/.complete ]] || die "the static sysroot is not built (./build.sh deps)"
	SYSROOT_CFLAGS="-I$SYSROOT/include -I$SYSROOT/include/libnl3 -idirafter $SYSROOT/kinc"
	SYSROOT_LDFLAGS="-L$SYSROOT/lib"
	SYSROOT_LIBS=$SYSROOT_LINK_ORDER
	SYSROOT_XTABLES=$SYSROOT/sbin/xtables-legacy-multi
	export SYSROOT SYSROOT_CFLAGS SYSROOT_LDFLAGS SYSROOT_LIBS SYSROOT_XTABLES
}
