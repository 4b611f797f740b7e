"""The appliance boots our kernel + initramfs and PID 1 sets up the host:
mounts, cgroup2, sysctls, bridge, NAT, console, control FIFO, reaping,
and powers off cleanly."""
import os
import re

from harness import Appliance


def setup_module(build):
    # berth.bogus checks that an unknown parameter is reported and ignored.
    vm = Appliance(build, "boot", append="berth.bogus=1").start()
    vm.wait_prompt(90)
    return vm


def teardown_module(vm):
    vm.kill()


def test_pid1_is_berth(vm):
    # PID 1 runs from a sealed memfd copy of /usr/bin/berth (CVE-2019-5736)
    assert vm.sh("readlink /proc/1/exe").strip().startswith("/memfd:berth")
    vm.sh("cmp /proc/1/exe /usr/bin/berth")
    assert "init" in vm.sh("tr '\\0' ' ' </proc/1/cmdline")


def test_root_allows_pivot_root(vm):
    # PID 1 left the initramfs root mount, so a new mount namespace can
    # pivot_root (containers need it; on the bare initramfs it fails).
    out = vm.sh("unshare -m sh -c 'mkdir -p /tmp/nr && mount -t tmpfs t /tmp/nr && "
                "mkdir /tmp/nr/old && cd /tmp/nr && pivot_root . old && echo PIVOT_OK'")
    assert "PIVOT_OK" in out, out


def test_cgroup2_controllers(vm):
    assert re.search(r"^cgroup2 /sys/fs/cgroup cgroup2 ", vm.sh("cat /proc/mounts"), re.M)
    enabled = vm.sh("cat /sys/fs/cgroup/cgroup.subtree_control").split()
    for c in ("cpu", "cpuset", "io", "memory", "pids"):
        assert c in enabled, (c, enabled)


def test_mounts(vm):
    mounts = vm.sh("cat /proc/mounts")
    for target, fstype in (("/proc", "proc"), ("/sys", "sysfs"), ("/dev", "devtmpfs"),
                           ("/dev/pts", "devpts"), ("/dev/shm", "tmpfs"), ("/run", "tmpfs"),
                           ("/tmp", "tmpfs")):
        assert re.search(r"^\S+ %s %s " % (re.escape(target), fstype), mounts, re.M), target


def test_sysctls(vm):
    assert vm.sh("cat /proc/sys/net/bridge/bridge-nf-call-iptables").strip() == "1"
    assert vm.sh("cat /proc/sys/net/bridge/bridge-nf-call-ip6tables").strip() == "1"
    assert vm.sh("cat /proc/sys/net/ipv4/ip_forward").strip() == "1"
    assert vm.sh("cat /proc/sys/net/ipv4/conf/all/rp_filter").strip() == "0"


def test_hostname(vm):
    assert vm.sh("hostname").strip() == "berth"


def test_bridge_address(vm):
    out = vm.sh("ip -4 addr show berth0")
    assert "inet 172.17.0.1/16" in out, out
    assert "UP" in vm.sh("ip link show berth0")


def test_nat_rules(vm):
    out = vm.sh("iptables -t nat -nvL POSTROUTING")
    # iptables 1.8.9 prints protocol 0 where older versions say "all"
    assert re.search(r"MASQUERADE\s+(all|0)\s+--\s+\*\s+!berth0\s+172\.17\.0\.0/16\s+0\.0\.0\.0/0",
                     out), out
    pre = vm.sh("iptables -t nat -nvL PREROUTING")
    assert re.search(r"BERTH\s+(all|0).*ADDRTYPE match dst-type LOCAL", pre), pre
    fwd = vm.sh("iptables -nvL FORWARD")
    assert "BERTH-FORWARD" in fwd, fwd


def test_eth0_dhcp(vm):
    # QEMU's user network hands out 10.0.2.15 by DHCP.
    out = ""
    for _ in range(20):
        out = vm.sh("ip -4 addr show eth0")
        if "10.0.2.15" in out:
            break
        vm.sh("sleep 0.5")
    assert "inet 10.0.2.15/24" in out, out
    assert "default via 10.0.2.2" in vm.sh("ip route")


def test_orphans_are_reaped(vm):
    # 100 children whose parent exits at once: they become PID 1's orphans.
    vm.sh("sh -c 'for i in $(seq 100); do sleep 0.3 & done; exit 0'")
    vm.sh("sleep 2")
    zombies = vm.sh("cat /proc/[0-9]*/stat 2>/dev/null | awk '$3 == \"Z\"' | wc -l").strip()
    assert zombies == "0", zombies


def test_boot_timeline(vm):
    out = vm.sh("berth boot")
    for name in ("init", "mounts", "root", "hostname", "sysctl", "network", "supervisor"):
        assert re.search(r"^%s\s" % name, out, re.M), (name, out)


def test_unknown_parameter_is_reported(vm):
    out = vm.sh("dmesg | grep 'berth:'")
    assert "unknown kernel parameter berth.bogus" in out, out
    # and boot went on to the end
    assert "boot: supervisor" in out, out


def test_control_fifo_survives_garbage(vm):
    assert vm.sh("stat -c '%a %U %F' /run/berth/control").strip() == "600 root fifo"
    vm.sh("printf '\\001\\002\\377garbage\\n' > /run/berth/control")
    vm.sh("head -c 5000 /dev/zero | tr '\\0' x > /run/berth/control; echo > /run/berth/control")
    assert vm.sh("berth ping").strip() == "pong"
    out, rc = vm.run("berth frobnicate", check=False)
    assert rc != 0 and "not a berth command" in out, (rc, out)
    out, rc = vm.run("berth poweroff now", check=False)
    assert rc == 1 and "accepts no arguments" in out, (rc, out)
    assert "malformed request" in vm.sh("dmesg | tail -20")


def test_console_shell_respawns(vm):
    start = len(vm.buf)
    vm.send("exit\n")
    vm.expect(rb"built-in shell", 20, start)
    vm.wait_prompt(20, start)
    assert vm.sh("echo alive").strip() == "alive"


def test_poweroff_exits_qemu(vm):
    vm.send("berth poweroff\n")
    rc = vm.wait_exit(60)
    vm.reader.join(5)
    log = vm.tail(60)
    assert "reboot: Power down" in log, log
    assert "Kernel panic" not in log, log
    assert rc == 0, rc
