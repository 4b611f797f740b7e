#!/usr/bin/env python3
"""`./build.sh bench`: pulling a ~50 MB four-layer image from Debian's
docker-registry on loopback (in a network namespace of its own), berth
(`berth pull` into a fresh store, layers unpacked) against `skopeo copy`
into an OCI directory (the issue's peer: blobs only, each fsynced), and
`skopeo copy` into containers-storage with the overlay driver (podman
pull's store: the layers unpacked, as berth's are), interleaved, N rounds
each. Wall time and peak RSS (wait4's ru_maxrss) of each; medians and the
ratios to build/bench/pull.txt and stdout (docs/figures.md quotes them).
--baseline BERTH adds another berth binary (main's, say) to each round."""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "host"))
sys.path.insert(0, os.path.join(HERE, "lib"))
import test_registry as reg  # noqa: E402  (its layout and tar helpers)

ADDR = "127.0.0.1:5100"


def timed(ns, argv, pre=()):
    """Wall time and peak RSS (KiB) of argv in ns. GNU time reports the
    RSS: wait4's ru_maxrss of a child this (large) Python vforked would
    start at Python's own high-water mark. Each run starts after a sync:
    none pays for what the one before left to the disk."""
    subprocess.run(["sync"])
    t0 = time.monotonic()
    p = subprocess.run(["/usr/bin/time", "-f", "%M", "nsenter", "--net=/var/run/netns/" + ns]
                       + list(pre) + argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.monotonic() - t0
    if p.returncode != 0:
        raise SystemExit("%s failed: %s" % (argv, p.stderr.decode()))
    return wall, int(p.stderr.decode().split()[-1])


def settle_time(root):
    """How long after the pull returned its detached child took to sync
    the layers it left to the kernel (until layers-unsynced.json is gone;
    docs/registry.md)."""
    path = os.path.join(root, "var", "lib", "berth", "layers-unsynced.json")
    t0 = time.monotonic()
    while os.path.exists(path):
        if time.monotonic() - t0 > 60:
            raise SystemExit("%s still there after 60 s" % path)
        time.sleep(0.002)
    return time.monotonic() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--baseline", help="another berth binary, pulled with in each round")
    a = ap.parse_args()
    berth = os.path.join(os.path.abspath(a.build), "berth")
    tmp = tempfile.mkdtemp(prefix="berth-bench-pull-")
    ns = "berth-bench-pull-%d" % os.getpid()
    procs = []
    try:
        subprocess.run(["ip", "netns", "add", ns], check=True)
        subprocess.run(["ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"], check=True)
        with open(os.path.join(tmp, "config.yml"), "w") as f:
            f.write("version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n"
                    "    rootdirectory: %s/data\nhttp:\n  addr: %s\n" % (tmp, ADDR))
        procs.append(subprocess.Popen(["ip", "netns", "exec", ns, "docker-registry", "serve",
                                       os.path.join(tmp, "config.yml")],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        layers = [reg.tar_gz([("d%d" % i, None), ("d%d/data" % i, os.urandom(12500000))])
                  for i in range(4)]
        lay = os.path.join(tmp, "lay")
        reg.oci_layout(lay, layers, "1")
        time.sleep(1)
        subprocess.run(["ip", "netns", "exec", ns, "skopeo", "copy", "--quiet",
                        "--dest-tls-verify=false", "oci:%s:1" % lay,
                        "docker://%s/bench/big:1" % ADDR], check=True)
        res = {"berth": [], "skopeo": [], "cstor": [], "base": []}
        settle = []
        for i in range(a.rounds):
            root = os.path.join(tmp, "root%d" % i)
            res["berth"].append(timed(ns, [berth, "--root", root, "pull", "-q",
                                           ADDR + "/bench/big:1"]))
            settle.append(settle_time(root))
            if a.baseline:
                res["base"].append(timed(ns, [a.baseline, "--root", root + "b", "pull", "-q",
                                              ADDR + "/bench/big:1"]))
                settle_time(root + "b")  # its child done before the tree goes
                shutil.rmtree(root + "b")
            res["skopeo"].append(timed(ns, ["skopeo", "copy", "--quiet", "--src-tls-verify=false",
                                            "docker://%s/bench/big:1" % ADDR,
                                            "oci:%s/oci%d:1" % (tmp, i)]))
            # its overlay mounts live and die with a mount namespace of its own
            cs = "%s/cs%d" % (tmp, i)
            res["cstor"].append(timed(ns, ["skopeo", "copy", "--quiet", "--src-tls-verify=false",
                                           "docker://%s/bench/big:1" % ADDR,
                                           "containers-storage:[overlay@%s/root+%s/run]big:1"
                                           % (cs, cs)],
                                      pre=["unshare", "-m", "--propagation", "private"]))
            for d in (root, "%s/oci%d" % (tmp, i), cs):
                shutil.rmtree(d)
        med = {k: (statistics.median(w for w, _ in v), statistics.median(r for _, r in v))
               for k, v in res.items() if v}
        bw, sw, cw = med["berth"][0], med["skopeo"][0], med["cstor"][0]
        text = ("pull of a 4-layer, %.0f MB image from a loopback registry, %d rounds, "
                "interleaved, load average %s\nberth pull: median %.2f s, peak RSS %d KiB; its "
                "layers synced %.2f s after it returned (median; docs/registry.md)\n"
                "skopeo copy to an OCI dir: median %.2f s, peak RSS %d KiB\n"
                "skopeo copy to containers-storage (overlay): median %.2f s, peak RSS %d KiB\n"
                "berth/skopeo (OCI dir) wall time: %.2fx\n"
                "berth/skopeo (containers-storage) wall time: %.2fx\n"
                % (sum(len(g) for _, g in layers) / 1e6, a.rounds,
                   " ".join(open("/proc/loadavg").read().split()[:3]), bw, med["berth"][1],
                   statistics.median(settle),
                   sw, med["skopeo"][1], cw, med["cstor"][1], bw / sw, bw / cw))
        if a.baseline:
            text += ("baseline %s: median %.2f s, peak RSS %d KiB, %.2fx skopeo (OCI dir); "
                     "berth/baseline %.2fx\n" % (a.baseline, med["base"][0], med["base"][1],
                                                 med["base"][0] / sw, bw / med["base"][0]))
        print(text, end="")
        os.makedirs(os.path.join(a.build, "bench"), exist_ok=True)
        with open(os.path.join(a.build, "bench", "pull.txt"), "w") as f:
            f.write(text)
    finally:
        for p in procs:
            p.terminate()
            p.wait()
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
