"""`berth sandbox-run` in the appliance, where cgroup2 is there: limits in
the container's cgroup, the device program (a container keeps CAP_MKNOD but
cannot make or open nodes outside the allow list, e.g. the disk), the
cgroup namespace, and removal of the cgroup afterwards. Probes are harmless:
open read-only with count=0, never a write to a device. And the 32-bit
(i386) seccomp path, on our kernel with IA32 emulation: the build host's
kernel may lack it (tests/host/test_sandbox.py then skips it), this one must
not. tests/host/probe/probe.c, built here, is /root/probe in the appliance
and /bin/probe in the containers, with the profiles in /root."""
import os
import tempfile

import probe as probe_prog
from harness import Appliance

ROOT = "/tmp/sb"
APPLETS = "sh id cat mknod dd mount hostname echo grep head sleep ls touch seq true sort"


def setup_module(build):
    with tempfile.TemporaryDirectory(prefix="berth-probe-") as tmp:
        with open(probe_prog.compile_probe(os.path.join(tmp, "probe")), "rb") as f:
            files = {"/root/probe": (f.read(), 0o755)}
    for name, text in probe_prog.arch_map_profiles().items():
        files["/root/" + name] = text
    vm = Appliance(build, "sandbox", files=files).start()
    vm.wait_prompt(120)
    vm.run("mkdir -p %s/l/bin %s/l/etc %s/l/tmp && cp /bin/busybox /root/probe %s/l/bin/ && "
           "for a in %s; do ln -s busybox %s/l/bin/$a; done && "
           "echo 'root:x:0:0:root:/root:/bin/sh' > %s/l/etc/passwd && "
           "echo 'root:x:0:' > %s/l/etc/group" %
           (ROOT, ROOT, ROOT, ROOT, APPLETS, ROOT, ROOT, ROOT), 60)
    vm.n = 0
    return vm


def teardown_module(vm):
    vm.kill()


def run(vm, args, timeout=60):
    vm.n += 1
    d = "%s/c%d" % (ROOT, vm.n)
    vm.run("mkdir -p %s/u %s/w %s/r" % (d, d, d))
    return vm.run("berth sandbox-run --lower %s/l --upper %s/u --work %s/w --rootfs %s/r %s" %
                  (ROOT, d, d, d, args), timeout, check=False)


def test_container_in_own_cgroup_namespace(vm):
    out, rc = run(vm, "-- sh -c 'echo $$; cat /proc/self/cgroup'")
    assert rc == 0 and out.split() == ["1", "0::/"], out


def test_limits_written(vm):
    out, rc = run(vm, "-m 64m --pids-limit 20 --cpus 0.5 --cpu-shares 512 -- sh -c "
                  "'cd /sys/fs/cgroup && cat memory.max pids.max cpu.max cpu.weight'")
    assert rc == 0, out
    assert out.splitlines() == ["67108864", "20", "50000 100000", "20"], out


def test_pids_limit_enforced(vm):
    out, rc = run(vm, "--pids-limit 4 -- sh -c 'for i in 1 2 3 4 5 6; do sleep 5 & done; "
                  "echo started'")
    assert "can't fork" in out or "Resource temporarily unavailable" in out, out


def test_device_program_denies_other_nodes(vm):
    # c 1:11 is /dev/kmsg; b 254:0 a virtio disk (whether or not one exists).
    out, rc = run(vm, "-- sh -c 'mknod /dev/kk c 1 11 || echo mknod-denied; "
                  "dd if=/dev/kk of=/dev/null count=0 2>/dev/null && echo OPENED; "
                  "mknod /dev/vd b 254 0 || echo mknod-denied; "
                  "dd if=/dev/vd of=/dev/null count=0 2>/dev/null && echo OPENED; "
                  "mknod /dev/n2 c 1 3 && echo x > /dev/n2 && echo null-ok'")
    assert out.count("mknod-denied") == 2, out
    assert "OPENED" not in out and "null-ok" in out, out


def test_device_program_off_when_privileged(vm):
    out, rc = run(vm, "--privileged -- sh -c 'mknod /dev/kk c 1 11 && "
                  "dd if=/dev/kk of=/dev/null count=0 2>/dev/null && echo OPENED'")
    assert "OPENED" in out, out


def test_cgroup_removed_after_exit(vm):
    out, rc = run(vm, "-- true")
    assert rc == 0, out
    left = vm.sh("ls /sys/fs/cgroup/berth/ | grep sandbox- | wc -l").strip()
    assert left == "0", left


def test_protections_hold_in_appliance(vm):
    # Without sysrq in the kernel, /proc/sys stands for the read-only set.
    ro = "/proc/sysrq-trigger"
    if "absent" in vm.sh("[ -e /proc/sysrq-trigger ] || echo absent"):
        ro = "/proc/sys/kernel/domainname"
    out, rc = run(vm, "-- sh -c 'mount -t tmpfs x /tmp 2>&1 || echo mount-denied; "
                  "true > %s 2>/dev/null || echo ro-denied; "
                  "cat /proc/keys /proc/timer_list 2>/dev/null | grep . | wc -l'" % ro)
    assert "mount-denied" in out and "ro-denied" in out, out
    assert out.splitlines()[-1] == "0", out


def test_oom_kill_counted(vm):
    out, rc = run(vm, "-m 16m --print-stats -- sh -c "
                  "'head -c 100000000 /dev/zero | sort > /dev/null; echo sort=$?' 2>&1", 120)
    assert "sort=137" in out, out
    assert "memory_max=16777216" in out, out
    oom = int(out.split("oom_kill=")[1].split()[0])
    assert oom >= 1, out


def test_failed_start_removes_cgroup(vm):
    out, rc = run(vm, "-- nothere 2>&1")
    assert rc == 127 and 'exec: "nothere": executable file not found in $PATH' in out, out
    left = vm.sh("ls /sys/fs/cgroup/berth/ | grep sandbox- | wc -l").strip()
    assert left == "0", left


def test_cli_runs_from_sealed_copy(vm):
    vm.n += 1
    d = "%s/c%d" % (ROOT, vm.n)
    vm.run("mkdir -p %s/u %s/w %s/r" % (d, d, d))
    out = vm.sh("berth sandbox-run --lower %s/l --upper %s/u --work %s/w --rootfs %s/r "
                "-- sleep 2 2>&1 & sleep 1; readlink /proc/$!/exe; wait" % (ROOT, d, d, d), 30)
    assert "/memfd:berth" in out and "warning" not in out, out


def test_exec_joins_cgroup_and_namespaces(vm):
    out, rc = run(vm, "--hostname inside --also-exec 'hostname; cat /proc/self/cgroup; "
                  "mknod /dev/kk c 1 11 2>/dev/null || echo mknod-denied' -- sleep 2 2>&1")
    assert rc == 0, out
    lines = out.splitlines()
    assert lines[0] == "inside" and lines[1] == "0::/", out
    assert "mknod-denied" in out and "exec exited 0" in out, out


def test_seccomp_arch_map(vm):
    # tests/host/test_sandbox.py::test_seccomp_arch_map on our kernel.
    # IA32 emulation is a requirement of it (CONFIG_IA32_EMULATION in
    # kernel-config/berth.config), not a host property: without it this
    # fails, it does not skip.
    out, rc = vm.run("/root/probe int80", check=False)
    assert rc == 0 and out.strip() == "int80 ok", \
        ("the appliance kernel has no IA32 emulation (CONFIG_IA32_EMULATION): "
         "int $0x80 outside any sandbox gave rc=%d: %r" % (rc, out))
    # Docker's archMap form with x86_64's 32-bit sub-architectures: the
    # i386 getpid is allowed as the x86_64 one is.
    out, rc = run(vm, "--security-opt seccomp=/root/map.json -- /bin/probe int80")
    assert rc == 0 and out.strip() == "int80 ok", (rc, out)
    # Only the native architecture: the i386 call is not allowed.
    out, rc = run(vm, "--security-opt seccomp=/root/native.json -- /bin/probe int80")
    assert rc != 0 and "int80 ok" not in out, (rc, out)
    # The default profile brings the 32-bit sub-architecture.
    out, rc = run(vm, "-- /bin/probe int80")
    assert rc == 0 and out.strip() == "int80 ok", (rc, out)
