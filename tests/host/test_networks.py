"""User-defined networks (`berth network ...`, `run --network NAME`) under
`berth daemon` in a network namespace the test makes (`unshare -n`):
bridges, veths, routes and rules exist only there. Docker's outputs and
exit codes; isolation between networks; names resolving within one."""
import json
import os
import re

from hostenv import Daemon, fetch, require_bridge_network, require_overlay


BUILD = []


def setup_module(build):
    BUILD[:] = [build]
    require_overlay()
    require_bridge_network()
    d = Daemon(build, netns=True)
    d.import_busybox()
    return d


def teardown_module(d):
    d.stop()


def fails(d, want_rc, want_err, *args):
    rc, out, err = d.cli(*args)
    assert rc == want_rc and want_err in err, (args, rc, out, err)


def inspect(d, name):
    return json.loads(d.ok("network", "inspect", name))[0]


def ctr_ip(d, name):
    return d.ok("inspect", "-f", "{{.NetworkSettings.IPAddress}}", name).strip()


def reaches(d, src, dst):
    """One ping from container src to dst (a name or an address)."""
    rc, out, err = d.cli("exec", src, "ping", "-c1", "-W1", dst)
    return rc == 0 and "1 packets received" in out


def test_create_ls_inspect_rm(d):
    nid = d.ok("network", "create", "front").strip()
    assert re.fullmatch(r"[0-9a-f]{64}", nid), nid
    lab = d.ok("network", "create", "--subnet", "10.77.0.0/24", "--gateway", "10.77.0.254",
               "--internal", "--label", "team=a", "back").strip()
    try:
        # Docker's columns; the predefined networks listed too
        out = d.ok("network", "ls")
        lines = out.splitlines()
        assert re.match(r"NETWORK ID\s+NAME\s+DRIVER\s+SCOPE$", lines[0]), out
        names = [l.split()[1] for l in lines[1:]]
        assert names == ["bridge", "host", "none", "back", "front"], out
        assert re.search(r"^%s\s+front\s+bridge\s+local$" % nid[:12], out, re.M), out
        assert d.ok("network", "ls", "-q", "--filter", "name=fro") == nid[:12] + "\n"
        assert d.ok("network", "ls", "-q", "--no-trunc", "-f", "label=team=a") == lab + "\n"
        assert d.ok("network", "ls", "--filter", "type=custom", "--format",
                    "{{.Name}}") == "back\nfront\n"
        row = json.loads(d.ok("network", "ls", "-f", "name=back", "--format", "json"))
        assert row["Internal"] == "true" and row["Labels"] == "team=a", row
        # inspect: Docker's keys; the pool's first free subnet, .1 its gateway
        f = inspect(d, "front")
        assert f["Id"] == nid and f["Driver"] == "bridge" and f["Scope"] == "local", f
        assert f["IPAM"]["Config"] == [{"Subnet": "172.18.0.0/16", "Gateway": "172.18.0.1"}]
        assert f["Internal"] is False and f["Containers"] == {} and f["Labels"] == {}, f
        assert f["Options"]["com.docker.network.bridge.name"] == "br-" + nid[:12], f
        b = inspect(d, lab[:8])  # by ID prefix
        assert b["Name"] == "back" and b["Internal"] is True, b
        assert b["IPAM"]["Config"] == [{"Subnet": "10.77.0.0/24", "Gateway": "10.77.0.254"}]
        assert b["Labels"] == {"team": "a"}, b
        assert d.ok("network", "inspect", "-f", "{{.Name}} {{.Driver}}", "none") == \
            "none null\n"
        # each network its own Linux bridge with the gateway's address, up
        link = d.netexec("ip", "-o", "addr", "show", "br-" + nid[:12])
        assert "inet 172.18.0.1/16" in link, link
        assert "inet 10.77.0.254/24" in d.netexec("ip", "-o", "addr", "show", "br-" + lab[:12])
        # bad input: one line naming the thing, nothing made
        fails(d, 1, "berth: network with name front already exists", "network", "create", "front")
        fails(d, 1, "berth: network with name bridge already exists", "network", "create", "bridge")
        fails(d, 1, "berth: Pool overlaps with other one on this address space",
              "network", "create", "--subnet", "172.18.5.0/24", "ov")
        fails(d, 1, "berth: Pool overlaps", "network", "create", "--subnet", "172.16.0.0/12", "ov")
        fails(d, 1, "berth: invalid CIDR address: 10.1.0.0/33", "network", "create",
              "--subnet", "10.1.0.0/33", "ov")
        fails(d, 1, "berth: no matching subnet for gateway 10.2.0.1", "network", "create",
              "--subnet", "10.1.0.0/24", "--gateway", "10.2.0.1", "ov")
        fails(d, 1, 'berth: invalid network name "a/b"', "network", "create", "a/b")
        fails(d, 1, 'plugin "overlay" not found', "network", "create", "-d", "overlay", "ov")
        fails(d, 1, "requires exactly 1 argument", "network", "create")
        fails(d, 1, "berth: network ov not found", "network", "inspect", "ov")
        assert "ov" not in d.ok("network", "ls")
        # rm: Docker echoes the names; missing and predefined refused
        fails(d, 1, "berth: No such network: ghost", "network", "rm", "ghost")
        fails(d, 1, "berth: bridge is a pre-defined network and cannot be removed",
              "network", "rm", "bridge")
    finally:
        out = d.ok("network", "rm", "front", "back")
    assert out == "front\nback\n", out
    assert "br-" not in d.netexec("ip", "link")
    assert d.ok("network", "ls", "-q", "-f", "type=custom") == ""
    ev = d.ok("events", "--since", "1m", "--until", "0s", "--filter", "type=network",
              "--format", "{{.Action}} {{.Actor.Attributes.name}}")
    assert "create front\ncreate back\ndestroy front\ndestroy back\n" in ev, ev


def test_labels_limit_and_created(d):
    """16 labels kept whole; a 17th, or a label of 256 bytes, refused
    with one line and nothing made (never cut short). Created as Go's
    RFC 3339 with nanoseconds (no trailing zeros), ls's CreatedAt as Go
    prints a time, the same instant."""
    labels = sum((["--label", "k%02d=v%d" % (i, i)] for i in range(17)), [])
    fails(d, 1, "berth: network many: more than 16 labels\n", "network", "create", *labels,
          "many")
    fails(d, 1, "network many: label kk=vvvvv", "network", "create", "--label",
          "kk=" + "v" * 253, "many")
    assert "many" not in d.ok("network", "ls", "--format", "{{.Name}}").split()
    d.ok("network", "create", *labels[:32], "many")
    try:
        got = inspect(d, "many")
        assert got["Labels"] == {"k%02d" % i: "v%d" % i for i in range(16)}, got["Labels"]
        m = re.fullmatch(r"(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(\.\d*[1-9])?Z", got["Created"])
        assert m, got["Created"]
        at = d.ok("network", "ls", "-f", "name=many", "--format", "{{.CreatedAt}}")
        assert at == "%s %s%s +0000 UTC\n" % (m.group(1), m.group(2), m.group(3) or ""), at
        assert m.group(1) >= "2024", got["Created"]
    finally:
        d.ok("network", "rm", "many")


def link_with(d, name, cidr):
    """A veth pair in the daemon's namespace, cidr on name, both ends up:
    a route of the 'host', or an address outside the containers."""
    d.netexec("ip", "link", "add", name, "type", "veth", "peer", "name", name + "p")
    d.netexec("ip", "addr", "add", cidr, "dev", name)
    d.netexec("ip", "link", "set", name, "up")
    d.netexec("ip", "link", "set", name + "p", "up")


def test_subnet_avoids_host_routes(d):
    """A route of the host (here the daemon's namespace) covering the next
    pool subnet makes create skip it, as Docker's default-address-pools."""
    link_with(d, "hroute0", "172.18.3.1/24")
    try:
        d.ok("network", "create", "skip")
        assert inspect(d, "skip")["IPAM"]["Config"][0]["Subnet"] == "172.19.0.0/16"
        d.ok("network", "rm", "skip")
    finally:
        d.netexec("ip", "link", "del", "hroute0")


def test_isolation_and_names(d):
    d.ok("network", "create", "red")
    d.ok("network", "create", "blue")
    try:
        d.ok("run", "-d", "--name", "r1", "--network", "red", "busybox", "sleep", "1000")
        d.ok("run", "-d", "--name", "r2", "--network", "red", "--network-alias", "db",
             "--network-alias", "cache", "busybox", "sleep", "1000")
        d.ok("run", "-d", "--name", "b1", "--network", "blue", "busybox", "sleep", "1000")
        d.ok("run", "-d", "--name", "d1", "busybox", "sleep", "1000")
        r1, r2, b1, d1 = (ctr_ip(d, n) for n in ("r1", "r2", "b1", "d1"))
        assert r1.startswith("172.18.") and r2.startswith("172.18."), (r1, r2)
        assert b1.startswith("172.19.") and d1.startswith("172.17."), (b1, d1)
        # within a network: by name and alias, both ways
        for src, dst in (("r1", "r2"), ("r1", "db"), ("r1", "cache"), ("r2", "r1")):
            out = d.ok("exec", src, "ping", "-c1", "-W2", dst)
            ip = r2 if dst != "r1" else r1
            assert "PING %s (%s)" % (dst, ip) in out and "1 packets received" in out, out
        # the names of other networks' containers are not there
        hosts = d.ok("exec", "r1", "cat", "/etc/hosts")
        # (by word: the hostnames are random hex, "b19c..." holds "b1")
        words = hosts.split()
        assert "r2 db cache\n" in hosts and "b1" not in words and "d1" not in words, hosts
        assert "r1" not in d.ok("exec", "b1", "cat", "/etc/hosts").split()
        assert "r1" not in d.ok("exec", "d1", "cat", "/etc/hosts").split()
        # across networks (and from and to the default bridge): dropped
        for src, dst in (("r1", b1), ("b1", r1), ("d1", r1), ("r1", d1), ("b1", d1)):
            assert not reaches(d, src, dst), (src, dst)
        assert reaches(d, "r1", r2)
        chain = d.netexec("iptables", "-S", "BERTH-ISOLATION-STAGE-2")
        for br in ("berth0", inspect(d, "red")["Options"]["com.docker.network.bridge.name"]):
            assert "-A BERTH-ISOLATION-STAGE-2 -o %s -j DROP" % br in chain, chain
        # ps --filter network, inspect's Containers, the container's Networks
        assert d.ok("ps", "--filter", "network=red", "--format", "{{.Names}}").split() == \
            ["r2", "r1"]
        cs = inspect(d, "red")["Containers"]
        assert sorted(c["Name"] for c in cs.values()) == ["r1", "r2"], cs
        nets = json.loads(d.ok("inspect", "-f", "{{json .NetworkSettings.Networks}}", "r2"))
        assert nets["red"]["IPAddress"] == r2, nets
        # in use: refused as Docker does; prune leaves it
        fails(d, 1, "error while removing network: network red id ", "network", "rm", "red")
        out = d.ok("network", "prune", "-f")
        assert out == "", out
        # a stop takes the name out of the neighbours' files
        d.ok("stop", "-t", "0", "r2")
        hosts = d.ok("exec", "r1", "cat", "/etc/hosts")
        assert "r2" not in hosts and "cache" not in hosts, hosts
        ev = d.ok("events", "--since", "1m", "--until", "0s", "--filter", "type=network",
                  "--filter", "event=connect", "--filter", "event=disconnect", "--format",
                  "{{.Action}} {{.Actor.Attributes.name}}")
        assert "connect red\n" in ev and "disconnect red\n" in ev, ev
    finally:
        d.cli("rm", "-f", "r1", "r2", "b1", "d1")
    out = d.ok("network", "prune", "-f")
    assert out == "Deleted Networks:\nblue\nred\n", out
    assert "br-" not in d.netexec("ip", "link")
    chain = d.netexec("iptables", "-S", "BERTH-ISOLATION-STAGE-1")
    assert "br-" not in chain and "-i berth0" in chain, chain


def test_ip_and_alias_flags(d):
    d.ok("network", "create", "--subnet", "10.88.0.0/24", "fixed")
    try:
        d.ok("run", "-d", "--name", "f1", "--network", "fixed", "--ip", "10.88.0.50", "busybox",
             "sleep", "1000")
        assert ctr_ip(d, "f1") == "10.88.0.50"
        out = d.ok("exec", "f1", "ip", "addr", "show", "eth0")
        assert "inet 10.88.0.50/24" in out, out
        # taken, outside the subnet, not an address, on the default bridge, no such network
        rc, out, err = d.cli("run", "--network", "fixed", "--ip", "10.88.0.50", "busybox", "true")
        assert rc != 0 and "Address already in use: 10.88.0.50" in err, (rc, err)
        fails(d, 125, "invalid address 10.9.0.5: it does not belong to any of network fixed",
              "run", "--network", "fixed", "--ip", "10.9.0.5", "busybox", "true")
        fails(d, 125, "invalid address bogus", "run", "--network", "fixed", "--ip", "bogus",
              "busybox", "true")
        fails(d, 125, "user specified IP address is supported on user defined networks only",
              "run", "--ip", "172.17.0.9", "busybox", "true")
        fails(d, 125, "network-scoped alias is supported only for containers in user defined",
              "run", "--network-alias", "x", "busybox", "true")
        fails(d, 125, "berth: network ghost not found", "run", "--network", "ghost", "busybox",
              "true")
    finally:
        d.cli("rm", "-f", "f1")
        for name in [l.split()[-1] for l in d.ok("ps", "-a", "--format", "{{.Names}}").split()]:
            d.cli("rm", "-f", name)
        d.ok("network", "rm", "fixed")


def test_outside_and_published_ports(d):
    """A user network's container reaches the host's addresses, and a
    published port reaches it, through its bridge's rules."""
    d.ok("network", "create", "pub")
    link_with(d, "out0", "192.0.2.1/24")
    try:
        d.ok("run", "-d", "--name", "web", "--network", "pub", "-p", "18080:8080", "busybox",
             "sh", "-c", "echo hi-from-pub > /i.html && exec httpd -f -p 8080 -h /")
        ip = ctr_ip(d, "web")
        assert reaches(d, "web", "192.0.2.1")
        nat = d.netexec("iptables", "-t", "nat", "-S")
        assert "-A BERTH -p tcp -m tcp --dport 18080 -j DNAT --to-destination %s:8080" % ip \
            in nat, nat
        assert re.search(r"-A POSTROUTING -s 172\.\d+\.0\.0/16 ! -o br-\w+ -j MASQUERADE", nat)
        body = fetch(d, "http://192.0.2.1:18080/i.html")
        assert body == "hi-from-pub\n", body
    finally:
        d.cli("rm", "-f", "web")
        d.netexec("ip", "link", "del", "out0")
        d.ok("network", "rm", "pub")
    assert "18080" not in d.netexec("iptables", "-t", "nat", "-S")


def test_internal_network_stays_inside(d):
    """--internal: no masquerade, and the isolation chain drops what would
    leave the subnet through the bridge either way."""
    d.ok("network", "create", "--internal", "--subnet", "10.99.0.0/24", "vault")
    try:
        br = inspect(d, "vault")["Options"]["com.docker.network.bridge.name"]
        d.ok("run", "-d", "--name", "v1", "--network", "vault", "busybox", "sleep", "1000")
        d.ok("run", "-d", "--name", "v2", "--network", "vault", "busybox", "sleep", "1000")
        d.ok("run", "-d", "--name", "v3", "busybox", "sleep", "1000")
        assert reaches(d, "v1", "v2")
        assert not reaches(d, "v1", ctr_ip(d, "v3")) and not reaches(d, "v3", ctr_ip(d, "v1"))
        chain = d.netexec("iptables", "-S", "BERTH-ISOLATION-STAGE-1")
        assert "-A BERTH-ISOLATION-STAGE-1 ! -d 10.99.0.0/24 -i %s -j DROP" % br in chain, chain
        assert "-A BERTH-ISOLATION-STAGE-1 ! -s 10.99.0.0/24 -o %s -j DROP" % br in chain, chain
        assert "10.99.0.0/24 ! -o %s -j MASQUERADE" % br not in \
            d.netexec("iptables", "-t", "nat", "-S")
    finally:
        d.cli("rm", "-f", "v1", "v2", "v3")
        d.ok("network", "rm", "vault")


COMPOSE = """
services:
  web:
    image: busybox
    command: ["sleep", "100000"]
  db:
    image: busybox
    command: ["sleep", "100000"]
  loner:
    image: busybox
    command: ["sleep", "100000"]
    network_mode: bridge
"""


def test_compose_default_network(d):
    """compose up makes PROJECT_default, its services resolve each other
    by service name (and container name) there and are isolated from the
    default bridge; down removes it after the containers."""
    path = os.path.join(d.root, "shop.yaml")
    with open(path, "w") as f:
        f.write(COMPOSE)
    out = d.ok("compose", "-p", "shop", "-f", path, "up", "-d", timeout=60)
    try:
        assert out.startswith(" Network shop_default  Created\n"), out
        net = inspect(d, "shop_default")
        assert net["Labels"] == {"com.docker.compose.network": "default",
                                 "com.docker.compose.project": "shop"}, net
        assert sorted(c["Name"] for c in net["Containers"].values()) == \
            ["shop-db-1", "shop-web-1"], net
        for src, dst in (("shop-web-1", "db"), ("shop-db-1", "web"),
                         ("shop-web-1", "shop-db-1")):
            out = d.ok("exec", src, "ping", "-c1", "-W2", dst)
            assert "1 packets received" in out, out
        assert "web" not in d.ok("exec", "shop-loner-1", "cat", "/etc/hosts")
        assert not reaches(d, "shop-loner-1", ctr_ip(d, "shop-web-1"))
        # a second up finds it
        out = d.ok("compose", "-p", "shop", "-f", path, "up", "-d", timeout=60)
        assert "Network" not in out, out
    finally:
        out = d.ok("compose", "-p", "shop", "-f", path, "down", "-t", "0", timeout=60)
    assert out.endswith(" Network shop_default  Removed\n"), out
    fails(d, 1, "network shop_default not found", "network", "inspect", "shop_default")


def test_networks_survive_a_daemon_restart(d):
    """The definitions live in the state dir (on /data in the appliance): a
    new daemon over the same root, here in a new network namespace as
    after a reboot, lists them and makes the bridge again at the first
    start of a container on one. Last: it replaces the module's daemon."""
    nid = d.ok("network", "create", "--subnet", "10.66.0.0/24", "keep").strip()
    d.stop(remove=False)
    d.__init__(BUILD[0], netns=True, root=d.root)
    assert d.ok("network", "ls", "-q", "--no-trunc", "-f", "name=keep") == nid + "\n"
    assert "br-" not in d.netexec("ip", "link")
    out = d.ok("run", "--rm", "--network", "keep", "busybox", "ip", "-o", "addr", "show", "eth0")
    assert "inet 10.66.0.2/24" in out, out
    assert "10.66.0.1/24" in d.netexec("ip", "-o", "addr", "show", "br-" + nid[:12])
    d.ok("network", "rm", "keep")
