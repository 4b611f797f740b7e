# shellcheck shell=bash
# mk/disk.sh - the UEFI disk image and the signed update bundle
# (docs/disk-image.md), from build/bzImage and build/initramfs.cpio.gz:
#
#   build/berth.uki           a Unified Kernel Image: systemd's EFI stub with
#                             .osrel (os-release, VERSION=$BERTH_VERSION),
#                             .cmdline, .linux and .initrd sections (objcopy)
#   build/berth.img           GPT (sfdisk): 1 berth-esp (vfat, mtools: no
#                             loop mount) with systemd-boot and the UKI in
#                             two slots, 2 berth-data (empty ext4)
#   build/berth-update.bundle the UKI with a signed manifest (berth update
#                             sign: ed25519, nettle)
#
#   disk_key_pub DIR       DIR/update.pub from the signing key, made once
#   disk_uki OUT VER [INITRD]  a UKI of build/ (or another initramfs)
#   cmd_disk               all three, signed for Secure Boot when
#                          BERTH_SB_KEY and BERTH_SB_CERT are set
#
# The update signing key is made once and kept out of the cache and the
# image: $BERTH_UPDATE_KEY, default ~/.config/berth/update.key (a wiped
# /var/cache/berth does not lose it). Slot names follow docs/disk-image.md:
# \EFI\Linux\berth-GEN-SLOT[+TRIES].efi, the highest GEN boots first.
#
# Reproducible: two builds of one commit give the same berth.img. Every
# id is fixed (GPT disk and partition GUIDs, the vfat volume id, the ext4
# UUID and directory hash seed) and every timestamp is the last commit's
# (SOURCE_DATE_EPOCH for mtools, E2FSPROGS_FAKE_TIME for mke2fs, mkfs.vfat
# --invariant for the volume label's).

DISK_ESP_MIB=64
DISK_SIZE_MIB=${BERTH_DISK_MIB:-320}
DISK_CMDLINE=${BERTH_CMDLINE:-console=ttyS0 quiet loglevel=5 panic=-1 noapictimer}
DISK_KEY=${BERTH_UPDATE_KEY:-${XDG_CONFIG_HOME:-$HOME/.config}/berth/update.key}

# The image's timestamps: SOURCE_DATE_EPOCH, or the last commit's time.
_disk_epoch() {
	echo "${SOURCE_DATE_EPOCH:-$(git -C "$TOP" log -1 --format=%ct 2>/dev/null || echo 1704067200)}"
}

# The locked systemd-boot-efi, unpacked once; prints its efi/ directory.
disk_sdboot() {
	local deb dir
	deb=$(fetch_deb systemd-boot-efi) || return 1
	dir=$BERTH_CACHE/sdboot/$(sha256sum <"$deb" | cut -c1-16)
	if [[ ! -f $dir/.complete ]]; then
		rm -rf "$dir"
		mkdir -p "$dir"
		dpkg-deb -x "$deb" "$dir"
		touch "$dir/.complete"
	fi
	printf '%s\n' "$dir/usr/lib/systemd/boot/efi"
}

# The signing key, made on first use; DIR/update.pub, its public half.
disk_key_pub() {
	local dir=$1
	if [[ ! -f $DISK_KEY ]]; then
		mkdir -p "$(dirname "$DISK_KEY")"
		(umask 077 && "$BERTH_BIN" update keygen "$DISK_KEY") || return 1
		echo "update key: made $DISK_KEY (keep it; BERTH_UPDATE_KEY names another)"
	fi
	"$BERTH_BIN" update pubkey "$DISK_KEY" >"$dir/update.pub.tmp" || return 1
	mv "$dir/update.pub.tmp" "$dir/update.pub"
}

# _disk_sbsign FILE: sign an EFI binary in place for Secure Boot.
_disk_sbsign() {
	[[ -n ${BERTH_SB_KEY:-} && -n ${BERTH_SB_CERT:-} ]] || return 0
	sbsign --key "$BERTH_SB_KEY" --cert "$BERTH_SB_CERT" --output "$1.signed" "$1" 2>&1 |
		grep -v '^warning: data remaining' || true
	[[ -s $1.signed ]] || return 1
	mv "$1.signed" "$1"
}

# _disk_pe_unstamp FILE: objcopy stamps the PE header with the time it ran
# (SOURCE_DATE_EPOCH or not); put back the stub's 0 and zero the checksum
# computed over it (0: none; firmware does not check it), so a UKI
# depends only on its inputs.
_disk_pe_unstamp() {
	local pe
	pe=$(od -An -tu4 -j60 -N4 "$1" | tr -d ' ')
	printf '\0\0\0\0' | dd of="$1" bs=1 seek=$((pe + 8)) conv=notrunc status=none
	printf '\0\0\0\0' | dd of="$1" bs=1 seek=$((pe + 24 + 64)) conv=notrunc status=none
}

# disk_uki OUT VERSION [INITRD]: systemd-stub + os-release + command line +
# build/bzImage + the initramfs. The section addresses are the stub's
# documented layout (kernel at 32 MiB, initrd at 48 MiB).
disk_uki() {
	local out=$1 ver=$2 initrd=${3:-$BUILD/initramfs.cpio.gz} efi tmp
	efi=$(disk_sdboot) || return 1
	tmp=$(mktemp -d)
	printf 'NAME="Berth"\nPRETTY_NAME="Berth %s"\nVERSION="%s"\n' \
		"$ver" "$ver" >"$tmp/osrel"
	printf '%s' "$DISK_CMDLINE" >"$tmp/cmdline"
	objcopy \
		--add-section .osrel="$tmp/osrel" --change-section-vma .osrel=0x20000 \
		--add-section .cmdline="$tmp/cmdline" --change-section-vma .cmdline=0x30000 \
		--add-section .linux="$BUILD/bzImage" --change-section-vma .linux=0x2000000 \
		--add-section .initrd="$initrd" --change-section-vma .initrd=0x3000000 \
		"$efi/linuxx64.efi.stub" "$out.tmp" || {
		rm -rf "$tmp" "$out.tmp"
		return 1
	}
	rm -rf "$tmp"
	_disk_pe_unstamp "$out.tmp"
	_disk_sbsign "$out.tmp" || return 1
	mv "$out.tmp" "$out"
}

# _disk_esp FILE UKI: the vfat ESP: systemd-boot as the removable-media
# loader (no NVRAM entry needed), loader.conf, the UKI in slots a and b.
# A subshell: the mtools settings stay in it.
_disk_esp() (
	local esp=$1 uki=$2 efi tmp
	efi=$(disk_sdboot) || return 1
	tmp=$(mktemp -d)
	cp "$efi/systemd-bootx64.efi" "$tmp/BOOTX64.EFI"
	_disk_sbsign "$tmp/BOOTX64.EFI" || return 1
	printf 'timeout 0\neditor no\nauto-entries no\nauto-firmware no\n' >"$tmp/loader.conf"
	rm -f "$esp"
	mkfs.vfat --invariant -C -F 32 -n BERTH-ESP -i 0b0e7e50 "$esp" \
		$((DISK_ESP_MIB * 1024 - 1024)) >/dev/null
	MTOOLS_SKIP_CHECK=1 SOURCE_DATE_EPOCH=$(_disk_epoch)
	export MTOOLS_SKIP_CHECK SOURCE_DATE_EPOCH
	mmd -i "$esp" ::/EFI ::/EFI/BOOT ::/EFI/Linux ::/loader
	mcopy -i "$esp" "$tmp/BOOTX64.EFI" ::/EFI/BOOT/BOOTX64.EFI
	mcopy -i "$esp" "$tmp/loader.conf" ::/loader/loader.conf
	mcopy -i "$esp" "$uki" ::/EFI/Linux/berth-1-a.efi
	mcopy -i "$esp" "$uki" ::/EFI/Linux/berth-0-b.efi
	rm -rf "$tmp"
)

# disk_image OUT UKI: GPT with the ESP (1 MiB..) and berth-data (the rest).
disk_image() {
	local out=$1 uki=$2 esp=$1.esp data=$1.data data_mib
	data_mib=$((DISK_SIZE_MIB - DISK_ESP_MIB - 2))
	_disk_esp "$esp" "$uki" || return 1
	rm -f "$data"
	truncate -s "${data_mib}M" "$data"
	E2FSPROGS_FAKE_TIME=$(_disk_epoch) mkfs.ext4 -q -L berth-data \
		-U 0b0e7e50-da7a-4b0e-8e7a-000000000002 \
		-E hash_seed=0b0e7e50-da7a-4b0e-8e7a-000000000003 "$data"
	rm -f "$out.tmp"
	truncate -s "${DISK_SIZE_MIB}M" "$out.tmp"
	sfdisk -q "$out.tmp" <<EOF
label: gpt
label-id: 0B0E7E50-0000-4B0E-8E7A-000000000000
first-lba: 2048
start=1MiB, size=$((DISK_ESP_MIB - 1))MiB, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=0B0E7E50-0000-4B0E-8E7A-000000000001, name=berth-esp
start=${DISK_ESP_MIB}MiB, size=${data_mib}MiB, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, uuid=0B0E7E50-0000-4B0E-8E7A-000000000002, name=berth-data
EOF
	dd if="$esp" of="$out.tmp" bs=1M seek=1 conv=notrunc,sparse status=none
	dd if="$data" of="$out.tmp" bs=1M seek="$DISK_ESP_MIB" conv=notrunc,sparse status=none
	rm -f "$esp" "$data"
	mv "$out.tmp" "$out"
}

# disk_bundle OUT VERSION UKI: the update bundle, signed with the key.
disk_bundle() {
	"$BERTH_BIN" update sign --key "$DISK_KEY" --version "$2" -o "$1" "$3"
}

disk_all() {
	local ver
	ver=$(berth_version)
	disk_uki "$BUILD/berth.uki" "$ver"
	disk_image "$BUILD/berth.img" "$BUILD/berth.uki"
	disk_bundle "$BUILD/berth-update.bundle" "$ver" "$BUILD/berth.uki"
	ls -ls "$BUILD/berth.uki" "$BUILD/berth.img" "$BUILD/berth-update.bundle"
}

cmd_disk() {
	step disk disk_all && say "$(sha256sum "$BUILD/berth.img" | sed "s|$TOP/||")"
}

# Run as a script (the tests make bundles and images of other versions):
#   mk/disk.sh uki OUT VERSION [INITRD]     a UKI of build/
#   mk/disk.sh bundle OUT VERSION UKI       signed with the update key
#   mk/disk.sh image OUT UKI                a disk image around a UKI
# BERTH_BUILD names another build directory; BERTH_CMDLINE another command
# line; BERTH_SB_KEY/BERTH_SB_CERT sign for Secure Boot.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	set -euo pipefail
	TOP=$(cd "$(dirname "$0")/.." && pwd)
	BUILD=${BERTH_BUILD:-$TOP/build}
	BERTH_CACHE=${BERTH_CACHE:-/var/cache/berth}
	BERTH_BIN=${BERTH_BIN:-$BUILD/berth}
	# shellcheck source=mk/common.sh
	. "$TOP/mk/common.sh"
	# shellcheck source=mk/fetch.sh
	. "$TOP/mk/fetch.sh"
	cmd=${1:-}
	[[ $# -eq 0 ]] || shift
	case $cmd in
	uki) disk_uki "$@" ;;
	bundle) disk_bundle "$@" ;;
	image) disk_image "$@" ;;
	*)
		echo "usage: mk/disk.sh uki OUT VERSION [INITRD] | bundle OUT VERSION UKI | image OUT UKI" >&2
		exit 2
		;;
	esac
fi
