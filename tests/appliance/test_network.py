"""Bridge networking in the appliance, as the notes walk through it: a
container's eth0 with an address from berth0's subnet and a default route
via 172.17.0.1 inside; outside, its veth (veth + 7 hex) on berth0."""
import re
import socket
import time
import urllib.request

from harness import Appliance


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def setup_module(build):
    vm = Appliance(build, "network", mem=512, http_port=free_port()).start()
    vm.wait_prompt(90)
    return vm


def teardown_module(vm):
    vm.kill()


def test_bridge_container_inside_and_outside(vm):
    cid = vm.sh("berth run -d --name web busybox sleep 1000").strip()
    assert re.fullmatch(r"[0-9a-f]{64}", cid), cid
    ip = vm.sh("berth inspect -f '{{.NetworkSettings.IPAddress}}' web").strip()
    assert ip == "172.17.0.2", ip
    addr = vm.sh("berth exec web ip addr show eth0")
    assert re.search(r"eth0@if\d+: <BROADCAST,MULTICAST,UP,LOWER_UP", addr), addr
    assert "inet 172.17.0.2/16 brd 172.17.255.255 scope global eth0" in addr, addr
    assert "link/ether 02:42:ac:11:00:02" in addr, addr
    route = vm.sh("berth exec web ip route")
    assert re.search(r"^default via 172\.17\.0\.1 dev eth0", route, re.M), route
    assert re.search(r"^172\.17\.0\.0/16 dev eth0 .*src 172\.17\.0\.2", route, re.M), route
    veth = "veth" + cid[:7]
    links = vm.sh("ip link show %s" % veth)
    assert re.search(r"\d+: %s@\S+: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 .*master berth0"
                     % veth, links), links
    # (this busybox's brctl has no "show"; the bridge's port list is in sysfs)
    ports = vm.sh("ls /sys/class/net/berth0/brif")
    assert ports.split() == [veth], ports
    # the bridge answers from inside
    out = vm.sh("berth exec web ping -c1 -W2 172.17.0.1")
    assert "1 packets received" in out, out
    vm.sh("berth rm -f web")
    for _ in range(20):
        if veth not in vm.sh("ip link"):
            break
        vm.sh("sleep 0.2")
    assert veth not in vm.sh("ip link")
    # the address comes back for the next one
    vm.sh("berth run -d --name web2 busybox sleep 1000")
    assert vm.sh("berth inspect -f '{{.NetworkSettings.IPAddress}}' web2").strip() == ip
    vm.sh("berth rm -f web2")


def test_host_and_none_modes(vm):
    out = vm.sh("berth run --rm --network host busybox ls /sys/class/net")
    assert "berth0" in out.split() and "eth0" in out.split(), out
    out = vm.sh("berth run --rm --network none busybox ls /sys/class/net")
    assert out.split() == ["lo"], out


def test_published_port_through_hostfwd(vm):
    vm.sh("berth run -d --name web -p 80:80 busybox sh -c "
          "'mkdir /www; echo hello-appliance > /www/index.html; exec httpd -f -p 80 -h /www'")
    ip = vm.sh("berth inspect -f '{{.NetworkSettings.IPAddress}}' web").strip()
    nat = vm.sh("iptables -t nat -nvL BERTH")
    assert re.search(r"DNAT\s+(tcp|6)\s+--\s+!berth0\s+\*\s+0\.0\.0\.0/0\s+0\.0\.0\.0/0\s+"
                     r"tcp dpt:80 to:%s:80" % re.escape(ip), nat), nat
    assert vm.sh("berth port web").strip() == "80/tcp -> 0.0.0.0:80"
    body, last = "", None
    for _ in range(40):
        try:
            url = "http://127.0.0.1:%d/" % vm.http_port
            body = urllib.request.urlopen(url, timeout=3).read().decode()
            break
        except OSError as e:
            last = e
            time.sleep(0.25)
    assert body == "hello-appliance\n", (body, last)
    vm.sh("berth rm -f web")
    assert "DNAT" not in vm.sh("iptables -t nat -nvL BERTH")
