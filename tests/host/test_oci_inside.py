"""The OCI runtime's work inside the container's init, driven directly
against a busybox bundle (test_oci.Bundle): namespaces joined by path
(user first, through an extra child; then mount, pid, time and the
others), the createContainer and startContainer hooks (their order among
all six kinds, and the mount namespace and user each ran as), and a
seccomp listenerPath answered by a small agent in this test. Every
namespace joined here is one the test made (unshare)."""
import ctypes
import fcntl
import json
import os
import select
import socket
import struct
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from test_oci import Bundle, reap, show  # noqa: E402

NOTIF_RECV = 0xC0502100  # SECCOMP_IOCTL_NOTIF_RECV, struct seccomp_notif (80 bytes)
NOTIF_SEND = 0xC0182101  # SECCOMP_IOCTL_NOTIF_SEND, struct seccomp_notif_resp (24)
MKDIR_NRS = (83, 258)    # x86_64 mkdir, mkdirat
EXDEV = 18


def setup_module(build):
    return Bundle(build)


def teardown_module(b):
    b.stop()


def holder(args, script="echo ready; exec sleep 60"):
    """A process in namespaces of its own (unshare ARGS); once it says
    ready, its /proc/PID/ns/* are what a container joins."""
    p = subprocess.Popen(["unshare", *args, "sh", "-c", script], stdout=subprocess.PIPE,
                         text=True)
    line = p.stdout.readline().strip()
    assert line == "ready", line
    return p


def ns_of(pid, kind):
    return os.readlink("/proc/%d/ns/%s" % (pid, kind))


def run(b, cid, script, **changes):
    b.config(["sh", "-c", script], **changes)
    p = b.oci("run", "--bundle", b.dir, cid)
    reap()
    return p


def new(*types):
    return [{"type": t} for t in types]


def test_join_user_namespace_first(b):
    """A user namespace made by unshare (maps written from outside, as
    root): the init is cloned inside it, so it is root there and its new
    mount, pid, ipc and network namespaces belong to it; the holder's uts
    namespace (owned by it) is joined after it."""
    h = holder(["-U", "-u"])
    os.chmod(b.dir, 0o755)  # the mapped root finds the rootfs
    try:
        for f in ("uid_map", "gid_map"):
            with open("/proc/%d/%s" % (h.pid, f), "w") as m:
                m.write("0 100000 65536\n")
        ns = new("pid", "ipc", "network", "mount") + [
            {"type": "user", "path": "/proc/%d/ns/user" % h.pid},
            {"type": "uts", "path": "/proc/%d/ns/uts" % h.pid}]
        p = run(b, "u1", "id -u; cat /proc/self/uid_map; readlink /proc/self/ns/user;"
                " readlink /proc/self/ns/uts; echo $$; ls /proc/1/ns >/dev/null && echo proc",
                hostname="", linux__namespaces=ns)
        assert p.returncode == 0, show(p)
        lines = p.stdout.splitlines()
        assert lines[0] == "0", lines
        assert lines[1].split() == ["0", "100000", "65536"], lines
        assert lines[2] == ns_of(h.pid, "user") != ns_of(os.getpid(), "user"), lines
        assert lines[3] == ns_of(h.pid, "uts"), lines
        assert lines[4:] == ["1", "proc"], lines  # its own pid namespace and /proc
    finally:
        h.kill()
        h.wait()


def test_join_mount_pid_ipc_time_namespaces(b):
    """A mount namespace where a tmpfs is mounted on the bundle's
    rootfs/mnt (the host's directory stays empty): the container pivots
    inside it and sees the tmpfs. The holder's pid namespace (the
    container's shell is not pid 1 there), ipc namespace, and a time
    namespace with a boot time offset (/proc/uptime) are joined as well."""
    mnt = os.path.join(b.dir, "rootfs/mnt")
    os.makedirs(mnt, exist_ok=True)
    script = ("mount -t tmpfs none %s && echo joined > %s/m && echo ready && exec sleep 60"
              % (mnt, mnt))
    h = holder(["-m", "--propagation", "private", "-i", "-p", "-f", "-T",
                "--boottime", "1000000"], script)
    try:
        paths = {t: "/proc/%d/ns/%s" % (h.pid, f) for t, f in (
            ("mount", "mnt"), ("pid", "pid_for_children"), ("ipc", "ipc"),
            ("time", "time_for_children"))}
        ns = new("network", "uts") + [{"type": t, "path": v} for t, v in paths.items()]
        p = run(b, "m1", "cat /mnt/m; readlink /proc/self/ns/mnt; readlink /proc/self/ns/ipc;"
                " readlink /proc/self/ns/time; echo $$; cut -d. -f1 /proc/uptime",
                linux__namespaces=ns)
        assert p.returncode == 0, show(p)
        lines = p.stdout.splitlines()
        assert lines[0] == "joined" and not os.listdir(mnt), lines
        assert lines[1:4] == [ns_of(h.pid, k) for k in ("mnt", "ipc", "time_for_children")], lines
        assert lines[4] != "1" and int(lines[4]) < 10, lines  # after the holder's sleep
        assert int(lines[5]) >= 1000000, lines
    finally:
        h.kill()
        h.wait()


def test_new_time_namespace_and_bad_joins(b):
    p = run(b, "t1", "readlink /proc/self/ns/time", linux__namespaces=new(
        "pid", "ipc", "uts", "mount", "network", "time"))
    assert p.returncode == 0, show(p)
    assert p.stdout.strip() != ns_of(os.getpid(), "time"), show(p)
    ns = new("pid", "ipc", "uts", "network") + [{"type": "mount", "path": "/no/such/ns"}]
    p = run(b, "t2", "true", linux__namespaces=ns)
    assert p.returncode == 1 and "/no/such/ns" in p.stderr, show(p)
    ns = new("pid", "ipc", "uts", "network", "mount") + [{"type": "user", "path": "/no/user"}]
    p = run(b, "t3", "true", hostname="", linux__namespaces=ns)
    assert p.returncode == 1 and "join user namespace /no/user" in p.stderr, show(p)
    assert not os.listdir(b.root), os.listdir(b.root)


def hook(name, log):
    line = 's=$(cat); echo "%s $(readlink /proc/self/ns/mnt) $(id -u) $s" >> %s' % (name, log)
    return {"path": "/bin/sh", "args": ["sh", "-c", line]}


def test_create_and_start_container_hooks(b):
    """All six hook kinds append a line (name, mount namespace, uid, the
    state) to one file, a directory bound into the container at
    /hooklog: createContainer runs in the container's mount namespace
    with the runtime's paths (the host's /bin/sh and this path), as root;
    startContainer in the container (its busybox sh, /hooklog) as the
    process's user; the others in the runtime's."""
    logdir = os.path.join(b.dir, "hooklog")
    os.makedirs(logdir, exist_ok=True)
    os.chmod(logdir, 0o777)
    host_log = os.path.join(logdir, "log")
    with open(host_log, "w"):
        os.chmod(host_log, 0o666)
    hooks = {k: [hook(k, host_log)] for k in ("prestart", "createRuntime", "createContainer",
                                               "poststart", "poststop")}
    hooks["startContainer"] = [hook("startContainer", "/hooklog/log")]
    mounts = b.spec["mounts"] + [{"destination": "/hooklog", "type": "bind",
                                  "source": logdir, "options": ["rbind"]}]
    p = run(b, "h1", "readlink /proc/self/ns/mnt", hooks=hooks, mounts=mounts,
            process__user={"uid": 1000, "gid": 1000})
    assert p.returncode == 0, show(p)
    inside = p.stdout.strip()
    with open(host_log) as f:
        rows = [l.rstrip("\n").split(" ", 3) for l in f]
    assert [r[0] for r in rows] == ["prestart", "createRuntime", "createContainer",
                                    "startContainer", "poststart", "poststop"], rows
    ours = ns_of(os.getpid(), "mnt")
    where = {r[0]: (r[1], r[2]) for r in rows}
    assert where["createContainer"] == (inside, "0") and inside != ours, rows
    assert where["startContainer"] == (inside, "1000"), rows
    for k in ("prestart", "createRuntime", "poststart", "poststop"):
        assert where[k] == (ours, "0"), rows
    states = {r[0]: json.loads(r[3]) for r in rows}
    assert states["createContainer"]["status"] == "creating", states
    assert states["startContainer"]["status"] == "created", states
    assert states["createContainer"]["pid"] == states["prestart"]["pid"] > 1, states
    assert states["startContainer"]["id"] == "h1", states


def test_failing_create_container_hook_fails_create(b):
    hooks = {"createContainer": [{"path": "/bin/sh", "args": ["sh", "-c", "exit 3"]}]}
    b.config(["true"], hooks=hooks)
    p = b.oci("create", "--bundle", b.dir, "h2")
    reap()
    assert p.returncode == 1, show(p)
    assert "createContainer" in p.stderr and "exit status 3" in p.stderr, show(p)
    assert not os.path.exists(os.path.join(b.root, "h2"))


def agent(srv, got):
    """Accept the runtime's connection, take the fd and the state, answer
    the first notification (mkdir) with EXDEV."""
    srv.settimeout(20)
    conn, _ = srv.accept()
    msg, fds, _, _ = socket.recv_fds(conn, 65536, 1)
    conn.close()
    got["msg"] = json.loads(msg)
    fd = fds[0]
    if not select.select([fd], [], [], 20)[0]:
        got["error"] = "no notification"
        return
    buf = bytearray(80)
    fcntl.ioctl(fd, NOTIF_RECV, buf, True)
    nid, pid, _, nr = struct.unpack_from("<QIIi", buf)
    got["nr"] = nr
    fcntl.ioctl(fd, NOTIF_SEND, bytearray(struct.pack("<QqiI", nid, 0, -EXDEV, 0)), True)
    os.close(fd)


def test_seccomp_listener_path(b):
    path = os.path.join(b.dir, "agent.sock")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    got = {}
    t = threading.Thread(target=agent, args=(srv, got), daemon=True)
    t.start()
    seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
               "listenerPath": path, "listenerMetadata": "meta-1",
               "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}]}
    try:
        p = run(b, "s1", "mkdir /tmp/x; echo rc=$?; [ -d /tmp/x ] && echo made || echo none",
                linux__seccomp=seccomp)
        t.join(25)
        assert p.returncode == 0, show(p)
        assert p.stdout.split() == ["rc=1", "none"], show(p)
        assert "cross-device" in p.stderr, show(p)
        assert got.get("nr") in MKDIR_NRS, got
        m = got["msg"]
        assert m["fds"] == ["seccompFd"] and m["metadata"] == "meta-1", m
        assert m["pid"] == m["state"]["pid"] > 1 and m["state"]["id"] == "s1", m
        assert m["ociVersion"].startswith("1."), m
    finally:
        srv.close()


def test_seccomp_listener_nobody_listening(b):
    seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/nonexistent/agent.sock",
               "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]}
    p = run(b, "s2", "true", linux__seccomp=seccomp)
    assert p.returncode == 1 and "/nonexistent/agent.sock" in p.stderr, show(p)
    assert not os.path.exists(os.path.join(b.root, "s2"))


def idmap_works(path):
    """Whether this kernel and the filesystem at path take an idmapped
    mount: open_tree + mount_setattr(MOUNT_ATTR_IDMAP) with a user
    namespace made here."""
    libc = ctypes.CDLL(None, use_errno=True)
    h = holder(["-U"])
    try:
        for f in ("uid_map", "gid_map"):
            with open("/proc/%d/%s" % (h.pid, f), "w") as m:
                m.write("0 5000 1\n")
        nsfd = os.open("/proc/%d/ns/user" % h.pid, os.O_RDONLY)
        fd = libc.syscall(428, -100, path.encode(), 1 | os.O_CLOEXEC)  # open_tree CLONE
        attr = struct.pack("QQQQ", 0x100000, 0, 0, nsfd)  # MOUNT_ATTR_IDMAP
        ok = fd >= 0 and libc.syscall(442, fd, b"", 0x1000, attr, len(attr)) == 0
        err = os.strerror(ctypes.get_errno())
        for f in (fd, nsfd):
            if f >= 0:
                os.close(f)
        return ok, err
    finally:
        h.kill()
        h.wait()


def test_idmapped_bind_mounts(b):
    """A bind mount with maps of its own shows the source's files owned by
    the mapped ids; "idmap" without maps takes the user namespace's, so
    the host's root-owned files belong to the container's root."""
    src = os.path.join(b.dir, "idsrc")
    os.makedirs(src, exist_ok=True)
    for name, uid in (("f0", 0), ("f1000", 1000)):
        with open(os.path.join(src, name), "w"):
            os.chown(os.path.join(src, name), uid, uid)
    ok, why = idmap_works(src)
    if not ok:
        harness.skip("no idmapped mounts here (%s)" % why)
    os.chmod(b.dir, 0o755)
    for d in ("idm", "idm2"):  # the user namespace's root cannot make them
        os.makedirs(os.path.join(b.dir, "rootfs", d), exist_ok=True)
    maps = [{"containerID": 0, "hostID": 5000, "size": 2000}]
    own = {"destination": "/idm", "type": "bind", "source": src, "options": ["rbind"],
           "uidMappings": maps, "gidMappings": maps}
    p = run(b, "i1", "stat -c %u:%g /idm/f0 /idm/f1000", mounts=b.spec["mounts"] + [own])
    assert p.returncode == 0, show(p)
    assert p.stdout.split() == ["5000:5000", "6000:6000"], show(p)
    userns = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    plain = dict(own, options=["rbind"], uidMappings=None, gidMappings=None)
    idm = dict(plain, destination="/idm2", options=["rbind", "idmap"])
    p = run(b, "i2", "stat -c %u /idm/f0 /idm2/f0 /idm2/f1000",
            mounts=b.spec["mounts"] + [plain, idm], hostname="",
            linux__namespaces=new("pid", "ipc", "uts", "mount", "network", "user"),
            linux__uidMappings=userns, linux__gidMappings=userns)
    assert p.returncode == 0, show(p)
    assert p.stdout.split() == ["65534", "0", "1000"], show(p)
    tmpfs = {"destination": "/x", "type": "tmpfs", "source": "tmpfs", "options": ["idmap"]}
    p = run(b, "i3", "true", mounts=[tmpfs])
    assert p.returncode == 1 and "mounts[0]: an idmapped mount must be a bind" in p.stderr, \
        show(p)
