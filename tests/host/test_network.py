"""Network modes under `berth daemon` run inside a network namespace the
test makes (`unshare -n`): nothing here touches the machine's own network.
host shares the daemon's namespace, container:REF another container's,
none gives only lo; bad modes and missing targets are refused with
nothing left behind."""
import os
import re

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


def nothing_left(d):
    assert d.ok("ps", "-aq") == ""
    ctrs = os.path.join(d.root, "run/berth/containers")
    assert not os.path.isdir(ctrs) or os.listdir(ctrs) == [], os.listdir(ctrs)


def test_none_has_only_lo(d):
    assert links(d, "--network", "none") == ["lo"]
    assert links(d) == ["lo"]


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
    # a marker in the owner's namespace only
    import subprocess
    subprocess.run(["nsenter", "-t", str(pid), "-n", "ip", "link", "add", "mark0", "type",
                    "bridge"], check=True)
    try:
        assert links(d, "--network", "container:netowner") == ["lo", "mark0"]
        cid = d.ok("inspect", "-f", "{{.Id}}", "netowner").strip()
        assert links(d, "--network", "container:" + cid[:12]) == ["lo", "mark0"]
        assert d.ok("inspect", "-f", "{{.HostConfig.NetworkMode}}", "netowner").strip() == "none"
        # the owner stays apart from the daemon's namespace
        assert "bhost0" not in links(d, "--network", "container:netowner")
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
    assert not re.search(r"veth", d.netexec("ip", "link"))
