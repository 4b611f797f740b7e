#!/usr/bin/env python3
"""./build.sh bench, the UEFI part: QEMU start to the first HTTP 200 from
the default workload, booting build/berth.img under OVMF (firmware,
systemd-boot, the UKI) against the -kernel boot of the same build, in
alternating rounds of the same run (medians and the ratio); the time of
`berth update apply` of build/berth-update.bundle (one slot, seen from the
host around the console command), from a file on a disk and from a URL
(http from the build host's loopback); the sizes of the image and the
bundle.
Printed and written to build/bench/uefi.md; docs/figures.md quotes it.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "lib"))
from harness import Appliance, free_port  # noqa: E402
from uefi import BundleServer, UefiAppliance, copy_disk, fresh_vars  # noqa: E402


def first_200(vm, timeout=300):
    url = "http://127.0.0.1:%d/" % vm.http_port
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    return time.monotonic() - vm.t_start
        except Exception:
            if time.monotonic() > deadline:
                vm.fail("no HTTP 200 from %s" % url)
            time.sleep(0.02)


def kernel_boot(build, i):
    vm = Appliance(build, "bench-kernel-%d" % i, http_port=free_port(), workload=True).start()
    try:
        return first_200(vm)
    finally:
        vm.kill()


def uefi_boot(build, d, i, xfer=None):
    disk = os.path.join(d, "berth-%d.img" % i)
    copy_disk(os.path.join(build, "berth.img"), disk)
    vm = UefiAppliance(build, "bench-uefi-%d" % i, disk,
                       fresh_vars(os.path.join(d, "vars-%d.fd" % i)),
                       drives=[xfer] if xfer else [], http_port=free_port()).start()
    t = first_200(vm)
    return t, vm


def apply_time(vm, http):
    """The apply of the bundle from the xfer disk, then from the URL."""
    m = vm.expect(rb"berth compose: up finished", 120)
    vm.send("\n")
    vm.wait_prompt(120, start=m.end())
    vm.sh("mkdir -p /tmp/x && mount -o ro LABEL=xfer /tmp/x")
    times = []
    for src in ("/tmp/x/berth-update.bundle", http.url("berth-update.bundle")):
        t0 = time.monotonic()
        vm.sh("berth update apply --force %s" % src, timeout=300)
        times.append(time.monotonic() - t0)
    return times


def xfer_disk(build, d):
    files = os.path.join(d, "files")
    os.makedirs(files)
    os.link(os.path.join(build, "berth-update.bundle"), os.path.join(files, "berth-update.bundle"))
    img = os.path.join(d, "xfer.img")
    with open(img, "wb") as f:
        f.truncate(64 << 20)
    subprocess.run(["mkfs.ext4", "-q", "-L", "xfer", "-d", files, img], check=True)
    return img


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    d = tempfile.mkdtemp(prefix="berth-bench-uefi-")
    xfer = xfer_disk(build, d)
    http = BundleServer(os.path.join(d, "files"))
    kern, uefi, applies, urls = [], [], [], []
    for i in range(a.rounds):
        kern.append(kernel_boot(build, i))
        t, vm = uefi_boot(build, d, i, xfer)
        uefi.append(t)
        try:
            t_file, t_url = apply_time(vm, http)
            applies.append(t_file)
            urls.append(t_url)
        finally:
            vm.kill()
            os.unlink(os.path.join(d, "berth-%d.img" % i))
        print("round %d: -kernel %.2f s, UEFI %.2f s, apply %.2f s, from URL %.2f s" %
              (i + 1, kern[-1], uefi[-1], applies[-1], urls[-1]))
    http.close()
    img = os.stat(os.path.join(build, "berth.img"))
    size = lambda f: os.path.getsize(os.path.join(build, f)) // 1024
    mk, mu = statistics.median(kern), statistics.median(uefi)
    lines = [
        "| figure (median of %d alternating rounds, TCG) | value |" % a.rounds,
        "|---|---|",
        "| QEMU start to first HTTP 200, -kernel boot (qboot) | %.2f s |" % mk,
        "| QEMU start to first HTTP 200, berth.img under OVMF + systemd-boot + UKI | %.2f s |" % mu,
        "| UEFI / -kernel | %.2f |" % (mu / mk),
        "| `berth update apply` of build/berth-update.bundle (one slot, host-side) | %.2f s |" %
        statistics.median(applies),
        "| the same from http://10.0.2.2 (the build host's loopback, QEMU user network) | "
        "%.2f s |" % statistics.median(urls),
        "| build/berth.img (apparent / allocated) | %d MiB / %d KiB |" %
        (img.st_size >> 20, img.st_blocks // 2),
        "| build/berth.uki | %d KiB |" % size("berth.uki"),
        "| build/berth-update.bundle | %d KiB |" % size("berth-update.bundle"),
    ]
    text = "\n".join(lines)
    print(text)
    os.makedirs(os.path.join(build, "bench"), exist_ok=True)
    with open(os.path.join(build, "bench", "uefi.md"), "w") as f:
        f.write(text + "\n")
    subprocess.run(["rm", "-rf", d])
    return 0


if __name__ == "__main__":
    sys.exit(main())
