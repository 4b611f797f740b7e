"""The image store through the CLI: `berth --root DIR import|load|images|tag|rmi`
on the build host, as root, no daemon. Archives are made here with tarfile,
hashlib and json: a two-layer OCI layout with whiteouts, an oci-archive, a
docker-archive, and hostile tarballs that must be refused leaving nothing
behind."""
import gzip
import hashlib
import io
import json
import os
import shutil
import stat
import subprocess
import tarfile
import tempfile
import threading

MTIME = 1700000000


class Ctx:
    def __init__(self, build):
        self.berth = os.path.join(build, "berth")
        self.tmp = tempfile.mkdtemp(prefix="berth-img-")
        self.n = 0

    def root(self):
        """A fresh store root, inside its own directory so escapes show."""
        self.n += 1
        top = os.path.join(self.tmp, "t%d" % self.n)
        os.makedirs(os.path.join(top, "root"))
        return top, os.path.join(top, "root")

    def cli(self, root, *args, stdin=None, env=None):
        e = dict(os.environ)
        e.update(env or {})
        p = subprocess.run([self.berth, "--root", root] + list(args), input=stdin,
                           capture_output=True, timeout=60, env=e,
                           preexec_fn=lambda: os.umask(0o077))
        return p.returncode, p.stdout.decode(), p.stderr.decode()


def setup_module(build):
    return Ctx(build)


def teardown_module(ctx):
    shutil.rmtree(ctx.tmp, ignore_errors=True)


# ---------------------------------------------------------------- archives

def tar_bytes(entries, gz=False):
    """entries: (name, kind, payload, extra) with kind file|dir|sym|hard|chr;
    payload is bytes for files, the target for links."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for ent in entries:
            name, kind, payload = ent[0], ent[1], ent[2] if len(ent) > 2 else None
            extra = ent[3] if len(ent) > 3 else {}
            ti = tarfile.TarInfo(name)
            ti.mtime = extra.get("mtime", MTIME)
            ti.uid, ti.gid = extra.get("uid", 0), extra.get("gid", 0)
            ti.mode = extra.get("mode", 0o755 if kind == "dir" else 0o644)
            data = None
            if kind == "file":
                data = io.BytesIO(payload)
                ti.size = len(payload)
            elif kind == "dir":
                ti.type = tarfile.DIRTYPE
            elif kind == "sym":
                ti.type, ti.linkname = tarfile.SYMTYPE, payload
            elif kind == "hard":
                ti.type, ti.linkname = tarfile.LNKTYPE, payload
            elif kind == "chr":
                ti.type = tarfile.CHRTYPE
                ti.devmajor, ti.devminor = payload
            t.addfile(ti, data)
    raw = buf.getvalue()
    return gzip.compress(raw, mtime=0) if gz else raw


def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def write_blob(layout, data):
    d = sha(data)
    path = os.path.join(layout, "blobs", "sha256", d[7:])
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    return d


def config_bytes(diff_ids, cmd=None):
    cfg = {"architecture": "amd64", "os": "linux", "created": "2024-01-02T03:04:05Z",
           "config": {"Cmd": cmd or ["/bin/sh"], "Env": ["PATH=/bin"], "WorkingDir": "/w",
                      "ExposedPorts": {"80/tcp": {}}},
           "rootfs": {"type": "layers", "diff_ids": diff_ids}}
    return json.dumps(cfg, sort_keys=True).encode()


def make_oci_layout(path, layers, ref):
    """layers: list of (tar bytes, gz flag). Returns (image id, diff_ids)."""
    os.makedirs(path)
    with open(os.path.join(path, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    descs, diffs = [], []
    for raw, gz in layers:
        blob = gzip.compress(raw, mtime=0) if gz else raw
        diffs.append(sha(raw))
        descs.append({"mediaType": "application/vnd.oci.image.layer.v1.tar" + ("+gzip" if gz else ""),
                      "digest": write_blob(path, blob), "size": len(blob)})
    cfg = config_bytes(diffs)
    cid = write_blob(path, cfg)
    man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                      "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                 "digest": cid, "size": len(cfg)},
                      "layers": descs}).encode()
    mid = write_blob(path, man)
    with open(os.path.join(path, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": mid,
             "size": len(man), "annotations": {"org.opencontainers.image.ref.name": ref}}]}, f)
    return cid, diffs


def tar_dir(src, dest):
    with tarfile.open(dest, "w") as t:
        for name in sorted(os.listdir(src)):
            t.add(os.path.join(src, name), arcname=name)


def store(root):
    return os.path.join(root, "var/lib/berth")


def listdir(path):
    return sorted(os.listdir(path)) if os.path.isdir(path) else []


def index_refs(root):
    p = os.path.join(store(root), "images/index.json")
    if not os.path.exists(p):
        return []
    with open(p) as f:
        return [m.get("annotations", {}).get("org.opencontainers.image.ref.name")
                for m in json.load(f)["manifests"]]


def all_files(top):
    out = []
    for d, dirs, files in os.walk(top):
        out += [os.path.join(d, n) for n in dirs + files]
    return out


def assert_store_empty(root):
    assert listdir(os.path.join(store(root), "layers")) == [], listdir(os.path.join(store(root), "layers"))
    assert listdir(os.path.join(store(root), "images/blobs/sha256")) == []
    assert index_refs(root) == [], index_refs(root)


ROOTFS = [
    ("bin", "dir"),
    ("bin/tool", "file", b"#!/bin/sh\necho hi\n", {"mode": 0o4755, "uid": 1000, "gid": 50,
                                                  "mtime": 1600000000}),
    ("bin/sh", "sym", "tool"),
    ("bin/alias", "hard", "bin/tool"),
    ("etc", "dir", None, {"mode": 0o700, "mtime": 1500000000}),
    ("etc/passwd", "file", b"root:x:0:0:root:/root:/bin/sh\n"),
    ("etc/abs-link", "sym", "/etc/passwd"),
    ("dev", "dir"),
    ("dev/null", "chr", (1, 3), {"mode": 0o666}),
    ("tmp", "dir", None, {"mode": 0o1777}),
    ("implied/deep/file", "file", b"x", {"mode": 0o600}),
]


# ---------------------------------------------------------------- import + list

def test_import_lists_with_id(ctx):
    top, root = ctx.root()
    path = os.path.join(top, "rootfs.tar.gz")
    with open(path, "wb") as f:
        f.write(tar_bytes(ROOTFS, gz=True))
    rc, out, err = ctx.cli(root, "import", path, "myimg")
    assert rc == 0, err
    iid = out.strip()
    assert iid.startswith("sha256:") and len(iid) == 71, out
    # The ID is the config blob's digest, and the config names the layer.
    with open(os.path.join(store(root), "images/blobs/sha256", iid[7:]), "rb") as f:
        cfg_raw = f.read()
    assert sha(cfg_raw) == iid
    cfg = json.loads(cfg_raw)
    assert cfg["architecture"] == "amd64" and cfg["os"] == "linux"
    diff = cfg["rootfs"]["diff_ids"][0]
    assert diff == sha(tar_bytes(ROOTFS)), "diff_id is the sha256 of the uncompressed tar"
    assert index_refs(root) == ["myimg:latest"]

    layer = os.path.join(store(root), "layers", diff[7:])
    st = os.lstat(os.path.join(layer, "bin/tool"))
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (1000, 50, 0o4755)
    assert int(st.st_mtime) == 1600000000
    assert os.readlink(os.path.join(layer, "bin/sh")) == "tool"
    assert os.readlink(os.path.join(layer, "etc/abs-link")) == "/etc/passwd"
    assert os.stat(os.path.join(layer, "bin/alias")).st_ino == st.st_ino
    st = os.lstat(os.path.join(layer, "etc"))
    assert stat.S_IMODE(st.st_mode) == 0o700 and int(st.st_mtime) == 1500000000
    st = os.lstat(os.path.join(layer, "dev/null"))
    assert stat.S_ISCHR(st.st_mode) and os.major(st.st_rdev) == 1 and os.minor(st.st_rdev) == 3
    assert stat.S_IMODE(os.lstat(os.path.join(layer, "tmp")).st_mode) == 0o1777
    for d in ("", "implied", "implied/deep"):  # whatever the umask
        assert stat.S_IMODE(os.lstat(os.path.join(layer, d)).st_mode) == 0o755, d

    rc, out, err = ctx.cli(root, "images")
    lines = out.splitlines()
    assert rc == 0 and lines[0].split() == ["REPOSITORY", "TAG", "IMAGE", "ID", "CREATED", "SIZE"], out
    assert lines[1].split()[:3] == ["myimg", "latest", iid[7:19]], out
    assert "ago" in lines[1], out

    ctx.cli(root, "tag", "myimg", "other:v1")
    rc, out, _ = ctx.cli(root, "images", "-q")
    assert (rc, out) == (0, iid[7:19] + "\n"), out
    rc, out, _ = ctx.cli(root, "images", "-q", "--no-trunc")
    assert out == iid + "\n", out
    rc, out, _ = ctx.cli(root, "images", "--format", "{{.ID}}")
    assert out == (iid[7:19] + "\n") * 2, out
    rc, out, _ = ctx.cli(root, "images", "--format", "{{.Repository}}:{{.Tag}}")
    assert sorted(out.split()) == ["myimg:latest", "other:v1"], out
    rc, out, _ = ctx.cli(root, "images", "--format", r"table {{.ID}}\t{{.Tag}}")
    lines = out.splitlines()
    assert lines[0] == "IMAGE ID       TAG", lines
    assert sorted(lines[1:]) == [iid[7:19] + "   latest", iid[7:19] + "   v1"], lines
    rc, out, err = ctx.cli(root, "images", "--format", "{{.Bogus}}")
    assert rc == 1 and "Bogus" in err, (rc, err)
    rc, out, _ = ctx.cli(root, "images", "other")
    assert len(out.splitlines()) == 2 and "other" in out and "myimg" not in out, out


def test_import_from_stdin_and_resolve_forms(ctx):
    top, root = ctx.root()
    raw = tar_bytes([("hello", "file", b"hi\n")])
    rc, out, err = ctx.cli(root, "import", "-", "stdin:1.0", stdin=raw)
    assert rc == 0, err
    iid = out.strip()
    # tag accepts the full ID, sha256:-less short IDs and name:tag.
    for src, dst in [(iid, "a"), (iid[7:11], "b"), ("stdin:1.0", "c:x")]:
        rc, out, err = ctx.cli(root, "tag", src, dst)
        assert rc == 0, (src, err)
    assert sorted(index_refs(root)) == ["a:latest", "b:latest", "c:x", "stdin:1.0"]
    rc, out, err = ctx.cli(root, "import", "-", "Bad Name", stdin=raw)
    assert rc == 1 and "invalid reference format" in err, err


def test_concurrent_imports_keep_every_tag(ctx):
    top, root = ctx.root()
    res = []

    def one(i):
        raw = tar_bytes([("f%d" % i, "file", b"x" * i)])
        res.append(ctx.cli(root, "import", "-", "c%d" % i, stdin=raw))

    ts = [threading.Thread(target=one, args=(i,)) for i in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert all(r[0] == 0 for r in res), res
    assert sorted(index_refs(root)) == sorted("c%d:latest" % i for i in range(8))


# ---------------------------------------------------------------- load

LOWER = [("d", "dir"), ("d/old", "file", b"old"), ("file", "file", b"f"), ("keep", "file", b"k")]
UPPER = [(".wh.file", "file", b""), ("d", "dir"), ("d/.wh..wh..opq", "file", b""),
         ("d/new", "file", b"new")]


def check_whiteout_layer(root, diff):
    layer = os.path.join(store(root), "layers", diff[7:])
    st = os.lstat(os.path.join(layer, "file"))
    assert stat.S_ISCHR(st.st_mode) and st.st_rdev == 0, oct(st.st_mode)
    assert (st.st_uid, st.st_gid) == (0, 0)
    assert os.getxattr(os.path.join(layer, "d"), "trusted.overlay.opaque") == b"y"
    assert os.path.exists(os.path.join(layer, "d/new"))
    assert not [p for p in all_files(layer) if ".wh." in p], all_files(layer)


def test_load_oci_layout_with_whiteouts(ctx):
    top, root = ctx.root()
    layout = os.path.join(top, "layout")
    cid, diffs = make_oci_layout(layout, [(tar_bytes(LOWER), False), (tar_bytes(UPPER), True)],
                                 "two:v1")
    rc, out, err = ctx.cli(root, "load", "-i", layout)
    assert (rc, out) == (0, "Loaded image: two:v1\n"), (out, err)
    check_whiteout_layer(root, diffs[1])
    lower = os.path.join(store(root), "layers", diffs[0][7:])
    assert sorted(os.listdir(lower)) == ["d", "file", "keep"]
    rc, out, _ = ctx.cli(root, "images", "--no-trunc", "--format", "{{.ID}} {{.Repository}}")
    assert out == "%s two\n" % cid, out
    # Loading the same thing again as an oci-archive adds a tag, shares layers.
    shutil.rmtree(layout)
    make_oci_layout(layout, [(tar_bytes(LOWER), False), (tar_bytes(UPPER), True)], "two:archived")
    archive = os.path.join(top, "two.oci.tar")
    tar_dir(layout, archive)
    rc, out, err = ctx.cli(root, "load", "--input", archive)
    assert (rc, out) == (0, "Loaded image: two:archived\n"), (out, err)
    assert sorted(index_refs(root)) == ["two:archived", "two:v1"]
    assert len(listdir(os.path.join(store(root), "layers"))) == 2
    assert not [n for n in listdir(store(root)) if n.startswith(".load")]


def test_load_docker_archive(ctx):
    top, root = ctx.root()
    src = os.path.join(top, "docker")
    l1, l2 = tar_bytes(LOWER), tar_bytes(UPPER)
    cfg = config_bytes([sha(l1), sha(l2)], cmd=["echo", "hi"])
    os.makedirs(os.path.join(src, "aaa"))
    with open(os.path.join(src, "aaa/layer.tar"), "wb") as f:
        f.write(l1)
    write_blob(src, l2)
    with open(os.path.join(src, sha(cfg)[7:] + ".json"), "wb") as f:
        f.write(cfg)
    with open(os.path.join(src, "manifest.json"), "w") as f:
        json.dump([{"Config": sha(cfg)[7:] + ".json", "RepoTags": ["dock:1", "dock:2"],
                    "Layers": ["aaa/layer.tar", "blobs/sha256/" + sha(l2)[7:]]}], f)
    archive = os.path.join(top, "docker.tar")
    tar_dir(src, archive)
    with open(archive, "rb") as f:
        rc, out, err = ctx.cli(root, "load", stdin=f.read())
    assert rc == 0, err
    assert out == "Loaded image: dock:1\nLoaded image: dock:2\n", out
    rc, out, _ = ctx.cli(root, "images", "-q", "--no-trunc")
    assert out == sha(cfg) + "\n", out
    check_whiteout_layer(root, sha(l2))


# ---------------------------------------------------------------- refusals

def refused(ctx, entries, needle, outside_name):
    top, root = ctx.root()
    before = set(all_files(top))
    rc, out, err = ctx.cli(root, "import", "-", "evil", stdin=tar_bytes(entries))
    assert rc != 0, (out, err)
    assert err.startswith("Error: ") and err.count("\n") == 1, err
    assert needle in err, err
    assert_store_empty(root)
    after = set(all_files(top))
    skeleton = {os.path.join(root, "var"), os.path.join(root, "var/lib"), store(root),
                store(root) + "/layers", store(root) + "/images.lock"}
    new = [p for p in after - before
           if p not in skeleton and not p.startswith(store(root) + "/images/")
           and p != store(root) + "/images"]
    assert new == [], new
    assert not [p for p in all_files(ctx.tmp) if os.path.basename(p) == outside_name]
    return top, root


def test_dotdot_entry_refused(ctx):
    refused(ctx, [("ok", "file", b"1"), ("../escape-test-file", "file", b"x")],
            '"../escape-test-file"', "escape-test-file")
    refused(ctx, [("a", "dir"), ("a/../../escape-test-file2", "file", b"x")],
            "a/../../escape-test-file2", "escape-test-file2")
    refused(ctx, [("/abs-escape-file", "file", b"x")], "/abs-escape-file", "abs-escape-file")


def test_symlink_escape_refused(ctx):
    # A relative symlink that leaves the layer, then a file through it.
    refused(ctx, [("evil", "sym", "../../../../../.."), ("evil/pwned-rel", "file", b"x")],
            '"evil"', "pwned-rel")
    refused(ctx, [("d", "dir"), ("d/up", "sym", "a/../../../x")], '"d/up"', "x-none")
    # An absolute symlink is fine as a link, but never followed on the host.
    top, _ = ctx.root()
    target = os.path.join(top, "outside")
    os.makedirs(target)
    refused(ctx, [("abs", "sym", target), ("abs/pwned-abs", "file", b"x")],
            '"abs/pwned-abs"', "pwned-abs")
    assert os.listdir(target) == []
    refused(ctx, [("hl", "hard", "../../etc/passwd")], '"hl"', "hl-none")


def test_corrupt_blob_refused(ctx):
    top, root = ctx.root()
    layout = os.path.join(top, "layout")
    make_oci_layout(layout, [(tar_bytes(LOWER), False), (tar_bytes(UPPER), True)], "bad:1")
    with open(os.path.join(layout, "index.json")) as f:
        man_digest = json.load(f)["manifests"][0]["digest"]
    with open(os.path.join(layout, "blobs/sha256", man_digest[7:])) as f:
        bad = json.load(f)["layers"][1]["digest"]
    path = os.path.join(layout, "blobs/sha256", bad[7:])
    with open(path, "r+b") as f:
        data = bytearray(f.read())
        data[-1] ^= 0xff
        f.seek(0)
        f.write(data)
    rc, out, err = ctx.cli(root, "load", "-i", layout)
    assert rc == 1 and out == "", (out, err)
    assert err.count("\n") == 1 and bad in err and "corrupt" in err, err
    assert_store_empty(root)
    # A docker-archive layer whose content is not the config's diff_id.
    src = os.path.join(top, "docker")
    l1 = tar_bytes(LOWER)
    cfg = config_bytes([sha(b"something else")])
    os.makedirs(os.path.join(src, "x"))
    with open(os.path.join(src, "x/layer.tar"), "wb") as f:
        f.write(l1)
    with open(os.path.join(src, "config.json"), "wb") as f:
        f.write(cfg)
    with open(os.path.join(src, "manifest.json"), "w") as f:
        json.dump([{"Config": "config.json", "RepoTags": ["bad:2"], "Layers": ["x/layer.tar"]}], f)
    rc, out, err = ctx.cli(root, "load", "-i", src)
    assert rc == 1 and sha(b"something else") in err, err
    assert_store_empty(root)


# ---------------------------------------------------------------- tag, rmi

def test_tag_and_rmi(ctx):
    top, root = ctx.root()
    raw = tar_bytes([("shared", "file", b"s")])
    rc, out, _ = ctx.cli(root, "import", "-", "one", stdin=raw, env={"SOURCE_DATE_EPOCH": "1000"})
    id1 = out.strip()
    rc, out, _ = ctx.cli(root, "import", "-", "two", stdin=raw, env={"SOURCE_DATE_EPOCH": "2000"})
    id2 = out.strip()
    assert id1 != id2
    layers = os.path.join(store(root), "layers")
    blobs = os.path.join(store(root), "images/blobs/sha256")
    assert len(listdir(layers)) == 1
    rc, _, err = ctx.cli(root, "tag", "one", "one:extra")
    assert rc == 0, err
    # By ID with two tags: needs -f.
    rc, out, err = ctx.cli(root, "rmi", id1[7:19])
    assert rc == 1 and "must be forced" in err, err
    rc, out, err = ctx.cli(root, "rmi", "one")
    assert (rc, out) == (0, "Untagged: one:latest\n"), (out, err)
    assert id1[7:] in listdir(blobs)
    rc, out, err = ctx.cli(root, "rmi", "one:extra")
    assert (rc, out) == (0, "Untagged: one:extra\nDeleted: %s\n" % id1), (out, err)
    assert id1[7:] not in listdir(blobs)
    assert len(listdir(layers)) == 1, "the layer is still used by 'two'"
    rc, out, err = ctx.cli(root, "rmi", id2)
    assert (rc, out) == (0, "Untagged: two:latest\nDeleted: %s\n" % id2), (out, err)
    assert_store_empty(root)


def test_unknown_image_errors(ctx):
    top, root = ctx.root()
    rc, out, err = ctx.cli(root, "rmi", "nosuch")
    assert (rc, err) == (1, "Error: No such image: nosuch\n"), err
    rc, out, err = ctx.cli(root, "tag", "nosuch", "x")
    assert (rc, err) == (1, "Error: No such image: nosuch\n"), err
    rc, out, err = ctx.cli(root, "images")
    assert rc == 0 and out.split() == ["REPOSITORY", "TAG", "IMAGE", "ID", "CREATED", "SIZE"], out
    rc, out, err = ctx.cli(root, "load", "-i", os.path.join(top, "missing.tar"))
    assert rc == 1 and err.startswith("Error: ") and "missing.tar" in err, err
    rc, out, err = ctx.cli(root, "tag", "onlyone")
    assert rc == 1 and "requires exactly 2 arguments" in err, err


def test_truncated_or_garbage_input_refused(ctx):
    top, root = ctx.root()
    data = tar_bytes([("big", "file", os.urandom(300000))], gz=True)
    for bad, needle in [(data[:len(data) // 2], "gzip"), (data[:-4], "gzip"),
                        (b"not a tar at all" * 64, "read archive")]:
        rc, out, err = ctx.cli(root, "import", "-", "trunc", stdin=bad)
        assert rc == 1 and needle in err and err.count("\n") == 1, err
        assert_store_empty(root)
    # Trailing zero padding after a complete gzip stream is tolerated.
    rc, out, err = ctx.cli(root, "import", "-", "padded", stdin=data + b"\0" * 512)
    assert rc == 0, err


def test_leftovers_of_a_crashed_writer_are_swept(ctx):
    top, root = ctx.root()
    raw = tar_bytes([("f", "file", b"1")])
    assert ctx.cli(root, "import", "-", "first", stdin=raw)[0] == 0
    half = os.path.join(store(root), "layers", ".tmp-99999-0")
    os.makedirs(os.path.join(half, "usr/bin"))
    tmpblob = os.path.join(store(root), "images/blobs/sha256", ".tmp-99999-abcdef")
    open(tmpblob, "w").close()
    tmpindex = os.path.join(store(root), "images/index.json.tmp.99999")
    open(tmpindex, "w").close()
    assert ctx.cli(root, "tag", "first", "second")[0] == 0
    assert not os.path.exists(half) and not os.path.exists(tmpblob)
    assert not os.path.exists(tmpindex)
    # A reader never sweeps (it does not hold the lock exclusively).
    os.makedirs(half)
    assert ctx.cli(root, "images")[0] == 0
    assert os.path.exists(half)


def test_load_legacy_docker_archive_with_linked_layers(ctx):
    # Older `docker save` writes a repeated layer as a symlink to the first.
    top, root = ctx.root()
    l1 = tar_bytes(LOWER)
    cfg = config_bytes([sha(l1), sha(l1)])
    a, b = "a" * 64, "b" * 64
    entries = [(a, "dir"), (a + "/layer.tar", "file", l1), (b, "dir"),
               (b + "/layer.tar", "sym", "../%s/layer.tar" % a),
               (sha(cfg)[7:] + ".json", "file", cfg),
               ("manifest.json", "file", json.dumps([{
                   "Config": sha(cfg)[7:] + ".json", "RepoTags": ["legacy:1"],
                   "Layers": [a + "/layer.tar", b + "/layer.tar"]}]).encode())]
    rc, out, err = ctx.cli(root, "load", stdin=tar_bytes(entries))
    assert (rc, out) == (0, "Loaded image: legacy:1\n"), err


def test_archive_symlinks_cannot_reach_outside(ctx):
    top, root = ctx.root()
    # A config outside the store that a followed symlink would find.
    l1 = tar_bytes(LOWER)
    cfg = config_bytes([sha(l1)])
    with open(os.path.join(top, "secret.json"), "wb") as f:
        f.write(cfg)
    # d/l stays inside lexically (d/s is "."), but not when resolved.
    sneaky = "s/" * 5 + "../" * 6 + "secret.json"
    entries = [("d", "dir"), ("d/s", "sym", "."), ("d/l", "sym", sneaky),
               ("x/layer.tar", "file", l1),
               ("manifest.json", "file", json.dumps([{
                   "Config": "d/l", "RepoTags": ["sneaky:1"], "Layers": ["x/layer.tar"]}]).encode())]
    rc, out, err = ctx.cli(root, "load", stdin=tar_bytes(entries))
    assert rc == 1 and "d/l" in err and err.count("\n") == 1, (out, err)
    assert_store_empty(root)
    # Absolute symlinks are refused in image archives.
    entries[2] = ("d/l", "sym", os.path.join(top, "secret.json"))
    rc, out, err = ctx.cli(root, "load", stdin=tar_bytes(entries))
    assert rc == 1 and "absolute symlink" in err, err
    assert_store_empty(root)


def test_same_image_through_two_manifests(ctx):
    top, root = ctx.root()
    layout = os.path.join(top, "layout")
    cid, _ = make_oci_layout(layout, [(tar_bytes(LOWER), True)], "ignored")
    # containerd's name annotation wins and Docker Hub names get short.
    with open(os.path.join(layout, "index.json")) as f:
        index = json.load(f)
    index["manifests"][0]["annotations"]["io.containerd.image.name"] = "docker.io/library/hub:1"
    with open(os.path.join(layout, "index.json"), "w") as f:
        json.dump(index, f)
    rc, out, err = ctx.cli(root, "load", "-i", layout)
    assert (rc, out) == (0, "Loaded image: hub:1\n"), err
    # The same config from a docker-archive: another manifest, same ID.
    src = os.path.join(top, "docker")
    os.makedirs(os.path.join(src, "l"))
    with open(os.path.join(src, "l/layer.tar"), "wb") as f:
        f.write(tar_bytes(LOWER))
    shutil.copy(os.path.join(layout, "blobs/sha256", cid[7:]), os.path.join(src, "c.json"))
    with open(os.path.join(src, "manifest.json"), "w") as f:
        json.dump([{"Config": "c.json", "RepoTags": ["other:2"], "Layers": ["l/layer.tar"]}], f)
    rc, out, err = ctx.cli(root, "load", "-i", src)
    assert (rc, out) == (0, "Loaded image: other:2\n"), err
    rc, out, _ = ctx.cli(root, "images", "-q", "--no-trunc")
    assert out == cid + "\n", out
    rc, out, err = ctx.cli(root, "rmi", "hub:1")
    assert (rc, out) == (0, "Untagged: hub:1\n"), (out, err)
    rc, out, _ = ctx.cli(root, "images", "--format", "{{.Repository}}:{{.Tag}}")
    assert out == "other:2\n", out
    rc, out, err = ctx.cli(root, "rmi", "other:2")
    assert (rc, out) == (0, "Untagged: other:2\nDeleted: %s\n" % cid), (out, err)
    assert_store_empty(root)
