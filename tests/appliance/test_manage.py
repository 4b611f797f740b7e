"""pause/unpause and update under cgroup v2 in the appliance (the build
host may have no cgroup2, where the host tests only see the refusal):
the freezer really stops and resumes a container, `ps` and `inspect` say
so, and update's limits reach the cgroup files of a running container
and the next start of a stopped one."""
import re
import time

from harness import Appliance


def setup_module(build):
    vm = Appliance(build, "manage", mem=512).start()
    vm.wait_prompt(90)
    return vm


def teardown_module(vm):
    vm.kill()


def cg(vm, name, knob):
    return vm.sh("cat /sys/fs/cgroup/berth/$(berth inspect -f '{{.Id}}' %s)/%s" %
                 (name, knob)).strip()


def test_pause_freezes_and_unpause_thaws(vm):
    vm.sh("berth run -d --name ticker busybox sh -c "
          "'i=0; while :; do i=$((i+1)); echo $i > /tmp/n; sleep 0.05; done'")
    time.sleep(0.5)
    assert vm.sh("berth pause ticker").strip() == "ticker"
    assert cg(vm, "ticker", "cgroup.freeze") == "1"
    for _ in range(50):
        if "frozen 1" in cg(vm, "ticker", "cgroup.events"):
            break
        time.sleep(0.1)
    assert "frozen 1" in cg(vm, "ticker", "cgroup.events")
    assert re.search(r"Up .* \(Paused\)\s+ticker", vm.sh("berth ps")), vm.sh("berth ps")
    assert vm.sh("berth inspect -f '{{.State.Status}} {{.State.Paused}} {{.State.Running}}' "
                 "ticker").strip() == "paused true true"
    assert vm.sh("berth ps --filter status=paused --format '{{.Names}}'").strip() == "ticker"
    # frozen: the counter stands still (read from its upper layer: an
    # exec would join the frozen cgroup)
    upper = "/run/berth/containers/$(berth inspect -f '{{.Id}}' ticker)/upper/tmp/n"
    before = vm.sh("cat " + upper).strip()
    time.sleep(1)
    assert vm.sh("cat " + upper).strip() == before
    out, rc = vm.run("berth pause ticker", check=False)
    assert rc == 1 and "is already paused" in out, (rc, out)
    assert vm.sh("berth unpause ticker").strip() == "ticker"
    time.sleep(0.5)
    assert int(vm.sh("cat " + upper).strip()) > int(before)
    assert vm.sh("berth inspect -f '{{.State.Status}}' ticker").strip() == "running"
    out, rc = vm.run("berth unpause ticker", check=False)
    assert rc == 1 and "is not paused" in out, (rc, out)
    # a paused container still stops: its stop signal thaws it
    vm.sh("berth pause ticker")
    vm.sh("berth stop -t 1 ticker", timeout=30)
    assert vm.sh("berth inspect -f '{{.State.Status}} {{.State.Paused}}' ticker").strip() == \
        "exited false"
    out, rc = vm.run("berth pause ticker", check=False)
    assert rc == 1 and "is not running" in out, (rc, out)
    vm.sh("berth rm ticker")
    assert vm.sh("berth ping").strip() == "pong"


def test_update_reaches_the_cgroup_of_a_running_container(vm):
    vm.sh("berth run -d --name upd --memory 64m --pids-limit 50 busybox sleep 1000")
    assert cg(vm, "upd", "memory.max") == str(64 << 20)
    assert vm.sh("berth update --memory 32m --memory-swap 64m --pids-limit 30 --cpus 0.5 "
                 "--cpu-shares 512 upd").strip() == "upd"
    assert cg(vm, "upd", "memory.max") == str(32 << 20)
    assert cg(vm, "upd", "pids.max") == "30"
    assert cg(vm, "upd", "cpu.max") == "50000 100000"
    # what the container itself sees
    assert vm.sh("berth exec upd cat /sys/fs/cgroup/memory.max").strip() == str(32 << 20)
    vm.sh("berth update --pids-limit -1 upd")
    assert cg(vm, "upd", "pids.max") == "max"
    assert vm.sh("berth inspect -f '{{.HostConfig.Memory}} {{.HostConfig.PidsLimit}} "
                 "{{.HostConfig.NanoCpus}}' upd").strip() == "%d 0 500000000" % (32 << 20)
    # and they hold: the new memory limit kills what the old one allowed
    out, rc = vm.run("berth exec upd dd if=/dev/zero of=/dev/null bs=48M count=1",
                     timeout=60, check=False)
    assert rc != 0, (rc, out)
    vm.sh("berth rm -f upd")


def test_update_of_a_stopped_container_applies_at_its_start(vm):
    vm.sh("berth create --name later busybox cat /sys/fs/cgroup/memory.max "
          "/sys/fs/cgroup/pids.max")
    assert vm.sh("berth update -m 48m --pids-limit 25 later").strip() == "later"
    vm.sh("berth start later")
    assert vm.sh("berth wait later").strip() == "0"
    assert vm.sh("berth logs later").split() == [str(48 << 20), "25"]
    vm.sh("berth rm later")
