"""Bridge networking in the appliance, as the notes walk through it: a
container's eth0 with an address from berth0's subnet and a default route
via 172.17.0.1 inside; outside, its veth (veth + 7 hex) on berth0."""
import re
import socket
import time

from harness import Appliance, free_port, http_get


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]




UDP_PORT = []


def setup_module(build):
    UDP_PORT[:] = [free_udp_port()]
    vm = Appliance(build, "network", mem=512, http_port=free_port(),
                   hostfwd=["udp:127.0.0.1:%d-:5353" % UDP_PORT[0]]).start()
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
    assert re.search(r"DNAT\s+(tcp|6)\s+--\s+\*\s+\*\s+0\.0\.0\.0/0\s+0\.0\.0\.0/0\s+"
                     r"tcp dpt:80 to:%s:80" % re.escape(ip), nat), nat
    assert vm.sh("berth port web").strip() == "80/tcp -> 0.0.0.0:80"
    body = http_get(vm.http_port, "/", 10)
    assert body == "hello-appliance\n", body
    vm.sh("berth rm -f web")
    assert "DNAT" not in vm.sh("iptables -t nat -nvL BERTH")


def test_console_shows_what_the_notes_walk_through(vm):
    """veth on berth0, the container's MAC learnt by the bridge, the NAT
    rules, the route inside; the published port on 127.0.0.1, on eth0's
    address and from the container itself (hairpin)."""
    cid = vm.sh("berth run -d --name notes -p 8080:80 busybox sh -c "
                "'mkdir /www; echo hello-notes > /www/index.html; exec httpd -f -p 80 -h /www'"
                ).strip()
    ip = vm.sh("berth inspect -f '{{.NetworkSettings.IPAddress}}' notes").strip()
    mac = vm.sh("berth inspect -f '{{.NetworkSettings.MacAddress}}' notes").strip()
    assert mac == "02:42:ac:11:00:%02x" % int(ip.split(".")[3]), (ip, mac)
    out = vm.sh("berth exec notes ping -c1 -W2 172.17.0.1")
    assert "1 packets received" in out, out
    links = vm.sh("ip link")
    assert re.search(r"veth%s@\S+: <BROADCAST,MULTICAST,UP,LOWER_UP> .* master berth0" % cid[:7],
                     links), links
    # the bridge's forwarding database (busybox has no `bridge fdb`, and its
    # brctl no showmacs: the kernel's table in sysfs, 16 bytes an entry)
    fdb = vm.sh("hexdump -v -e '6/1 \"%02x:\" \"\\n\" 10/1 \"\"' /sys/class/net/berth0/brforward")
    assert mac + ":" in fdb.split(), fdb
    neigh = vm.sh("ip neigh show dev berth0")
    assert "%s lladdr %s" % (ip, mac) in neigh, neigh
    pre = vm.sh("iptables -t nat -nvL PREROUTING")
    assert re.search(r"BERTH\s+(all|0)\s+--\s+\*\s+\*\s+0\.0\.0\.0/0\s+0\.0\.0\.0/0\s+"
                     r"ADDRTYPE match dst-type LOCAL", pre), pre
    out = vm.sh("iptables -t nat -nvL OUTPUT")
    assert re.search(r"BERTH\s+(all|0)\s+--\s+\*\s+\*\s+0\.0\.0\.0/0\s+0\.0\.0\.0/0\s+"
                     r"ADDRTYPE match dst-type LOCAL", out), out
    post = vm.sh("iptables -t nat -nvL POSTROUTING")
    assert re.search(r"MASQUERADE\s+(all|0)\s+--\s+\*\s+!berth0\s+172\.17\.0\.0/16\s+0\.0\.0\.0/0",
                     post), post
    assert re.search(r"MASQUERADE\s+(all|0)\s+--\s+\*\s+berth0\s+127\.0\.0\.0/8\s+0\.0\.0\.0/0",
                     post), post
    assert re.search(r"MASQUERADE\s+(tcp|6)\s+--\s+\*\s+\*\s+%s\s+%s\s+tcp dpt:80"
                     % (re.escape(ip), re.escape(ip)), post), post
    route = vm.sh("berth exec notes ip route")
    assert re.search(r"^default via 172\.17\.0\.1 dev eth0", route, re.M), route
    assert vm.sh("cat /proc/sys/net/ipv4/conf/berth0/route_localnet").strip() == "1"
    eth0 = re.search(r"inet (\d+\.\d+\.\d+\.\d+)/", vm.sh("ip -4 addr show eth0")).group(1)
    for where in ("", "berth exec notes "):
        for addr in ("127.0.0.1", eth0):
            if where and addr == "127.0.0.1":
                continue  # the container's own loopback
            body = ""
            for _ in range(20):
                body = vm.sh("%swget -qO- http://%s:8080/" % (where, addr))
                if "hello-notes" in body:
                    break
                vm.sh("sleep 0.2")
            assert body.strip() == "hello-notes", (where, addr, body)
    vm.sh("berth rm -f notes")
    assert "DNAT" not in vm.sh("iptables -t nat -nvL BERTH")
    assert ip not in vm.sh("iptables -t nat -nvL POSTROUTING")


def udp_noports(vm, name):
    """The container's own UDP counter of datagrams for a port nobody
    listens on (its network namespace's /proc/net/snmp)."""
    lines = [l.split() for l in vm.sh("berth exec %s cat /proc/net/snmp" % name).splitlines()
             if l.startswith("Udp:")]
    return int(lines[1][lines[0].index("NoPorts")])


def test_udp_published_port_through_hostfwd(vm):
    """Datagrams from the build host through QEMU's UDP hostfwd to the
    guest's port 5353, published as the container's 53/udp, arrive in the
    container's own network stack: its UDP counters see them. (This
    busybox has no UDP server; the host tests answer through an echo.)"""
    vm.sh("berth run -d --name dns -p 5353:53/udp busybox sleep 1000")
    ip = vm.sh("berth inspect -f '{{.NetworkSettings.IPAddress}}' dns").strip()
    assert vm.sh("berth port dns").strip() == "53/udp -> 0.0.0.0:5353"
    before = udp_noports(vm, "dns")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for _ in range(3):
            s.sendto(b"query", ("127.0.0.1", UDP_PORT[0]))
            time.sleep(0.05)
    after = before
    for _ in range(20):
        after = udp_noports(vm, "dns")
        if after >= before + 3:
            break
        vm.sh("sleep 0.2")
    assert after == before + 3, (before, after)
    nat = vm.sh("iptables -t nat -nvxL BERTH")
    m = re.search(r"^\s*(\d+)\s+\d+\s+DNAT\s+(udp|17)\s+--\s+\*\s+\*\s+0\.0\.0\.0/0\s+0\.0\.0\.0/0"
                  r"\s+udp dpt:5353 to:%s:53" % re.escape(ip), nat, re.M)
    assert m and int(m.group(1)) >= 1, nat
    vm.sh("berth rm -f dns")
    assert "DNAT" not in vm.sh("iptables -t nat -nvL BERTH")


def test_user_networks_isolated_names_resolve(vm):
    """Two user networks on our kernel: names (and aliases) resolve within
    each, traffic between them and from the default bridge is dropped by
    the isolation chains."""
    for net in ("red", "blue"):
        assert re.fullmatch(r"[0-9a-f]{64}\n", vm.sh("berth network create " + net))
        for n in ("1", "2"):
            vm.sh("berth run -d --name %s%s --network %s --network-alias %s-db%s busybox "
                  "sleep 1000" % (net, n, net, net, n), timeout=60)
    ip = {c: vm.sh("berth inspect -f '{{.NetworkSettings.IPAddress}}' " + c).strip()
          for c in ("red1", "red2", "blue1", "blue2")}
    assert ip["red1"].startswith("172.") and ip["red1"].split(".")[1] != "17", ip
    assert ip["red1"].split(".")[1] != ip["blue1"].split(".")[1], ip
    for net in ("red", "blue"):
        out = vm.sh("berth exec %s1 ping -c1 -W2 %s-db2" % (net, net), timeout=30)
        assert "PING %s-db2 (%s)" % (net, ip[net + "2"]) in out, out
        assert "1 packets received" in out, out
        out = vm.sh("berth exec %s2 ping -c1 -W2 %s1" % (net, net), timeout=30)
        assert "1 packets received" in out, out
    out, rc = vm.run("berth exec red1 ping -c1 -W2 blue1", 30, check=False)
    assert rc != 0 and "bad address" in out, out
    for src, dst in (("red1", ip["blue1"]), ("blue2", ip["red2"])):
        out, rc = vm.run("berth exec %s ping -c1 -W1 %s" % (src, dst), 30, check=False)
        assert rc != 0 and "0 packets received" in out, out
    chain = vm.sh("iptables -S BERTH-ISOLATION-STAGE-2")
    assert chain.count("-j DROP") == 3, chain  # berth0, red, blue
    # red1 connected to blue live: it reaches blue's names and blue its
    # alias there; disconnected: neither again
    vm.sh("berth network connect --alias visitor blue red1", timeout=30)
    out = vm.sh("berth exec red1 ping -c1 -W2 blue-db2", timeout=30)
    assert "1 packets received" in out, out
    out = vm.sh("berth exec blue1 ping -c1 -W2 visitor", timeout=30)
    assert "1 packets received" in out, out
    vm.sh("berth network disconnect blue red1", timeout=30)
    out, rc = vm.run("berth exec red1 ping -c1 -W1 blue-db2", 30, check=False)
    assert rc != 0 and "bad address" in out, out
    assert "eth1" not in vm.sh("berth exec red1 ip -o link")
    assert "visitor" not in vm.sh("berth exec blue1 cat /etc/hosts")
    vm.sh("berth rm -f red1 red2 blue1 blue2", timeout=30)
    assert vm.sh("berth network rm red blue") == "red\nblue\n"
