#!/usr/bin/env python3
"""./build.sh bench: PID 1 under load, in the appliance with 1 GiB (TCG).

- idle containers: start LEVELS (10, 100, 1000 by default; --max caps
  them) busybox containers that sleep, and check they all stay up;
- `berth ps` latency at each level: 5 batches of 10 calls, each batch
  timed with /proc/uptime (10 ms ticks over a batch of 10), the median of
  the per-call means;
- PID 1's RSS and open descriptors before the first start and after all
  were removed (leaks show as growth);
- start/stop growth: CYCLES runs of `run -d -p 8080:80` + `rm -f`, each
  start timed the same way; the median of the last 10 against the first 10.
Results are printed and written to build/bench/load.md; docs/figures.md
quotes them.
"""
import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from harness import Appliance  # noqa: E402

UPTIME = "cut -d' ' -f1 /proc/uptime"


def pid1(vm):
    rss = int(vm.sh("awk '/VmRSS/ {print $2}' /proc/1/status").strip())
    fds = int(vm.sh("ls /proc/1/fd | wc -l").strip())
    return rss, fds


def timed_loop(vm, body, n, timeout=120):
    """Seconds per iteration of body run n times in one shell loop."""
    out = vm.sh("a=$(%s); i=0; while [ $i -lt %d ]; do %s; i=$((i+1)); done; b=$(%s); "
                "echo $a $b" % (UPTIME, n, body, UPTIME), timeout=timeout)
    a, b = map(float, out.split()[-2:])
    return (b - a) / n


def ps_latency(vm):
    return statistics.median(timed_loop(vm, "berth ps >/dev/null", 10) for _ in range(5))


def start_idle(vm, first, last):
    # in batches, so one console command does not run for minutes
    for lo in range(first, last, 50):
        hi = min(last, lo + 50)
        vm.sh("i=%d; while [ $i -lt %d ]; do berth run -d --name idle$i busybox sleep 100000 "
              ">/dev/null || echo FAILED $i; i=$((i+1)); done" % (lo, hi), timeout=600)


def start_stop_growth(vm, cycles):
    times = []
    for _ in range(cycles):
        t = timed_loop(vm, "berth run -d --name cyc -p 8080:80 busybox sleep 100000 >/dev/null", 1)
        vm.sh("berth rm -f cyc >/dev/null")
        times.append(t)
    return times


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--levels", default="10,100,1000")
    ap.add_argument("--max", type=int, default=1000)
    ap.add_argument("--cycles", type=int, default=100)
    a = ap.parse_args()
    levels = [n for n in map(int, a.levels.split(",")) if n <= a.max]
    vm = Appliance(a.build, "bench-load", mem=1024).start()
    rows = []
    try:
        vm.wait_prompt(120)
        rss0, fds0 = pid1(vm)
        times = start_stop_growth(vm, a.cycles)
        first, last = statistics.median(times[:10]), statistics.median(times[-10:])
        started = 0
        for n in levels:
            start_idle(vm, started, n)
            started = n
            up = int(vm.sh("berth ps -q | wc -l").strip())
            rss, fds = pid1(vm)
            rows.append((n, up, ps_latency(vm) * 1000, rss, fds))
        vm.sh("berth ps -aq | xargs -n 50 berth rm -f >/dev/null", timeout=900)
        rss1, fds1 = pid1(vm)
    finally:
        vm.kill()
    text = ["| idle containers started | running | `berth ps` ms (median) | PID 1 RSS KiB | PID 1 fds |",
            "|---|---|---|---|---|"]
    text += ["| %d | %d | %.1f | %d | %d |" % r for r in rows]
    text += ["",
             "PID 1 before any container: %d KiB RSS, %d fds; after all were removed: "
             "%d KiB, %d fds." % (rss0, fds0, rss1, fds1),
             "",
             "start with a published port, %d start/rm cycles: first 10 median %.0f ms, "
             "last 10 median %.0f ms (%+.0f %%)." % (a.cycles, first * 1000, last * 1000,
                                                     (last / first - 1) * 100)]
    out = "\n".join(text)
    print(out)
    os.makedirs(os.path.join(a.build, "bench"), exist_ok=True)
    with open(os.path.join(a.build, "bench", "load.md"), "w") as f:
        f.write(out + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
