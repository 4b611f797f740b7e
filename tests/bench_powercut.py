#!/usr/bin/env python3
"""./build.sh bench: power cuts. CUTS times (20 by default), QEMU is killed
at a random moment (0.5-8 s after every workload loop of
tests/lib/powercut.py has gone round once) while a volume writer fsyncs
numbered files, containers are created and removed, images imported and
removed and a compose project goes up and down, all on the data disk. After
each cut: the host's e2fsck -fn of the disk once its journal is replayed;
the next boot's checks (every container directory listed or reported and
set aside, fsynced files whole, images whole). A clean poweroff and
e2fsck -fn of the disk itself at the end. Results are printed and written
to build/bench/powercut.md; docs/figures.md quotes them."""
import argparse
import os
import random
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import powercut  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--cuts", type=int, default=20)
    ap.add_argument("--seed", type=int, default=int(time.time()))
    a = ap.parse_args()
    rng = random.Random(a.seed)
    build = os.path.abspath(a.build)
    tmp = tempfile.mkdtemp(prefix="berth-bench-pc-")
    img = os.path.join(tmp, "data.img")
    powercut.make_disk(img)
    rows, failures, reported = [], 0, 0
    vm = powercut.boot(build, img, "bench-powercut-0")
    try:
        for r in range(1, a.cuts + 1):
            start = powercut.start_workload(vm, r)
            for marker in (rb"PC-volume", rb"PC-churn", rb"PC-image", rb"PC-compose"):
                vm.expect(marker, 300, start)
            delay = rng.uniform(0.5, 8)
            time.sleep(delay)
            vm.kill()
            rc, out = powercut.fsck_after_cut(img)
            vm = powercut.boot(build, img, "bench-powercut-%d" % r)
            problems, reports = powercut.check(vm, [r])
            if rc != 0:
                problems.append("e2fsck: " + out.strip().splitlines()[-1])
            files = powercut.volume_files(vm, r)
            ctrs = len(vm.sh("berth ps -aq", timeout=60).split())
            failures += bool(problems)
            reported += len(reports)
            rows.append("| %d | %.1f s | %d | %d | %s | %s |" %
                        (r, delay, files, ctrs, "; ".join(reports) or "-",
                         "; ".join(problems) or "ok"))
            print(rows[-1], flush=True)
            # the next round's writer and loops start from a clean slate
            vm.sh("berth ps -aq | xargs -r berth rm -f -v >/dev/null; berth volume prune -f "
                  ">/dev/null", timeout=600)
        rc, out = powercut.finish(vm, img)
    finally:
        vm.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    text = ["%d power cuts (seed %d): %d with a problem; %d lines from PID 1 about files it set "
            "aside or removed; e2fsck -fn after the final clean poweroff: %s." %
            (a.cuts, a.seed, failures, reported, "clean" if rc == 0 else out.strip()),
            "",
            "| cut | after the loops went round | fsynced files | containers after | "
            "PID 1 reported | checks |",
            "|---|---|---|---|---|---|"] + rows
    out = "\n".join(text)
    print(out)
    os.makedirs(os.path.join(build, "bench"), exist_ok=True)
    with open(os.path.join(build, "bench", "powercut.md"), "w") as f:
        f.write(out + "\n")
    return 1 if failures or rc else 0


if __name__ == "__main__":
    sys.exit(main())
