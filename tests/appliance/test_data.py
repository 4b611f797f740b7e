"""The data disk (label berth-data) in QEMU: mounted at /data with state,
logs and IPAM bound onto it; named volumes, container logs and `ps -a`
entries survive `berth reboot`; a write a container fsynced survives QEMU
being killed, and after the next clean poweroff the host's `e2fsck -fn`
finds the image clean; a full /data gives the container ENOSPC and
Berth's own writes a clear error while PID 1 runs on; without a disk (or
with an unformatted one, which Berth never formats) everything runs from
memory and `berth info` says so."""
import json
import os
import re
import subprocess
import tempfile

from harness import Appliance

DISK_MB = 48


class Ctx:
    def __init__(self, build):
        self.build = build
        self.dir = tempfile.mkdtemp(prefix="berth-data-")
        self.img = os.path.join(self.dir, "data.img")
        make_disk(self.img, DISK_MB)
        self.boots = 0
        self.vm = None

    def boot(self, img=None, name=None, append=""):
        self.boots += 1
        args = ["-drive", "file=%s,format=raw,if=virtio" % (img or self.img)] if img != "" else []
        self.vm = Appliance(self.build, name or "data-%d" % self.boots, extra_args=args,
                            append=append).start()
        self.vm.wait_prompt(90)
        return self.vm


def make_disk(path, mb, label="berth-data"):
    with open(path, "wb") as f:
        f.truncate(mb << 20)
    subprocess.run(["mkfs.ext4", "-q", "-F", "-L", label, path], check=True)


def fsck_clean(img):
    p = subprocess.run(["e2fsck", "-fn", img], capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


def setup_module(build):
    ctx = Ctx(build)
    ctx.boot()
    return ctx


def teardown_module(ctx):
    if ctx.vm:
        ctx.vm.kill()
    subprocess.run(["rm", "-rf", ctx.dir])


def reboot(ctx):
    vm = ctx.vm
    start = len(vm.buf)
    vm.send("berth reboot\n")
    vm.expect(rb"reboot: Restarting system", 90, start)
    vm.wait_exit(30)  # -no-reboot: the reset ends QEMU
    vm.kill()
    return ctx.boot()


def test_data_disk_mounted(ctx):
    vm = ctx.vm
    info = vm.sh("berth info")
    assert "Data disk: /dev/vda (berth-data) mounted at /data\n" in info, info
    assert "Berth Root Dir: /data/berth\n" in info, info
    mounts = vm.sh("cat /proc/mounts")
    m = re.search(r"^/dev/vda /data ext4 (\S+)", mounts, re.M)
    assert m and "nosuid" in m.group(1) and "nodev" in m.group(1), mounts
    for d in ("containers", "logs", "network"):
        assert re.search(r"^/dev/vda /run/berth/%s ext4 " % d, mounts, re.M), mounts
    assert re.search(r"^data\s+[\d.]+", vm.sh("berth boot"), re.M)
    # volumes go on the disk
    vm.sh("berth volume create probe")
    assert vm.sh("berth volume inspect -f '{{.Mountpoint}}' probe").strip() == \
        "/data/berth/volumes/probe/_data"
    vm.sh("berth volume rm probe")


def test_data_image_volume_on_the_disk(ctx):
    """The baked hello image declares VOLUME /home/app/data and runs as
    app (1000): the anonymous volume lives on /data, takes the image's
    owner of that directory (so app can write) and goes with rm -v."""
    vm = ctx.vm
    out = vm.sh("berth run --name hi --entrypoint sh hello -c "
                "'touch /home/app/data/w && stat -c %u /home/app/data'", timeout=60)
    assert out == "1000\n", out
    mounts = json.loads(vm.sh("berth inspect -f '{{json .Mounts}}' hi"))
    assert len(mounts) == 1 and mounts[0]["Destination"] == "/home/app/data", mounts
    name = mounts[0]["Name"]
    assert re.fullmatch(r"[0-9a-f]{64}", name), mounts
    assert mounts[0]["Source"] == "/data/berth/volumes/%s/_data" % name, mounts
    vm.sh("test -f /data/berth/volumes/%s/_data/w" % name)
    vm.sh("berth rm -v hi")
    assert name not in vm.sh("berth volume ls -q")


def test_data_volume_logs_and_ps_survive_reboot(ctx):
    vm = ctx.vm
    vm.sh("berth run --rm -v keep:/v busybox sh -c 'echo before reboot > /v/note'", timeout=60)
    vm.sh("berth run --name talker busybox sh -c 'echo line one; echo line two >&2'", timeout=60)
    vm.sh("berth run -d --name sleeper --stop-timeout 1 busybox sleep 10000", timeout=60)
    assert vm.sh("berth inspect -f '{{.NetworkSettings.IPAddress}}' sleeper").strip() == \
        "172.17.0.2"
    # a service with a restart policy: back after the reboot
    vm.sh("berth run -d --name svc --restart always -v svcdata:/d busybox sh -c "
          "'trap \"exit 0\" TERM; echo up >> /d/boots; echo started; "
          "while :; do sleep 1; done'", timeout=60)
    assert vm.sh("berth inspect -f '{{.NetworkSettings.IPAddress}}' svc").strip() == \
        "172.17.0.3"
    vm = reboot(ctx)
    assert vm.sh("berth run --rm -v keep:/v busybox cat /v/note", timeout=60) == "before reboot\n"
    ps = vm.sh("berth ps -a")
    assert re.search(r"Exited \(0\) .*talker", ps), ps
    # stopped by the clean shutdown: sleep as PID 1 ignores SIGTERM, so
    # SIGKILL after its stop timeout, as `docker stop` does
    assert re.search(r"Exited \(137\) .*sleeper", ps), ps
    assert vm.sh("berth logs talker") == "line one\nline two\n"
    # it starts again from what was read back: config, layers, its log
    vm.sh("berth start talker && berth wait talker", timeout=60)
    assert vm.sh("berth logs talker") == "line one\nline two\n" * 2
    # the service runs again, with its volume and its log of both boots;
    # the last boot's address table is gone, so it got the lowest address
    for _ in range(60):
        if vm.sh("berth ps -q").strip():
            break
        vm.sh("sleep 0.5")
    assert vm.sh("berth ps --format '{{.Names}}'").split() == ["svc"]
    assert vm.sh("berth logs svc") == "started\nstarted\n"
    assert vm.sh("berth run --rm -v svcdata:/d busybox cat /d/boots", timeout=60) == "up\nup\n"
    assert vm.sh("berth inspect -f '{{.NetworkSettings.IPAddress}}' svc").strip() == \
        "172.17.0.2"
    # addresses are handed out afresh, none twice
    vm.sh("berth run -d --name sleeper2 busybox sleep 10000", timeout=60)
    assert vm.sh("berth inspect -f '{{.NetworkSettings.IPAddress}}' sleeper2").strip() == \
        "172.17.0.3"
    vm.sh("berth rm -f sleeper2 svc", timeout=30)
    vm.sh("berth volume rm svcdata", timeout=30)


def test_data_fsynced_write_survives_kill_and_fsck_is_clean(ctx):
    vm = ctx.vm
    # running when the machine dies: a container, and a --rm one with an
    # anonymous volume; `sync` gets the supervisor's state files to the disk
    # (ext4 commits its journal every 5 s; the renames are not fsynced)
    vm.sh("berth run -d --name victim busybox sleep 10000", timeout=60)
    vm.sh("berth run -d --rm --name ephemeral -v /scratch busybox sleep 10000", timeout=60)
    anon = json.loads(vm.sh("berth inspect -f '{{json .Mounts}}' ephemeral"))[0]["Name"]
    assert re.fullmatch(r"[0-9a-f]{64}", anon), anon
    vm.sh("sync")
    # then a container writes, fsyncs (dd conv=fsync) and says so; nothing
    # else flushes its data before QEMU is killed
    vm.sh("berth run -d --name writer -v crash:/v busybox sh -c "
          "'seq 1 5000 > /dev/shm/tmp && dd if=/dev/shm/tmp of=/v/seq conv=fsync "
          "2>/dev/null && echo fsynced; sleep 10000'", timeout=60)
    for _ in range(60):
        if vm.sh("berth logs writer") == "fsynced\n":
            break
        vm.sh("sleep 0.2")
    assert vm.sh("berth logs writer") == "fsynced\n"
    vm.kill()  # SIGKILL to QEMU: no shutdown, no unmount
    # the host sees a filesystem that was not unmounted (so the check
    # after the clean poweroff below means something)
    rc, out = fsck_clean(ctx.img)
    assert "skipping journal recovery" in out, (rc, out)
    vm = ctx.boot()
    out = vm.sh("berth run --rm -v crash:/v busybox sh -c 'wc -l < /v/seq; tail -n 1 /v/seq'",
                timeout=60)
    assert out == "5000\n5000\n", out
    assert vm.sh("berth ps -q") == ""
    # running when the machine died: Exited, pid gone, no address
    st = vm.sh("berth inspect -f '{{.State.Status}} {{.State.ExitCode}} {{.State.Pid}} "
               "{{.NetworkSettings.IPAddress}}|{{.State.Error}}' victim").strip()
    assert st == "exited 255 0 |the system rebooted while it ran", st
    links = vm.sh("ip -o link")
    assert "veth" not in links, links  # nothing runs: no container veth
    # nobody saw the --rm container end: it is removed now, with its volume
    assert "ephemeral" not in vm.sh("berth ps -a")
    assert anon not in vm.sh("berth volume ls -q")
    # the last boot's addresses are free again
    vm.sh("berth run -d --name after busybox sleep 10000", timeout=60)
    assert vm.sh("berth inspect -f '{{.NetworkSettings.IPAddress}}' after").strip() == \
        "172.17.0.2"
    vm.sh("berth rm -f after writer victim", timeout=30)
    # a clean poweroff leaves a clean filesystem behind
    start = len(vm.buf)
    vm.send("berth poweroff\n")
    vm.expect(rb"reboot: Power down", 90, start)
    vm.wait_exit(30)
    vm.kill()
    rc, out = fsck_clean(ctx.img)
    assert rc == 0 and "journal recovery" not in out, out
    ctx.boot()


# PID 1's errors reach the console (loglevel=4) and can land in the middle
# of a command's output while /data is full: drop them from it.
PID1_LINE = re.compile(r"^berth: container [0-9a-f]{12}: .*\n?", re.M)


def run(vm, cmd, **kw):
    out, rc = vm.run(cmd, **kw)
    return PID1_LINE.sub("", out), rc


def sh(vm, cmd, **kw):
    return run(vm, cmd, **kw)[0]


def test_data_full_data_disk(ctx):
    vm = ctx.vm
    sh(vm, "berth run -d --name chatty busybox sh -c 'while :; do seq 1 50; sleep 0.1; done'",
          timeout=60)
    # the container's output cannot be logged once the disk is full: its
    # exit code (28, ENOSPC) tells, from dd's message kept on a tmpfs
    out, rc = run(vm, "berth run --name filler -v fill:/f busybox sh -c "
                     "'dd if=/dev/zero of=/f/big bs=1M 2>/dev/shm/err; "
                     "grep -q \"No space left on device\" /dev/shm/err && exit 28'",
                     timeout=180, check=False)
    assert rc == 28, (rc, out)
    # PID 1 runs on and says what is wrong, naming the disk
    assert sh(vm, "berth ping").strip() == "pong"
    for _ in range(20):
        log = vm.run("dmesg | grep 'berth:.*data disk /data is full'", check=False)[0]
        if "write log" in log:
            break
        sh(vm, "sleep 0.5")
    assert re.search(r"write log /run/berth/logs/[0-9a-f]{64}\.log: No space left on device "
                     r"\(the data disk /data is full\)", log), log
    # a new container cannot be recorded: one clear error
    out, rc = run(vm, "berth run --rm busybox true", timeout=60, check=False)
    assert rc == 125 and "No space left on device" in out, (rc, out)
    assert sh(vm, "berth ps --format '{{.Names}} {{.State}}'").strip() == "chatty running"
    # room again: everything works, the log carries on, nothing is corrupt
    sh(vm, "berth rm -f filler", timeout=30)
    sh(vm, "berth volume rm fill", timeout=30)
    assert sh(vm, "berth run --rm busybox echo room again", timeout=60) == "room again\n"
    before = sh(vm, "berth logs chatty | wc -l").strip()
    sh(vm, "sleep 1")
    assert int(sh(vm, "berth logs chatty | wc -l").strip()) > int(before)
    path = sh(vm, "berth inspect -f '{{.LogPath}}' chatty").strip()
    lines = sh(vm, "cat %s" % path).splitlines()
    torn = [l for l in lines if not re.fullmatch(r"\S+ stdout \d+", l)]
    assert len(lines) > 100 and not torn, torn
    sh(vm, "berth rm -f chatty", timeout=30)
    start = len(vm.buf)
    vm.send("berth poweroff\n")
    vm.expect(rb"reboot: Power down", 90, start)
    vm.wait_exit(30)
    vm.kill()
    rc, out = fsck_clean(ctx.img)
    assert rc == 0 and "journal recovery" not in out, out
    ctx.vm = None


def test_data_without_disk_runs_from_memory(ctx):
    vm = ctx.boot(img="", name="data-none")
    info = vm.sh("berth info")
    assert re.search(r"^Data disk: none \(no disk labelled berth-data\) \S+ containers, volumes "
                     r"and logs are kept in memory$", info, re.M), info
    assert "/data" not in vm.sh("cut -d' ' -f2 /proc/mounts")
    vm.sh("berth volume create mem")
    assert vm.sh("berth volume inspect -f '{{.Mountpoint}}' mem").strip() == \
        "/var/lib/berth/volumes/mem/_data"
    assert vm.sh("berth run --rm -v mem:/m busybox sh -c 'echo x > /m/x; cat /m/x'",
                 timeout=60) == "x\n"
    vm.kill()
    ctx.vm = None


def test_data_unformatted_disk_is_never_formatted(ctx):
    blank = os.path.join(ctx.dir, "blank.img")
    with open(blank, "wb") as f:
        f.truncate(8 << 20)
    vm = ctx.boot(img=blank, name="data-blank")
    info = vm.sh("berth info")
    assert "Data disk: none (/dev/vda holds no ext4 filesystem labelled berth-data; Berth " \
           "never formats a disk)" in info, info
    assert "kept in memory" in info, info
    start = len(vm.buf)
    vm.send("berth poweroff\n")
    vm.expect(rb"reboot: Power down", 90, start)
    vm.wait_exit(30)
    vm.kill()
    ctx.vm = None
    with open(blank, "rb") as f:
        assert f.read() == bytes(8 << 20), "the blank disk was written to"


def test_data_cmdline_names_the_disk(ctx):
    """berth.data=/dev/vdX takes that disk whatever its label; berth.data=LABEL
    looks for another label."""
    other = os.path.join(ctx.dir, "other.img")
    make_disk(other, 16, label="other")
    vm = ctx.boot(img=other, name="data-dev", append="berth.data=/dev/vda")
    assert "Data disk: /dev/vda (other) mounted at /data\n" in vm.sh("berth info")
    vm.kill()
    vm = ctx.boot(img=other, name="data-label", append="berth.data=other")
    assert "Data disk: /dev/vda (other) mounted at /data\n" in vm.sh("berth info")
    vm.kill()
    # the default label is not there
    vm = ctx.boot(img=other, name="data-nolabel")
    assert "Data disk: none (no disk labelled berth-data)" in vm.sh("berth info")
    vm.kill()
    ctx.vm = None


def test_data_disk_on_debian_kernel(ctx):
    """Debian's kernel: PID 1 loads virtio_blk and ext4 (and their
    dependencies) before it looks for the disk."""
    img = os.path.join(ctx.dir, "distro.img")
    make_disk(img, 16)
    args = ["-drive", "file=%s,format=raw,if=virtio" % img]
    vm = Appliance(os.path.join(ctx.build, "distro"), "data-distro", extra_args=args).start()
    try:
        vm.wait_prompt(120)
        assert "Data disk: /dev/vda (berth-data) mounted at /data\n" in vm.sh("berth info")
        mods = vm.sh("cut -d' ' -f1 /proc/modules").split()
        assert "ext4" in mods and "virtio_blk" in mods, mods
        vm.sh("berth run --rm -v dv:/v busybox sh -c 'echo on debian > /v/f'", timeout=60)
        start = len(vm.buf)
        vm.send("berth poweroff\n")
        vm.expect(rb"reboot: Power down", 90, start)
        vm.wait_exit(30)
    finally:
        vm.kill()
    rc, out = fsck_clean(img)
    assert rc == 0 and "journal recovery" not in out, out
    p = subprocess.run(["debugfs", "-R", "cat /berth/volumes/dv/_data/f", img],
                       capture_output=True, text=True)
    assert p.stdout == "on debian\n", (p.stdout, p.stderr)
