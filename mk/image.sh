# shellcheck shell=bash
# mk/image.sh - the appliance's initramfs and build/qemu.sh.
#
# The root filesystem is staged in build/rootfs (rootfs/ skeleton, the
# pinned busybox, berth, static iptables, the baked images, the compose
# file), then written by the kernel tree's gen_init_cpio from a list that
# states every entry's owner and mode, device nodes from mk/devices.list,
# and every mtime set to SOURCE_DATE_EPOCH (the commit's time): two builds
# of one commit give the same bytes, whoever builds them, without mknod.
#
#   image_rootfs DIR [MODULES]   DIR/initramfs.cpio.gz (prints its sha256),
#                                with MODULES (a distribution kernel's
#                                lib/modules/VER) the modules PID 1 loads
#   cmd_image                    build/: that and qemu.sh
#   cmd_run          boot it with a data disk (build/data.img)

BAKED_IMAGES="busybox httpd hello"

# shellcheck source=mk/disk.sh
. "$TOP/mk/disk.sh"

image_epoch() {
	git -C "$TOP" log -1 --format=%ct 2>/dev/null || echo 1704067200
}

# The locked busybox-static, unpacked once; prints the binary's path.
image_busybox() {
	local deb dir
	deb=$(fetch_deb busybox-static) || return 1
	dir=$BERTH_CACHE/busybox/$(sha256sum <"$deb" | cut -c1-16)
	if [[ ! -x $dir/busybox ]]; then
		rm -rf "$dir"
		mkdir -p "$dir"
		dpkg-deb --fsys-tarfile "$deb" | tar -xO ./bin/busybox >"$dir/busybox.tmp"
		chmod 0755 "$dir/busybox.tmp"
		mv "$dir/busybox.tmp" "$dir/busybox"
	fi
	printf '%s\n' "$dir/busybox"
}

# image_modules STAGE SRC: the modules of SRC (a distribution kernel's
# lib/modules/VER) that /etc/berth/modules names, with their dependencies,
# resolved by berth itself (the code PID 1 runs).
image_modules() {
	local stage=$1 src=$2 ver dst wanted list m
	ver=$(basename "$src")
	dst=$stage/lib/modules/$ver
	mkdir -p "$dst"
	wanted=$(grep -v '^#' "$stage/etc/berth/modules" | tr '\n' ' ')
	# Names the kernel has built in are not found: reported, not fatal.
	# shellcheck disable=SC2086 # a list of module names
	list=$("$BERTH_BIN" modules --dir "$src" $wanted) || echo "modules: some not found (above)"
	for m in $list; do
		mkdir -p "$dst/$(dirname "$m")"
		cp "$src/$m" "$dst/$m"
	done
	# A modules.dep with only what the image carries.
	# shellcheck disable=SC2086 # a list of module paths
	grep -F -f <(printf '%s:\n' $list) "$src/modules.dep" >"$dst/modules.dep" || true
	cp "$src/modules.builtin" "$dst/" 2>/dev/null || : >"$dst/modules.builtin"
	echo "modules: $(wc -w <<<"$list") copied for $ver"
}

# images/busybox, httpd and hello, built with `berth build` (cache in
# build/images/store; a fixed SOURCE_DATE_EPOCH, so their IDs do not change
# from commit to commit), saved, and loaded into STAGE/var/lib/berth.
image_bake_images() {
	local stage=$1 busybox=$2 store=$BUILD/images/store name ctx t0 refs=()
	mkdir -p "$BUILD/images"
	for name in $BAKED_IMAGES; do
		# the context: the image's folder (busybox: plus the pinned busybox,
		# as images/busybox/Containerfile expects)
		ctx=$BUILD/images/$name.ctx
		rm -rf "$ctx"
		cp -a "$TOP/images/$name" "$ctx"
		[[ $name != busybox ]] || install -m 0755 "$busybox" "$ctx/busybox"
		t0=$(date +%s%N)
		SOURCE_DATE_EPOCH=1704067200 "$BERTH_BIN" --root "$store" build -q \
			-t "$name:latest" "$ctx" >"$BUILD/images/$name.id" ||
			die "build of images/$name failed"
		echo "image $name: $(cut -c8-19 "$BUILD/images/$name.id") built in $((($(date +%s%N) - t0) / 1000000)) ms"
		rm -rf "$ctx"
		refs+=("$name:latest")
	done
	"$BERTH_BIN" --root "$store" save -o "$BUILD/images/baked.tar" "${refs[@]}"
	"$BERTH_BIN" --root "$stage" load -q -i "$BUILD/images/baked.tar"
	rm -f "$stage/var/lib/berth/images.lock"
}

# /etc/berth/compose.yaml, the services PID 1 starts at boot: rootfs/'s or
# the file BERTH_COMPOSE names, checked with the berth just built (an error
# fails the build, naming the file and line).
image_compose() {
	local stage=$1 src=${BERTH_COMPOSE:-$TOP/rootfs/etc/berth/compose.yaml}
	if [[ -n ${BERTH_COMPOSE:-} ]]; then
		[[ -f $BERTH_COMPOSE ]] || die "BERTH_COMPOSE=$BERTH_COMPOSE: no such file"
		install -m 0644 "$BERTH_COMPOSE" "$stage/etc/berth/compose.yaml"
	fi
	[[ -f $src ]] || return 0
	"$BERTH_BIN" compose -f "$src" config -q ||
		die "$src has errors (above); fix them or name another file with BERTH_COMPOSE"
	echo "compose: $src"
}

# /etc/ssl/certs/ca-certificates.crt, the registries' trust (docs/registry.md):
# every Mozilla certificate of Debian's ca-certificates (deps.lock), as
# update-ca-certificates concatenates them by default.
image_ca_bundle() {
	local stage=$1 deb tmp
	deb=$(fetch_deb ca-certificates) || return 1
	tmp=$(mktemp -d)
	dpkg-deb -x "$deb" "$tmp"
	mkdir -p "$stage/etc/ssl/certs"
	(cd "$tmp/usr/share/ca-certificates/mozilla" && export LC_ALL=C && for f in *.crt; do
		cat "$f"
	done) >"$stage/etc/ssl/certs/ca-certificates.crt"
	rm -rf "$tmp"
	[[ -s $stage/etc/ssl/certs/ca-certificates.crt ]]
}

image_stage() {
	local stage=$1 modules=$2 busybox app
	busybox=$(image_busybox) || return 1
	rm -rf "$stage"
	mkdir -p "$stage"
	cp -a "$TOP/rootfs/." "$stage/"
	(cd "$stage" && mkdir -p bin sbin usr/bin usr/sbin lib dev proc sys run tmp root data \
		var/lib/berth/images var/log etc/berth)
	chmod 1777 "$stage/tmp"
	chmod 0700 "$stage/root"
	install -m 0755 "$busybox" "$stage/bin/busybox"
	for app in $("$busybox" --list-full); do
		case "$app" in sbin/init | linuxrc | bin/busybox) continue ;; esac
		[[ -e $stage/$app ]] || ln -s /bin/busybox "$stage/$app"
	done
	# berth: /usr/bin/berth, /sbin/init, and /init for the kernel.
	install -m 0755 "$BERTH_BIN" "$stage/usr/bin/berth"
	ln -sf ../usr/bin/berth "$stage/sbin/init"
	ln -sf sbin/init "$stage/init"
	# Static iptables (legacy x_tables) for the notes' commands.
	install -m 0755 "$SYSROOT_XTABLES" "$stage/sbin/xtables-legacy-multi"
	for app in iptables iptables-save iptables-restore iptables-legacy iptables-legacy-save \
		iptables-legacy-restore; do
		ln -sf xtables-legacy-multi "$stage/sbin/$app"
	done
	[[ -z $modules ]] || image_modules "$stage" "$modules"
	image_ca_bundle "$stage"
	image_bake_images "$stage" "$busybox"
	image_compose "$stage"
	# the update key's public half: the appliance trusts bundles it signed
	disk_key_pub "$stage/etc/berth"
}

# gen_init_cpio's list for STAGE: everything root's, except the unpacked
# image layers, which keep the owners their images give; then the device
# nodes. Sorted, so parents come first and the order is the same everywhere.
image_cpio_list() {
	local stage=$1
	(cd "$stage" && find . -mindepth 1 -printf '%P\t%y\t%m\t%U\t%G\t%l\n') | LC_ALL=C sort |
		awk -F'\t' -v stage="$stage" '
			function fail(msg) { print "image: " $1 ": " msg > "/dev/stderr"; bad = 1 }
			function hex(s,   i, n) {
				for (i = 1; i <= length(s); i++)
					n = n * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
				return n + 0
			}
			{
				own = ($1 ~ /^var\/lib\/berth\/layers\//) ? $4 " " $5 : "0 0"
				# the list is split on white space, gen_init_cpio expands ${...}
				# in locations, and stat below runs through sh: refuse those
				if ($1 ~ /[[:space:]"$`\\]/ || $6 ~ /[[:space:]"$`\\]/) {
					fail("white space, quote, $, ` or \\ in a name")
					next
				}
				if ($2 == "d") print "dir /" $1, $3, own
				else if ($2 == "f") print "file /" $1, stage "/" $1, $3, own
				else if ($2 == "l") print "slink /" $1, $6, 777, own
				else if ($2 == "c" || $2 == "b") {
					cmd = "stat -c \"%t %T\" \"" stage "/" $1 "\""
					cmd | getline mm; close(cmd); split(mm, m, " ")
					print "nod /" $1, $3, own, $2, hex(m[1]), hex(m[2])
				} else fail("file type " $2 " cannot go into the initramfs")
			}
			END { exit bad }' || return 1
	grep -v '^#' "$TOP/mk/devices.list"
}

image_rootfs() {
	local dir=$1 stage=$1/rootfs list=$1/initramfs.list out=$1/initramfs.cpio.gz epoch
	kernel_gen_init_cpio
	image_stage "$stage" "${2:-${BERTH_MODULES:-}}"
	epoch=$(image_epoch)
	find "$stage" -exec touch -h -d "@$epoch" {} +
	image_cpio_list "$stage" >"$list"
	"$GEN_INIT_CPIO" -t "$epoch" "$list" | gzip -9 -n >"$out.tmp"
	mv "$out.tmp" "$out"
	ls -l "$out"
	sha256sum "$out"
}

cmd_image() {
	step image-rootfs image_rootfs "$BUILD"
	install -m 0755 "$TOP/mk/qemu.sh" "$BUILD/qemu.sh"
	say "$(sha256sum "$BUILD/initramfs.cpio.gz" | sed "s|$TOP/||")"
	cmd_disk
}

# The same appliance on Debian's kernel (from deps.lock), in build/distro/.
build_distro_image() {
	local paths
	paths=$(distro_kernel) || return 1
	# shellcheck disable=SC2086 # two paths
	set -- $paths
	mkdir -p "$BUILD/distro"
	kernel_copy "$BUILD/distro" "$1"
	image_rootfs "$BUILD/distro" "$2"
	install -m 0755 "$TOP/mk/qemu.sh" "$BUILD/distro/qemu.sh"
}

run_data_disk() {
	local img=$BUILD/data.img
	[[ -f $img ]] && return 0
	truncate -s 256M "$img.tmp"
	mkfs.ext4 -q -L berth-data "$img.tmp"
	mv "$img.tmp" "$img"
}

cmd_run() {
	step data-disk run_data_disk
	echo "Berth: serial console below. Quit QEMU with Ctrl-A then X; 'berth poweroff' shuts down cleanly."
	exec "$BUILD/qemu.sh" -drive "file=$BUILD/data.img,format=raw,if=virtio"
}
