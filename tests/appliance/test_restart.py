"""Restart policies, health checks and the hardware watchdog in the
appliance: PID 1 restarts a container whose process was killed, backs off
a crash loop on its schedule while the console stays responsive, runs
health checks inside the container's cgroup, and pets the i6300esb
watchdog (berth.watchdog=4) so the machine outlives twice its timeout."""
import re
import time

from harness import Appliance

WATCHDOG = 4


def setup_module(build):
    vm = Appliance(build, "restart", append="berth.watchdog=%d" % WATCHDOG).start()
    vm.wait_prompt(90)
    return vm


def teardown_module(vm):
    vm.kill()


def uptime(vm):
    return float(vm.sh("cut -d' ' -f1 /proc/uptime").strip())


def test_watchdog_is_armed_and_petted(vm):
    assert re.search(r"^\s*watchdog\s", vm.sh("berth boot"), re.M), vm.sh("berth boot")
    assert "watchdog: /dev/watchdog armed, timeout %d s" % WATCHDOG in vm.sh("dmesg")
    # PID 1 holds it: a second opener is refused
    out, rc = vm.run("sh -c 'exec 3>/dev/watchdog' 2>&1", check=False)
    assert rc != 0 and "busy" in out.lower(), (rc, out)
    # QEMU resets on expiry (and -no-reboot would end it): still here after
    # more than twice the timeout
    t0 = uptime(vm)
    time.sleep(2 * WATCHDOG + 2)
    assert vm.sh("berth ping").strip() == "pong"
    assert uptime(vm) - t0 > 2 * WATCHDOG, "the machine was reset"


def state(vm, name, fmt):
    return vm.sh("berth inspect -f '%s' %s" % (fmt, name)).strip()


def test_killed_process_is_restarted(vm):
    vm.sh("berth run -d --name sleeper --restart always busybox sleep 100000")
    pid = state(vm, "sleeper", "{{.State.Pid}}")
    assert int(pid) > 1
    vm.sh("kill -9 %s" % pid)
    for _ in range(60):
        got = state(vm, "sleeper", "{{.State.Status}} {{.RestartCount}} {{.State.Pid}}").split()
        if got[0] == "running" and got[2] not in ("0", pid):
            break
        time.sleep(0.2)
    assert got[:2] == ["running", "1"], got
    assert "sleep 100000" in vm.sh("berth top sleeper")
    # stopped by the user: it stays stopped
    vm.sh("berth stop -t 1 sleeper")
    time.sleep(1)
    assert state(vm, "sleeper", "{{.State.Status}} {{.RestartCount}}") == "exited 1"
    vm.sh("berth rm sleeper")


def test_crash_loop_backs_off_and_console_responds(vm):
    vm.sh("berth run -d --name crash --restart always busybox false")
    t0 = time.monotonic()
    samples, slowest = [], 0.0
    while time.monotonic() - t0 < 8:
        t = time.monotonic()
        n = int(state(vm, "crash", "{{.RestartCount}}"))
        slowest = max(slowest, time.monotonic() - t)
        samples.append((t - t0, n))
        time.sleep(0.2)
    # exits at 0, 0.1, 0.3, 0.7, 1.5, 3.1, 6.3 s plus each run's own time:
    # never ahead of the schedule, and not stuck
    exits = [sum(0.1 * 2 ** j for j in range(k)) for k in range(12)]
    for t, c in samples:
        assert c <= sum(1 for e in exits if e <= t + 0.3), (t, c, samples)
    assert 4 <= samples[-1][1] <= 7, samples
    # every console command answered promptly while it looped
    assert slowest < 3, (slowest, samples)
    t = time.monotonic()
    assert vm.sh("berth ping").strip() == "pong"
    assert time.monotonic() - t < 3
    out = vm.sh("berth ps")
    assert re.search(r"Restarting \(1\)|Up ", out), out
    vm.sh("berth rm -f crash")
    # it is gone for good: no restart after the removal
    time.sleep(1)
    assert "crash" not in vm.sh("berth ps -a")


def test_health_check_in_container_cgroup(vm):
    # the probe joins the container's cgroup (namespace root "/") and its
    # mount namespace (the container's hostname file)
    vm.sh("berth run -d --name hc --hostname probed --health-interval 500ms "
          "--health-cmd 'test \"$(cat /proc/self/cgroup)\" = 0::/ && hostname' "
          "busybox sleep 100000")
    for _ in range(60):
        out = vm.sh("berth ps")
        if "(healthy)" in out or "(unhealthy)" in out:
            break
        time.sleep(0.3)
    assert re.search(r"Up .*\(healthy\)", out), (out, vm.sh("berth inspect -f "
                                                             "'{{json .State.Health}}' hc"))
    assert "probed" in vm.sh("berth inspect -f '{{json .State.Health.Log}}' hc")
    vm.sh("berth rm -f hc")
    assert vm.sh("berth ping").strip() == "pong"
