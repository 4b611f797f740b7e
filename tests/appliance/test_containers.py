"""Containers in the appliance, through PID 1 and the control FIFO: the
baked busybox image, cgroup v2 limits that really apply (OOM kill, pids,
cpu), the device program, and PID 1 unharmed by all of it."""
import re
import time

from harness import Appliance


def setup_module(build):
    vm = Appliance(build, "containers", mem=512).start()
    vm.wait_prompt(90)
    return vm


def teardown_module(vm):
    vm.kill()


def test_busybox_image_is_baked(vm):
    out = vm.sh("berth images")
    assert re.search(r"^busybox\s+latest\s+[0-9a-f]{12}", out, re.M), out


def test_run_echo(vm):
    assert vm.sh("berth run --rm busybox echo hello from a container").strip() == \
        "hello from a container"


def test_memory_limit_oom_kills(vm):
    out, rc = vm.run("berth run --name hog --memory 32m busybox "
                     "dd if=/dev/zero of=/dev/null bs=64M count=1", timeout=60, check=False)
    assert rc == 137, (rc, out)
    assert vm.sh("berth inspect -f '{{.State.OOMKilled}} {{.State.ExitCode}}' hog").strip() == \
        "true 137"
    assert vm.sh("berth ping").strip() == "pong"
    vm.sh("berth rm hog")


def test_pids_limit_stops_fork_bomb(vm):
    out, rc = vm.run("berth run --rm --pids-limit 20 busybox sh -c "
                     "'for i in $(seq 60); do sleep 3 & done 2>&1 | tail -1; "
                     "cat /sys/fs/cgroup/pids.max; ls /proc | grep -c \"^[0-9]\"'",
                     timeout=60, check=False)
    lines = out.strip().splitlines()
    assert "20" in lines, out
    assert int(lines[-1]) <= 20, out
    assert vm.sh("berth ping").strip() == "pong"


def test_cpu_quota_shows_in_stats(vm):
    vm.sh("berth run -d --name spin --cpus 0.5 busybox sh -c 'while :; do :; done'")
    time.sleep(2)
    out = vm.sh("berth stats --no-stream spin", timeout=30)
    m = re.search(r"spin\s+([\d.]+)%\s", out)  # Docker's "50.12%"
    assert m, out
    cpu = float(m.group(1))
    assert 30.0 <= cpu <= 65.0, out
    assert "50000 100000" in vm.sh("cat /sys/fs/cgroup/berth/$(berth inspect -f '{{.Id}}' spin)/cpu.max")
    vm.sh("berth rm -f spin")


def test_mknod_block_device_cannot_be_opened(vm):
    # CAP_MKNOD is in the default set; the cgroup device program must deny
    # the open (EPERM), where without it the kernel would say ENXIO.
    out, rc = vm.run("berth run --rm busybox sh -c "
                     "'mknod /tmp/disk b 254 0 && head -c 1 /tmp/disk'", check=False)
    assert rc != 0 and "Operation not permitted" in out, (rc, out)


def test_exec_ps_logs_in_appliance(vm):
    vm.sh("berth run -d --name web busybox sh -c 'echo up; sleep 1000'")
    assert vm.sh("berth exec web cat /etc/hostname").strip() == \
        vm.sh("berth inspect -f '{{.Config.Hostname}}' web").strip()
    assert re.search(r"Up .*web", vm.sh("berth ps"))
    assert vm.sh("berth logs web").strip() == "up"
    vm.sh("berth rm -f web")
    assert vm.sh("berth ps -aq").strip() == ""


def test_pid1_memory_steady(vm):
    rss = int(vm.sh("awk '/VmRSS/ {print $2}' /proc/1/status"))
    assert rss < 4096, rss
