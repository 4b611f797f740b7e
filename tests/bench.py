#!/usr/bin/env python3
"""./build.sh bench: boot figures of the appliance under TCG.

- QEMU process start to the console prompt (median of N boots);
- PID 1 start to network ready, from PID 1's own milestones (`berth boot`);
- with the baked default workload (rootfs/etc/berth/compose.yaml: the
  httpd image on 80:80): QEMU process start to the first HTTP 200 through
  hostfwd, and PID 1 start to the first service's exec (milestone
  first-container);
- artifact sizes.
Results are printed and written to build/bench/boot.md; docs/figures.md
quotes them.
"""
import argparse
import os
import re
import statistics
import sys
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import harness  # noqa: E402
from harness import Appliance, free_port  # noqa: E402


def milestones(text):
    out = {}
    for m in re.finditer(r"^(\S+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)$", text, re.M):
        out[m.group(1)] = (float(m.group(2)), float(m.group(3)))
    return out


def boot_once(build, i):
    vm = Appliance(build, "bench-boot-%d" % i).start()
    try:
        vm.expect(harness.PROMPT, 90)
        prompt = time.monotonic() - vm.t_start
        vm.send("stty -echo\n")
        vm.run("true")
        ms = milestones(vm.sh("berth boot"))
        rss = vm.sh("awk '/VmRSS/ {print $2}' /proc/1/status").strip()
        vm.send("berth poweroff\n")
        vm.wait_exit(60)
        return prompt, ms, int(rss or 0)
    finally:
        vm.kill()




def compose_boot_once(build, i):
    """Seconds from QEMU's start to the first 200 from the service, and
    PID 1's milestones."""
    vm = Appliance(build, "bench-compose-%d" % i, http_port=free_port(), workload=True).start()
    try:
        url = "http://127.0.0.1:%d/" % vm.http_port
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(url, timeout=1) as r:
                    if r.status == 200:
                        first = time.monotonic() - vm.t_start
                        break
            except Exception:
                if time.monotonic() > deadline:
                    vm.fail("no HTTP 200 from %s" % url)
                time.sleep(0.02)
        m = vm.expect(rb"berth compose: up finished", 60)
        vm.send("\n")
        vm.wait_prompt(60, start=m.end())
        ms = milestones(vm.sh("berth boot"))
        vm.send("berth poweroff\n")
        vm.wait_exit(60)
        return first, ms
    finally:
        vm.kill()


def compose_figures(build, n):
    firsts, pid1, step = [], [], []
    for i in range(n):
        first, ms = compose_boot_once(build, i)
        firsts.append(first)
        pid1.append(ms["first-container"][1])
        step.append(ms["first-container"][1] - ms["supervisor"][1])
        print("compose boot %d: QEMU start to HTTP 200 %.2f s, PID 1 start to service exec "
              "%.1f ms (supervisor ready to exec %.1f ms)" % (i + 1, first, pid1[-1], step[-1]))
    return [
        "| QEMU start to first HTTP 200 from the default workload (httpd image; median of %d, TCG) | %.2f s "
        "| <= 5 s |" % (n, statistics.median(firsts)),
        "| PID 1 start to the first service's exec (median, milestone first-container) | "
        "%.1f ms | <= 100 ms |" % statistics.median(pid1),
        "| of which supervisor ready to that exec (median) | %.1f ms | |" %
        statistics.median(step),
    ]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--boots", type=int, default=5)
    ap.add_argument("--compose-boots", type=int, default=5)
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    prompts, net, kernel, rss = [], [], [], []
    for i in range(a.boots):
        p, ms, r = boot_once(build, i)
        prompts.append(p)
        if "network" in ms and "init" in ms:
            net.append(ms["network"][1])
            kernel.append(ms["init"][0])
        rss.append(r)
        print("boot %d: prompt %.2f s, PID 1 start->network %.1f ms, kernel->PID 1 %.0f ms, "
              "PID 1 RSS %d KiB" % (i + 1, p, net[-1] if net else -1, kernel[-1] if kernel else -1,
                                   r))
    size = lambda f: os.path.getsize(os.path.join(build, f))
    lines = [
        "| figure | value | goal |",
        "|---|---|---|",
        "| QEMU start to console prompt (median of %d, TCG) | %.2f s | <= 4 s |" %
        (len(prompts), statistics.median(prompts)),
        "| PID 1 start to network ready (median, own milestones) | %.1f ms | <= 50 ms |" %
        statistics.median(net),
        "| kernel start to PID 1 start (median) | %.0f ms | |" % statistics.median(kernel),
        "| PID 1 RSS after boot (median) | %d KiB | |" % statistics.median(rss),
    ] + (compose_figures(build, a.compose_boots) if a.compose_boots else []) + [
        "| build/berth (static, stripped) | %d KiB | <= 1024 KiB |" % (size("berth") // 1024),
        "| build/bzImage | %d KiB | |" % (size("bzImage") // 1024),
        "| build/initramfs.cpio.gz | %d KiB | <= 4096 KiB |" % (size("initramfs.cpio.gz") // 1024),
    ]
    text = "\n".join(lines)
    print(text)
    os.makedirs(os.path.join(build, "bench"), exist_ok=True)
    with open(os.path.join(build, "bench", "boot.md"), "w") as f:
        f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
