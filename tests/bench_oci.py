#!/usr/bin/env python3
"""./build.sh bench, the OCI runtime: create + start + delete of `true`
from one bundle, `berth oci` against crun and runc (Debian's), interleaved
in rounds of 5 so that load changes hit each alike, as crun's README
measures. Median of N each and the ratios to crun and runc.

Same bundle and config for all three (`runc spec` with args ["true"], no
terminal): new mnt, pid, ipc, uts and net namespaces, no seccomp profile
(runc spec has none). This host has cgroup v1 "hybrid": runc uses v1
cgroups, berth runs without a cgroup (it warns), and crun runs with the
unified hierarchy unmounted in a private mount namespace (it refuses hybrid
hosts otherwise). Each runtime's state is on tmpfs (/run/...).
"""
import argparse
import json
import multiprocessing
import os
import shutil
import statistics
import subprocess
import tempfile
import time

from bench_run import crun_namespace, spec_true


def cycle(rt, bundle, cid, n):
    """n times create + start + delete --force; ms per cycle."""
    out = []
    # stderr to a file: the created init keeps the runtime's stdio, and a
    # pipe would not end before start
    with tempfile.TemporaryFile() as err:
        for _ in range(n):
            t = time.monotonic()
            for args in (["create", "--bundle", bundle, cid], ["start", cid],
                         ["delete", "--force", cid]):
                p = subprocess.run(rt + args, stdout=subprocess.DEVNULL, stderr=err)
                if p.returncode != 0:
                    err.seek(0)
                    raise RuntimeError("%s %s failed: %s" % (rt, args, err.read()[-500:]))
            out.append((time.monotonic() - t) * 1000)
    return out


def crun_worker(bundle, requests, q):
    """crun needs a mount namespace without the v1 unified mount."""
    err = crun_namespace()
    if err:
        q.put(("error", err))
        return
    while True:
        n = requests.get()
        if n is None:
            return
        try:
            q.put(("ok", cycle(["crun"], bundle, "bench-oci-crun", n)))
        except Exception as e:  # reported by the parent
            q.put(("error", str(e)))


def make_bundle(path):
    rootfs = os.path.join(path, "rootfs")
    for d in ("bin", "proc", "sys", "dev", "tmp"):
        os.makedirs(os.path.join(rootfs, d))
    shutil.copy("/bin/busybox", os.path.join(rootfs, "bin"))
    os.symlink("busybox", os.path.join(rootfs, "bin/true"))
    spec_true(path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("-n", type=int, default=30)
    a = ap.parse_args()
    berth = [os.path.join(os.path.abspath(a.build), "berth"), "oci", "--root",
             "/run/berth-oci-bench"]
    # not under a noexec /tmp: the rootfs is bind-mounted as it is
    work = tempfile.mkdtemp(prefix="bench-oci-", dir=os.path.abspath(a.build))
    bundle = os.path.join(work, "bundle")
    make_bundle(bundle)
    requests, q = multiprocessing.Queue(), multiprocessing.Queue()
    p = multiprocessing.Process(target=crun_worker, args=(bundle, requests, q))
    p.start()
    times = {"berth": [], "crun": [], "runc": []}
    try:
        cycle(berth, bundle, "bench-oci-berth", 1)  # warm-up, also checks it works
        for _ in range((a.n + 4) // 5):
            times["berth"] += cycle(berth, bundle, "bench-oci-berth", 5)
            times["runc"] += cycle(["runc"], bundle, "bench-oci-runc", 5)
            requests.put(5)
            status, got = q.get(timeout=600)
            if status != "ok":
                raise RuntimeError("crun: " + got)
            times["crun"] += got
    finally:
        requests.put(None)
        p.join()
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree("/run/berth-oci-bench", ignore_errors=True)
    med = {k: statistics.median(v) for k, v in times.items()}
    print("OCI runtime: create + start + delete of true, %d each, interleaved" % len(
        times["berth"]))
    print("| runtime | median (ms) | min (ms) | berth / this |")
    print("|---|---|---|---|")
    for k in ("berth", "crun", "runc"):
        print("| %s | %.1f | %.1f | %.2f |" % (k, med[k], min(times[k]), med["berth"] / med[k]))
    os.makedirs(os.path.join(a.build, "bench"), exist_ok=True)
    with open(os.path.join(a.build, "bench", "oci.json"), "w") as f:
        json.dump({"median_ms": med, "samples_ms": times}, f, indent=1)


if __name__ == "__main__":
    main()
