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
  start timed the same way; the median of the last 10 against the first 10,
  and PID 1's RSS and fds, iptables rules and conntrack entries before and
  after. Each cycle also times a peer, a start with `--network none` (no
  address, no rules): the host's load changes TCG's speed during the run,
  so the growth of the ratio (port start / peer start) is what the goal
  (<= 10 %) is judged on;
- control storm: CLIENTS concurrent shells sending REQUESTS control requests
  in all (`berth ps -a`) while CRASHERS containers crash-loop under
  `--restart always`; failed requests counted, PID 1's CPU share over the
  storm (utime + stime from /proc/1/stat against /proc/uptime), RSS and fds
  before and after.
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
    """Starts until the first failure; returns (started, first error)."""
    # in batches, so one console command does not run for minutes
    for lo in range(first, last, 50):
        hi = min(last, lo + 50)
        out = vm.sh("i=%d; while [ $i -lt %d ]; do berth run -d --name idle$i busybox sleep "
                    "100000 >/dev/null 2>/tmp/err || { echo FAILED $i; cat /tmp/err; break; }; "
                    "i=$((i+1)); done" % (lo, hi), timeout=900)
        if "FAILED" in out:
            n = int(out.split("FAILED")[1].split()[0])
            return n, out.split("FAILED")[1].strip()
        print("started %d" % hi, flush=True)
    return last, ""


def netcounts(vm):
    """Berth's iptables rules (both tables) and conntrack entries."""
    rules = int(vm.sh("{ iptables -t nat -S; iptables -S; } | wc -l").strip())
    ct = vm.sh("cat /proc/sys/net/netfilter/nf_conntrack_count 2>/dev/null || echo -1").strip()
    return rules, int(ct)


def cpu_ticks(vm):
    """PID 1's utime + stime (ticks) and the uptime (s), in one command."""
    out = vm.sh("cut -d' ' -f14,15 /proc/1/stat; %s" % UPTIME, timeout=120).split()
    return int(out[0]) + int(out[1]), float(out[2])


def rm_all(vm, started, t_start):
    """rm -f of every container as `berth ps -aq | xargs -n 50 berth rm -f`
    (the CLI keeps 50 requests under way), against the starts of the same
    containers: wall time until the last rm returned, until the trees set
    aside were gone too, PID 1's CPU over it (user, system), the load
    average."""
    stat = "cut -d' ' -f14,15 /proc/1/stat"
    u0, s0 = map(int, vm.sh(stat).split())
    t0 = time.monotonic()
    vm.sh("berth ps -aq | xargs -r -n 50 berth rm -f >/dev/null", timeout=3600)
    t_rm = time.monotonic() - t0
    vm.sh("while ls /run/berth/containers | grep -q removing; do sleep 0.2; done", timeout=600)
    t_gone = time.monotonic() - t0
    u1, s1 = map(int, vm.sh(stat).split())
    load = vm.sh("cut -d' ' -f1-3 /proc/loadavg").strip()
    if not started:
        return []
    return ["rm -f of the %d idle containers (`xargs -n 50`): %.1f s, %.1f ms a container "
            "(trees gone after %.1f s); PID 1 CPU %.1f ms a container (%.1f user, %.1f "
            "system); their starts took "
            "%.0f s, %.0f ms a container: rm/start %.3f (wall time of the console commands; "
            "guest load average %s, host %s)." %
            (started, t_rm, t_rm * 1000 / started, t_gone,
             (u1 + s1 - u0 - s0) * 10.0 / started, (u1 - u0) * 10.0 / started,
             (s1 - s0) * 10.0 / started,
             t_start, t_start * 1000 / started, t_rm / t_start if t_start else 0, load,
             " ".join(open("/proc/loadavg").read().split()[:3]))]


def storm(vm, clients, requests, crashers):
    """PID 1's RSS and fds are compared before the crash-loopers exist and
    after they are gone: while they run, which of them hold descriptors
    changes from moment to moment."""
    rss0, fds0 = pid1(vm)
    for i in range(crashers):
        vm.sh("berth run -d --restart always --name crash%d busybox sh -c 'sleep 0.2; exit 3' "
              ">/dev/null" % i, timeout=60)
    t0, u0 = cpu_ticks(vm)
    each = requests // clients
    vm.sh("c=0; while [ $c -lt %d ]; do ( i=0; f=0; while [ $i -lt %d ]; do "
          "berth ps -a >/dev/null 2>>/tmp/stormerr.$c || f=$((f+1)); i=$((i+1)); done; "
          "echo $f >/tmp/storm.$c ) & "
          "c=$((c+1)); done; wait" % (clients, each), timeout=7200)
    t1, u1 = cpu_ticks(vm)
    failed = sum(int(x) for x in vm.sh("cat /tmp/storm.*").split())
    errors = vm.sh("cat /tmp/stormerr.* 2>/dev/null | sort | uniq -c | sort -rn | head -n 3")
    # per kind (supervisor.c's EV_*: 2 the control FIFO, 21 the container
    # timer): how many held the loop over 1 s, and the longest
    stalls = vm.sh("dmesg | grep 'held the loop' | sed 's/.*kind \\([0-9]*\\)) held the loop "
                   "for \\([0-9]*\\) ms.*/\\1 \\2/' | awk '{n[$1]++; if ($2 > m[$1]) m[$1] = $2} "
                   "END {for (k in n) printf \"kind %s: %d, longest %d ms; \", k, n[k], m[k]}'"
                   ).strip()
    answered = int(vm.sh("ls /tmp/storm.* | wc -l").strip())
    restarts = vm.sh("berth inspect -f '{{.RestartCount}}' %s" %
                     " ".join("crash%d" % i for i in range(crashers)), timeout=300).split()
    vm.sh("berth rm -f %s >/dev/null" % " ".join("crash%d" % i for i in range(crashers)),
          timeout=600)
    vm.sh("sleep 2")
    rss1, fds1 = pid1(vm)
    cpu = (t1 - t0) / 100 / (u1 - u0) * 100
    return ["control storm: %d `berth ps -a` requests from %d concurrent clients (%d clients "
            "finished) while %d containers crash-looped under --restart always (%d restarts "
            "in all during the run): %d failed, %.0f s wall, PID 1 CPU %.1f %% of one CPU "
            "(goal < 20 %%); PID 1 before the crash-loopers %d KiB RSS, %d fds; after they were "
            "removed %d KiB, %d fds. Errors: %s. Events that held PID 1's loop over 1 s: %s" %
            (each * clients, clients, answered, crashers, sum(int(r) for r in restarts), failed,
             u1 - u0, cpu, rss0, fds0, rss1, fds1, errors.strip() or "none", stalls or "none")]


def start_stop_growth(vm, cycles):
    # one start and rm first: the first start opens what stays open
    vm.sh("berth run -d --name cyc -p 8080:80 busybox sleep 100000 >/dev/null", timeout=60)
    vm.sh("berth rm -f cyc >/dev/null")
    before = pid1(vm) + netcounts(vm)
    times, peer = [], []
    for _ in range(cycles):
        t = timed_loop(vm, "berth run -d --name cyc -p 8080:80 busybox sleep 100000 >/dev/null", 1)
        vm.sh("berth rm -f cyc >/dev/null")
        p = timed_loop(vm, "berth run -d --name ref --network none busybox sleep 100000 "
                       ">/dev/null", 1)
        vm.sh("berth rm -f ref >/dev/null")
        times.append(t)
        peer.append(p)
    vm.sh("sleep 1")  # the rules' removal runs after rm's answer
    return times, peer, before, pid1(vm) + netcounts(vm)


def cycles_text(cycles, times, peer, before, after):
    def growth(v):
        first, last = statistics.median(v[:10]), statistics.median(v[-10:])
        return first, last, (last / first - 1) * 100

    f, l, g = growth(times)
    pf, pl, pg = growth(peer)
    rg = growth([t / p for t, p in zip(times, peer)])[2]
    return ["start with a published port, %d start/rm cycles: first 10 median %.0f ms, "
            "last 10 median %.0f ms (%+.0f %%); the peer (--network none) %.0f -> %.0f ms "
            "(%+.0f %%); port start / peer, last 10 against first 10: %+.0f %% (goal <= 10 %%); "
            "PID 1 RSS %d -> %d KiB, fds %d -> %d, iptables rules %d -> %d, conntrack entries "
            "%d -> %d." %
            ((cycles, f * 1000, l * 1000, g, pf * 1000, pl * 1000, pg, rg) +
             tuple(x for pair in zip(before, after) for x in pair))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--levels", default="10,100,1000")
    ap.add_argument("--max", type=int, default=1000)
    ap.add_argument("--cycles", type=int, default=100)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--requests", type=int, default=10000)
    ap.add_argument("--crashers", type=int, default=50)
    ap.add_argument("--skip", default="", help="comma list of: cycles,storm,idle")
    a = ap.parse_args()
    levels = [n for n in map(int, a.levels.split(",")) if n <= a.max]
    vm = Appliance(a.build, "bench-load" + a.skip.replace(",", "-"), mem=1024).start()
    rows = []
    try:
        vm.wait_prompt(120)
        rss0, fds0 = pid1(vm)
        notes = []
        if "cycles" not in a.skip:
            notes += cycles_text(a.cycles, *start_stop_growth(vm, a.cycles))
            print(notes[-1], flush=True)
        if "storm" not in a.skip:
            notes += storm(vm, a.clients, a.requests, a.crashers)
            print(notes[-1], flush=True)
        started, why, t_start = 0, "", 0.0
        for n in ([] if "idle" in a.skip else levels):
            t0 = time.monotonic()
            started, why = start_idle(vm, started, n)
            t_start += time.monotonic() - t0
            up = int(vm.sh("berth ps -q | wc -l", timeout=120).strip())
            rss, fds = pid1(vm)
            rows.append((started, up, ps_latency(vm) * 1000, rss, fds))
            print(rows[-1], flush=True)
            if why:
                notes.append("start %d failed: %s" % (started, why))
                notes.append(vm.sh("free; cat /proc/sys/fs/file-nr; dmesg | tail -n 5"))
                break
        notes += rm_all(vm, started, t_start)
        rss1, fds1 = pid1(vm)
    finally:
        vm.kill()
    text = ["| idle containers started | running | `berth ps` ms (median) | PID 1 RSS KiB | PID 1 fds |",
            "|---|---|---|---|---|"]
    text += ["| %d | %d | %.1f | %d | %d |" % r for r in rows]
    text += ["",
             "PID 1 before any container: %d KiB RSS, %d fds; after all were removed: "
             "%d KiB, %d fds." % (rss0, fds0, rss1, fds1)]
    for n in notes:
        text += ["", n]
    out = "\n".join(text)
    print(out)
    os.makedirs(os.path.join(a.build, "bench"), exist_ok=True)
    with open(os.path.join(a.build, "bench", "load.md"), "w") as f:
        f.write(out + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
