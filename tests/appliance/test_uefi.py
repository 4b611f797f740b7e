"""build/berth.img under OVMF (UEFI firmware, TCG): systemd-boot starts the
UKI of slot a and the default workload answers on port 80; signed update
bundles: a tampered, truncated or foreign-key bundle, a downgrade and the
running version are refused with one line and the slots stay as they
were, and so are a URL that 404s or is cut short and an apply to a full
ESP; a bundle of another version, fetched over http from the build
host's loopback, goes to slot b with 3 tries, boots, is marked good by
PID 1 after berth.update-grace; a bundle whose UKI cannot boot (an
initramfs without init, signed with the right key) burns its tries and
the box comes back on the good slot by itself, `berth update status`
saying the trial boot never reported; a bundle that boots but whose
service never gets healthy gives up after berth.update-timeout, records
why on the ESP and the old slot boots again, status giving the reason;
QEMU killed during an apply leaves the running slot booting. One VM
(with its reboots) carries the whole story, in order."""
import os
import re
import shutil
import subprocess
import tempfile
import time

from harness import free_port, http_get, newc_cpio, skip
from uefi import OVMF_VARS, BundleServer, UefiAppliance, copy_disk, disk_sh, fresh_vars

GOOD = "9.0.0-test"
BAD = "9.1.0-noinit"
SICK = "9.2.0-unhealthy"
SICK_TIMEOUT = 30
# the default workload with a health check that always fails
SICK_COMPOSE = """name: berth
services:
  web:
    image: httpd:latest
    ports:
      - "80:80"
    restart: always
    healthcheck:
      test: ["CMD", "false"]
      interval: 1s
      retries: 1
"""


def cmdline_with(extra):
    return "console=ttyS0 quiet loglevel=4 panic=-1 noapictimer " + extra


def make_bundles(build, d):
    """The bundles the tests apply, on a small ext4 disk (mkfs.ext4 -d)."""
    files = os.path.join(d, "files")
    os.makedirs(files)
    berth = os.path.join(build, "berth")
    grace = {"BERTH_CMDLINE": cmdline_with("berth.update-grace=3")}
    good_uki = os.path.join(d, "good.uki")
    disk_sh(build, "uki", good_uki, GOOD, env=grace)
    disk_sh(build, "bundle", os.path.join(files, "good.bundle"), GOOD, good_uki)
    # an initramfs without init: the kernel panics, panic=-1 resets
    noinit = os.path.join(d, "noinit.cpio")
    with open(noinit, "wb") as f:
        f.write(newc_cpio({"/etc/hostname": "broken\n"}))
    bad_uki = os.path.join(d, "bad.uki")
    disk_sh(build, "uki", bad_uki, BAD, noinit, env=grace)
    disk_sh(build, "bundle", os.path.join(files, "noinit.bundle"), BAD, bad_uki)
    # boots, never healthy: the image's initramfs with another compose.yaml
    # appended (a second cpio archive, 4-byte aligned, overrides the file)
    with open(os.path.join(build, "initramfs.cpio.gz"), "rb") as f:
        base = f.read()
    sick = os.path.join(d, "sick.cpio")
    with open(sick, "wb") as f:
        f.write(base + b"\0" * (-len(base) % 4) +
                newc_cpio({"/etc/berth/compose.yaml": SICK_COMPOSE}))
    sick_uki = os.path.join(d, "sick.uki")
    disk_sh(build, "uki", sick_uki, SICK, sick, env={"BERTH_CMDLINE": cmdline_with(
        "berth.update-grace=3 berth.update-timeout=%d" % SICK_TIMEOUT)})
    disk_sh(build, "bundle", os.path.join(files, "unhealthy.bundle"), SICK, sick_uki)
    # refused ones: another key, a flipped byte, cut short, old and same versions
    other = os.path.join(d, "other.key")
    subprocess.run([berth, "update", "keygen", other], check=True)
    subprocess.run([berth, "update", "sign", "--key", other, "--version", "9.5",
                    "-o", os.path.join(files, "otherkey.bundle"), good_uki], check=True)
    with open(os.path.join(files, "good.bundle"), "rb") as f:
        good = bytearray(f.read())
    flipped = bytearray(good)
    flipped[len(flipped) // 2] ^= 0x01
    with open(os.path.join(files, "flipped.bundle"), "wb") as f:
        f.write(flipped)
    with open(os.path.join(files, "truncated.bundle"), "wb") as f:
        f.write(good[:len(good) - 4096])
    disk_sh(build, "bundle", os.path.join(files, "old.bundle"), "0.0.1", good_uki)
    disk_sh(build, "bundle", os.path.join(files, "same.bundle"), running_version(build),
            good_uki)
    xfer = os.path.join(d, "xfer.img")
    with open(xfer, "wb") as f:
        f.truncate(96 << 20)
    subprocess.run(["mkfs.ext4", "-q", "-L", "xfer", "-d", files, xfer], check=True)
    return xfer, files


def running_version(build):
    """The version in build/berth.uki's os-release (what slot a runs)."""
    out = subprocess.run(["objcopy", "-O", "binary", "--only-section=.osrel",
                          os.path.join(build, "berth.uki"), "/dev/stdout"],
                         capture_output=True, check=True).stdout.decode()
    return re.search(r'^VERSION="([^"]+)"', out, re.M).group(1)


class Ctx:
    def __init__(self, build):
        if not os.path.exists(os.path.join(build, "berth.img")):
            raise AssertionError("no build/berth.img: run ./build.sh image")
        if not os.path.exists(OVMF_VARS):
            skip("no OVMF firmware (%s; Debian's ovmf package)" % OVMF_VARS)
        self.build = build
        self.dir = tempfile.mkdtemp(prefix="berth-uefi-")
        self.disk = os.path.join(self.dir, "berth.img")
        copy_disk(os.path.join(build, "berth.img"), self.disk)
        self.vars = fresh_vars(os.path.join(self.dir, "vars.fd"))
        self.xfer, files = make_bundles(build, self.dir)
        self.http = BundleServer(files)
        self.version = running_version(build)
        self.port = free_port()
        self.boots = 0
        self.vm = None

    def boot(self):
        self.boots += 1
        self.vm = UefiAppliance(self.build, "uefi-%d" % self.boots, self.disk, self.vars,
                                drives=[self.xfer], http_port=self.port).start()
        self.vm.wait_prompt(240)
        self.mount_xfer()
        return self.vm

    def mount_xfer(self):
        self.vm.sh("mkdir -p /tmp/x && mount -o ro LABEL=xfer /tmp/x 2>/dev/null || "
                   "mount -o ro /dev/vdb /tmp/x")

    def status(self):
        return self.vm.sh("berth update status")

    def reboot(self, timeout=300):
        start = len(self.vm.buf)
        self.vm.send("berth reboot\n")
        m = self.vm.expect(rb"reboot: Restarting system", 120, start)
        self.vm.wait_prompt(timeout, start=m.end())
        self.mount_xfer()


def setup_module(build):
    ctx = Ctx(build)
    ctx.boot()
    return ctx


def teardown_module(ctx):
    if ctx.vm:
        ctx.vm.kill()
    ctx.http.close()
    shutil.rmtree(ctx.dir, ignore_errors=True)


def test_boots_to_workload(ctx):
    # systemd-boot -> UKI of slot a -> PID 1 -> httpd on port 80
    body = http_get(ctx.port, timeout=120)
    assert "html" in body.lower(), body[:200]
    st = ctx.status()
    assert re.search(r"^Booted:\s+slot a, version %s$" % re.escape(ctx.version), st, re.M), st
    assert re.search(r"^Slot a:\s+version %s, good, booted" % re.escape(ctx.version), st, re.M), st
    # the partitions the kernel found on the GPT disk, the data disk mounted from it
    assert "/dev/vda2 /data ext4" in ctx.vm.sh("cat /proc/mounts")
    out = ctx.vm.sh("berth version")
    assert re.search(r"^Client:\n Version:\s+\S+", out, re.M), out
    assert re.search(r"^Server:\n Engine:\n  Version:\s+\S+\n  Mode:\s+init \(pid 1\)", out,
                     re.M), out


def refused(ctx, bundle, flags=""):
    src = bundle if "://" in bundle else "/tmp/x/" + bundle
    out, rc = ctx.vm.run("berth update apply %s %s 2>&1" % (flags, src), timeout=120,
                         check=False)
    lines = [l for l in out.splitlines() if l.strip()]
    assert rc == 1 and len(lines) == 1 and lines[0].startswith("berth: update: "), (rc, out)
    return lines[0]


def test_bad_bundles_refused(ctx):
    before = ctx.vm.sh("berth update status")
    assert "signature does not match" in refused(ctx, "otherkey.bundle")
    line = refused(ctx, "flipped.bundle")
    assert "signature" in line or "sha256 does not match" in line, line
    assert "truncated" in refused(ctx, "truncated.bundle")
    assert "--allow-downgrade" in refused(ctx, "old.bundle")
    assert "--force" in refused(ctx, "same.bundle")
    assert "No such file" in refused(ctx, "missing.bundle")
    # over http: a 404, and a connection closed half-way through the bundle
    line = refused(ctx, ctx.http.url("missing.bundle"))
    assert line.endswith("missing.bundle: the server answered HTTP 404"), line
    line = refused(ctx, ctx.http.url("cut/good.bundle"))
    assert "cut/good.bundle: truncated: " in line, line
    # nothing of the downloads is left on /data
    listing = ctx.vm.sh("ls -a /data").split()
    assert "berth" in listing and not [n for n in listing if "berth-update" in n], listing
    assert ctx.status() == before


def test_full_esp_refused(ctx):
    # the ESP filled up from the shell: apply says so before it writes
    before = ctx.status()
    ctx.vm.sh("mkdir -p /tmp/esp && mount -t vfat /dev/vda1 /tmp/esp && "
              "(dd if=/dev/zero of=/tmp/esp/fill bs=1M 2>/dev/null; sync; true)", timeout=120)
    try:
        line = refused(ctx, "good.bundle")
        assert re.search(r"the EFI system partition has \d+ KiB free, the new image needs "
                         r"\d+ KiB; nothing was changed$", line), line
        listing = ctx.vm.sh("ls -a /tmp/esp/EFI/Linux").split()
        assert [n for n in listing if n.endswith(".efi")], listing
        assert not [n for n in listing if n.endswith(".tmp")], listing
    finally:
        ctx.vm.sh("rm -f /tmp/esp/fill; umount /tmp/esp")
    assert ctx.status() == before


def test_apply_boot_mark_good(ctx):
    # fetched from the build host (QEMU's user network: 10.0.2.2 is its loopback)
    t0 = time.monotonic()
    out = ctx.vm.sh("berth update apply %s" % ctx.http.url("good.bundle"), timeout=120)
    ctx.apply_seconds = time.monotonic() - t0
    assert re.search(r"Version %s written to slot b \(berth-2-b\+3\.efi" % GOOD, out), out
    st = ctx.status()
    assert re.search(r"^Next boot:\s+slot b, version %s$" % GOOD, st, re.M), st
    assert re.search(r"^Slot b:\s+version %s, trying, 3 tries left, 0 done" % GOOD, st, re.M), st
    ctx.reboot()
    st = ctx.status()
    assert re.search(r"^Booted:\s+slot b, version %s$" % GOOD, st, re.M), st
    # PID 1 marks it good after berth.update-grace=3 s of health
    deadline = time.monotonic() + 120
    while "good, booted" not in st and time.monotonic() < deadline:
        time.sleep(3)
        st = ctx.status()
    assert re.search(r"^Slot b:\s+version %s, good, booted \(berth-2-b\.efi\)" % GOOD, st,
                     re.M), st
    assert "marked good" in ctx.vm.sh("dmesg | grep 'berth: update'")
    assert "html" in http_get(ctx.port, timeout=60).lower()


def test_rollback_selects_other_slot(ctx):
    out = ctx.vm.sh("berth update rollback")
    assert "Slot a (version %s) boots next" % ctx.version in out, out
    st = ctx.status()
    assert re.search(r"^Next boot:\s+slot a, version %s$" % re.escape(ctx.version), st, re.M), st


def back_on_b(ctx, start, version, why):
    """After the failed tries: slot b (GOOD) boots again, slot a (version)
    is bad, and status's last line gives why (a regex)."""
    ctx.vm.wait_prompt(300, start=start)
    ctx.mount_xfer()
    st = ctx.status()
    assert re.search(r"^Booted:\s+slot b, version %s$" % GOOD, st, re.M), st
    assert re.search(r"^Slot a:\s+version %s, bad" % version, st, re.M), st
    assert re.search(r"^Last update:\s+version %s in slot a failed \(%s\); rolled back to "
                     r"slot b$" % (version, why), st, re.M), st


def test_unbootable_update_rolls_back(ctx):
    # written over slot a (not running), then 3 failed tries: back on b
    out = ctx.vm.sh("berth update apply /tmp/x/noinit.bundle", timeout=120)
    assert "written to slot a" in out, out
    start = len(ctx.vm.buf)
    ctx.vm.send("berth reboot\n")
    start = ctx.vm.expect(rb"reboot: Restarting system", 120, start).end()
    for _ in range(3):
        m = ctx.vm.expect(rb"Kernel panic - not syncing", 240, start)
        start = m.end()
    # the kernel panicked: no record on the ESP from that boot
    back_on_b(ctx, start, BAD, r"3 tries used: the trial boot never reported: .*")
    out, rc = ctx.vm.run("berth update rollback 2>&1", check=False)
    assert rc == 1 and "no tries left" in out, out


def test_unhealthy_update_rolls_back(ctx):
    # boots, but its service never gets healthy: one try (--tries 1), the
    # mark-good child gives up after berth.update-timeout, writes why on
    # the ESP and reboots; slot b boots again and status gives the reason
    out = ctx.vm.sh("berth update apply --tries 1 /tmp/x/unhealthy.bundle", timeout=120)
    assert "written to slot a" in out and "1 try" in out, out
    start = len(ctx.vm.buf)
    ctx.vm.send("berth reboot\n")
    start = ctx.vm.expect(rb"reboot: Restarting system", 120, start).end()
    m = ctx.vm.expect(rb"update: trial boot of berth-\d+-a\+0-1\.efi not good: ([^\r\n]*)",
                      300 + SICK_TIMEOUT, start)
    start = ctx.vm.expect(rb"reboot: Restarting system", 120, m.end()).end()
    back_on_b(ctx, start, SICK, r"1 try used: not healthy within %d s: container \S+ is "
              r"unhealthy" % SICK_TIMEOUT)


def test_power_cut_during_apply(ctx):
    # QEMU killed while apply writes slot a's temp file (seen through the
    # apply's own mount namespace): slot b still boots, good, untouched
    ctx.vm.send("berth update apply --allow-downgrade /tmp/x/old.bundle >/dev/null & p=$!; "
                "until ls -a /proc/$p/root/run/berth/esp/EFI/Linux 2>/dev/null | grep -q tmp; "
                "do :; done; echo WRITING''-NOW\n")
    ctx.vm.expect(rb"WRITING-NOW", 120)
    ctx.vm.kill()
    ctx.boot()
    st = ctx.status()
    assert re.search(r"^Booted:\s+slot b, version %s$" % GOOD, st, re.M), st
    assert re.search(r"^Slot b:\s+version %s, good, booted \(berth-2-b\.efi\)" % GOOD, st,
                     re.M), st
    assert "html" in http_get(ctx.port, timeout=120).lower()
