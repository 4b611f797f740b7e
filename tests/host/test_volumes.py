"""Volumes under `berth daemon --root DIR`: named volumes (create, ls,
inspect, rm and its in-use refusal), data that outlives containers, the
image's content copied into an empty volume, anonymous volumes from -v
/PATH and from an image's VOLUME, removed by rm -v and --rm but kept by rm."""
import gzip
import hashlib
import io
import json
import os
import re
import tarfile
import time

from hostenv import Daemon, busybox_tar, require_bridge_network, require_overlay


def setup_module(build):
    require_overlay()
    require_bridge_network()  # containers go on the default bridge
    d = Daemon(build)
    d.import_busybox()
    load_volume_image(d)
    return d


def teardown_module(d):
    d.stop()


def _blob(layout, data):
    digest = hashlib.sha256(data).hexdigest()
    path = os.path.join(layout, "blobs", "sha256", digest)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    return "sha256:" + digest


def load_volume_image(d):
    """busybox plus /seed/hello and /link -> /etc, with VOLUME /seed: an
    OCI layout loaded as volimg:latest."""
    base = os.path.join(d.root, "bb.tar")
    busybox_tar(base)
    with open(base, "rb") as f:
        layer1 = f.read()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        ti = tarfile.TarInfo("seed")
        ti.type, ti.mode, ti.uid = tarfile.DIRTYPE, 0o750, 1000
        t.addfile(ti)
        data = b"from the image\n"
        ti = tarfile.TarInfo("seed/hello")
        ti.size = len(data)
        t.addfile(ti, io.BytesIO(data))
        ti = tarfile.TarInfo("link")  # an absolute symlink: the host's /etc outside
        ti.type, ti.linkname = tarfile.SYMTYPE, "/etc"
        t.addfile(ti)
    layer2 = buf.getvalue()
    layout = os.path.join(d.root, "volimg")
    os.makedirs(layout)
    with open(os.path.join(layout, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    descs = []
    for raw in (layer1, layer2):
        gz = gzip.compress(raw, mtime=0)
        descs.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                      "digest": _blob(layout, gz), "size": len(gz)})
    cfg = json.dumps({"architecture": "amd64", "os": "linux",
                      "config": {"Cmd": ["/bin/sh"], "Env": ["PATH=/bin"],
                                 "Volumes": {"/seed": {}}},
                      "rootfs": {"type": "layers", "diff_ids": [
                          "sha256:" + hashlib.sha256(x).hexdigest() for x in (layer1, layer2)]}
                      }).encode()
    man = json.dumps({"schemaVersion": 2,
                      "mediaType": "application/vnd.oci.image.manifest.v1+json",
                      "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                 "digest": _blob(layout, cfg), "size": len(cfg)},
                      "layers": descs}).encode()
    with open(os.path.join(layout, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [
            {"mediaType": "application/vnd.oci.image.manifest.v1+json",
             "digest": _blob(layout, man), "size": len(man),
             "annotations": {"org.opencontainers.image.ref.name": "volimg:latest"}}]}, f)
    d.ok("load", "-i", layout)


def vol_dir(d):
    return os.path.join(d.root, "var/lib/berth/volumes")


def test_vol_create_ls_inspect_rm(d):
    assert d.ok("volume", "create", "web-data").strip() == "web-data"
    # creating it again is fine and keeps it (Docker's rule)
    assert d.ok("volume", "create", "web-data").strip() == "web-data"
    anon = d.ok("volume", "create").strip()
    assert re.fullmatch(r"[0-9a-f]{64}", anon), anon
    ls = d.ok("volume", "ls")
    assert re.search(r"^DRIVER +VOLUME NAME$", ls, re.M), ls
    assert re.search(r"^local +web-data$", ls, re.M), ls
    assert anon in d.ok("volume", "ls", "-q").split()
    info = json.loads(d.ok("volume", "inspect", "web-data"))
    assert len(info) == 1, info
    v = info[0]
    assert v["Name"] == "web-data" and v["Driver"] == "local" and v["Scope"] == "local", v
    assert v["Mountpoint"] == os.path.join(vol_dir(d), "web-data/_data"), v
    assert os.path.isdir(v["Mountpoint"]), v
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", v["CreatedAt"]), v
    assert d.ok("volume", "inspect", "-f", "{{.Mountpoint}}", "web-data").strip() == v["Mountpoint"]
    assert d.ok("volume", "rm", "web-data", anon).split() == ["web-data", anon]
    assert not os.path.exists(os.path.join(vol_dir(d), "web-data"))
    assert "web-data" not in d.ok("volume", "ls", "-q")


def test_vol_volume_errors(d):
    rc, out, err = d.cli("volume", "rm", "nosuchvol")
    assert rc == 1 and "get nosuchvol: no such volume" in err, (rc, err)
    assert d.cli("volume", "rm", "-f", "nosuchvol")[0] == 0
    rc, out, err = d.cli("volume", "inspect", "nosuchvol")
    assert rc == 1 and "no such volume" in err, err
    rc, out, err = d.cli("volume", "create", "bad/name")
    assert rc == 1 and "includes invalid characters for a local volume name" in err, err
    rc, out, err = d.cli("volume", "frobnicate")
    assert rc == 1 and "unknown volume command" in err, err
    rc, out, err = d.cli("run", "--rm", "-v", "./rel:/x", "busybox", "true")
    assert rc == 125 and "If you intended to pass a host directory, use absolute path" in err, err
    rc, out, err = d.cli("run", "--rm", "-v", "v1:rel", "busybox", "true")
    assert rc == 125 and "mount path must be absolute" in err, err
    rc, out, err = d.cli("run", "--rm", "-v", "v1:/x:bogus", "busybox", "true")
    assert rc == 125 and "invalid mode: bogus" in err, err
    rc, out, err = d.cli("run", "--rm", "-v", "v1:/x", "-v", "v2:/x", "busybox", "true")
    assert rc == 125 and "Duplicate mount point: /x" in err, err
    # a refused run created no volume
    assert d.ok("volume", "ls", "-q").split().count("v1") == 0
    # nor one PID 1 refused (a name in use): no anonymous volume is left
    before = set(d.ok("volume", "ls", "-q").split())
    d.ok("create", "--name", "taken", "busybox", "true")
    rc, out, err = d.cli("create", "--name", "taken", "-v", "/anon", "busybox", "true")
    assert rc == 125 and "is already in use" in err, (rc, err)
    assert set(d.ok("volume", "ls", "-q").split()) == before
    d.ok("rm", "taken")


def test_vol_named_volume_outlives_containers(d):
    d.ok("run", "--rm", "-v", "keep:/store", "busybox", "sh", "-c",
         "echo first > /store/f; sync")
    out = d.ok("run", "--rm", "-v", "keep:/store:ro", "busybox", "sh", "-c",
               "cat /store/f; echo x > /store/g 2>/dev/null || echo read-only")
    assert out == "first\nread-only\n", out
    with open(os.path.join(vol_dir(d), "keep/_data/f")) as f:
        assert f.read() == "first\n"
    d.ok("volume", "rm", "keep")


def test_vol_rm_refused_while_in_use(d):
    cid = d.ok("create", "--name", "user1", "-v", "busy:/b", "busybox", "true").strip()
    rc, out, err = d.cli("volume", "rm", "busy")
    assert rc == 1, (rc, out, err)
    assert "remove busy: volume is in use - [%s]" % cid in err, err
    assert "busy" in d.ok("volume", "ls", "-q").split()
    # plain rm of the container keeps a named volume
    d.ok("rm", "-v", "user1")
    assert "busy" in d.ok("volume", "ls", "-q").split()
    assert d.ok("volume", "rm", "busy").strip() == "busy"


def test_vol_inspect_shows_mounts(d):
    host = os.path.join(d.root, "hostdir")
    os.makedirs(host)
    d.ok("create", "--name", "mnts", "-v", "named1:/n:ro", "-v", host + ":/h", "-v", "/anon",
         "busybox", "true")
    mounts = json.loads(d.ok("inspect", "-f", "{{json .Mounts}}", "mnts"))
    by_dst = {m["Destination"]: m for m in mounts}
    assert by_dst["/n"]["Type"] == "volume" and by_dst["/n"]["Name"] == "named1", mounts
    assert by_dst["/n"]["RW"] is False and by_dst["/n"]["Driver"] == "local", mounts
    assert by_dst["/n"]["Source"] == os.path.join(vol_dir(d), "named1/_data"), mounts
    assert by_dst["/h"]["Type"] == "bind" and by_dst["/h"]["Source"] == host, mounts
    assert by_dst["/anon"]["Type"] == "volume", mounts
    assert re.fullmatch(r"[0-9a-f]{64}", by_dst["/anon"]["Name"]), mounts
    d.ok("rm", "-v", "mnts")
    assert not os.path.exists(os.path.join(vol_dir(d), by_dst["/anon"]["Name"]))
    assert os.path.exists(os.path.join(vol_dir(d), "named1"))
    d.ok("volume", "rm", "named1")


def test_vol_empty_volume_gets_the_image_content(d):
    out = d.ok("run", "--rm", "-v", "seeded:/seed", "volimg", "sh", "-c",
               "cat /seed/hello; stat -c '%a %u' /seed")
    assert out == "from the image\n750 1000\n", out
    # not copied again once it holds something
    d.ok("run", "--rm", "-v", "seeded:/seed", "volimg", "sh", "-c",
         "rm /seed/hello; echo mine > /seed/own")
    out = d.ok("run", "--rm", "-v", "seeded:/seed", "volimg", "ls", "/seed")
    assert out.split() == ["own"], out
    # nocopy: nothing copied
    out = d.ok("run", "--rm", "-v", "bare:/seed:nocopy", "volimg", "ls", "-A", "/seed")
    assert out == "", out
    d.ok("volume", "rm", "seeded", "bare")


def test_vol_copy_up_cannot_leave_the_image(d):
    """An image path that is a symlink to an absolute path resolves inside
    the container's root, never on the host."""
    out = d.ok("run", "--rm", "-v", "esc:/link/sub", "volimg", "ls", "-A", "/link/sub")
    assert out == "", out
    # /link/. is the image's /etc: copied from there, not from the host's
    out = d.ok("run", "--rm", "-v", "esc2:/link/.", "volimg", "ls", "/etc")
    assert "passwd" in out.split() and "debian_version" not in out.split(), out
    got = set(os.listdir(os.path.join(vol_dir(d), "esc2/_data")))
    # the image's two files, plus the mount points of /etc/hosts & co.
    assert got == {"group", "passwd", "hosts", "hostname", "resolv.conf"}, got
    with open(os.path.join(vol_dir(d), "esc2/_data/passwd")) as f:
        assert f.read().count("\n") == 2
    d.ok("volume", "rm", "esc", "esc2")


def anon_volumes(d):
    return {n for n in d.ok("volume", "ls", "-q").split() if re.fullmatch(r"[0-9a-f]{64}", n)}


def test_vol_image_volume_gets_anonymous_volume(d):
    before = anon_volumes(d)
    d.ok("run", "--name", "img-vol", "volimg", "sh", "-c", "cat /seed/hello; echo more > /seed/m")
    mounts = json.loads(d.ok("inspect", "-f", "{{json .Mounts}}", "img-vol"))
    assert len(mounts) == 1 and mounts[0]["Destination"] == "/seed", mounts
    name = mounts[0]["Name"]
    assert anon_volumes(d) - before == {name}
    assert d.ok("logs", "img-vol") == "from the image\n"
    # plain rm keeps it (Docker)
    d.ok("rm", "img-vol")
    assert name in anon_volumes(d)
    with open(os.path.join(vol_dir(d), name, "_data/m")) as f:
        assert f.read() == "more\n"
    d.ok("volume", "rm", name)
    # rm -v removes it
    d.ok("run", "--name", "img-vol2", "volimg", "true")
    name2 = json.loads(d.ok("inspect", "-f", "{{json .Mounts}}", "img-vol2"))[0]["Name"]
    assert name2 in anon_volumes(d)
    d.ok("rm", "-v", "img-vol2")
    assert name2 not in anon_volumes(d)
    # -v over the image's VOLUME path: no anonymous volume
    d.ok("run", "--rm", "-v", "over:/seed", "volimg", "true")
    assert anon_volumes(d) == before
    d.ok("volume", "rm", "over")


def test_vol_run_rm_removes_anonymous_volume(d):
    before = anon_volumes(d)
    d.ok("run", "--rm", "-v", "/scratch", "busybox", "sh", "-c", "echo x > /scratch/x")
    assert anon_volumes(d) == before
    d.ok("run", "-d", "--rm", "--name", "bg-anon", "-v", "/scratch:ro", "busybox", "true")
    for _ in range(100):
        if anon_volumes(d) == before:
            break
        time.sleep(0.05)
    assert anon_volumes(d) == before


def test_vol_info(d):
    d.ok("create", "--name", "info1", "busybox", "true")
    out = d.ok("info")
    assert re.search(r"^Containers: \d+$", out, re.M), out
    assert re.search(r"^ Running: 0$", out, re.M), out
    assert re.search(r"^ Stopped: [1-9]\d*$", out, re.M), out
    assert re.search(r"^Images: 2$", out, re.M), out
    assert "Storage Driver: overlay\n" in out, out
    assert re.search(r"^Kernel Version: %s$" % re.escape(os.uname().release), out, re.M), out
    # the CPUs this process may run on, as musl's sysconf counts them (and
    # Go's runtime.NumCPU for Docker): fewer than os.cpu_count() under a
    # CPU affinity mask or cpuset, e.g. a CI runner's
    assert re.search(r"^CPUs: %d$" % len(os.sched_getaffinity(0)), out, re.M), out
    assert re.search(r"^Total Memory: [\d.]+MiB$", out, re.M), out
    assert re.search(r"^Server Version: \S+", out, re.M), out
    assert "Data disk: none (a daemon: everything is kept under %s)" % d.root in out, out
    d.ok("rm", "info1")
