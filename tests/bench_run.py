#!/usr/bin/env python3
"""./build.sh bench, containers: `berth run --rm busybox true` against
`crun run` and `runc run` (Debian's) on the same busybox rootfs, side by
side in one run on this host, median of N each; and the supervisor's RSS
with 0 and 100 idle containers.

Comparable work: each tool starts `true` in new mnt, pid, ipc, uts and net
namespaces (berth with --network none, the others with runc spec's empty
netns) on the busybox rootfs and waits for it. Then berth's default bridge
networking against --network none. Differences: berth also
mounts an overlay (the image layer + a fresh upper dir), applies its
default seccomp filter and capability set and goes through its control
FIFO (CLI -> supervisor); crun and runc use the bundle's rootfs directly
with `runc spec`'s defaults (seccomp none). This host has cgroup v1
"hybrid": berth runs without a cgroup here, runc uses v1 cgroups, crun
runs with the unified hierarchy unmounted in a private mount namespace
(it refuses hybrid hosts), as the developers' guide says.
"""
import argparse
import ctypes
import json
import multiprocessing
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from hostenv import Daemon  # noqa: E402


def timed(cmd, n, env=None):
    out = []
    for _ in range(n):
        t = time.monotonic()
        p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        out.append((time.monotonic() - t) * 1000)
        if p.returncode != 0:
            raise RuntimeError("%s failed: %s" % (cmd, p.stderr.decode()[-500:]))
    return out


def make_bundle(rootfs_src, path):
    os.makedirs(path)
    shutil.copytree(rootfs_src, os.path.join(path, "rootfs"), symlinks=True)
    spec_true(path)


def spec_true(path):
    """runc's default config.json in bundle path, running `true` without
    a terminal."""
    subprocess.run(["runc", "spec", "--bundle", path], check=True)
    cfg_path = os.path.join(path, "config.json")
    with open(cfg_path) as f:
        cfg = json.load(f)
    cfg["process"]["terminal"] = False
    cfg["process"]["args"] = ["true"]
    with open(cfg_path, "w") as f:
        json.dump(cfg, f)


def crun_namespace():
    """Move this process into a private mount namespace without the v1
    unified mount, where Debian's crun accepts a hybrid host. An error
    text, or None."""
    libc = ctypes.CDLL(None, use_errno=True)
    MS_REC, MS_PRIVATE = 0x4000, 0x40000
    if libc.unshare(0x00020000) != 0:
        return "unshare: errno %d" % ctypes.get_errno()
    libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None)
    libc.umount(b"/sys/fs/cgroup/unified")
    return None


def crun_worker(bundle, requests, q):
    """crun needs a mount namespace without the v1 unified mount: this
    process makes one and runs batches of crun starts on request."""
    err = crun_namespace()
    if err:
        q.put(("error", err))
        return
    while True:
        n = requests.get()
        if n is None:
            return
        try:
            q.put(("ok", timed(["crun", "run", "--bundle", bundle, "bench-crun"], n)))
        except Exception as e:  # reported by the parent
            q.put(("error", str(e)))


def start_profile(d, n=20):
    """Where the start path's time goes: strace -c -f -w (wall time per
    syscall) of the supervisor and its sandbox children over n
    `run --rm --network none busybox true`; the top 12 lines."""
    out = os.path.join(d.root, "strace.txt")
    st = subprocess.Popen(["strace", "-f", "-c", "-w", "-o", out, "-p", str(d.proc.pid)],
                          stderr=subprocess.DEVNULL)
    time.sleep(1)
    timed([d.berth, "--root", d.root, "run", "--rm", "--network", "none", "busybox", "true"], n)
    st.terminate()
    st.wait()
    with open(out) as f:
        rows = [line.split() for line in f if re.match(r"\s*[\d.]+\s+[\d.]+\s+\d+", line)]
    text = ["strace -c -f -w of the supervisor over %d starts (per start):" % n, "",
            "| syscall | calls | wall ms |", "|---|---|---|"]
    idle = ("epoll_pwait", "epoll_wait", "total")  # the loop waiting for work
    for r in [r for r in rows if r[-1] not in idle][:12]:
        text.append("| %s | %.1f | %.2f |" % (r[-1], int(r[3]) / n, float(r[1]) * 1000 / n))
    return text


def cpu_per_start(d, n):
    """CPU ms per start, load-independent where wall times are not: the
    CLI's (this process's reaped children) plus the supervisor's and its
    children's (perf stat -p: task-clock of the daemon and everything it
    forks, exact to the microsecond; /proc's tick counts are 10 ms) for
    n `run --rm --network none busybox true`, and the same for the floor
    (unshare and its child). None without perf."""
    if not shutil.which("perf"):
        return None
    out = os.path.join(d.root, "perf-stat.txt")
    keeper = [str(p) for p in subprocess.run(["pgrep", "-P", str(d.proc.pid)],
                                             capture_output=True, text=True).stdout.split()]
    st = subprocess.Popen(["perf", "stat", "-x,", "-e", "task-clock", "-o", out, "-p",
                           ",".join([str(d.proc.pid)] + keeper)], stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    cli0 = children_cpu_ms()
    timed([d.berth, "--root", d.root, "run", "--rm", "--network", "none", "busybox", "true"], n)
    cli = children_cpu_ms() - cli0
    st.send_signal(2)
    st.wait()
    with open(out) as f:
        sup = sum(float(line.split(",")[0]) for line in f if "task-clock" in line)
    f0 = children_cpu_ms()
    timed(["unshare", "-pfmiun", "--mount-proc", "/bin/true"], n)
    return cli / n, sup / n, (children_cpu_ms() - f0) / n


def children_cpu_ms():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (r.ru_utime + r.ru_stime) * 1000


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def idle_figures(build, d, idle, n):
    """Does a start get slower as containers, addresses, /etc/hosts lines
    and rules pile up, and what does each cost the supervisor's memory?"""
    rss0 = rss_kib(d.proc.pid)
    # idle in a row, each on the bridge with a port of its own
    row = []
    for i in range(idle):
        row += timed([d.berth, "--root", d.root, "run", "-d", "--name", "idle%d" % i,
                      "-p", "%d:80" % (20000 + i), "busybox", "sleep", "100000"], 1)
    rss100 = rss_kib(d.proc.pid)
    nrules = d.netexec("iptables-legacy" if shutil.which("iptables-legacy") else "iptables",
                       "-t", "nat", "-S").count("\n")
    first, last = statistics.median(row[:10]), statistics.median(row[-10:])
    procs = subprocess.run(["pgrep", "-P", str(d.proc.pid)], capture_output=True,
                           text=True).stdout.split()
    # The same question with the machine's load taken out: a second
    # daemon holding 10 such containers, and starts (run -d -p, then
    # rm -f) on it and on the one holding idle, alternately.
    small = Daemon(build, parent="/dev/shm")
    try:
        small.import_busybox()
        for i in range(10):
            small.ok("run", "-d", "--name", "idle%d" % i, "-p", "%d:80" % (20000 + i),
                     "busybox", "sleep", "100000")
        at10, at100 = [], []
        for k in range(n):
            for daemon, out in ((small, at10), (d, at100)):
                out += timed([daemon.berth, "--root", daemon.root, "run", "-d", "--name",
                              "probe%d" % k, "-p", "19000:80", "busybox", "sleep", "1000"], 1)
                daemon.ok("rm", "-f", "probe%d" % k)
    finally:
        small.stop()
    m10, m100 = statistics.median(at10), statistics.median(at100)
    return [
        "",
        "| %d containers in a row (`run -d -p PORT:80 busybox sleep`) | ms per start |" % idle,
        "|---|---|",
        "| median of the first 10 | %.1f |" % first,
        "| median of the last 10 | %.1f (%+.0f %%; %d nat rules by then) |" % (
            last, (last - first) / first * 100, nrules),
        "| interleaved: one more start beside 10 such containers (n=%d) | %.1f |" % (n, m10),
        "| interleaved: one more start beside %d (n=%d) | %.1f (%+.0f %%) |" % (
            idle, n, m100, (m100 - m10) / m10 * 100),
        "",
        "| supervisor (`berth daemon`) RSS | KiB |",
        "|---|---|",
        "| 0 containers | %d |" % rss0,
        "| %d idle containers | %d (%.1f KiB per container) |" % (
            idle, rss100, (rss100 - rss0) / idle),
        "| its children with %d containers | %d (the containers' own inits; no shims) |" % (
            idle, len(procs)),
    ]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("-n", type=int, default=25)
    ap.add_argument("--idle", type=int, default=100,
                    help="containers in a row for the growth figures (0: skip that part)")
    ap.add_argument("--baseline", help="another build directory (e.g. main's) whose berth "
                    "runs beside, on a daemon of its own: before/after in one run")
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    # The run state lives on tmpfs, as /run does on a host (and crun's
    # /run/crun): fsync on ext4 would dominate otherwise.
    # iptables as the appliance has it: the legacy x_tables backend (the
    # host's default iptables-restore may be the nf_tables one, whose rule
    # deletion alone takes 20-30 ms here).
    os.environ["BERTH_IPTABLES_RESTORE"] = shutil.which("iptables-legacy-restore") or ""
    if not os.environ["BERTH_IPTABLES_RESTORE"]:
        del os.environ["BERTH_IPTABLES_RESTORE"]
    d = Daemon(build, parent="/dev/shm")
    base = Daemon(os.path.abspath(a.baseline), parent="/dev/shm") if a.baseline else None
    work = tempfile.mkdtemp(prefix="berth-bench-")
    try:
        for x in (d, base) if base else (d,):
            x.import_busybox()
            x.ok("run", "--rm", "busybox", "true")  # warm-up, also checks it works
        layers = os.path.join(d.root, "var/lib/berth/layers")
        rootfs = os.path.join(layers, os.listdir(layers)[0])
        bundle = os.path.join(work, "bundle")
        make_bundle(rootfs, bundle)
        # Interleaved in rounds of 5, so load changes hit every tool alike.
        requests, q = multiprocessing.Queue(), multiprocessing.Queue()
        p = multiprocessing.Process(target=crun_worker, args=(bundle, requests, q))
        p.start()
        berth, bridge, bport, runc, crun, floor, before = [], [], [], [], [], [], []
        load0 = os.getloadavg()[0]
        try:
            for _ in range((a.n + 4) // 5):
                berth += timed([d.berth, "--root", d.root, "run", "--rm", "--network", "none",
                                "busybox", "true"], 5)
                if base:
                    before += timed([base.berth, "--root", base.root, "run", "--rm", "--network",
                                     "none", "busybox", "true"], 5)
                # bridge networking's own cost (veth, IPAM, routes; the daemon
                # runs in a private network namespace of the test's)
                bridge += timed([d.berth, "--root", d.root, "run", "--rm", "busybox", "true"], 5)
                # ... and with one published port (DNAT, hairpin MASQUERADE and
                # FORWARD rules in and out, one iptables-restore each way)
                bport += timed([d.berth, "--root", d.root, "run", "--rm", "-p", "18080:80",
                                "busybox", "true"], 5)
                runc += timed(["runc", "run", "--bundle", bundle, "bench-runc"], 5)
                # the bare namespace floor: new namespaces, /proc, exec
                floor += timed(["unshare", "-pfmiun", "--mount-proc", "/bin/true"], 5)
                requests.put(5)
                status, got = q.get(timeout=600)
                if status != "ok":
                    raise RuntimeError("crun: " + got)
                crun += got
        finally:
            requests.put(None)
            p.join()
        load1 = os.getloadavg()[0]
        # per round: each one's medians side by side, so the machine's
        # load, which moves between rounds, cancels out of the ratios
        rounds = [(statistics.median(berth[i:i + 5]), statistics.median(crun[i:i + 5]),
                   statistics.median(floor[i:i + 5])) for i in range(0, len(berth), 5)]
        cpu = cpu_per_start(d, a.n)
        cpu_base = cpu_per_start(base, a.n) if base else None
        m = {k: statistics.median(v) for k, v in (("berth", berth), ("crun", crun),
                                                   ("runc", runc), ("unshare", floor))}
        lines = [
            "| runtime | median start+exit of `true` (ms, n=%d) | ratio to crun |" % a.n,
            "|---|---|---|",
        ] + ["| %s | %.1f | %.2f |" % (k, m[k], m[k] / m["crun"]) for k in ("berth", "crun", "runc")]
        if base:
            mb = statistics.median(before)
            lines += ["| berth --baseline (%s) | %.1f | %.2f |" % (a.baseline, mb, mb / m["crun"])]
        lines += ["| `unshare -pfmiun --mount-proc /bin/true` (the floor) | %.1f | %.2f |" %
                  (m["unshare"], m["unshare"] / m["crun"]),
                  "", "berth / floor: %.2f (median of the %d rounds' own ratios: %.2f; "
                  "berth / crun %.2f); load average %.1f at the start, %.1f at the end" % (
                      m["berth"] / m["unshare"], len(rounds),
                      statistics.median(r[0] / r[2] for r in rounds),
                      statistics.median(r[0] / r[1] for r in rounds), load0, load1)]
        if cpu:
            lines += ["", "CPU per start (ms): berth %.1f (CLI %.1f + supervisor and its "
                      "children %.1f), the floor %.1f: berth / floor %.2f" % (
                          cpu[0] + cpu[1], cpu[0], cpu[1], cpu[2], (cpu[0] + cpu[1]) / cpu[2])]
        if cpu_base:
            lines += ["CPU per start, --baseline: %.1f (CLI %.1f + %.1f), the floor %.1f: %.2f" % (
                cpu_base[0] + cpu_base[1], cpu_base[0], cpu_base[1], cpu_base[2],
                (cpu_base[0] + cpu_base[1]) / cpu_base[2])]
        if base:
            lines += ["baseline / floor: %.2f; berth / baseline: %.2f" % (
                mb / m["unshare"], m["berth"] / mb)]
        lines += [""] + start_profile(d)
        lines += [
            "",
            "| berth run --rm busybox true | median (ms) |",
            "|---|---|",
            "| --network none | %.1f |" % m["berth"],
            "| --network bridge (default) | %.1f (+%.1f ms) |" % (
                statistics.median(bridge), statistics.median(bridge) - m["berth"]),
            "| --network bridge -p 18080:80 | %.1f (+%.1f ms) |" % (
                statistics.median(bport), statistics.median(bport) - m["berth"]),
        ]
        if a.idle:
            lines += idle_figures(build, d, a.idle, a.n)
        text = "\n".join(lines)
        print(text)
        os.makedirs(os.path.join(build, "bench"), exist_ok=True)
        with open(os.path.join(build, "bench", "run.md"), "w") as f:
            f.write(text + "\n")
    finally:
        d.stop()
        if base:
            base.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
