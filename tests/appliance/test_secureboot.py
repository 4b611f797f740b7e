"""Secure Boot under OVMF with Debian's snakeoil keys enrolled
(OVMF_VARS_4M.snakeoil.fd, the Secure Boot firmware with SMM): a disk
image whose systemd-boot and UKI were signed by the build (BERTH_SB_KEY,
BERTH_SB_CERT = the snakeoil key) boots to the console with SecureBoot on;
the same image with an unsigned UKI, or one signed by another key, is
refused by the firmware when systemd-boot asks it to load the UKI."""
import os
import re
import shutil
import subprocess
import tempfile

from harness import PROMPT, skip
from uefi import OVMF_VARS_SNAKEOIL, UefiAppliance, fresh_vars

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DISK_SH = os.path.join(TOP, "mk", "disk.sh")
SB_KEY = "/usr/share/ovmf/PkKek-1-snakeoil.key"
SB_CERT = "/usr/share/ovmf/PkKek-1-snakeoil.pem"
SECBOOT_CODE = "/usr/share/OVMF/OVMF_CODE_4M.secboot.fd"
# the SecureBoot variable of EFI's global GUID: 4 bytes of attributes, then 1 = on
SB_VAR = "/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"


def disk_sh(build, *args, signed=True):
    env = dict(os.environ, BERTH_BUILD=build)
    env.pop("BERTH_SB_KEY", None)
    env.pop("BERTH_SB_CERT", None)
    if signed:
        env.update(BERTH_SB_KEY=SB_KEY, BERTH_SB_CERT=SB_CERT)
    r = subprocess.run(["bash", DISK_SH] + list(args), env=env, capture_output=True, text=True)
    if r.returncode != 0:
        raise AssertionError("mk/disk.sh %s: %s%s" % (args[0], r.stdout, r.stderr))


class Ctx:
    def __init__(self, build):
        for f in (SB_KEY, SB_CERT, SECBOOT_CODE, OVMF_VARS_SNAKEOIL):
            if not os.path.exists(f):
                skip("no %s (Debian's ovmf package)" % f)
        self.build = build
        self.dir = tempfile.mkdtemp(prefix="berth-sb-")
        self.vm = None
        p = lambda n: os.path.join(self.dir, n)
        disk_sh(build, "uki", p("signed.uki"), "sb-test")
        disk_sh(build, "image", p("signed.img"), p("signed.uki"))
        # systemd-boot signed, the UKI not
        disk_sh(build, "uki", p("unsigned.uki"), "sb-unsigned", signed=False)
        disk_sh(build, "image", p("unsigned.img"), p("unsigned.uki"))
        # the UKI signed by a key the firmware does not know
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", "/CN=not enrolled", "-keyout", p("other.key"),
                        "-out", p("other.pem")], check=True, capture_output=True)
        subprocess.run(["sbsign", "--key", p("other.key"), "--cert", p("other.pem"),
                        "--output", p("other.uki"), p("unsigned.uki")], check=True,
                       capture_output=True)
        disk_sh(build, "image", p("other.img"), p("other.uki"))

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


def refused(ctx, img, name):
    vm = ctx.boot(img, name)
    # systemd-boot reports the firmware's LoadImage error and boots nothing
    vm.expect(rb"(Security Violation|Access Denied)", 300)
    assert not PROMPT.search(vm.buf), "a shell prompt came up"
    vm.kill()


def test_unsigned_uki_refused(ctx):
    refused(ctx, "unsigned.img", "sb-unsigned")


def test_other_key_uki_refused(ctx):
    refused(ctx, "other.img", "sb-otherkey")
