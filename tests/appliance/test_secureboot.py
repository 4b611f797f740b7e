"""Secure Boot under OVMF with Debian's snakeoil keys enrolled
(OVMF_VARS_4M.snakeoil.fd, the Secure Boot firmware with SMM): a disk
image whose systemd-boot and UKI were signed by the build (BERTH_SB_KEY,
BERTH_SB_CERT = the snakeoil key) boots to the console with SecureBoot on;
there `update apply` refuses bundles (ed25519-signed with the right key)
whose UKI is unsigned or signed by a certificate not in db, and takes one
signed with the snakeoil key; a UKI signed by another key put in slot b
by hand is refused by the firmware (its one try spent), and after a power
cycle slot a boots and `update status` says slot b failed without a
report; the same image with an unsigned UKI is refused by the firmware
when systemd-boot (signed) asks it to load the UKI."""
import os
import re
import shutil
import subprocess
import tempfile

from harness import PROMPT, skip
from uefi import OVMF_VARS_SNAKEOIL, UefiAppliance, disk_sh, fresh_vars

SB_KEY = "/usr/share/ovmf/PkKek-1-snakeoil.key"
SB_CERT = "/usr/share/ovmf/PkKek-1-snakeoil.pem"
SECBOOT_CODE = "/usr/share/OVMF/OVMF_CODE_4M.secboot.fd"
# the SecureBoot variable of EFI's global GUID: 4 bytes of attributes, then 1 = on
SB_VAR = "/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"


def sb_disk_sh(build, key, *args, signed=True):
    """mk/disk.sh, signing with key (and the snakeoil certificate) or not."""
    sb = {"BERTH_SB_KEY": key, "BERTH_SB_CERT": SB_CERT} if signed else \
        {"BERTH_SB_KEY": None, "BERTH_SB_CERT": None}
    disk_sh(build, *args, env=sb)


class Ctx:
    def __init__(self, build):
        for f in (SB_KEY, SB_CERT, SECBOOT_CODE, OVMF_VARS_SNAKEOIL):
            if not os.path.exists(f):
                skip("no %s (Debian's ovmf package)" % f)
        self.build = build
        self.dir = tempfile.mkdtemp(prefix="berth-sb-")
        self.vm = None
        p = lambda n: os.path.join(self.dir, n)
        # Debian's snakeoil key is encrypted with the passphrase "snakeoil"
        subprocess.run(["openssl", "pkey", "-in", SB_KEY, "-passin", "pass:snakeoil",
                        "-out", p("snakeoil.key")], check=True, capture_output=True)
        key = p("snakeoil.key")
        sb_disk_sh(build, key, "uki", p("signed.uki"), "sb-test")
        sb_disk_sh(build, key, "image", p("signed.img"), p("signed.uki"))
        # systemd-boot signed, the UKI not
        sb_disk_sh(build, key, "uki", p("unsigned.uki"), "sb-unsigned", signed=False)
        sb_disk_sh(build, key, "image", p("unsigned.img"), p("unsigned.uki"))
        # a key and certificate the firmware does not know
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days",
                        "3650", "-subj", "/CN=not enrolled", "-keyout", p("other.key"),
                        "-out", p("other.pem")], check=True, capture_output=True)
        files = p("files")
        os.makedirs(files)
        other = {"BERTH_SB_KEY": p("other.key"), "BERTH_SB_CERT": p("other.pem")}
        disk_sh(build, "uki", p("files/foreign.uki"), "sb-foreign", env=other)
        for name, uki in (("foreign", p("files/foreign.uki")), ("unsigned", p("unsigned.uki")),
                          ("signed", p("signed.uki"))):
            # newer than sb-test (strverscmp)
            disk_sh(build, "bundle", p("files/%s.bundle" % name), "sb-update-" + name, uki)
        self.xfer = p("xfer.img")
        with open(self.xfer, "wb") as f:
            f.truncate(64 << 20)
        subprocess.run(["mkfs.ext4", "-q", "-L", "xfer", "-d", files, self.xfer], check=True)

    def boot(self, img, name, vars_name=None):
        vars_path = os.path.join(self.dir, (vars_name or name) + ".vars")
        if not vars_name:
            fresh_vars(vars_path, OVMF_VARS_SNAKEOIL)
        self.vm = UefiAppliance(self.build, name, os.path.join(self.dir, img), vars_path,
                                env={"BERTH_SECURE_BOOT": "1"}, drives=[self.xfer]).start()
        return self.vm


def setup_module(build):
    return Ctx(build)


def teardown_module(ctx):
    if ctx.vm:
        ctx.vm.kill()
    shutil.rmtree(ctx.dir, ignore_errors=True)


def test_signed_image_boots(ctx):
    vm = ctx.boot("signed.img", "sb-signed")
    vm.wait_prompt(300)
    out = vm.sh("od -An -tu1 %s" % SB_VAR).split()
    assert out[-1] == "1", out  # SecureBoot enabled
    assert re.search(r"^Booted:\s+slot a, version sb-test$", vm.sh("berth update status"), re.M)


def apply(vm, bundle):
    return vm.run("berth update apply /tmp/x/%s 2>&1" % bundle, timeout=120, check=False)


def test_apply_refuses_uki_firmware_would_refuse(ctx):
    vm = ctx.vm
    vm.expect(rb"berth compose: up finished", 120)  # its lines come on the console
    vm.sh("mkdir -p /tmp/x && mount -o ro /dev/vdb /tmp/x")
    before = vm.sh("berth update status")
    out, rc = apply(vm, "foreign.bundle")
    assert rc == 1 and out.strip() == ('berth: update: the image is signed for Secure Boot by '
                                       '"CN=not enrolled", which the firmware\'s db does not '
                                       'trust: it would refuse to boot it'), out
    out, rc = apply(vm, "unsigned.bundle")
    assert rc == 1 and "has no readable Secure Boot signature" in out and len(out.strip().splitlines()) \
        == 1, out
    assert vm.sh("berth update status") == before
    # signed with the enrolled key: written
    out, rc = apply(vm, "signed.bundle")
    assert rc == 0 and "Version sb-update-signed written to slot b" in out, out


def test_foreign_key_uki_refused_by_firmware(ctx):
    # put there by hand (apply would not): slot b's next entry, one try
    vm = ctx.vm
    vm.sh("mkdir -p /tmp/esp && mount -t vfat /dev/vda1 /tmp/esp && "
          "rm /tmp/esp/EFI/Linux/berth-*-b* && "
          "cp /tmp/x/foreign.uki /tmp/esp/EFI/Linux/berth-9-b+1.efi && umount /tmp/esp && sync")
    start = len(vm.buf)
    vm.send("berth reboot\n")
    start = vm.expect(rb"reboot: Restarting system", 120, start).end()
    m = vm.expect(rb"Error loading \\EFI\\Linux\\berth-9-b\+[0-9-]+\.efi: (Security "
                  rb"Violation|Access Denied)", 300, start)
    vm.expect(rb"BdsDxe: failed to start", 60, m.end())
    # the firmware stops in its boot menu: a power cycle, same disk and variables
    vm.kill()
    vm = ctx.boot("signed.img", "sb-signed-2", vars_name="sb-signed")
    vm.wait_prompt(300)
    st = vm.sh("berth update status")
    assert re.search(r"^Booted:\s+slot a, version sb-test$", st, re.M), st
    assert re.search(r"^Slot b:\s+version sb-foreign, bad", st, re.M), st
    assert re.search(r"^Last update:\s+version sb-foreign in slot b failed \(1 try used: the "
                     r"trial boot never reported: .*\); rolled back to slot a$", st, re.M), st
    vm.kill()


def test_unsigned_uki_refused(ctx):
    # systemd-boot (signed) asks the firmware to load the unsigned UKI:
    # refused, nothing of the kernel ever runs
    vm = ctx.boot("unsigned.img", "sb-unsigned")
    vm.expect(rb"Error loading \\EFI\\Linux\\berth-1-a\.efi: (Security Violation|Access "
              rb"Denied)", 300)
    vm.expect(rb"BdsDxe: failed to start", 60)
    assert not PROMPT.search(vm.buf), "a shell prompt came up"
    vm.kill()
