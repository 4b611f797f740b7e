"""Power cuts: QEMU killed (SIGKILL: no shutdown, no unmount, nothing
flushed) while the appliance writes to its data disk, and what must hold
after each: the filesystem clean once its journal is replayed, every
container either whole or gone (a file that does not load is reported on
a line of its own and set aside, never refused silently), every fsynced
volume write there whole, every image whole. Used by
tests/appliance/test_powercut.py (2 cuts at chosen moments) and
tests/bench_powercut.py (`./build.sh powercut`: 20 at random moments).

The workload runs in the background on the console, all at once:
- volume: a container writes numbered files into a volume, each fsynced
  (dd conv=fsync) before it says `ok N` on its output;
- churn: `berth create` + `berth rm` of containers, with anonymous volumes;
- image: `berth import` of a small rootfs as a new tag, `rmi` of the one
  before (the image store is in memory in this appliance);
- compose: `compose up -d` and `down` of a three-service project.
Each loop prints a marker (PC-volume, PC-churn, ...) on the console when
it has gone round once, so a cut can be timed against them."""
import os
import re
import shutil
import subprocess
import tempfile

from harness import Appliance

DISK_MB = 96
COMPOSE = """services:
  a:
    image: busybox
    command: sleep 100000
  b:
    image: busybox
    command: sleep 100000
    volumes: ["pcdata:/d"]
  c:
    image: busybox
    command: sh -c 'echo up; sleep 100000'
volumes:
  pcdata:
"""
# $1 is the round: each round's files, names and tags are its own
WORKLOAD = r"""r=$1
mkdir -p /tmp/pc; cd /tmp/pc
berth run -d --name pcw$r -v pcvol:/v busybox sh -c "mkdir -p /v/r$r; seq 1 3000 > /tmp/ref; \
i=1; while :; do dd if=/tmp/ref of=/v/r$r/\$i conv=fsync 2>/dev/null && echo ok \$i; \
i=\$((i+1)); done" >/dev/null
echo PC-volume > /dev/console
( i=0; while :; do berth create --name pcc$r-$i -v /anon busybox true >/dev/null; \
  [ $i -gt 0 ] && berth rm -v pcc$r-$((i-1)) >/dev/null; i=$((i+1)); \
  [ $i = 2 ] && echo PC-churn > /dev/console; done ) &
( mkdir -p img/bin; cp /bin/busybox img/bin/; i=0; while :; do echo $r-$i > img/round; \
  tar -C img -cf img.tar . && berth import img.tar pcimg:$r-$i >/dev/null; \
  [ $i -gt 0 ] && berth rmi pcimg:$r-$((i-1)) >/dev/null; i=$((i+1)); \
  [ $i = 2 ] && echo PC-image > /dev/console; done ) &
( while :; do berth compose -f /etc/berth/pc-compose.yaml -p pc up -d >/dev/null 2>&1; \
  echo PC-compose > /dev/console; berth compose -p pc down -t 0 >/dev/null 2>&1; done ) &
"""
HEX64 = re.compile(r"^[0-9a-f]{64}$")


def make_disk(path, mb=DISK_MB):
    with open(path, "wb") as f:
        f.truncate(mb << 20)
    subprocess.run(["mkfs.ext4", "-q", "-F", "-L", "berth-data", path], check=True)


def fsck_after_cut(img):
    """The host's e2fsck -fn of a copy of the disk once its journal is
    replayed (what the next mount does); (returncode, output)."""
    d = tempfile.mkdtemp(prefix="berth-pc-fsck-")
    try:
        copy = os.path.join(d, "copy.img")
        shutil.copyfile(img, copy)
        p = subprocess.run(["e2fsck", "-y", "-E", "journal_only", copy], capture_output=True,
                           text=True)
        if p.returncode not in (0, 1):
            return p.returncode, p.stdout + p.stderr
        p = subprocess.run(["e2fsck", "-fn", copy], capture_output=True, text=True)
        return p.returncode, p.stdout + p.stderr
    finally:
        shutil.rmtree(d)


def files():
    return {"/etc/berth/pc-workload.sh": (WORKLOAD, 0o755),
            "/etc/berth/pc-compose.yaml": COMPOSE}


def boot(build, img, name, mem=512):
    vm = Appliance(build, name, mem=mem, files=files(), workload=False,
                   extra_args=["-drive", "file=%s,format=raw,if=virtio" % img]).start()
    vm.wait_prompt(180)
    return vm


def start_workload(vm, rnd):
    start = len(vm.buf)
    vm.sh("sh /etc/berth/pc-workload.sh %d </dev/null >/dev/null 2>&1 & true" % rnd, timeout=120)
    return start


def check(vm, cut_rounds):
    """After a boot that followed a cut: a list of problems (empty: all
    held) and a list of what PID 1 reported about the files it found."""
    problems = []
    reports = vm.sh("dmesg | grep -E '^berth: container .*(set aside|cut off|skipped)' "
                    "|| true").strip().splitlines()
    # no half-removed trees left behind (removed in the background)
    vm.sh("i=0; while ls /data/berth/containers | grep -q removing && [ $i -lt 100 ]; do "
          "sleep 0.1; i=$((i+1)); done", timeout=60)
    names = vm.sh("ls /data/berth/containers").split()
    ids = set(vm.sh("berth ps -aq --no-trunc", timeout=60).split())
    dirs = set(n for n in names if HEX64.match(n))
    if dirs != ids:
        problems.append("container directories %s vs ps -a %s" %
                        (sorted(d[:12] for d in dirs - ids), sorted(i[:12] for i in ids - dirs)))
    for n in names:
        if not HEX64.match(n) and not any(n in r for r in reports):
            problems.append("%s: left in the containers directory with no line about it" % n)
    if ids:
        out, rc = vm.run("berth inspect -f '{{.Name}} {{.State.Status}}' %s" % " ".join(ids),
                         timeout=60, check=False)
        if rc != 0:
            problems.append("inspect of every listed container failed: %s" % out.strip())
    for r in cut_rounds:
        problems += check_volume(vm, r)
    problems += check_images(vm)
    return problems, reports


def check_volume(vm, r):
    """The writer starts file i+1 only once file i is fsynced, so after a
    cut the files are 1..N with no gap, and all but the last (N, perhaps
    being written) whole. Its `ok N` lines are no help: logs are not
    fsynced, so the last seconds of them go with a cut."""
    d = "/data/berth/volumes/pcvol/_data/r%d" % r
    have = sorted(int(x) for x in vm.sh("ls %s 2>/dev/null || true" % d).split())
    if have != list(range(1, len(have) + 1)):
        return ["volume round %d: files %s..%s with gaps" % (r, have[:3], have[-3:])]
    bad = vm.sh("seq 1 3000 > /tmp/ref; i=1; while [ $i -lt %d ]; do cmp -s /tmp/ref %s/$i "
                "|| echo BAD $i; i=$((i+1)); done" % (len(have), d), timeout=120).split()
    return ["volume round %d: %d of the %d fsynced files not whole (%s)" %
            (r, len(bad) // 2, len(have) - 1, " ".join(bad[:6]))] if bad else []


def volume_files(vm, r):
    return int(vm.sh("ls /data/berth/volumes/pcvol/_data/r%d 2>/dev/null | wc -l" % r).strip())


def check_images(vm):
    """Every image listed inspects; every imported one runs and holds its
    round's file."""
    problems = []
    refs = vm.sh("berth images --format '{{.Repository}}:{{.Tag}}'", timeout=60).split()
    for ref in refs:
        if "<none>" in ref:
            continue
        if not ref.startswith("pcimg:"):
            cmd = "berth image inspect %s >/dev/null" % ref
        else:
            cmd = "berth run --rm --network none %s /bin/busybox cat /round" % ref
        out, rc = vm.run(cmd, timeout=60, check=False)
        if rc != 0 or (ref.startswith("pcimg:") and out.strip() != ref[6:]):
            problems.append("image %s listed but not whole: %s" % (ref, out.strip()))
    return problems


def finish(vm, img):
    """A clean poweroff, then the host's e2fsck -fn of the disk itself."""
    start = len(vm.buf)
    vm.send("berth poweroff\n")
    vm.expect(rb"reboot: Power down", 180, start)
    vm.wait_exit(60)
    vm.kill()
    p = subprocess.run(["e2fsck", "-fn", img], capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr
