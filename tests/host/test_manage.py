"""The container and housekeeping verbs a Docker user reaches for, under
`berth daemon --root DIR`: ps/images --filter and --format json, rename,
pause/unpause (refused clearly where the host has no cgroup2; the
appliance test proves the freezer), update, cp, prune, system df, port,
diff, export, and the CLI's own exit codes."""
import json
import os
import re
import subprocess
import tarfile
import io
import tempfile
import time

from hostenv import Daemon, require_bridge_network, require_overlay


def setup_module(build):
    require_overlay()
    require_bridge_network()
    d = Daemon(build)
    d.import_busybox()
    return d


def teardown_module(d):
    d.stop()


def ctx(d, containerfile):
    path = tempfile.mkdtemp(prefix="ctx-", dir=d.root)
    with open(os.path.join(path, "Containerfile"), "w") as f:
        f.write(containerfile)
    return path


def cid_of(d, name):
    return d.ok("inspect", "-f", "{{.Id}}", name).strip()


def test_ps_format_json_and_filters(d):
    d.ok("run", "-d", "--name", "web1", "--label", "tier=front", "-p", "18080:80",
         "-v", "psvol:/data", "busybox", "sleep", "1000")
    d.ok("create", "--name", "made1", "--label", "tier=back", "busybox", "true")
    assert d.cli("run", "--name", "done3", "busybox", "sh", "-c", "exit 3")[0] == 3
    try:
        lines = d.ok("ps", "--format", "json").splitlines()
        assert len(lines) == 1, lines
        row = json.loads(lines[0])
        for key in ("Command", "CreatedAt", "ID", "Image", "Labels", "LocalVolumes", "Mounts",
                    "Names", "Networks", "Ports", "RunningFor", "Size", "State", "Status"):
            assert key in row, (key, row)
        assert row["Names"] == "web1" and row["State"] == "running", row
        assert row["Labels"] == "tier=front" and row["LocalVolumes"] == "1", row
        assert row["Ports"] == "0.0.0.0:18080->80/tcp", row
        assert "created_ns" not in row
        # every row of -a is one JSON object
        rows = [json.loads(l) for l in d.ok("ps", "-a", "--format", "json").splitlines()]
        assert sorted(r["Names"] for r in rows) == ["done3", "made1", "web1"], rows

        def names(*flt, all_=True):
            args = ["ps", "--format", "{{.Names}}"] + (["-a"] if all_ else [])
            for f in flt:
                args += ["--filter", f]
            return sorted(d.ok(*args).split())

        assert names("name=web") == ["web1"]
        assert names("name=^/made1$") == ["made1"]
        assert names("id=" + cid_of(d, "made1")[:8]) == ["made1"]
        assert names("label=tier") == ["made1", "web1"]
        assert names("label=tier=back") == ["made1"]
        # status implies -a, as Docker's
        assert names("status=created", all_=False) == ["made1"]
        assert names("status=exited", "status=created") == ["done3", "made1"]
        assert names("exited=3") == ["done3"]
        assert names("exited=0") == []
        assert names("ancestor=busybox") == ["done3", "made1", "web1"]
        assert names("ancestor=busybox:latest", "label=tier=front") == ["web1"]
        assert names("ancestor=nosuch") == []
        assert names("volume=psvol") == ["web1"]
        assert names("volume=/data") == ["web1"]
        assert names("publish=80") == ["web1"]
        assert names("publish=80/udp") == []
        assert names("publish=70-90/tcp") == ["web1"]
        assert names("health=none") == ["done3", "made1", "web1"]
        assert names("network=bridge") == ["done3", "made1", "web1"]
        assert names("since=made1") == ["done3"]
        assert names("before=made1") == ["web1"]
        assert d.ok("ps", "-a", "-n", "1", "--format", "{{.Names}}").split() == ["done3"]
        assert d.ok("ps", "-l", "-q") == cid_of(d, "done3")[:12] + "\n"
        # a table with Docker's titles, and the plain word "table"
        out = d.ok("ps", "--format", "table {{.Names}}\t{{.State}}")
        assert out.splitlines()[0].split() == ["NAMES", "STATE"], out
        assert d.ok("ps", "--format", "table").splitlines()[0].startswith("CONTAINER ID")
        rc, out, err = d.cli("ps", "--filter", "colour=red")
        assert rc == 1 and err == "berth: invalid filter 'colour'\n", (rc, err)
        rc, out, err = d.cli("ps", "--filter", "status=sleepy")
        assert rc == 1 and "invalid filter 'status=sleepy'" in err, (rc, err)
        rc, out, err = d.cli("ps", "--filter", "nonsense")
        assert rc == 1 and "bad format of filter" in err, (rc, err)
    finally:
        d.ok("rm", "-f", "web1", "made1", "done3")
        d.cli("volume", "rm", "psvol")


def test_images_filters_digests_json(d):
    d.ok("tag", "busybox", "shelf/tool:1.0")
    # image times are whole seconds: "since busybox" needs a later second
    time.sleep(1.1)
    d.ok("build", "-q", "-t", "labelled", ctx(d, "FROM busybox\nLABEL team=ops\n"))
    try:
        def refs(*flt):
            args = ["images", "--format", "{{.Repository}}:{{.Tag}}"]
            for f in flt:
                args += ["--filter", f]
            return sorted(d.ok(*args).split())

        assert refs("reference=shelf/*") == ["shelf/tool:1.0"]
        assert refs("reference=busy*") == ["busybox:latest"]
        # '*' does not cross '/', as Docker's path.Match
        assert refs("reference=*:1.0") == []
        assert refs("reference=*/*:1.0") == ["shelf/tool:1.0"]
        assert refs("label=team=ops") == ["labelled:latest"]
        assert refs("label=team") == ["labelled:latest"]
        assert refs("since=busybox") == ["labelled:latest"]
        assert "labelled:latest" not in refs("before=labelled")
        assert refs("dangling=true") == []
        assert "busybox:latest" in refs("dangling=false")
        rows = [json.loads(l) for l in d.ok("images", "--format", "json").splitlines()]
        assert {"Containers", "CreatedAt", "CreatedSince", "Digest", "ID", "Repository",
                "SharedSize", "Size", "Tag", "UniqueSize", "VirtualSize"} <= set(rows[0]), rows
        out = d.ok("images", "--digests", "busybox")
        head, line = out.splitlines()
        assert head.split()[:4] == ["REPOSITORY", "TAG", "DIGEST", "IMAGE"], head
        assert re.search(r"busybox\s+latest\s+sha256:[0-9a-f]{64}\s", line), line
        rc, out, err = d.cli("images", "--filter", "shape=round")
        assert rc == 1 and err == "berth: invalid filter 'shape'\n", (rc, err)
        # an untagged image is dangling
        d.ok("rmi", "labelled")
        d.ok("build", "-q", "-t", "dang", ctx(d, "FROM busybox\nRUN echo 1 > /one\n"))
        d.ok("build", "-q", "-t", "dang", ctx(d, "FROM busybox\nRUN echo 2 > /two\n"))
        assert refs("dangling=true") == ["<none>:<none>"]
    finally:
        d.cli("rmi", "shelf/tool:1.0")
        d.cli("rmi", "-f", "labelled")
        d.cli("rmi", "-f", "dang")


def test_rename(d):
    d.ok("run", "-d", "--name", "old1", "busybox", "sleep", "1000")
    d.ok("create", "--name", "taken1", "busybox", "true")
    try:
        cid = cid_of(d, "old1")
        assert d.ok("rename", "old1", "new1") == ""
        assert d.ok("inspect", "-f", "{{.Name}} {{.Id}}", "new1").split() == ["/new1", cid]
        assert d.ok("ps", "--format", "{{.Names}}").split() == ["new1"]
        rc, out, err = d.cli("inspect", "old1")
        assert rc == 1 and "No such container: old1" in err
        # the old name is free again, and config.json holds the new one
        d.ok("create", "--name", "old1", "busybox", "true")
        with open(os.path.join(d.root, "run/berth/containers", cid, "config.json")) as f:
            assert json.load(f)["Name"] == "new1"
        rc, out, err = d.cli("rename", "new1", "taken1")
        assert rc == 1 and 'The container name "/taken1" is already in use' in err, (rc, err)
        rc, out, err = d.cli("rename", "new1", "new1")
        assert rc == 1 and "same name as its current name" in err, (rc, err)
        rc, out, err = d.cli("rename", "new1", "bad/name")
        assert rc == 1 and "Invalid container name (bad/name)" in err, (rc, err)
        rc, out, err = d.cli("rename", "ghost", "x1")
        assert rc == 1 and "No such container: ghost" in err, (rc, err)
        rc, out, err = d.cli("rename", "new1")
        assert rc == 1 and "requires exactly 2 arguments" in err, (rc, err)
        assert d.ok("inspect", "-f", "{{.Name}}", cid).strip() == "/new1"
    finally:
        d.cli("rm", "-f", "new1", "taken1", "old1")


def test_pause_refused_without_cgroup2_and_when_stopped(d):
    d.ok("run", "-d", "--name", "pz", "busybox", "sleep", "1000")
    d.ok("create", "--name", "pzstopped", "busybox", "true")
    try:
        rc, out, err = d.cli("pause", "pzstopped")
        assert rc == 1 and err == "berth: Container pzstopped is not running\n", (rc, err)
        rc, out, err = d.cli("unpause", "pzstopped")
        assert rc == 1 and "is not running" in err, (rc, err)
        rc, out, err = d.cli("pause", "ghost")
        assert rc == 1 and "No such container: ghost" in err, (rc, err)
        cgroup2 = open("/proc/self/mounts").read().find(" /sys/fs/cgroup cgroup2 ") >= 0
        rc, out, err = d.cli("pause", "pz")
        if not cgroup2:
            # a v1/hybrid host: one clear line, and the container runs on
            assert rc == 1 and "cgroup v2 freezer is not available" in err, (rc, err)
            assert d.ok("inspect", "-f", "{{.State.Status}}", "pz").strip() == "running"
        else:
            assert rc == 0 and out == "pz\n", (rc, err)
            assert "(Paused)" in d.ok("ps")
            assert d.ok("unpause", "pz") == "pz\n"
    finally:
        d.cli("rm", "-f", "pz", "pzstopped")


def test_update_running_and_stopped(d):
    d.ok("run", "-d", "--name", "upd", "busybox", "sleep", "1000")
    d.ok("create", "--name", "updstopped", "--rm", "busybox", "true")
    try:
        fmt = ("{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.NanoCpus}} "
               "{{.HostConfig.CpuShares}} {{.HostConfig.PidsLimit}} "
               "{{.HostConfig.RestartPolicy.Name}}")
        assert d.ok("update", "-m", "64m", "--memory-swap", "128m", "--cpus", "0.5",
                    "--cpu-shares", "512", "--pids-limit", "40", "--restart", "on-failure:3",
                    "upd") == "upd\n"
        assert d.ok("inspect", "-f", fmt, "upd").split() == [
            str(64 << 20), str(128 << 20), "500000000", "512", "40", "on-failure"]
        assert d.ok("inspect", "-f", "{{.HostConfig.RestartPolicy.MaximumRetryCount}}",
                    "upd").strip() == "3"
        # one setting leaves the others as they were; pids-limit -1 is unlimited
        d.ok("update", "--pids-limit", "-1", "upd")
        assert d.ok("inspect", "-f", fmt, "upd").split()[:5] == [
            str(64 << 20), str(128 << 20), "500000000", "512", "0"]
        # memory above the swap limit set before, as Docker
        rc, out, err = d.cli("update", "-m", "256m", "upd")
        assert rc == 1 and "should be smaller than already set memoryswap" in err, (rc, err)
        # a stopped container keeps it for its next start
        assert d.ok("update", "-m", "32m", "updstopped") == "updstopped\n"
        assert d.ok("inspect", "-f", "{{.HostConfig.Memory}}", "updstopped").strip() == \
            str(32 << 20)
        rc, out, err = d.cli("update", "--restart", "always", "updstopped")
        assert rc == 1 and "AutoRemove is enabled" in err, (rc, err)
        rc, out, err = d.cli("update", "upd")
        assert rc == 1 and "provide one or more flags" in err, (rc, err)
        rc, out, err = d.cli("update", "-m", "lots", "upd")
        assert rc == 125 and "invalid argument \"lots\"" in err, (rc, err)
        rc, out, err = d.cli("update", "-m", "1m", "upd")
        assert rc == 1 and "Minimum memory limit allowed is 6MB" in err, (rc, err)
        rc, out, err = d.cli("update", "--restart", "sometimes", "upd")
        assert rc == 125, (rc, err)
        rc, out, err = d.cli("update", "-m", "16m", "ghost", "upd")
        assert rc == 1 and "No such container: ghost" in err and out == "upd\n", (rc, out, err)
    finally:
        d.cli("rm", "-f", "upd", "updstopped")


def berth_bytes(d, *args, input=None):
    p = subprocess.run([d.berth, "--root", d.root] + list(args), input=input,
                       capture_output=True, timeout=30)
    return p.returncode, p.stdout, p.stderr.decode()


def test_cp_both_directions_running_and_stopped(d):
    d.ok("run", "-d", "--name", "cpc", "busybox", "sh", "-c",
         "mkdir -p /srv/d/sub && echo hi > /srv/d/f && echo deep > /srv/d/sub/g && "
         "chown 1234:5678 /srv/d/f && touch /ready && exec sleep 1000")
    host = tempfile.mkdtemp(prefix="cp-", dir=d.root)
    try:
        for _ in range(50):
            if d.cli("exec", "cpc", "test", "-e", "/ready")[0] == 0:
                break
        # a directory into an existing directory: under its own name
        assert d.ok("cp", "cpc:/srv/d", host) == ""
        assert open(os.path.join(host, "d/f")).read() == "hi\n"
        assert open(os.path.join(host, "d/sub/g")).read() == "deep\n"
        assert os.stat(os.path.join(host, "d/f")).st_uid == 0  # the caller's, without -a
        # -a keeps the owner; SRC/. copies the contents; a new name
        d.ok("cp", "-a", "cpc:/srv/d/.", os.path.join(host, "copy"))
        st = os.stat(os.path.join(host, "copy/f"))
        assert (st.st_uid, st.st_gid) == (1234, 5678), st
        assert sorted(os.listdir(os.path.join(host, "copy"))) == ["f", "sub"]
        # a file to a new name, and into the container
        d.ok("cp", "cpc:/srv/d/f", os.path.join(host, "renamed"))
        assert open(os.path.join(host, "renamed")).read() == "hi\n"
        with open(os.path.join(host, "up.txt"), "w") as f:
            f.write("uploaded\n")
        d.ok("cp", os.path.join(host, "up.txt"), "cpc:/srv/")
        assert d.ok("exec", "cpc", "cat", "/srv/up.txt") == "uploaded\n"
        d.ok("cp", os.path.join(host, "copy"), "cpc:/srv/newdir")
        assert d.ok("exec", "cpc", "cat", "/srv/newdir/sub/g") == "deep\n"
        # a stopped container: its layers, read and written
        d.ok("stop", "-t", "0", "cpc")
        d.ok("cp", "cpc:/srv/up.txt", os.path.join(host, "from-stopped"))
        assert open(os.path.join(host, "from-stopped")).read() == "uploaded\n"
        d.ok("cp", os.path.join(host, "renamed"), "cpc:/srv/while-stopped")
        rc, out, err = berth_bytes(d, "cp", "cpc:/srv/while-stopped", "-")
        assert rc == 0, err
        with tarfile.open(fileobj=io.BytesIO(out)) as t:
            assert t.extractfile("while-stopped").read() == b"hi\n"
        # no mount left behind on the host by the copy from a stopped one
        # the overlay mounted for it lived in the CLI's own mount namespace
        mounts = [l.split()[1] for l in open("/proc/self/mounts")]
        assert not [m for m in mounts if m.startswith(d.root + "/run/berth/containers")], mounts
    finally:
        d.cli("rm", "-f", "cpc")


def test_cp_tar_streams(d):
    d.ok("run", "-d", "--name", "cpt", "busybox", "sh", "-c",
         "mkdir /in && echo x > /etc/x && exec sleep 1000")
    try:
        for _ in range(50):
            if d.cli("exec", "cpt", "test", "-d", "/in")[0] == 0:
                break
        rc, out, err = berth_bytes(d, "cp", "cpt:/etc", "-")
        assert rc == 0, err
        with tarfile.open(fileobj=io.BytesIO(out)) as t:
            names = t.getnames()
            assert "etc/x" in names and "etc" in names, names
            assert t.extractfile("etc/x").read() == b"x\n"
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:gz") as t:
            data = b"from a tar\n"
            info = tarfile.TarInfo("sub/file.txt")
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
        rc, out, err = berth_bytes(d, "cp", "-", "cpt:/in", input=buf.getvalue())
        assert rc == 0, err
        assert d.ok("exec", "cpt", "cat", "/in/sub/file.txt") == "from a tar\n"
        # a tar with ".." or an absolute name is refused, nothing lands outside
        for bad in ("../../escaped", "/abs-escaped"):
            buf = io.BytesIO()
            with tarfile.open(fileobj=buf, mode="w") as t:
                info = tarfile.TarInfo(bad)
                info.size = 1
                t.addfile(info, io.BytesIO(b"z"))
            rc, out, err = berth_bytes(d, "cp", "-", "cpt:/in", input=buf.getvalue())
            assert rc == 1 and "refusing" in err, (bad, rc, err)
        rc, out, err = berth_bytes(d, "cp", "-", "cpt:/etc/x", input=b"")
        assert rc == 1 and "cpt:/etc/x" in err, (rc, err)
    finally:
        d.cli("rm", "-f", "cpt")


def test_cp_never_leaves_the_container_root(d):
    """'..' and symlinks (absolute and relative) pointing out resolve inside
    the container's root, as for a process chrooted there: the host's
    files are neither read nor written."""
    marker_dir = tempfile.mkdtemp(prefix="cp-host-", dir=d.root)
    secret = os.path.join(marker_dir, "secret")
    with open(secret, "w") as f:
        f.write("host secret\n")
    d.ok("run", "-d", "--name", "cpx", "busybox", "sh", "-c",
         "mkdir /box && ln -s %s /box/abs && ln -s ../../../../../../..%s /box/rel && "
         "ln -s %s /box/absdir && touch /ready && exec sleep 1000"
         % (secret, secret, marker_dir))
    out_dir = tempfile.mkdtemp(prefix="cp-out-", dir=d.root)
    try:
        for _ in range(50):
            if d.cli("exec", "cpx", "test", "-e", "/ready")[0] == 0:
                break
        # reading: ".." stops at the container's root
        d.ok("cp", "cpx:/../../../../etc/hostname", os.path.join(out_dir, "hn"))
        assert open(os.path.join(out_dir, "hn")).read() == \
            d.ok("exec", "cpx", "cat", "/etc/hostname")
        # following a link out (-L) finds nothing: the path is the container's
        for link in ("/box/abs", "/box/rel"):
            rc, out, err = d.cli("cp", "-L", "cpx:" + link, os.path.join(out_dir, "x"))
            assert rc == 1 and "Could not find the file" in err, (link, rc, err)
            assert not os.path.exists(os.path.join(out_dir, "x"))
        rc, out, err = d.cli("cp", "cpx:/box/absdir/secret", out_dir)
        assert rc == 1 and "Could not find the file" in err, (rc, err)
        # without -L the link itself is copied
        d.ok("cp", "cpx:/box/abs", os.path.join(out_dir, "link"))
        assert os.readlink(os.path.join(out_dir, "link")) == secret
        # writing through a link that points out lands inside the container
        src = os.path.join(out_dir, "payload")
        with open(src, "w") as f:
            f.write("payload\n")
        d.ok("exec", "cpx", "mkdir", "-p", marker_dir)
        d.ok("cp", src, "cpx:/box/absdir/")
        assert not os.path.exists(os.path.join(marker_dir, "payload"))
        assert d.ok("exec", "cpx", "cat", marker_dir + "/payload") == "payload\n"
        d.ok("cp", src, "cpx:/../../../../../tmp/up")
        assert d.ok("exec", "cpx", "cat", "/tmp/up") == "payload\n"
        assert open(secret).read() == "host secret\n"
        assert sorted(os.listdir(marker_dir)) == ["secret"]
    finally:
        d.cli("rm", "-f", "cpx")


def test_cp_errors(d):
    d.ok("create", "--name", "cpe", "busybox", "true")
    try:
        rc, out, err = d.cli("cp", "cpe:/nope", "/tmp")
        assert rc == 1 and err == "berth: Could not find the file /nope in container cpe\n"
        rc, out, err = d.cli("cp", "ghost:/etc", "/tmp")
        assert rc == 1 and "No such container: ghost" in err, err
        rc, out, err = d.cli("cp", "cpe:/etc", "cpe:/tmp")
        assert rc == 1 and "copying between containers is not supported" in err, err
        rc, out, err = d.cli("cp", "/etc/hostname", "/tmp/x")
        assert rc == 1 and "must specify at least one container source" in err, err
        rc, out, err = d.cli("cp", "cpe:/etc/passwd", d.root + "/no/such/dir/x")
        assert rc == 1 and "no such directory" in err, err
        rc, out, err = d.cli("cp", "cpe:/etc", d.root + "/daemon.log")
        assert rc == 1 and "cannot overwrite non-directory" in err, err
        rc, out, err = d.cli("cp", "cpe:/etc")
        assert rc == 1 and "requires exactly 2 arguments" in err, (rc, err)
    finally:
        d.cli("rm", "-f", "cpe")


def test_diff_and_export(d):
    d.ok("run", "-d", "--name", "dx", "-v", "dxvol:/vol", "busybox", "sh", "-c",
         "echo new > /added && echo changed >> /etc/passwd && rm /bin/true && mkdir -p /tmp/n && "
         "echo in-volume > /vol/v && touch /ready && exec sleep 1000")
    try:
        for _ in range(50):
            if d.cli("exec", "dx", "test", "-e", "/ready")[0] == 0:
                break
        lines = d.ok("diff", "dx").splitlines()
        assert "A /added" in lines and "C /etc/passwd" in lines and "C /etc" in lines, lines
        assert "D /bin/true" in lines and "A /tmp/n" in lines, lines
        assert lines == sorted(lines, key=lambda l: l[2:]), lines
        assert not [l for l in lines if l[2:].startswith(("/proc", "/sys", "/dev", "/etc/hosts"))]
        # export: the root without /proc, /sys or the volume's files
        rc, out, err = berth_bytes(d, "export", "dx")
        assert rc == 0, err
        with tarfile.open(fileobj=io.BytesIO(out)) as t:
            names = set(t.getnames())
            assert "added" in names and "bin/sh" in names, sorted(names)[:20]
            assert "bin/true" not in names
            assert t.extractfile("added").read() == b"new\n"
            assert not [n for n in names if n.startswith(("proc/", "sys/", "vol/"))], names
        path = os.path.join(d.root, "dx.tar")
        d.ok("export", "-o", path, "dx")
        d.ok("stop", "-t", "0", "dx")
        assert d.ok("diff", "dx").splitlines() == lines  # the same once stopped
        rc, out, err = berth_bytes(d, "export", "dx")
        with tarfile.open(fileobj=io.BytesIO(out)) as t:
            assert t.extractfile("added").read() == b"new\n"
        with tarfile.open(path) as t:
            assert "etc/passwd" in t.getnames()
        assert [f for f in os.listdir(d.root) if f.startswith("dx.tar")] == ["dx.tar"]
        rc, out, err = d.cli("diff", "ghost")
        assert rc == 1 and "No such container: ghost" in err
    finally:
        d.cli("rm", "-f", "dx")
        d.cli("volume", "rm", "dxvol")


def test_port_with_an_argument(d):
    d.ok("run", "-d", "--name", "pp", "-p", "127.0.0.1:18081:80", "-p", "18082:53/udp",
         "busybox", "sleep", "1000")
    try:
        out = d.ok("port", "pp")
        assert "80/tcp -> 127.0.0.1:18081" in out and "53/udp -> 0.0.0.0:18082" in out, out
        assert d.ok("port", "pp", "80") == "127.0.0.1:18081\n"
        assert d.ok("port", "pp", "80/tcp") == "127.0.0.1:18081\n"
        assert d.ok("port", "pp", "53/udp") == "0.0.0.0:18082\n"
        rc, out, err = d.cli("port", "pp", "53")
        assert rc == 1 and err == "berth: No public port '53/tcp' published for pp\n", err
        rc, out, err = d.cli("port", "pp", "eighty")
        assert rc == 1 and "Invalid port: eighty" in err, err
        assert d.ok("container", "port", "pp", "80") == "127.0.0.1:18081\n"
    finally:
        d.cli("rm", "-f", "pp")


def test_prunes_and_system_df(shared):
    # a daemon of its own: the counts are of everything it has
    d = Daemon(os.path.dirname(shared.berth))
    d.import_busybox()
    try:
        prunes_and_df(d)
    finally:
        d.stop()


def prunes_and_df(d):
    d.ok("run", "-d", "--name", "keeper", "-v", "keptvol:/k", "busybox", "sleep", "1000")
    d.ok("run", "--name", "gone1", "-v", "/anon", "busybox", "sh", "-c", "head -c 3000 /dev/zero > /f")
    d.ok("create", "--name", "gone2", "--label", "keep=yes", "busybox", "true")
    d.ok("volume", "create", "namedfree")
    d.ok("build", "-q", "-t", "prunable", ctx(d, "FROM busybox\nRUN echo x > /x\n"))
    gone1 = cid_of(d, "gone1")
    try:
        df = d.ok("system", "df")
        head, *rows = df.splitlines()
        assert head.split() == ["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"], df
        byname = {r.split("  ")[0].strip(): r.split() for r in rows}
        assert byname["Containers"][1:3] == ["3", "1"], df
        # keptvol (keeper), the anonymous one (gone1, exited), namedfree (none)
        assert byname["Local Volumes"][2:4] == ["3", "2"], df
        assert byname["Images"][1:3] == ["2", "1"], df
        js = [json.loads(l) for l in d.ok("system", "df", "--format", "json").splitlines()]
        assert [r["Type"] for r in js] == ["Images", "Containers", "Local Volumes", "Build Cache"], js
        verbose = d.ok("system", "df", "-v")
        assert "Containers space usage:" in verbose and "gone1" in verbose, verbose
        assert re.search(r"keptvol\s+1\s", verbose), verbose
        # answering no keeps everything
        rc, out, err = d.cli("container", "prune", input="n\n")
        assert rc == 0 and "Are you sure you want to continue? [y/N]" in out, (rc, out)
        assert "gone1" in d.ok("ps", "-a")
        # a label filter, then the rest
        out = d.ok("container", "prune", "-f", "--filter", "label!=keep")
        assert out.startswith("Deleted Containers:\n" + gone1 + "\n\n"), out
        assert re.search(r"Total reclaimed space: 3(\.\d+)?kB\n$", out), out
        assert sorted(d.ok("ps", "-a", "--format", "{{.Names}}").split()) == ["gone2", "keeper"]
        out = d.ok("container", "prune", "-f")
        assert "Deleted Containers:" in out and cid_of(d, "keeper") not in out, out
        assert d.ok("ps", "-a", "--format", "{{.Names}}").split() == ["keeper"]
        # volumes: anonymous ones by default, -a all unused, never one in use
        out = d.ok("volume", "prune", "-f")
        assert out.startswith("Deleted Volumes:\n") and "namedfree" not in out, out
        out = d.ok("volume", "prune", "-a", "-f")
        assert "namedfree" in out and "keptvol" not in out, out
        assert d.ok("volume", "ls", "-q").split() == ["keptvol"]
        # images: dangling only by default; -a takes unused tagged ones
        out = d.ok("image", "prune", "-f")
        assert "prunable" not in out and out.endswith("Total reclaimed space: 0B\n"), out
        out = d.ok("image", "prune", "-a", "-f")
        assert "untagged: prunable:latest" in out and "deleted: sha256:" in out, out
        assert "busybox" not in out  # keeper uses it
        assert d.ok("images", "--format", "{{.Repository}}").split() == ["busybox"]
        rc, out, err = d.cli("image", "prune", "--filter", "size=1")
        assert rc == 1 and "invalid filter 'size'" in err, err
        # system prune: containers, dangling images, build cache; -a --volumes more
        d.ok("run", "--name", "gone3", "busybox", "true")
        out = d.ok("system", "prune", "-f")
        assert "Deleted Containers:\n" + cid_of_gone(out) in out and "Total reclaimed space:" in out
        rc, out, err = d.cli("system", "prune", input="\n")
        assert rc == 0 and "  - all stopped containers" in out, out
    finally:
        d.cli("rm", "-f", "keeper", "gone1", "gone2", "gone3")
        d.cli("volume", "rm", "keptvol", "namedfree")
        d.cli("rmi", "prunable")


def cid_of_gone(out):
    m = re.search(r"Deleted Containers:\n([0-9a-f]{64})\n", out)
    assert m, out
    return m.group(1)


def test_container_and_system_groups(d):
    d.ok("container", "run", "--name", "grp", "-d", "busybox", "sleep", "1000")
    try:
        assert d.ok("container", "ls", "--format", "{{.Names}}") == "grp\n"
        assert d.ok("container", "list", "-q") == d.ok("ps", "-q")
        assert d.ok("container", "inspect", "-f", "{{.State.Status}}", "grp") == "running\n"
        assert d.ok("container", "stop", "-t", "0", "grp") == "grp\n"
        assert "Containers:" in d.ok("system", "info")
        out = d.ok("container", "--help")
        assert "Usage:  berth container COMMAND" in out and "  prune " in out, out
        rc, out, err = d.cli("container", "frob")
        assert rc == 1 and 'unknown container command "frob"' in err, err
        rc, out, err = d.cli("container", "ls", "--bogus")
        assert rc == 125 and "unknown flag: --bogus" in err, err
        assert d.ok("container", "rm", "grp") == "grp\n"
    finally:
        d.cli("rm", "-f", "grp")


def test_cli_errors_as_docker(d):
    # no daemon: Docker's sentence, exit 1; the CLI's own errors: 125
    empty = tempfile.mkdtemp(prefix="nodaemon-", dir=d.root)
    p = subprocess.run([d.berth, "--root", empty, "ps"], capture_output=True, text=True)
    assert p.returncode == 1, p
    assert p.stderr == ("berth: Cannot connect to the berth daemon at %s/run/berth/control. "
                        "Is the berth daemon running?\n" % empty), p.stderr
    os.makedirs(os.path.join(empty, "run/berth/reply"))
    os.mkfifo(os.path.join(empty, "run/berth/control"), 0o600)  # nobody reads it
    p = subprocess.run([d.berth, "--root", empty, "pause", "x"], capture_output=True, text=True)
    assert p.returncode == 1 and "Cannot connect to the berth daemon" in p.stderr, p
    rc, out, err = d.cli("--bogus", "ps")
    assert rc == 125 and err.startswith("berth: unknown flag: --bogus\n"), (rc, err)
    rc, out, err = d.cli("ps", "--bogus")
    assert rc == 125 and "See 'berth ps --help'." in err, (rc, err)
    rc, out, err = d.cli("frobnicate")
    assert rc == 1 and "'frobnicate' is not a berth command" in err, (rc, err)
    rc, out, err = d.cli("pause")
    assert rc == 1 and "requires at least 1 argument" in err, (rc, err)
    # a command's own exit code passes through
    assert d.cli("run", "--rm", "busybox", "sh", "-c", "exit 7")[0] == 7


def test_volume_ls_filter_and_format(d):
    d.ok("volume", "create", "lsused")
    d.ok("volume", "create", "lsfree")
    d.ok("create", "--name", "lsuser", "-v", "lsused:/u", "busybox", "true")
    try:
        def names(*flt):
            args = ["volume", "ls", "-q"]
            for f in flt:
                args += ["--filter", f]
            return [n for n in d.ok(*args).split() if n.startswith("ls")]

        assert names() == ["lsfree", "lsused"]
        assert names("dangling=true") == ["lsfree"]
        assert names("dangling=false") == ["lsused"]
        assert names("name=free") == ["lsfree"]
        assert names("driver=local", "name=ls") == ["lsfree", "lsused"]
        assert names("label=com.docker.volume.anonymous") == []
        rows = [json.loads(l) for l in d.ok("volume", "ls", "--format", "json").splitlines()]
        row = [r for r in rows if r["Name"] == "lsfree"][0]
        assert row["Driver"] == "local" and row["Mountpoint"].endswith("/lsfree/_data"), row
        assert d.ok("volume", "ls", "--format", "{{.Name}}:{{.Driver}}",
                    "--filter", "name=lsfree") == "lsfree:local\n"
        out = d.ok("volume", "ls", "--filter", "name=lsfree")
        assert out.splitlines() == ["DRIVER    VOLUME NAME", "local     lsfree"], out
        rc, out, err = d.cli("volume", "ls", "--filter", "size=1")
        assert rc == 1 and "invalid filter 'size'" in err, err
    finally:
        d.cli("rm", "lsuser")
        d.cli("volume", "rm", "lsused", "lsfree")
