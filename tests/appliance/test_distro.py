"""The same appliance on Debian's linux-image-amd64: PID 1 loads the
modules it needs (br_netfilter, bridge, veth, overlay, netfilter, virtio)
itself with finit_module, following modules.dep."""
import os
import re

from harness import Appliance


def setup_module(build):
    vm = Appliance(os.path.join(build, "distro"), "distro").start()
    vm.wait_prompt(120)
    return vm


def teardown_module(vm):
    vm.kill()


def test_pid1_loaded_modules(vm):
    mods = vm.sh("cut -d' ' -f1 /proc/modules").split()
    for m in ("br_netfilter", "bridge", "veth", "overlay", "iptable_nat", "xt_MASQUERADE",
              "virtio_net"):
        assert m in mods, (m, mods)
    # PID 1 loaded them itself (finit_module, its own modules.dep resolver)
    out = vm.sh("dmesg | grep 'berth: modules:'")
    m = re.search(r"berth: modules: (\d+) loaded from /lib/modules/", out)
    assert m and int(m.group(1)) >= 20, out


def test_bridge_netfilter_sysctl(vm):
    assert vm.sh("cat /proc/sys/net/bridge/bridge-nf-call-iptables").strip() == "1"
    assert vm.sh("cat /proc/sys/net/ipv4/ip_forward").strip() == "1"


def test_network_and_nat(vm):
    assert "inet 172.17.0.1/16" in vm.sh("ip -4 addr show berth0")
    out = vm.sh("iptables -t nat -nvL POSTROUTING")
    assert re.search(r"MASQUERADE.*172\.17\.0\.0/16", out), out
    assert "overlay" in vm.sh("cat /proc/filesystems")


def test_poweroff(vm):
    vm.send("berth poweroff\n")
    assert vm.wait_exit(60) == 0
    vm.reader.join(5)
    assert "reboot: Power down" in vm.tail(40)
