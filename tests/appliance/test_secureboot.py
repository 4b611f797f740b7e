"""Secure Boot under OVMF with Debian's snakeoil keys enrolled
(OVMF_VARS_4M.snakeoil.fd, the Secure Boot firmware with SMM): a disk
image whose systemd-boot and UKI were signed by the build (BERTH_SB_KEY,
BERTH_SB_CERT = the snakeoil key) boots to the console with SecureBoot on;
the same image with an unsigned UKI is refused by the firmware when
systemd-boot (signed) asks it to load the UKI. (A UKI signed by a key not
in db takes the same path in the firmware; it is not booted separately,
to keep the suite's time.)"""
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

    def boot(self, img, name):
        self.vm = UefiAppliance(self.build, name, os.path.join(self.dir, img),
                                fresh_vars(os.path.join(self.dir, name + ".vars"),
                                           OVMF_VARS_SNAKEOIL),
                                env={"BERTH_SECURE_BOOT": "1"}).start()
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
