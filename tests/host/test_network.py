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

from hostenv import Daemon, fetch, require_bridge_network, require_overlay


D_BUILD = []


def setup_module(build):
    require_overlay()
    require_bridge_network()  # containers go on the default bridge
    D_BUILD[:] = [os.path.join(build, "berth")]
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
    # a removed container's tree is renamed aside and rm'd in the background
    for _ in range(50):
        left = os.listdir(ctrs) if os.path.isdir(ctrs) else []
        if not left or not all(".removing-" in n for n in left):
            break
        time.sleep(0.1)
    assert left == [], left
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
    for bad in ("container:", "a b", "a/b", ""):
        rc, out, err = d.cli("run", "--network", bad, "busybox", "true")
        assert rc == 125, (bad, rc, out, err)
        assert ('berth: network mode "%s": want bridge, host, none, container:NAME or a '
                "network's name" % bad in err), err
    # a name that could be a network's, but no network has it (Docker's text)
    for missing in ("x", "Host"):
        rc, out, err = d.cli("run", "--network", missing, "busybox", "true")
        assert rc == 125 and "berth: network %s not found\n" % missing in err, (rc, err)
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
    # exits at once the first time; started again (its writable layer kept)
    # it stays up until killed, so the exec never races its exit under load
    d.ok("run", "-d", "--name", "short", "busybox", "sh", "-c",
         "test -e /again && exec sleep 60; touch /again")
    assert d.ok("wait", "short").strip() == "0"
    assert ipam_entries(d) == []
    assert ctr_ip(d, "short") == ""
    d.ok("start", "short")
    out = d.ok("exec", "short", "ip", "-o", "addr", "show", "eth0")
    assert "inet 172.17.0.2/16" in out, out
    d.ok("kill", "short")
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
        assert ("-A BERTH -p tcp -m tcp --dport 8080 -j DNAT "
                "--to-destination %s:80" % ip) in rules, rules
        assert ("-A BERTH -d 172.17.0.1/32 -p udp -m udp --dport 5353 -j DNAT "
                "--to-destination %s:53" % ip) in rules, rules
        post = d.netexec("iptables", "-t", "nat", "-S", "POSTROUTING")
        assert ("-A POSTROUTING -s %s/32 -d %s/32 -p tcp -m tcp --dport 80 -j MASQUERADE"
                % (ip, ip)) in post, post
        fwd = d.netexec("iptables", "-S", "BERTH-FORWARD")
        assert "-d %s/32 ! -i berth0 -o berth0 -p tcp -m tcp --dport 80 -j ACCEPT" % ip in fwd
        # from the namespace's host side, through the published port
        body = fetch(d, "http://172.17.0.1:8080/")
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
    assert "/32" not in d.netexec("iptables", "-t", "nat", "-S", "POSTROUTING")
    nothing_left(d)


def test_bad_publish_refused(d):
    for spec, want in (("8080:80/sctp", "protocol must be tcp or udp"),
                       ("8000-8001:80-82", "invalid ranges specified for container and host "
                                           "Ports: 80-82 and 8000-8001"),
                       ("1-200", "too many published ports (at most 100)"),
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


def uplink(d):
    """A stand-in for the machine's own network card inside the daemon's
    namespace: a veth pair with 10.77.0.1 on one end."""
    d.netexec("ip", "link", "set", "lo", "up")  # unshare -n leaves it down
    if "up0" not in d.netexec("ip", "link"):
        d.netexec("ip", "link", "add", "up0", "type", "veth", "peer", "name", "up1")
        d.netexec("ip", "addr", "add", "10.77.0.1/24", "dev", "up0")
        d.netexec("ip", "link", "set", "up0", "up")
        d.netexec("ip", "link", "set", "up1", "up")
    return "10.77.0.1"


WEB = ("mkdir /www; echo hello-$HOSTNAME > /www/index.html; "
       "exec httpd -f -p 80 -h /www")


def test_published_port_from_host_localhost_and_hairpin(d):
    """Docker without its userland proxy: the published port answers on
    every host address, on 127.0.0.1 (route_localnet + MASQUERADE of
    127.0.0.0/8) and to the container itself through a host address
    (hairpin: DNAT from the bridge, the port in hairpin mode, MASQUERADE
    of its own address)."""
    host = uplink(d)
    d.ok("run", "-d", "--name", "hp", "-h", "hp", "-p", "8090:80", "busybox", "sh", "-c", WEB)
    d.ok("run", "-d", "--name", "other", "busybox", "sleep", "1000")
    try:
        ip = ctr_ip(d, "hp")
        assert d.netexec("cat", "/proc/sys/net/ipv4/conf/berth0/route_localnet").strip() == "1"
        post = d.netexec("iptables", "-t", "nat", "-S", "POSTROUTING")
        assert "-A POSTROUTING -s 172.17.0.0/16 ! -o berth0 -j MASQUERADE" in post, post
        assert "-A POSTROUTING -s 127.0.0.0/8 -o berth0 -j MASQUERADE" in post, post
        pre = d.netexec("iptables", "-t", "nat", "-S", "PREROUTING")
        assert "-A PREROUTING -m addrtype --dst-type LOCAL -j BERTH" in pre, pre
        out = d.netexec("iptables", "-t", "nat", "-S", "OUTPUT")
        assert "-A OUTPUT -m addrtype --dst-type LOCAL -j BERTH" in out, out
        for url in ("http://%s:8090/" % host, "http://127.0.0.1:8090/",
                    "http://172.17.0.1:8090/"):
            assert fetch(d, url) == "hello-hp\n", url
        # hairpin: the container itself, and its neighbour, through host addresses
        for ctr in ("hp", "other"):
            for addr in (host, "172.17.0.1"):
                assert fetch(d, "http://%s:8090/" % addr, ctr) == "hello-hp\n", (ctr, addr)
        # the DNAT rule counted them
        counts = d.netexec("iptables", "-t", "nat", "-nvxL", "BERTH")
        pkts = [int(l.split()[0]) for l in counts.splitlines() if "to:%s:80" % ip in l]
        assert pkts and pkts[0] >= 7, counts
    finally:
        d.cli("rm", "-f", "hp", "other")
    # all of its rules are gone
    assert "DNAT" not in nat_rules(d)
    assert ip not in d.netexec("iptables", "-t", "nat", "-S", "POSTROUTING")
    assert ip not in d.netexec("iptables", "-S", "BERTH-FORWARD")
    nothing_left(d)


def test_udp_published_port(d):
    """A datagram to the published UDP port reaches a socket in the
    container's network namespace (a UDP echo there: this busybox has no
    UDP server) and the answer comes back through the NAT."""
    d.ok("run", "-d", "--name", "udp", "-p", "5300:53/udp", "busybox", "sleep", "1000")
    pid = d.ok("inspect", "-f", "{{.State.Pid}}", "udp").strip()
    echo = subprocess.Popen(
        ["nsenter", "-t", pid, "-n", "python3", "-c",
         "import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
         "s.bind(('0.0.0.0',53))\nprint('ready',flush=True)\n"
         "while True:\n  b,a=s.recvfrom(100)\n  s.sendto(b'echo:'+b+(' from %s'%a[0]).encode(),a)\n"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert echo.stdout.readline().strip() == "ready"
        client = ("import socket,sys\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
                  "s.settimeout(3)\ns.sendto(b'ping',(sys.argv[1],5300))\n"
                  "print(s.recvfrom(100)[0].decode())\n")
        for addr in ("127.0.0.1", "172.17.0.1", uplink(d)):
            out = d.netexec("python3", "-c", client, addr).strip()
            # 127.0.0.1 arrives masqueraded as the bridge's address
            want = "echo:ping from %s" % ("172.17.0.1" if addr.startswith("127.") else addr)
            assert out == want, (addr, out)
        assert d.ok("port", "udp").strip() == "53/udp -> 0.0.0.0:5300"
    finally:
        echo.kill()
        echo.wait()
        d.cli("rm", "-f", "udp")
    assert "DNAT" not in nat_rules(d)
    nothing_left(d)


def test_crashed_container_leaves_no_rules(d):
    d.ok("run", "-d", "--name", "crash", "-p", "8091:80", "-p", "8092:81/udp", "busybox",
         "sleep", "1000")
    ip = ctr_ip(d, "crash")
    assert nat_rules(d).count("DNAT") == 2
    pid = int(d.ok("inspect", "-f", "{{.State.Pid}}", "crash"))
    os.kill(pid, 9)
    assert d.ok("wait", "crash").strip() == "137"
    # (wait answers with the exit code; the rules come out in the background)
    for _ in range(50):
        if "DNAT" not in nat_rules(d):
            break
        time.sleep(0.05)
    assert "DNAT" not in nat_rules(d)
    assert ip not in d.netexec("iptables", "-t", "nat", "-S", "POSTROUTING")
    assert ip not in d.netexec("iptables", "-S", "BERTH-FORWARD")
    assert d.ok("port", "crash") == ""
    assert ipam_entries(d) == []
    # its ports are free again: a new container takes them
    d.ok("run", "-d", "--name", "after", "-p", "8091:80", "busybox", "sleep", "1000")
    assert nat_rules(d).count("DNAT") == 1
    d.ok("rm", "-f", "after", "crash")
    nothing_left(d)


def test_port_ranges(d):
    d.ok("run", "-d", "--name", "rng", "-p", "8000-8002:80-82",
         "-p", "127.0.0.1:8100-8101:80-81/udp", "-p", "9000-9010:90", "busybox", "sleep", "1000")
    try:
        ip = ctr_ip(d, "rng")
        rules = nat_rules(d)
        for h, c in ((8000, 80), (8001, 81), (8002, 82)):
            assert ("-A BERTH -p tcp -m tcp --dport %d -j DNAT --to-destination %s:%d"
                    % (h, ip, c)) in rules, rules
        for h, c in ((8100, 80), (8101, 81)):
            assert ("-A BERTH -d 127.0.0.1/32 -p udp -m udp --dport %d -j DNAT "
                    "--to-destination %s:%d" % (h, ip, c)) in rules, rules
        assert rules.count("DNAT") == 6, rules
        assert sorted(d.ok("port", "rng").splitlines()) == sorted([
            "80/tcp -> 0.0.0.0:8000", "81/tcp -> 0.0.0.0:8001", "82/tcp -> 0.0.0.0:8002",
            "80/udp -> 127.0.0.1:8100", "81/udp -> 127.0.0.1:8101", "90/tcp -> 0.0.0.0:9000"])
        # docker ps shows runs of ports as ranges
        assert d.ok("ps", "--format", "{{.Names}} {{.Ports}}").strip() == \
            "rng 0.0.0.0:8000-8002->80-82/tcp, 127.0.0.1:8100-8101->80-81/udp, 0.0.0.0:9000->90/tcp"
        # a host range for one container port: the first free one of it
        d.ok("run", "-d", "--name", "rng2", "-p", "9000-9010:90", "busybox", "sleep", "1000")
        assert d.ok("port", "rng2").strip() == "90/tcp -> 0.0.0.0:9001"
        # overlapping a running one's range: refused, nothing left of it
        rc, out, err = d.cli("run", "-d", "--name", "rng3", "-p", "8001-8003:80-82", "busybox",
                             "sleep", "1000")
        assert rc == 125 and "Bind for 0.0.0.0:8001 failed: port is already allocated" in err, err
        assert nat_rules(d).count("DNAT") == 7
        assert len(ipam_entries(d)) == 2
        d.ok("rm", "rng3")
    finally:
        d.cli("rm", "-f", "rng", "rng2")
    assert "DNAT" not in nat_rules(d)
    nothing_left(d)


def oci_image_with_exposed_ports(d, name, exposed):
    """busybox again, as an OCI layout whose config exposes ports."""
    import hashlib
    import tarfile as _t
    from hostenv import busybox_tar
    top = os.path.join(d.root, "exp-" + name)
    os.makedirs(os.path.join(top, "blobs/sha256"))
    tar = os.path.join(d.root, "exp.tar")
    busybox_tar(tar)

    def blob(data):
        h = hashlib.sha256(data).hexdigest()
        open(os.path.join(top, "blobs/sha256", h), "wb").write(data)
        return "sha256:" + h, len(data)

    layer = open(tar, "rb").read()
    ld, ls = blob(layer)
    cfg = json.dumps({"architecture": "amd64", "os": "linux",
                      "config": {"Cmd": ["sh"], "ExposedPorts": {p: {} for p in exposed}},
                      "rootfs": {"type": "layers", "diff_ids": [ld]}}).encode()
    cd, cs = blob(cfg)
    man = json.dumps({"schemaVersion": 2,
                      "mediaType": "application/vnd.oci.image.manifest.v1+json",
                      "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                 "digest": cd, "size": cs},
                      "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                                  "digest": ld, "size": ls}]}).encode()
    md, ms = blob(man)
    json.dump({"imageLayoutVersion": "1.0.0"}, open(os.path.join(top, "oci-layout"), "w"))
    json.dump({"schemaVersion": 2, "manifests": [
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": ms,
         "annotations": {"org.opencontainers.image.ref.name": name}}]},
        open(os.path.join(top, "index.json"), "w"))
    arch = os.path.join(d.root, "exp-%s.tar" % name)
    with _t.open(arch, "w") as t:
        for n in sorted(os.listdir(top)):
            t.add(os.path.join(top, n), arcname=n)
    d.ok("load", "-i", arch)


def test_publish_all_uses_the_ephemeral_range(d):
    oci_image_with_exposed_ports(d, "exposing:1", ["80/tcp", "53/udp"])
    rng = "/proc/sys/net/ipv4/ip_local_port_range"
    old = d.netexec("cat", rng).split()
    d.netexec("sh", "-c", "echo 41000 41002 > " + rng)
    try:
        d.ok("run", "-d", "--name", "pa1", "-P", "--expose", "7000-7001", "-p", "8200:7001",
             "exposing:1", "sleep", "1000")
        got = sorted(d.ok("port", "pa1").splitlines())
        # the image's two, --expose's 7000 (7001 has -p), from 41000-41002 in turn
        assert len(got) == 4, got
        assert "7001/tcp -> 0.0.0.0:8200" in got, got
        hosts = sorted(int(l.rsplit(":", 1)[1]) for l in got if not l.startswith("7001/"))
        assert hosts == [41000, 41001, 41002], got
        assert {l.split(" ")[0] for l in got} == {"80/tcp", "53/udp", "7000/tcp", "7001/tcp"}
        assert nat_rules(d).count("DNAT") == 4
        # 41001 is free for tcp still, then the range is used up: a clear
        # error, nothing left
        rc, out, err = d.cli("run", "-d", "--name", "pa2", "-p", "80", "-p", "81", "busybox",
                             "true")
        assert rc == 125 and "Bind for 0.0.0.0:81/tcp failed: all ports are allocated" in err, err
        assert nat_rules(d).count("DNAT") == 4
        assert len(ipam_entries(d)) == 1
        d.ok("rm", "pa2")
        # -P on an image that exposes nothing publishes nothing
        d.ok("run", "-d", "--name", "pa3", "-P", "busybox", "sleep", "1000")
        assert d.ok("port", "pa3") == ""
    finally:
        d.cli("rm", "-f", "pa1", "pa2", "pa3")
        d.netexec("sh", "-c", "echo %s %s > %s" % (old[0], old[1], rng))
    rc, out, err = d.cli("run", "--expose", "80:80", "busybox", "true")
    assert rc == 125 and "invalid range format for --expose: 80:80" in err, err
    assert "DNAT" not in nat_rules(d)
    nothing_left(d)


def test_containers_reach_each_other_by_name(d):
    """Every bridge container's /etc/hosts names the others (kept current
    in place as they come and go), so ping by name works both ways, also
    to and from one started later."""
    d.ok("run", "-d", "--name", "alpha", "busybox", "sleep", "1000")
    d.ok("run", "-d", "--name", "beta", "-h", "bhost", "busybox", "sleep", "1000")
    try:
        ipa, ipb = ctr_ip(d, "alpha"), ctr_ip(d, "beta")
        for src, dst, ip in (("alpha", "beta", ipb), ("beta", "alpha", ipa),
                             ("alpha", "bhost", ipb), ("beta", ipa, ipa)):
            out = d.ok("exec", src, "ping", "-c1", "-W2", dst)
            assert "PING %s (%s)" % (dst, ip) in out and "1 packets received" in out, out
        d.ok("run", "-d", "--name", "gamma", "busybox", "sleep", "1000")
        ipg = ctr_ip(d, "gamma")
        for src, dst, ip in (("alpha", "gamma", ipg), ("gamma", "alpha", ipa),
                             ("gamma", "beta", ipb)):
            out = d.ok("exec", src, "ping", "-c1", "-W2", dst)
            assert "PING %s (%s)" % (dst, ip) in out and "1 packets received" in out, out
        hosts = d.ok("exec", "gamma", "cat", "/etc/hosts")
        assert "%s\tbhost beta\n" % ipb in hosts, hosts
        # gone from the others' files when it stops; back when it starts again
        d.ok("stop", "-t", "0", "beta")
        d.ok("wait", "beta")
        for src in ("alpha", "gamma"):
            assert "beta" not in d.ok("exec", src, "cat", "/etc/hosts")
        d.ok("start", "beta")
        ipb = ctr_ip(d, "beta")
        out = d.ok("exec", "alpha", "ping", "-c1", "-W2", "beta")
        assert "PING beta (%s)" % ipb in out and "1 packets received" in out, out
        # a container off the bridge is nobody's neighbour
        d.ok("run", "-d", "--name", "loner", "--network", "none", "busybox", "sleep", "1000")
        assert "loner" not in d.ok("exec", "alpha", "cat", "/etc/hosts")
    finally:
        d.cli("rm", "-f", "alpha", "beta", "gamma", "loner")
    nothing_left(d)


def test_resolv_conf_from_the_host(d):
    """The host's /etc/resolv.conf less its loopback (and IPv6)
    nameservers; Docker's fallback servers when none is left (also on a
    host without the file, or with a dangling link, e.g. to a stopped
    systemd-resolved's)."""
    try:
        with open("/etc/resolv.conf") as f:
            host = f.read().splitlines()
    except FileNotFoundError:
        host = []
    want = []
    for l in host:
        w = l.split()
        if w[:1] == ["nameserver"] and (len(w) < 2 or w[1].startswith("127.") or ":" in w[1]):
            continue
        want.append(l)
    if not any(l.split()[:1] == ["nameserver"] for l in want):
        want += ["nameserver 8.8.8.8", "nameserver 8.8.4.4"]
    got = d.ok("run", "--rm", "busybox", "cat", "/etc/resolv.conf").splitlines()
    assert got == want, (host, got)


def test_veth_name_taken_uses_the_next_digits(d):
    """Two IDs sharing their first 7 hex digits would want the same veth
    name: a link already called veth+ID[:7] makes the next 7 digits the
    name instead of a failed start."""
    cid = d.ok("create", "--name", "twin", "busybox", "sleep", "1000").strip()
    d.netexec("ip", "link", "add", "veth" + cid[:7], "type", "veth", "peer", "name", "twinpeer")
    try:
        d.ok("start", "twin")
        assert "veth" + cid[7:14] in veths(d), veths(d)
        out = d.ok("exec", "twin", "ping", "-c1", "-W2", "172.17.0.1")
        assert "1 packets received" in out, out
    finally:
        d.cli("rm", "-f", "twin")
        d.netexec("ip", "link", "del", "veth" + cid[:7])
    nothing_left(d)


def test_restarted_daemon_hands_out_no_address_twice():
    """The supervisor and its descriptor keeper die (SIGKILL) with a
    running and a created bridge container; a new one on the same root, in
    the same network namespace, ends the orphaned process (its output has
    nowhere to go), gives its address and rules back, and then never hands
    out an address twice. (With the keeper alive the container is adopted:
    host/test_adopt.)"""
    import signal
    import tempfile
    from hostenv import busybox_tar, keeper_pid, stop_daemons
    berth = D_BUILD[0]
    holder = subprocess.Popen(["unshare", "-n", "--", "sleep", "1000"])
    root = tempfile.mkdtemp(prefix="berth-restart-")
    procs = []

    def daemon():
        p = subprocess.Popen(["nsenter", "-t", str(holder.pid), "-n", "--", berth, "daemon",
                              "--root", root], stdout=open(os.path.join(root, "log"), "a"),
                             stderr=subprocess.STDOUT)
        procs.append(p)
        ctl = os.path.join(root, "run/berth/control")
        for _ in range(300):
            if os.path.exists(ctl) and subprocess.run(
                    [berth, "--root", root, "ping"], capture_output=True).returncode == 0:
                return p
            time.sleep(0.02)
        raise AssertionError(open(os.path.join(root, "log")).read())

    def cli(*args):
        p = subprocess.run([berth, "--root", root] + list(args), capture_output=True, text=True,
                           timeout=30)
        assert p.returncode == 0, (args, p.stdout, p.stderr)
        return p.stdout

    def net(*cmd):
        return subprocess.run(["nsenter", "-t", str(holder.pid), "-n", "--"] + list(cmd),
                              capture_output=True, text=True, check=True).stdout

    def ipam():
        path = os.path.join(root, "run/berth/network/ipam")
        return sorted(l.split()[0] for l in open(path).read().splitlines()[1:])

    try:
        time.sleep(0.1)
        first = daemon()
        tar = os.path.join(root, "bb.tar")
        busybox_tar(tar)
        cli("import", tar, "busybox")
        cli("run", "-d", "--name", "old", "-p", "8093:80", "busybox", "sleep", "1000")
        cli("create", "--name", "idle", "busybox", "sleep", "1000")
        old_pid = int(cli("inspect", "-f", "{{.State.Pid}}", "old"))
        assert ipam() == ["172.17.0.2"]
        keeper = keeper_pid(first.pid)
        assert keeper, "no berth-keeper child of the daemon"
        os.kill(keeper, signal.SIGKILL)
        first.send_signal(signal.SIGKILL)
        first.wait()
        assert os.path.exists("/proc/%d" % old_pid)  # it outlived its supervisor
        daemon()
        # the orphan is gone, and with it its address, rules and veth
        st = open("/proc/%d/stat" % old_pid).read().split() if os.path.exists(
            "/proc/%d" % old_pid) else ["", "", "Z"]
        assert st[2] == "Z" or not os.path.exists("/proc/%d" % old_pid), st
        assert cli("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "old").strip() == \
            "exited 255"
        assert ipam() == []
        assert "DNAT" not in net("iptables", "-t", "nat", "-S", "BERTH")
        for _ in range(50):
            if "veth" not in net("ip", "link"):
                break
            time.sleep(0.1)
        assert "veth" not in net("ip", "link")
        # the created one starts; both get distinct addresses, the port is free
        cli("start", "idle")
        cli("start", "old")
        ips = [cli("inspect", "-f", "{{.NetworkSettings.IPAddress}}", n).strip()
               for n in ("idle", "old")]
        assert sorted(ips) == ipam() and len(set(ips)) == 2, (ips, ipam())
        assert cli("port", "old").strip() == "80/tcp -> 0.0.0.0:8093"
        # an address held by an ID no container has is freed at the next start
        cli("rm", "-f", "idle", "old")
        path = os.path.join(root, "run/berth/network/ipam")
        open(path, "w").write("subnet 172.17.0.1/16\n172.17.0.9 %s\n" % ("e" * 64))
        procs[-1].send_signal(signal.SIGKILL)
        procs[-1].wait()
        daemon()
        assert ipam() == []
    finally:
        stop_daemons(berth, root, procs, holder)


def test_failed_rules_undo_the_start():
    """iptables-restore refusing a container's rules (here a stand-in that
    refuses any DNAT): a clear error, and no process, veth, address or
    rule is left of the start."""
    from hostenv import daemon_with_restore
    d, fake = daemon_with_restore(
        os.path.dirname(D_BUILD[0]), "refuse-dnat-iptables-restore",
        '#!/bin/sh\nrules=$(cat)\ncase "$rules" in *DNAT*)\n'
        '  echo "iptables-restore: line 2 failed" >&2; exit 1;;\nesac\n'
        'printf "%s\\n" "$rules" | exec iptables-restore "$@"\n')
    try:
        d.import_busybox()
        d.ok("run", "-d", "--name", "fine", "busybox", "sleep", "1000")  # no ports: fine
        rc, out, err = d.cli("run", "-d", "--name", "pub", "-p", "8094:80", "busybox", "sleep",
                             "1000")
        assert rc == 125, (rc, out, err)
        assert ("add published ports: iptables-restore exited 1: "
                "iptables-restore: line 2 failed") in err, err
        assert d.ok("inspect", "-f", "{{.State.Status}}", "pub").strip() == "created"
        assert ipam_entries(d) == [ctr_ip(d, "fine")]
        assert "DNAT" not in nat_rules(d)
        for _ in range(50):
            if len(veths(d)) == 1:
                break
            time.sleep(0.1)
        assert len(veths(d)) == 1, veths(d)
        assert d.ok("ps", "-q").split() == [d.ok("inspect", "-f", "{{.Id}}", "fine")[:12]]
        d.ok("rm", "-f", "fine", "pub")
        nothing_left(d)
    finally:
        d.stop()
        os.unlink(fake)


def test_exhausted_subnet():
    """A /29 bridge (`berth daemon --bridge`, dockerd's --bip) has five
    addresses for containers: the sixth container gets a clear error and
    leaves no veth, rule or address; one removed, it starts."""
    d = Daemon(os.path.dirname(D_BUILD[0]), args=["--bridge", "172.30.0.1/29"])
    try:
        d.import_busybox()
        for i in range(5):
            d.ok("run", "-d", "--name", "s%d" % i, "busybox", "sleep", "1000")
        ips = sorted(d.ok("inspect", "-f", "{{.NetworkSettings.IPAddress}}", "s%d" % i).strip()
                     for i in range(5))
        assert ips == ["172.30.0.%d" % k for k in range(2, 7)], ips
        assert "inet 172.30.0.1/29" in d.netexec("ip", "addr", "show", "berth0")
        rc, out, err = d.cli("run", "-d", "--name", "s5", "-p", "8095:80", "busybox", "sleep",
                             "1000")
        assert rc == 125, (rc, out, err)
        assert "address: no free address left in 172.30.0.0/29" in err, err
        assert "DNAT" not in d.netexec("iptables", "-t", "nat", "-S", "BERTH")
        assert len(VETH.findall(d.netexec("ip", "-o", "link"))) == 5
        path = os.path.join(d.root, "run/berth/network/ipam")
        assert open(path).read().splitlines()[0] == "subnet 172.30.0.1/29"
        assert len(open(path).read().splitlines()) == 6
        d.ok("rm", "-f", "s3")
        d.ok("start", "s5")
        assert d.ok("inspect", "-f", "{{.NetworkSettings.IPAddress}}", "s5").strip() in ips
        assert d.ok("port", "s5").strip() == "80/tcp -> 0.0.0.0:8095"
        d.ok("rm", "-f", "s0", "s1", "s2", "s4", "s5")
    finally:
        d.stop()
