"""`berth network connect` and `disconnect`: a container on several user
networks (eth0, eth1, ... inside) and the default bridge as a further
one, live on a running one and recorded on a stopped one; names and
aliases on each network, kept across a daemon restart that adopts the
containers; disconnect from a network that is gone (-f for a running
one); Docker's errors and events. Under `berth daemon` in a network
namespace the test makes (`unshare -n`)."""
import json
import os
import re
import signal
import subprocess
import tempfile
import time

from hostenv import (Daemon, busybox_tar, require_bridge_network, require_overlay,
                     stop_daemons)


BUILD = []


def setup_module(build):
    BUILD[:] = [build]
    require_overlay()
    require_bridge_network()
    d = Daemon(build, netns=True)
    d.import_busybox()
    d.ok("network", "create", "--subnet", "10.51.0.0/24", "one")
    d.ok("network", "create", "--subnet", "10.52.0.0/24", "two")
    return d


def teardown_module(d):
    d.stop()


def fails(d, want_rc, want_err, *args):
    rc, out, err = d.cli(*args)
    assert rc == want_rc and want_err in err, (args, rc, out, err)


def nets(d, name):
    return json.loads(d.ok("inspect", "-f", "{{json .NetworkSettings.Networks}}", name))


def addrs(d, name):
    """{ifname: "a.b.c.d/n"} inside the container."""
    out = d.ok("exec", name, "ip", "-o", "-4", "addr")
    return dict(re.findall(r"^\d+: (eth\d+)\s+inet (\S+)", out, re.M))


def pings(d, src, dst):
    rc, out, err = d.cli("exec", src, "ping", "-c1", "-W1", dst)
    return rc == 0 and "1 packets received" in out


def run(d, name, net):
    d.ok("run", "-d", "--name", name, "--network", net, "busybox", "sleep", "1000")


def test_connect_and_disconnect_live(d):
    run(d, "a1", "one")
    run(d, "b2", "two")
    run(d, "cc", "one")
    try:
        assert not pings(d, "cc", "b2") and not pings(d, "b2", "cc")
        d.ok("network", "connect", "--ip", "10.52.0.77", "--alias", "cx", "two", "cc")
        assert addrs(d, "cc") == {"eth0": "10.51.0.3/24", "eth1": "10.52.0.77/24"}
        # names and aliases on both networks, each seen at its own address
        assert pings(d, "cc", "b2") and pings(d, "cc", "a1")
        out = d.ok("exec", "b2", "ping", "-c1", "-W2", "cx")
        assert "PING cx (10.52.0.77)" in out and "1 packets received" in out, out
        assert "10.52.0.77\t" in d.ok("exec", "b2", "cat", "/etc/hosts")
        assert "10.51.0.3\t" in d.ok("exec", "a1", "cat", "/etc/hosts")
        assert "b2" not in d.ok("exec", "a1", "cat", "/etc/hosts").split()
        # the default route stays on the first network
        assert "default via 10.51.0.1 dev eth0" in d.ok("exec", "cc", "ip", "route")
        n = nets(d, "cc")
        assert n["one"]["IPAddress"] == "10.51.0.3" and n["two"]["IPAddress"] == "10.52.0.77", n
        assert n["two"]["MacAddress"] == "02:42:0a:34:00:4d", n
        cs = json.loads(d.ok("network", "inspect", "two"))[0]["Containers"]
        assert sorted((c["Name"], c["IPv4Address"]) for c in cs.values()) == \
            [("b2", "10.52.0.2/24"), ("cc", "10.52.0.77/24")], cs
        assert sorted(d.ok("ps", "--filter", "network=two", "--format", "{{.Names}}").split()) \
            == ["b2", "cc"]
        fails(d, 1, "error while removing network: network two", "network", "rm", "two")
        # disconnect: the interface, the name and the address go
        d.ok("network", "disconnect", "two", "cc")
        assert addrs(d, "cc") == {"eth0": "10.51.0.3/24"}
        assert "cx" not in d.ok("exec", "b2", "cat", "/etc/hosts").split()
        assert not pings(d, "cc", "10.52.0.2")
        assert list(nets(d, "cc")) == ["one"]
        run(d, "taker", "two")
        d.ok("network", "connect", "--ip", "10.52.0.77", "two", "a1")  # free again
        # the first network out: the next one is first, with the route
        d.ok("network", "disconnect", "one", "a1")
        assert addrs(d, "a1") == {"eth1": "10.52.0.77/24"}
        assert "default via 10.52.0.1 dev eth1" in d.ok("exec", "a1", "ip", "route")
        assert pings(d, "a1", "b2") and not pings(d, "a1", "10.51.0.3")
        # the last one out: only lo is left, as Docker allows
        d.ok("network", "disconnect", "two", "a1")
        assert addrs(d, "a1") == {}
        cid = d.ok("inspect", "-f", "{{.Id}}", "cc").strip()
        out = d.ok("events", "--since", "1m", "--until", "0s", "--filter", "type=network",
                   "--format", "{{json .}}")
        ev = [(e["Action"], e["Actor"]["Attributes"]["name"])
              for e in map(json.loads, out.splitlines())
              if e["Actor"]["Attributes"].get("container") == cid]
        assert ev == [("connect", "one"), ("connect", "two"), ("disconnect", "two")], ev
    finally:
        d.cli("rm", "-f", "a1", "b2", "cc", "taker")


def test_connect_recorded_while_stopped(d):
    d.ok("create", "--name", "ss", "--network", "one", "busybox", "sleep", "1000")
    run(d, "tt", "two")
    try:
        d.ok("network", "connect", "--alias", "ess", "two", "ss")
        assert sorted(nets(d, "ss")) == ["one", "two"]
        d.ok("start", "ss")
        got = addrs(d, "ss")
        assert sorted(got) == ["eth0", "eth1"] and got["eth1"].startswith("10.52."), got
        out = d.ok("exec", "tt", "ping", "-c1", "-W2", "ess")
        assert "1 packets received" in out, out
        d.ok("stop", "-t", "0", "ss")
        assert "ess" not in d.ok("exec", "tt", "cat", "/etc/hosts").split()
        d.ok("network", "disconnect", "two", "ss")
        d.ok("start", "ss")
        assert sorted(addrs(d, "ss")) == ["eth0"]
    finally:
        d.cli("rm", "-f", "ss", "tt")


def test_errors(d):
    run(d, "ee", "one")
    d.ok("run", "-d", "--name", "hh", "--network", "host", "busybox", "sleep", "1000")
    try:
        fails(d, 1, "endpoint with name ee already exists in network one",
              "network", "connect", "one", "ee")
        fails(d, 1, "is not connected to network two", "network", "disconnect", "two", "ee")
        fails(d, 1, "network ghost not found", "network", "connect", "ghost", "ee")
        fails(d, 1, "No such container: nobody", "network", "connect", "two", "nobody")
        fails(d, 1, "invalid address 10.9.9.9: it does not belong to any of network two",
              "network", "connect", "--ip", "10.9.9.9", "two", "ee")
        fails(d, 1, "connected to host network", "network", "connect", "two", "hh")
        fails(d, 1, "requires exactly 2 arguments", "network", "connect", "two")
        fails(d, 1, "invalid alias: a\tb", "network", "connect", "--alias", "a\tb", "two", "ee")
        assert list(nets(d, "ee")) == ["one"]
    finally:
        d.cli("rm", "-f", "ee", "hh")


COMPOSE = """\
services:
  web:
    image: busybox
    command: sleep 1000
    networks:
      front:
        aliases: [www]
      back:
        ipv4_address: 10.71.0.50
  db:
    image: busybox
    command: sleep 1000
    networks: [back]
  edge:
    image: busybox
    command: sleep 1000
    networks: [front, outside]
networks:
  front: {}
  back:
    driver: bridge
    internal: true
    labels: {tier: data}
    ipam:
      config:
        - subnet: 10.71.0.0/24
  outside:
    external: true
    name: shared-ext
"""


def test_compose_networks(d):
    """Two project networks, a service on both (aliases, ipv4_address),
    an external network; down removes the project's but not the
    external one."""
    path = d.root + "/nets.yaml"
    with open(path, "w") as f:
        f.write(COMPOSE)
    d.ok("network", "create", "--subnet", "10.72.0.0/24", "shared-ext")
    try:
        out = d.ok("compose", "-p", "pj", "-f", path, "up", "-d", timeout=60)
        assert " Network pj_front  Created\n" in out and "pj_back  Created" in out, out
        assert "shared-ext" not in out and "pj_default" not in out, out
        back = json.loads(d.ok("network", "inspect", "pj_back"))[0]
        assert back["IPAM"]["Config"][0]["Subnet"] == "10.71.0.0/24" and back["Internal"], back
        assert back["Labels"]["tier"] == "data", back
        assert back["Labels"]["com.docker.compose.project"] == "pj", back
        web = addrs(d, "pj-web-1")
        assert sorted(web) == ["eth0", "eth1"] and web["eth1"] == "10.71.0.50/24", web
        # by service name and alias, on the network each pair shares
        out = d.ok("exec", "pj-db-1", "ping", "-c1", "-W2", "web")
        assert "PING web (10.71.0.50)" in out and "1 packets received" in out, out
        out = d.ok("exec", "pj-edge-1", "ping", "-c1", "-W2", "www")
        assert "PING www (%s)" % web["eth0"].split("/")[0] in out, out
        assert "db" not in d.ok("exec", "pj-edge-1", "cat", "/etc/hosts").split()
        assert addrs(d, "pj-edge-1")["eth1"].startswith("10.72.0."), addrs(d, "pj-edge-1")
    finally:
        out = d.ok("compose", "-p", "pj", "-f", path, "down", "-t", "0", timeout=60)
    assert "Network pj_front  Removed" in out and "Network pj_back  Removed" in out, out
    names = d.ok("network", "ls", "--format", "{{.Name}}").split()
    assert names[3:] == ["one", "shared-ext", "two"], names
    d.ok("network", "rm", "shared-ext")


def test_compose_network_errors(d):
    path = d.root + "/bad.yaml"
    with open(path, "w") as f:
        f.write("services:\n  a:\n    image: busybox\n    networks: [front, nope]\n"
                "networks:\n  front:\n    driver: overlay\n")
    rc, out, err = d.cli("compose", "-f", path, "config")
    assert rc != 0, (out, err)
    assert "bad.yaml:4: services.a.networks: network 'nope' is not declared" in err, err
    assert "bad.yaml:7: networks.front: driver 'overlay': only the bridge driver" in err, err
    with open(path, "w") as f:
        f.write("services:\n  a:\n    image: busybox\n    networks: [ext]\n"
                "networks:\n  ext:\n    external: true\n")
    rc, out, err = d.cli("compose", "-p", "bad", "-f", path, "up", "-d")
    assert rc == 1 and "network ext declared as external, but could not be found" in err, err


def events_of(d, cid):
    out = d.ok("events", "--since", "1m", "--until", "0s", "--filter", "type=network",
               "--format", "{{json .}}")
    return [(e["Action"], e["Actor"]["Attributes"]["name"])
            for e in map(json.loads, out.splitlines())
            if e["Actor"]["Attributes"].get("container") == cid]


def test_connect_default_bridge(d):
    """The default bridge as a further network of a container on a user
    network, as Docker allows: eth1 on berth0, reached from a container
    there; no --ip or alias on it (Docker's errors); disconnected again."""
    run(d, "ub", "one")
    d.ok("run", "-d", "--name", "plain", "busybox", "sleep", "1000")
    try:
        fails(d, 1, "user specified IP address is supported on user defined networks only",
              "network", "connect", "--ip", "172.17.0.99", "bridge", "ub")
        fails(d, 1, "network-scoped alias is supported only for containers in user defined",
              "network", "connect", "--alias", "x", "bridge", "ub")
        d.ok("network", "connect", "bridge", "ub")
        got = addrs(d, "ub")
        assert got["eth0"].startswith("10.51.0.") and got["eth1"].startswith("172.17."), got
        assert sorted(nets(d, "ub")) == ["bridge", "one"]
        assert pings(d, "plain", got["eth1"].split("/")[0])
        fails(d, 1, "endpoint with name plain already exists in network bridge",
              "network", "connect", "bridge", "plain")
        d.ok("network", "disconnect", "bridge", "ub")
        assert list(addrs(d, "ub")) == ["eth0"] and list(nets(d, "ub")) == ["one"]
        fails(d, 1, "is not connected to network bridge", "network", "disconnect", "bridge", "ub")
    finally:
        d.cli("rm", "-f", "ub", "plain")


def test_disconnect_stopped_gone_and_forced(d):
    """Docker's disconnect: a stopped container's is an event too; a
    network removed while a stopped container is on it (network rm counts
    running containers only, as Docker's active endpoints) fails that
    container's start until it is disconnected; a running container
    leaves a network whose definition is gone only with -f."""
    d.ok("create", "--name", "sd", "--network", "one", "busybox", "sleep", "1000")
    d.ok("network", "create", "--subnet", "10.53.0.0/24", "gone")
    run(d, "rg", "one")
    try:
        cid = d.ok("inspect", "-f", "{{.Id}}", "sd").strip()
        d.ok("network", "connect", "two", "sd")
        d.ok("network", "disconnect", "two", "sd")
        assert events_of(d, cid) == [("disconnect", "two")], events_of(d, cid)
        fails(d, 1, "container %s is not connected to the network two" % cid,
              "network", "disconnect", "two", "sd")
        d.ok("network", "connect", "gone", "sd")
        assert d.ok("network", "rm", "gone") == "gone\n"
        rc, out, err = d.cli("start", "sd")
        assert rc != 0 and err == "berth: failed to start container sd: network gone not " \
            "found\n", (rc, err)
        d.ok("network", "disconnect", "gone", "sd")
        d.ok("start", "sd")
        assert list(addrs(d, "sd")) == ["eth0"]
        # a running one: its further network's definition lost
        d.ok("network", "create", "--subnet", "10.54.0.0/24", "lost")
        d.ok("network", "connect", "lost", "rg")
        assert sorted(addrs(d, "rg")) == ["eth0", "eth1"]
        os.unlink(os.path.join(d.root, "run/berth/network/networks/lost.json"))
        fails(d, 1, "network lost not found", "network", "disconnect", "lost", "rg")
        d.ok("network", "disconnect", "-f", "lost", "rg")
        assert list(addrs(d, "rg")) == ["eth0"] and list(nets(d, "rg")) == ["one"]
    finally:
        d.cli("rm", "-f", "sd", "rg")
        d.cli("network", "rm", "gone")


def test_adopted_containers_keep_their_further_networks(d):
    """A daemon killed and started again adopts its containers: their
    further networks stay in their neighbours' /etc/hosts (a container
    started afterwards names them there), and a disconnect afterwards
    takes the name out of the neighbours' files."""
    root = tempfile.mkdtemp(prefix="berth-adoptnet-")
    berth = os.path.join(BUILD[0], "berth")
    procs = []
    holder = subprocess.Popen(["unshare", "-n", "--", "sleep", "1000"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def cli(*args):
        p = subprocess.run([berth, "--root", root] + list(args), capture_output=True,
                           text=True, timeout=30)
        assert p.returncode == 0, (args, p.stdout, p.stderr)
        return p.stdout

    def daemon():
        log = open(os.path.join(root, "log"), "a")
        procs.append(subprocess.Popen(["nsenter", "-t", str(holder.pid), "-n", "--", berth,
                                       "daemon", "--root", root],
                                      stdout=log, stderr=subprocess.STDOUT))
        for _ in range(300):
            if subprocess.run([berth, "--root", root, "ping"], capture_output=True).returncode == 0:
                return
            time.sleep(0.02)
        raise AssertionError(open(os.path.join(root, "log")).read())

    try:
        time.sleep(0.1)
        daemon()
        tar = os.path.join(root, "bb.tar")
        busybox_tar(tar)
        cli("import", tar, "busybox")
        cli("network", "create", "--subnet", "10.61.0.0/24", "na")
        cli("network", "create", "--subnet", "10.62.0.0/24", "nb")
        for name, net in (("xa", "na"), ("yb", "nb")):
            cli("run", "-d", "--name", name, "--network", net, "busybox", "sleep", "1000")
        cli("network", "connect", "--ip", "10.62.0.50", "nb", "xa")
        procs[0].send_signal(signal.SIGKILL)
        procs[0].wait()
        daemon()
        assert "xa" in cli("ps", "--format", "{{.Names}}").split()
        cli("run", "-d", "--name", "zb", "--network", "nb", "busybox", "sleep", "1000")
        hosts = cli("exec", "zb", "cat", "/etc/hosts")
        assert re.search(r"^10\.62\.0\.50\t\w+ xa$", hosts, re.M), hosts
        cli("network", "disconnect", "nb", "xa")
        assert "xa" not in cli("exec", "yb", "cat", "/etc/hosts").split()
        assert "xa" not in cli("exec", "zb", "cat", "/etc/hosts").split()
    finally:
        subprocess.run([berth, "--root", root, "rm", "-f", "xa", "yb", "zb"],
                       capture_output=True, timeout=60)
        stop_daemons(berth, root, procs, holder)
