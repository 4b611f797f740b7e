"""Power cuts (issue 14), the short version of `./build.sh powercut`: QEMU
killed twice while the appliance writes to its data disk (a volume
writer fsyncing numbered files, container create + rm, image imports,
compose up + down, all at once; tests/lib/powercut.py), at chosen
moments: once every loop has gone round, and once with hand-made damage
on the disk (a state file that does not parse, a container directory
the CLI prepared but the supervisor never recorded). After each cut:
the host's e2fsck -fn clean once the journal is replayed; after each
boot: every container directory is a listed container or was reported
on a line of its own and set aside, every fsynced write is whole, every
image listed is whole; PID 1 runs on. A clean poweroff at the end leaves
e2fsck -fn clean on the disk itself."""
import os
import shutil
import tempfile

import powercut


def setup_module(build):
    tmp = tempfile.mkdtemp(prefix="berth-pc-")
    img = os.path.join(tmp, "data.img")
    powercut.make_disk(img)
    return {"build": build, "tmp": tmp, "img": img}


def teardown_module(ctx):
    shutil.rmtree(ctx["tmp"], ignore_errors=True)


def cut(vm, img):
    vm.kill()
    rc, out = powercut.fsck_after_cut(img)
    assert rc == 0, out


def test_powercut_twice_state_whole_or_gone(ctx):
    build, img = ctx["build"], ctx["img"]
    vm = powercut.boot(build, img, "powercut-1")
    try:
        # 1: in the middle of everything: each loop has gone round
        start = powercut.start_workload(vm, 1)
        for marker in (rb"PC-volume", rb"PC-churn", rb"PC-image", rb"PC-compose"):
            vm.expect(marker, 180, start)
        cut(vm, img)
        vm = powercut.boot(build, img, "powercut-2")
        problems, reports = powercut.check(vm, [1])
        assert not problems, (problems, reports)
        assert powercut.volume_files(vm, 1) > 1, "the writer had not written"
        # 2: damage a cut could leave if a write were not atomic, then a
        # cut during compose up
        victim = vm.sh("berth inspect -f '{{.Id}}' pcw1").strip()
        half = "f" * 64
        d = "/data/berth/containers"
        vm.sh("echo '{\"Status\": \"runn' > %s/%s/state.json; mkdir %s/%s; "
              "sed s/%s/%s/g %s/%s/config.json > %s/%s/config.json; sync" %
              (d, victim, d, half, victim, half, d, victim, d, half))
        start = powercut.start_workload(vm, 2)
        m = vm.expect(rb"PC-churn", 180, start)
        vm.expect(rb"PC-compose", 180, m.end())
        cut(vm, img)
        vm = powercut.boot(build, img, "powercut-3")
        problems, reports = powercut.check(vm, [2])
        assert not problems, (problems, reports)
        assert powercut.volume_files(vm, 2) >= 1, "the round-2 writer had not written"
        text = "\n".join(reports)
        assert "container %s: " % victim[:12] in text and "set aside as" in text, text
        assert ("container %s: no state.json: a create cut off (crash or power loss); "
                "removed" % half[:12]) in text, text
        assert vm.sh("ls %s | grep -c '^%s.corrupt-'" % (d, victim)).strip() == "1"
        assert half not in vm.sh("ls %s" % d)
        # PID 1 runs on: a container starts and answers
        assert vm.sh("berth run --rm busybox echo alive", timeout=60) == "alive\n"
        rc, out = powercut.finish(vm, img)
        assert rc == 0 and "journal recovery" not in out, out
    finally:
        vm.kill()
