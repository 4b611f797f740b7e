"""User namespaces on the build host (runtime/sandbox/userns.c), through
`berth sandbox-run --uidmap/--gidmap`: container root is host uid 100000,
the layers are presented with their owners (an idmapped mount, or a copy
chowned into the range as Docker's userns-remap keeps one), the files it
writes are the mapped uid's, and the escape probes of test_sandbox.py run
again under it, plus probes that only a user namespace answers (with every
capability inside it, still no host power). Every probe is harmless if the
protection is broken: calls with bad arguments that fail after the
permission check, opens for reading."""
import os
import shutil
import subprocess
import time

import sys

import harness
from hostenv import require_overlay

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_sandbox import Box, denied, show  # noqa: E402 (its rootfs and helpers)

BASE = 100000
UNS = ["--uidmap", "%d:%d:65536" % (0, BASE), "--idmap-layers"]


def setup_module(build):
    try:
        with open("/proc/sys/user/max_user_namespaces") as f:
            if int(f.read()) < 2:
                raise harness.Skip("user namespaces are disabled "
                                   "(/proc/sys/user/max_user_namespaces is 0)")
    except FileNotFoundError:
        raise harness.Skip("kernel without user namespaces (no max_user_namespaces)")
    require_overlay()
    box = Box(build)
    os.chmod(box.tmp, 0o755)  # the mapped root walks to its layers as "other"
    # Docker's fallback where idmapped mounts are not there: a copy of the
    # layer with every owner moved into the range.
    box.remapped = os.path.join(box.tmp, "lower-remapped")
    shutil.copytree(box.lower, box.remapped, symlinks=True)
    for d, dirs, files in os.walk(box.remapped):
        for n in [d] + [os.path.join(d, x) for x in dirs + files]:
            st = os.lstat(n)
            os.lchown(n, st.st_uid + BASE, st.st_gid + BASE)
    return box


def teardown_module(box):
    box.stop()


def probe(box, *args, opts=UNS):
    p = box.run("/bin/probe", *args, opts=list(opts))
    return p.stdout.strip(), p


def status(text):
    return dict(line.split(":\t", 1) for line in text.splitlines() if ":\t" in line)


def test_root_inside_is_100000_outside(box):
    args = [box.berth, "sandbox-run"] + UNS
    upper, work, rootfs = box.dirs()
    args += ["--lower", box.lower, "--upper", upper, "--work", work, "--rootfs", rootfs,
             "--", "/bin/sh", "-c", "grep ^Uid /proc/self/status; echo up; exec sleep 30"]
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        inside = p.stdout.readline()
        assert p.stdout.readline().strip() == "up", p.stderr.read()
        with open("/proc/%d/task/%d/children" % (p.pid, p.pid)) as f:
            init = int(f.read().split()[0])
        with open("/proc/%d/status" % init) as f:
            outside = status(f.read())
        assert inside.split()[1:] == ["0"] * 4, inside
        assert outside["Uid"].split() == [str(BASE)] * 4, outside["Uid"]
        assert outside["Gid"].split() == [str(BASE)] * 4, outside["Gid"]
        with open("/proc/%d/uid_map" % init) as f:
            assert f.read().split() == ["0", str(BASE), "65536"]
    finally:
        p.kill()
        p.wait()


def test_layers_owned_by_root_inside_idmapped_and_remapped(box):
    for opts, lowers in ((UNS, [box.lower]), (UNS[:2], [box.remapped])):
        p = box.run("/bin/sh", "-c", "stat -c '%u %g' /bin/busybox /etc/passwd; id -u",
                    opts=opts, lowers=lowers)
        assert p.returncode == 0 and p.stdout.split() == ["0"] * 5, show(p)


def test_writes_owned_by_mapped_root_on_host(box):
    vol = os.path.join(box.tmp, "vol")
    os.makedirs(vol)
    os.chown(vol, BASE, BASE)  # a volume is the mapped root's
    p = box.sh("touch /new /v/file && chown 1000:1000 /v/file && echo ok",
               opts=UNS + ["-v", vol + ":/v"])
    assert p.stdout.strip() == "ok", show(p)
    st = os.stat(os.path.join(vol, "file"))
    assert (st.st_uid, st.st_gid) == (BASE + 1000, BASE + 1000)
    st = os.stat(os.path.join(p.upper, "new"))
    assert (st.st_uid, st.st_gid) == (BASE, BASE)
    assert os.stat(box.lower).st_uid == 0  # the layer itself is untouched


def test_host_root_files_not_readable(box):
    secret = os.path.join(box.tmp, "secret")
    os.makedirs(secret)
    with open(os.path.join(secret, "key"), "w") as f:
        f.write("host only\n")
    os.chmod(os.path.join(secret, "key"), 0o600)
    p = box.sh("cat /s/key; stat -c %u /s/key", opts=UNS + ["-v", secret + ":/s:ro"])
    # host root's file is nobody's (65534) inside, and root there cannot read it
    assert "Permission denied" in p.stderr and p.stdout.split() == ["65534"], show(p)
    p = box.sh("cat /s/key", opts=UNS + ["--cap-add", "ALL", "-v", secret + ":/s:ro"])
    assert p.returncode != 0 and "host only" not in p.stdout, show(p)


def test_escape_probes_denied_under_userns(box):
    """test_sandbox.py's probes, again in a user namespace."""
    for what in ("mount", "unshare", "clone_ns", "init_module", "keyctl", "add_key",
                 "reboot", "personality", "vsock"):
        out, p = probe(box, what)
        assert denied(out), (what, show(p))
    out, p = probe(box, "ptrace", str(os.getpid()))
    assert not out.endswith(" ok") and "errno=" in out, show(p)
    if os.path.exists("/proc/sysrq-trigger"):
        out, p = probe(box, "sysrq")
        assert denied(out, 30), show(p)
    p = box.sh("echo x > /proc/sys/kernel/domainname", opts=UNS)
    assert p.returncode != 0 and "Read-only" in p.stderr, show(p)
    p = box.sh("cat /proc/kcore /proc/timer_list 2>/dev/null | wc -c; ls /sys/firmware | wc -l",
               opts=UNS)
    assert p.stdout.split() == ["0", "0"], show(p)


def test_all_caps_inside_still_no_host_power(box):
    """With every capability of its user namespace, no seccomp and no
    read-only /proc/sys (--privileged), what needs the host's: swapon (the
    capability check comes first; the file is no swap file), a block device node
    (mknod is refused in a user namespace), a host sysctl (written back
    with its own value, were it allowed), the host's processes."""
    opts = UNS + ["--privileged"]
    p = box.sh("swapon /etc/passwd", opts=opts)  # not a swap file: EINVAL if allowed
    assert "Operation not permitted" in p.stderr, show(p)
    out, p = probe(box, "mknod", "/tmp/disk", "b", "8:0", opts=opts)
    assert out == "mknod errno=1 (Operation not permitted)", show(p)
    p = box.sh("cat /proc/sys/vm/swappiness > /proc/sys/vm/swappiness", opts=opts)
    assert p.returncode != 0 and "Permission denied" in p.stderr, show(p)
    out, p = probe(box, "ptrace", str(os.getpid()), opts=opts)
    assert not out.endswith(" ok"), show(p)
    # what the user namespace does give: its own mounts
    out, p = probe(box, "mount", opts=opts)
    assert out == "mount ok", show(p)


def test_mounts_in_userns(box):
    p = box.sh("echo $$; echo hi > /dev/null && echo null-ok; "
               "grep -c . /proc/self/uid_map; grep ' /dev/pts ' /proc/self/mountinfo; "
               "grep -c ' - mqueue ' /proc/self/mountinfo; ls /sys/class/net", opts=UNS)
    out = p.stdout.splitlines()
    assert out[0] == "1" and out[1] == "null-ok" and out[2] == "1", show(p)
    # devpts got tty's gid 5 inside; the kernel shows it as the host's
    assert "gid=%d," % (BASE + 5) in out[3], show(p)
    assert out[4] == "1" and out[5:] == ["lo"], show(p)


def test_exec_joins_the_user_namespace(box):
    p = box.run("sleep", "1", opts=UNS + ["--also-exec", "id -u; touch /e; stat -c %u /e"])
    assert p.returncode == 0 and "exec exited 0" in p.stderr, show(p)
    assert os.stat(os.path.join(p.upper, "e")).st_uid == BASE


def test_bad_maps_one_line(box):
    for m, why in (("0:100000:0", "size must be at least 1"),
                   ("0:100000", "want CONTAINER-ID:HOST-ID:SIZE"),
                   ("a:1:2", "want CONTAINER-ID:HOST-ID:SIZE"),
                   ("0:4294967295:2", "range ends past")):
        p = box.run("true", opts=["--uidmap", m])
        first = p.stderr.splitlines()[0]
        assert p.returncode == 125 and first.startswith("berth: bad value for --uidmap"), \
            (m, show(p))
        assert why in first, (m, show(p))
    p = box.run("true", opts=["--uidmap", "0:100000:10", "--uidmap", "5:300000:10"])
    assert p.returncode == 125 and "overlaps" in p.stderr, show(p)
    # root left out of the map: refused before anything runs
    p = box.run("true", opts=["--uidmap", "1:100000:10"])
    assert p.returncode == 125 and "do not map root" in p.stderr, show(p)


def test_oci_bundle_with_user_namespace(box):
    """config.json's user namespace and maps (what podman/containerd send
    for --userns), the bundle's rootfs chowned into the range as they do."""
    from test_oci import Bundle, reap
    b = Bundle(os.path.dirname(box.berth))
    try:
        os.chmod(b.dir, 0o755)
        rootfs = os.path.join(b.dir, "rootfs")
        for d, dirs, files in os.walk(rootfs):
            for n in [d] + [os.path.join(d, x) for x in dirs + files]:
                os.lchown(n, BASE, BASE)
        ns = b.spec["linux"]["namespaces"] + [{"type": "user"}]
        maps = [{"containerID": 0, "hostID": BASE, "size": 65536}]
        b.config(["sh", "-c", "id -u; cat /proc/self/uid_map; touch /tmp/made; "
                  "grep ^Uid /proc/self/status"],
                 linux__namespaces=ns, linux__uidMappings=maps, linux__gidMappings=maps)
        p = b.oci("run", "--bundle", b.dir, "u1")
        reap()
        assert p.returncode == 0, show(p)
        assert p.stdout.split()[:4] == ["0", "0", str(BASE), "65536"], show(p)
        assert os.stat(os.path.join(rootfs, "tmp/made")).st_uid == BASE
        bad = [{"containerID": 0, "hostID": BASE, "size": 0}]
        b.config(["true"], linux__namespaces=ns, linux__uidMappings=bad,
                 linux__gidMappings=maps)
        p = b.oci("run", "--bundle", b.dir, "u2")
        assert p.returncode != 0 and \
            "linux.uidMappings[0]: size must be at least 1" in p.stderr, show(p)
    finally:
        b.stop()


def test_daemon_userns_remap(box):
    """`berth daemon` with daemon.json "userns-remap": "default", as
    Docker: dockremap's range added to ROOT/etc/subuid and subgid, the
    container's root is 100000 on the host, the image's files are root's
    inside (idmapped layers here; BERTH_USERNS_COPY=1: a remapped copy),
    a named volume is the mapped root's, exec joins the namespace,
    --userns=host opts out, --privileged is refused without it."""
    from hostenv import Daemon
    d = Daemon(os.path.dirname(box.berth))
    try:
        d.import_busybox()
        os.makedirs(os.path.join(d.root, "etc/berth"), exist_ok=True)
        with open(os.path.join(d.root, "etc/berth/daemon.json"), "w") as f:
            f.write('{"userns-remap": "default"}\n')
        cid = d.ok("run", "-d", "--network", "none", "-v", "data:/data", "busybox", "sh", "-c",
                   "stat -c %u /bin/busybox > /data/owner; touch /data/f; exec sleep 60").strip()
        for name in ("subuid", "subgid"):
            with open(os.path.join(d.root, "etc", name)) as f:
                assert f.read() == "dockremap:100000:65536\n"
        pid = int(d.ok("inspect", "-f", "{{.State.Pid}}", cid))
        with open("/proc/%d/status" % pid) as f:
            assert status(f.read())["Uid"].split() == [str(BASE)] * 4
        vol = os.path.join(d.root, "var/lib/berth/volumes/data/_data")
        for _ in range(100):
            if os.path.exists(os.path.join(vol, "f")):
                break
            time.sleep(0.05)
        assert os.stat(os.path.join(vol, "f")).st_uid == BASE
        with open(os.path.join(vol, "owner")) as f:
            assert f.read().strip() == "0"
        assert d.ok("exec", cid, "sh", "-c", "id -u; touch /tmp/x; stat -c %u /tmp/x").split() \
            == ["0", "0"]
        d.ok("rm", "-f", cid)
        out = d.ok("run", "--rm", "--network", "none", "--userns", "host", "busybox",
                   "cat", "/proc/self/uid_map")
        assert out.split() == ["0", "0", "4294967295"], out
        from hostenv import bridge_network_lack
        if bridge_network_lack() is None:  # the veth goes into the namespace it owns
            out = d.ok("run", "--rm", "busybox", "sh", "-c", "id -u; ls /sys/class/net")
            assert out.split() == ["0", "eth0", "lo"], out
        rc, out, err = d.cli("run", "--rm", "--network", "host", "busybox", "true")
        assert rc == 125 and "Cannot share the host's network namespace" in err, err
        rc, out, err = d.cli("run", "--rm", "--privileged", "busybox", "true")
        assert rc == 125 and "privileged mode is incompatible with user namespaces" in err, err
        rc, out, err = d.cli("run", "--rm", "--userns", "bogus", "busybox", "true")
        assert rc == 125 and "--userns: invalid USER mode" in err, err
        # where the layers' filesystem takes no idmapped mounts: a copy
        p = subprocess.run([box.berth, "--root", d.root, "run", "--rm", "--network", "none",
                            "busybox", "sh", "-c", "stat -c %u /bin/busybox; id -u"],
                           capture_output=True, text=True, timeout=60,
                           env=dict(os.environ, BERTH_USERNS_COPY="1"))
        assert p.returncode == 0 and p.stdout.split() == ["0", "0"], show(p)
        remap = os.path.join(d.root, "var/lib/berth/remap/%d.%d" % (BASE, BASE))
        layers = os.listdir(remap)
        assert len(layers) == 1 and os.stat(os.path.join(remap, layers[0])).st_uid == BASE
        busybox = os.path.join(remap, layers[0], "bin/busybox")
        assert os.lstat(busybox).st_uid == BASE, os.lstat(busybox)
    finally:
        d.stop()


def test_run_userns_remap_on_a_root_without_etc(box):
    """--userns=remap with no daemon.json on a daemon whose --root has no
    etc/ yet: dockremap's range goes into a new ROOT/etc/subuid (it
    failed with ENOENT on the missing directory). Where this filesystem
    takes idmapped mounts (sandbox-run --idmap-layers works on it), the
    layers are idmapped, not copied (the probe used to map only uids, and
    the kernel refused it, so every remapped run made a copy)."""
    from hostenv import Daemon
    d = Daemon(os.path.dirname(box.berth))
    try:
        d.import_busybox()
        assert not os.path.exists(os.path.join(d.root, "etc"))
        out = d.ok("run", "--rm", "--network", "none", "--userns", "remap", "busybox",
                   "cat", "/proc/self/uid_map")
        assert out.split() == ["0", str(BASE), "65536"], out
        with open(os.path.join(d.root, "etc/subuid")) as f:
            assert f.read() == "dockremap:100000:65536\n"
        out = d.ok("run", "--rm", "--network", "none", "--userns", "remap", "busybox",
                   "stat", "-c", "%u", "/bin/busybox")
        assert out == "0\n", out
        idmap = box.run("/bin/true", opts=UNS).returncode == 0
        copies = os.path.join(d.root, "var/lib/berth/remap")
        assert os.path.exists(copies) != idmap, (idmap, os.path.exists(copies))
    finally:
        d.stop()
