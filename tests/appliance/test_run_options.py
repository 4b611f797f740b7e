"""The run options that need cgroup v2 (the build host may have none):
--device's rule in the container's device program, with its permissions
(read allowed, write refused; without --device the same node cannot be
made or opened), --device-cgroup-rule's rules there, and --init as PID 1 under the appliance's own PID 1. The device
is /dev/kmsg (c 1:11), read only: harmless, and inside QEMU anyway."""
from harness import Appliance


def setup_module(build):
    vm = Appliance(build, "runopts", mem=512).start()
    vm.wait_prompt(90)
    return vm


def teardown_module(vm):
    vm.kill()


def test_device_rule_allows_what_it_says(vm):
    out, rc = vm.run("berth run --rm --device /dev/kmsg:/dev/klog:r busybox sh -c "
                     "'head -c 1 /dev/klog >/dev/null && echo read-ok; "
                     "echo x 2>/dev/null > /dev/klog || echo write-refused'", 60, check=False)
    assert rc == 0 and out.split() == ["read-ok", "write-refused"], out
    # the same node without --device: the program refuses even to make it
    out, rc = vm.run("berth run --rm busybox sh -c 'mknod /tmp/k c 1 11 2>/dev/null && "
                     "head -c 1 /tmp/k >/dev/null 2>&1 || echo refused'", 60, check=False)
    assert rc == 0 and out.split() == ["refused"], out


def test_device_cgroup_rules(vm):
    """--device-cgroup-rule in Docker's syntax, into the device program:
    c 1:11 (kmsg, read only: harmless) made and read but not written;
    b 7:* (loops) made and opened (ENXIO or data, never EPERM), b 8:*
    not; c *:* m makes any char node, opens none that is not allowed.
    The nodes go in /dev (the container's root is mounted nodev)."""
    out, rc = vm.run("berth run --rm --device-cgroup-rule 'c 1:11 rm' --device-cgroup-rule "
                     "'b 7:* rm' busybox sh -c 'mknod /dev/k c 1 11 && head -c 1 /dev/k "
                     ">/dev/null && echo read-ok; echo x 2>/dev/null >/dev/k || echo "
                     "write-refused; mknod /dev/l b 7 0 && echo loop-made; head -c 1 /dev/l "
                     "2>&1 | grep -q \"not permitted\" || echo loop-opened; mknod /dev/s b 8 0 "
                     "2>/dev/null || echo sd-refused'", 60, check=False)
    assert rc == 0 and out.split() == ["read-ok", "write-refused", "loop-made", "loop-opened",
                                       "sd-refused"], out
    out, rc = vm.run("berth run --rm --device-cgroup-rule 'c *:* m' busybox sh -c "
                     "'mknod /dev/k c 1 11 && echo made; head -c 1 /dev/k'", 60, check=False)
    assert rc != 0 and out.split()[0] == "made" and "Operation not permitted" in out, out


def test_init_and_limits_in_the_appliance(vm):
    out, rc = vm.run("berth run --rm --init --ulimit nofile=64:64 --memory 32m busybox sh -c "
                     "'cat /proc/1/comm; ulimit -n; cat /sys/fs/cgroup/memory.max'", 60,
                     check=False)
    assert rc == 0 and out.split() == ["docker-init", "64", str(32 << 20)], out
