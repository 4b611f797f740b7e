"""--device with a directory (every device node under it, in
subdirectories too, as Docker walks one) and --device-cgroup-rule
(Docker's syntax checked at run; kept in HostConfig.DeviceCgroupRules;
on a host without cgroup v2 there is no device program to put a rule
in, so the start is refused with one line). The rules' effect on
mknod and open is tested in the appliance (tests/appliance/
test_run_options.py), which has cgroup v2. Under `berth daemon` with
busybox, network none."""
import json
import os
import stat

from hostenv import busybox_daemon


def setup_module(build):
    return busybox_daemon(build)


def teardown_module(d):
    d.stop()


def cgroup2():
    with open("/proc/self/mounts") as f:
        return " /sys/fs/cgroup cgroup2 " in f.read()


def test_device_directory_with_subdirectories(d):
    """Nodes only in subdirectories (none directly in the directory): all
    of them found (before, "not a device node"), readable inside."""
    top = os.path.join(d.root, "devs")
    os.makedirs(os.path.join(top, "snd", "by-path"))
    os.mknod(os.path.join(top, "snd", "null"), 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    os.mknod(os.path.join(top, "snd", "by-path", "zero"), 0o666 | stat.S_IFCHR,
             os.makedev(1, 5))
    out = d.ok("run", "--rm", "--network", "none", "--device", top + ":/dev/mine", "busybox",
               "sh", "-c", "ls -l /dev/mine/snd/null /dev/mine/snd/by-path/zero; "
               "head -c 4 /dev/mine/snd/by-path/zero | od -An -tx1; "
               "echo hi > /dev/mine/snd/null && echo wrote")
    lines = out.splitlines()
    # ls sorts its operands: by-path/zero, then null
    assert lines[0].startswith("c") and "1,   5" in lines[0], out
    assert lines[1].startswith("c") and "1,   3" in lines[1], out
    assert lines[2].split() == ["00"] * 4 and lines[3] == "wrote", out


def test_device_cgroup_rule_syntax(d):
    for bad in ("c 1:3", "x 1:3 rwm", "c 1 rwm", "c 1:3 rwx", "c a:3 r", "c 1:3 rwmr",
                "c  1:3 r", ""):
        rc, out, err = d.cli("run", "--rm", "--network", "none", "--device-cgroup-rule", bad,
                             "busybox", "true")
        want = "berth: invalid argument \"%s\" for \"--device-cgroup-rule\" flag: invalid " \
               "device cgroup format '%s'\n" % (bad, bad)
        assert rc == 125 and err.startswith(want), (bad, rc, err)
    rules = ["c 1:3 rwm", "a *:* m", "b 8:* r", "c *:5 rw"]
    args = sum((["--device-cgroup-rule", r] for r in rules), [])
    d.ok("create", "--name", "rules", "--network", "none", *args, "busybox", "true")
    try:
        hc = json.loads(d.ok("inspect", "rules"))[0]["HostConfig"]
        assert hc["DeviceCgroupRules"] == rules, hc
        rc, out, err = d.cli("start", "rules")
        if cgroup2():
            assert rc == 0, (rc, out, err)
        else:
            assert rc != 0 and "--device-cgroup-rule needs cgroup v2" in err, (rc, err)
            assert len(err.strip().splitlines()) == 1, err
    finally:
        d.cli("rm", "-f", "rules")
    assert json.loads(d.ok("inspect", d.ok("create", "busybox", "true").strip()))[0][
        "HostConfig"]["DeviceCgroupRules"] is None
