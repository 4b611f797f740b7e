"""Network modes under `berth daemon` run inside a network namespace the
test makes (`unshare -n`): nothing here touches the machine's own network.
host shares the daemon's namespace, container:REF another container's,
none gives only lo; bad modes and missing targets are refused with
nothing left behind."""
import json
import os
import re
import subprocess
import time

from hostenv import Daemon


def setup_module(build):
    d = Daemon(build, netns=True)
    d.import_busybox()
    # a marker only the daemon's namespace has
    d.netexec("ip", "link", "add", "bhost0", "type", "bridge")
    return d


def teardown_module(d):
    d.stop()


def links(d, *opts):
    out = d.ok("run", "--rm", *opts, "busybox", "ls", "/sys/class/net")
    return sorted(out.split())


VETH = re.compile(r"^\d+: (veth[0-9a-f]{7})@\S+: .* master berth0 .*state UP", re.M)


def ipam_entries(d):
    """The addresses the IPAM state file hands out."""
    path = os.path.join(d.root, "run/berth/network/ipam")
    if not os.path.exists(path):
        return []
    lines = open(path).read().splitlines()
    assert lines[0] == "subnet 172.17.0.1/16", lines
    return [l.split()[0] for l in lines[1:]]


def veths(d):
    return VETH.findall(d.netexec("ip", "-o", "link"))


def no_veth_soon(d):
    """A removed container's netns, and with it the veth, goes away
    asynchronously in the kernel: give it a moment."""
    for _ in range(50):
        if "veth" not in d.netexec("ip", "link"):
            return
        time.sleep(0.1)
    assert "veth" not in d.netexec("ip", "link"), d.netexec("ip", "link")


def nothing_left(d):
    assert d.ok("ps", "-aq") == ""
    ctrs = os.path.join(d.root, "run/berth/containers")
    assert not os.path.isdir(ctrs) or os.listdir(ctrs) == [], os.listdir(ctrs)
    assert ipam_entries(d) == []
    no_veth_soon(d)


def test_none_has_only_lo(d):
    assert links(d, "--network", "none") == ["lo"]


def test_host_shares_daemon_namespace(d):
    assert links(d, "--network", "host") == ["bhost0", "lo"]
    out = d.ok("run", "--rm", "--network", "host", "busybox", "ip", "link", "show", "bhost0")
    assert "bhost0" in out, out
    # its own uts namespace all the same
    out = d.ok("run", "--rm", "--network", "host", "-h", "hbox", "busybox", "hostname")
    assert out == "hbox\n", out


def test_container_mode_shares_the_other_namespace(d):
    d.ok("run", "-d", "--name", "netowner", "busybox", "sleep", "1000")
    pid = int(d.ok("inspect", "-f", "{{.State.Pid}}", "netowner"))
    ip = d.ok("inspect", "-f", "{{.NetworkSettings.IPAddress}}", "netowner").strip()
    assert ip.startswith("172.17."), ip
    # a marker in the owner's namespace only
    subprocess.run(["nsenter", "-t", str(pid), "-n", "ip", "link", "add", "mark0", "type",
                    "bridge"], check=True)
    try:
        assert links(d, "--network", "container:netowner") == ["eth0", "lo", "mark0"]
        cid = d.ok("inspect", "-f", "{{.Id}}", "netowner").strip()
        assert links(d, "--network", "container:" + cid[:12]) == ["eth0", "lo", "mark0"]
        out = d.ok("run", "--rm", "--network", "container:netowner", "busybox", "ip", "addr",
                   "show", "eth0")
        assert "inet %s/16" % ip in out, out
        # no address of its own
        assert d.ok("inspect", "-f", "{{.HostConfig.NetworkMode}}", "netowner").strip() == "bridge"
        assert ipam_entries(d) == [ip]
    finally:
        d.ok("rm", "-f", "netowner")


def test_container_mode_needs_a_running_container(d):
    d.ok("create", "--name", "idle", "busybox", "true")
    rc, out, err = d.cli("run", "--rm", "--network", "container:idle", "busybox", "true")
    assert rc == 125, (rc, out, err)
    assert "cannot join network of a non running container: idle" in err, err
    d.ok("rm", "idle")
    nothing_left(d)


def test_container_mode_missing_target(d):
    rc, out, err = d.cli("run", "--network", "container:ghost", "busybox", "true")
    assert rc == 125, (rc, out, err)
    assert "No such container: ghost" in err, err
    nothing_left(d)


def test_unknown_modes_refused(d):
    for bad in ("x", "container:", "Host", ""):
        rc, out, err = d.cli("run", "--network", bad, "busybox", "true")
        assert rc == 125, (bad, rc, out, err)
        assert ('berth: network mode "%s": want bridge, host, none or container:NAME' % bad
                in err), err
    nothing_left(d)


def ctr_ip(d, name):
    return d.ok("inspect", "-f", "{{.NetworkSettings.IPAddress}}", name).strip()


def test_bridge_is_the_default_and_containers_ping(d):
    a = d.ok("run", "-d", "--name", "pa", "busybox", "sleep", "1000").strip()
    b = d.ok("run", "-d", "--name", "pb", "--network", "bridge", "busybox", "sleep",
             "1000").strip()
    try:
        ipa, ipb = ctr_ip(d, "pa"), ctr_ip(d, "pb")
        assert re.fullmatch(r"172\.17\.\d+\.\d+", ipa) and ipa != ipb, (ipa, ipb)
        assert ipa != "172.17.0.1" and ipb != "172.17.0.1"
        assert sorted(ipam_entries(d)) == sorted([ipa, ipb])
        for src, dst in (("pa", ipb), ("pb", ipa)):
            out = d.ok("exec", src, "ping", "-c1", "-W2", dst)
            assert "1 packets received" in out, out
        # inside: eth0 with the address, default route via the bridge
        out = d.ok("exec", "pa", "ip", "addr", "show", "eth0")
        assert "inet %s/16" % ipa in out and "mtu 1500" in out, out
        route = d.ok("exec", "pa", "ip", "route")
        assert re.search(r"^default via 172\.17\.0\.1 dev eth0", route, re.M), route
        # outside: one veth+7hex per container, on berth0 and up
        names = veths(d)
        assert sorted(names) == sorted(["veth" + a[:7], "veth" + b[:7]]), names
        assert "inet 172.17.0.1/16" in d.netexec("ip", "addr", "show", "berth0")
        # the hostname resolves to the address
        hosts = d.ok("exec", "pa", "cat", "/etc/hosts")
        assert "%s\t%s" % (ipa, a[:12]) in hosts, hosts
        ns = json.loads(d.ok("inspect", "-f", "{{json .NetworkSettings}}", "pa"))
        assert ns["IPAddress"] == ipa and ns["IPPrefixLen"] == 16, ns
        assert ns["Gateway"] == "172.17.0.1", ns
        assert re.fullmatch(r"02:42:ac:11(:[0-9a-f]{2}){2}", ns["MacAddress"]), ns
        assert ns["Networks"]["bridge"]["IPAddress"] == ipa, ns
        # rm: the veth goes with the netns, the address goes back and is reused
        d.ok("rm", "-f", "pa")
        for _ in range(50):
            if veths(d) == ["veth" + b[:7]]:
                break
            time.sleep(0.1)
        assert veths(d) == ["veth" + b[:7]], veths(d)
        assert ipam_entries(d) == [ipb]
        d.ok("run", "-d", "--name", "pc", "busybox", "sleep", "1000")
        assert ctr_ip(d, "pc") == ipa
    finally:
        d.cli("rm", "-f", "pa", "pb", "pc")
    nothing_left(d)


def test_exit_releases_address_and_restart_gets_one(d):
    d.ok("run", "-d", "--name", "short", "busybox", "sh", "-c", "sleep 0.3")
    assert d.ok("wait", "short").strip() == "0"
    assert ipam_entries(d) == []
    assert ctr_ip(d, "short") == ""
    d.ok("start", "short")
    out = d.ok("exec", "short", "ip", "-o", "addr", "show", "eth0")
    assert "inet 172.17.0.2/16" in out, out
    d.ok("wait", "short")
    d.ok("rm", "short")
    nothing_left(d)


def test_address_state_is_read_back_and_checked(d):
    """The state file is the truth a restarted supervisor starts from: an
    address it names is never handed out again; a broken one is refused."""
    st = os.path.join(d.root, "run/berth/network/ipam")
    held = "subnet 172.17.0.1/16\n172.17.0.2 %s\n" % ("f" * 64)
    open(st, "w").write(held)
    d.ok("run", "-d", "--name", "next", "busybox", "sleep", "1000")
    assert ctr_ip(d, "next") == "172.17.0.3"
    d.ok("rm", "-f", "next")
    assert open(st).read() == held
    no_veth_soon(d)
    open(st, "w").write("garbage\n")
    rc, out, err = d.cli("run", "-d", "--name", "bad", "busybox", "true")
    assert rc == 125, (rc, out, err)
    assert "address state %s: line 1: want \"subnet 172.17.0.1/16\"" % st in err, err
    assert "veth" not in d.netexec("ip", "link")
    d.ok("rm", "bad")
    open(st, "w").write("subnet 172.17.0.1/16\n")
    nothing_left(d)


def nat_rules(d):
    return d.netexec("iptables", "-t", "nat", "-S", "BERTH")


def test_published_port_dnat_and_removal(d):
    cid = d.ok("run", "-d", "--name", "web", "-p", "8080:80", "-p", "172.17.0.1:5353:53/udp",
               "busybox", "sh", "-c",
               "mkdir /www; echo hello-web > /www/index.html; exec httpd -f -p 80 -h /www").strip()
    try:
        ip = ctr_ip(d, "web")
        rules = nat_rules(d)
        assert ("-A BERTH ! -i berth0 -p tcp -m tcp --dport 8080 -j DNAT "
                "--to-destination %s:80" % ip) in rules, rules
        assert ("-A BERTH -d 172.17.0.1/32 ! -i berth0 -p udp -m udp --dport 5353 -j DNAT "
                "--to-destination %s:53" % ip) in rules, rules
        fwd = d.netexec("iptables", "-S", "BERTH-FORWARD")
        assert "-d %s/32 ! -i berth0 -o berth0 -p tcp -m tcp --dport 80 -j ACCEPT" % ip in fwd
        # from the namespace's host side, through the published port
        body = ""
        for _ in range(30):
            # (this busybox's wget crashes with -T)
            body = d.netexec("/bin/busybox", "wget", "-qO-", "http://172.17.0.1:8080/",
                             check=False)
            if body:
                break
            time.sleep(0.1)
        assert body == "hello-web\n", body
        assert sorted(d.ok("port", "web").splitlines()) == \
            ["53/udp -> 172.17.0.1:5353", "80/tcp -> 0.0.0.0:8080"]
        # PORTS in ps, as docker ps prints them
        assert d.ok("ps", "--format", "{{.Names}} {{.Ports}}").strip() == \
            "web 0.0.0.0:8080->80/tcp, 172.17.0.1:5353->53/udp"
        assert "0.0.0.0:8080->80/tcp" in d.ok("ps")
        ports = json.loads(d.ok("inspect", "-f", "{{json .NetworkSettings.Ports}}", "web"))
        assert ports["80/tcp"] == [{"HostIp": "0.0.0.0", "HostPort": "8080"}], ports
        # the host port is taken: a clear error, no rule, no address, no veth for it
        rc, out, err = d.cli("run", "-d", "--name", "web2", "-p", "8080:81", "busybox",
                             "sleep", "100")
        assert rc == 125 and "Bind for 0.0.0.0:8080 failed: port is already allocated" in err, \
            (rc, err)
        assert nat_rules(d).count("DNAT") == 2
        assert ipam_entries(d) == [ip]
        assert veths(d) == ["veth" + cid[:7]]
        d.ok("rm", "web2")
    finally:
        d.cli("rm", "-f", "web")
    assert "DNAT" not in nat_rules(d)
    assert "--dport" not in d.netexec("iptables", "-S", "BERTH-FORWARD")
    nothing_left(d)


def test_bad_publish_refused(d):
    for spec, want in (("80", "want [IP:]HOSTPORT:CTRPORT[/udp]"),
                       ("8080:80/sctp", "protocol must be tcp or udp"),
                       ("99999:80", "bad host port"),
                       ("1.2.3:80:80", "bad host IP")):
        rc, out, err = d.cli("run", "-d", "-p", spec, "busybox", "true")
        assert rc == 125 and want in err, (spec, rc, err)
    rc, out, err = d.cli("run", "-d", "-p", "80:80", "-p", "80:81", "busybox", "true")
    assert rc == 125 and "host port 80 published twice" in err, err
    rc, out, err = d.cli("run", "-d", "--network", "none", "-p", "80:80", "busybox", "true")
    assert rc == 125 and "published ports need --network bridge" in err, err
    nothing_left(d)
    assert "DNAT" not in nat_rules(d)
