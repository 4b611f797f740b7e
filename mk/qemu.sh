#!/bin/sh
# build/qemu.sh (installed from mk/qemu.sh by `./build.sh image`): boots
# this directory's bzImage + initramfs.cpio.gz under QEMU (TCG, never KVM)
# with the serial console on stdio. Any arguments are appended to QEMU's.
# Environment: BERTH_APPEND (extra kernel parameters), BERTH_MEM (MiB,
# default 512), BERTH_HTTP_PORT (host side of hostfwd to guest port 80,
# default 8080; 0 disables it), BERTH_HOSTFWD (more forwards, QEMU's syntax,
# comma-separated, e.g. udp:127.0.0.1:5353-:5353; keep them on 127.0.0.1),
# BERTH_INITRD (another initramfs, e.g. this one with more cpio archives
# appended; default initramfs.cpio.gz here).
#
# --uefi as the first argument (or BERTH_UEFI=1) boots the disk image
# instead, under OVMF: BERTH_DISK (default berth.img here; it is written
# to), BERTH_OVMF_VARS (the firmware's variables, default OVMF_VARS.fd
# here, copied from Debian's OVMF_VARS_4M.fd when missing). BERTH_SECURE_BOOT=1
# uses the Secure Boot firmware (SMM) with Debian's snakeoil keys enrolled
# (OVMF_VARS_4M.snakeoil.fd; default vars file OVMF_VARS.snakeoil.fd here).
# The kernel command line is the one inside the UKI (BERTH_APPEND does not
# apply).
here=$(cd "$(dirname "$0")" && pwd)
uefi=${BERTH_UEFI:-}
[ "${1:-}" != --uefi ] || {
	uefi=1
	shift
}
port=${BERTH_HTTP_PORT:-8080}
fwd=
[ "$port" = 0 ] || fwd=",hostfwd=tcp:127.0.0.1:$port-:80"
for f in $(echo "${BERTH_HOSTFWD:-}" | tr ',' ' '); do
	case "$f" in
	tcp:127.0.0.1:* | udp:127.0.0.1:*) fwd="$fwd,hostfwd=$f" ;;
	*) echo "qemu.sh: BERTH_HOSTFWD: $f: want tcp|udp:127.0.0.1:HOSTPORT-:GUESTPORT" >&2 && exit 1 ;;
	esac
done
if [ -n "$uefi" ]; then
	ovmf=/usr/share/OVMF machine=q35 sb='' vars_src=$ovmf/OVMF_VARS_4M.fd code=$ovmf/OVMF_CODE_4M.fd
	vars=${BERTH_OVMF_VARS:-$here/OVMF_VARS.fd}
	if [ -n "${BERTH_SECURE_BOOT:-}" ]; then
		machine=q35,smm=on sb="-global driver=cfi.pflash01,property=secure,value=on"
		vars_src=$ovmf/OVMF_VARS_4M.snakeoil.fd code=$ovmf/OVMF_CODE_4M.secboot.fd
		vars=${BERTH_OVMF_VARS:-$here/OVMF_VARS.snakeoil.fd}
	fi
	[ -f "$vars" ] || cp "$vars_src" "$vars" || exit 1
	# shellcheck disable=SC2086 # $sb is empty or two words
	exec qemu-system-x86_64 -machine "$machine" -accel tcg -smp 2 -m "${BERTH_MEM:-512}" $sb \
		-nographic -no-user-config -nodefaults -serial stdio \
		-drive "if=pflash,format=raw,unit=0,readonly=on,file=$code" \
		-drive "if=pflash,format=raw,unit=1,file=$vars" \
		-drive "file=${BERTH_DISK:-$here/berth.img},format=raw,if=virtio" \
		-netdev "user,id=n0$fwd" -device virtio-net-pci,netdev=n0,romfile= \
		-device virtio-rng-pci -device i6300esb "$@"
fi
# qboot starts a Linux kernel faster than SeaBIOS; the NIC needs no boot ROM.
bios=
[ -f /usr/share/qemu/qboot.rom ] && bios="-bios /usr/share/qemu/qboot.rom"
# shellcheck disable=SC2086 # $bios is empty or two words
exec qemu-system-x86_64 -machine q35 -accel tcg -smp 2 -m "${BERTH_MEM:-512}" $bios \
	-nographic -no-user-config -nodefaults -serial stdio \
	-kernel "$here/bzImage" -initrd "${BERTH_INITRD:-$here/initramfs.cpio.gz}" \
	-append "console=ttyS0 quiet loglevel=5 panic=-1 noapictimer ${BERTH_APPEND:-}" \
	-netdev "user,id=n0$fwd" -device virtio-net-pci,netdev=n0,romfile= \
	-device virtio-rng-pci -device i6300esb "$@"
