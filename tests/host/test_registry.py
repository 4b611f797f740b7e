"""`berth pull|login|logout` against Debian's docker-registry (the reference
distribution server), all inside a network namespace this module creates
(only lo, with 10.99.0.1/32 on it, so registries there are not loopback and
not insecure by default). skopeo pushes the fixtures: a three-layer OCI
layout made here, and a second tag sharing two of its layers.

Registries: A plain http (:5000), B TLS with a private CA made here plus
htpasswd Basic auth (:5001), C token auth (:5002) with a Python token
server (:5003, tests/lib/regsrv.py), D a mirror (:5005), a search API
(:5006, regsrv.py), one that answers garbage and a 2 GiB manifest (:5007,
regsrv.py); a proxy that cuts the first blob download short (127.0.0.1:5004
-> A), one that holds each blob request for a moment and logs how many
are in flight (127.0.0.1:5008 -> A), and one that stops every blob
response after 64 KiB until the client hangs up (127.0.0.1:5014 -> A)."""
import gzip
import hashlib
import io
import json
import os
import shutil
import stat
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request

import harness

HERE = os.path.dirname(os.path.abspath(__file__))
REGSRV = os.path.join(HERE, "..", "lib", "regsrv.py")
IP = "10.99.0.1"
A, B, C, TOK, CUT, D, SEARCH = (IP + ":5000", IP + ":5001", IP + ":5002", IP + ":5003",
                                "127.0.0.1:5004", IP + ":5005", IP + ":5006")
BAD = IP + ":5007"
HOLD = "127.0.0.1:5008"
FLAKY = "127.0.0.1:5010"
STALL = "127.0.0.1:5014"


def tar_gz(files):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, data in files:
            ti = tarfile.TarInfo(name)
            ti.mtime = 1700000000
            if data is None:
                ti.type, ti.mode = tarfile.DIRTYPE, 0o755
                t.addfile(ti)
            else:
                ti.size, ti.mode = len(data), 0o644
                t.addfile(ti, io.BytesIO(data))
    raw = buf.getvalue()
    return raw, gzip.compress(raw, mtime=0)


def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def oci_layout(path, layers, tag, arch="amd64"):
    """An OCI layout at path holding one image of the given (raw, gz) layers."""
    os.makedirs(os.path.join(path, "blobs", "sha256"), exist_ok=True)

    def blob(data):
        with open(os.path.join(path, "blobs", "sha256", sha(data)[7:]), "wb") as f:
            f.write(data)
        return {"digest": sha(data), "size": len(data)}

    cfg = json.dumps({"architecture": arch, "os": "linux",
                      "config": {"Cmd": ["/bin/sh"], "Env": ["PATH=/bin"]},
                      "rootfs": {"type": "layers", "diff_ids": [sha(r) for r, _ in layers]}},
                     sort_keys=True).encode()
    man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                      "config": dict(blob(cfg), mediaType="application/vnd.oci.image.config.v1+json"),
                      "layers": [dict(blob(g), mediaType="application/vnd.oci.image.layer.v1.tar+gzip")
                                 for _, g in layers]}).encode()
    md = blob(man)
    with open(os.path.join(path, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [dict(md, mediaType="application/vnd.oci.image.manifest.v1+json",
                                                          annotations={"org.opencontainers.image.ref.name": tag})]}, f)
    with open(os.path.join(path, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')
    return sha(cfg), md["digest"]


class Ctx:
    def __init__(self, build):
        self.berth = os.path.join(build, "berth")
        self.tmp = tempfile.mkdtemp(prefix="berth-reg-")
        self.ns = "berth-reg-%d" % os.getpid()
        self.procs = []
        self.n = 0

    def ns_run(self, *argv, stdin=None, timeout=60, check=False):
        p = subprocess.run(["ip", "netns", "exec", self.ns] + list(argv), input=stdin,
                           capture_output=True, timeout=timeout)
        out, err = p.stdout.decode(), p.stderr.decode()
        if check and p.returncode != 0:
            raise harness.TestFailure("%s: exit %d\n%s%s" % (argv, p.returncode, out, err))
        return p.returncode, out, err

    def spawn(self, *argv, cwd=None):
        log = open(os.path.join(self.tmp, "spawn-%d.log" % len(self.procs)), "w")
        p = subprocess.Popen(["ip", "netns", "exec", self.ns] + list(argv), stdout=log,
                             stderr=subprocess.STDOUT, cwd=cwd or self.tmp)
        self.procs.append(p)
        return p

    def root(self, daemon=None):
        """A fresh --root, with daemon.json when given."""
        self.n += 1
        r = os.path.join(self.tmp, "root%d" % self.n)
        os.makedirs(os.path.join(r, "etc", "berth"))
        if daemon is not None:
            with open(os.path.join(r, "etc", "berth", "daemon.json"), "w") as f:
                json.dump(daemon, f)
        return r

    def cli(self, root, *args, stdin=None):
        return self.ns_run(self.berth, "--root", root, *args, stdin=stdin, timeout=120)

    def wait_port(self, hostport, tls=False):
        for _ in range(100):
            rc, _, _ = self.ns_run("curl", "-sk", "-o", "/dev/null",
                                   ("https://" if tls else "http://") + hostport + "/")
            if rc == 0:
                return
            time.sleep(0.1)
        raise harness.TestFailure("%s does not answer" % hostport)

    def registry(self, name, addr, extra=""):
        d = os.path.join(self.tmp, name)
        os.makedirs(d)
        with open(os.path.join(d, "config.yml"), "w") as f:
            f.write("version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n"
                    "    rootdirectory: %s/data\n  delete:\n    enabled: true\n"
                    "http:\n  addr: %s\n%s" % (d, addr, extra))
        self.spawn("docker-registry", "serve", os.path.join(d, "config.yml"))
        return d


def openssl(ctx, *args):
    subprocess.run(["openssl"] + list(args), cwd=ctx.tmp, check=True, capture_output=True)


def make_certs(ctx):
    openssl(ctx, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=berth test CA", "-keyout", "ca.key", "-out", "ca.crt")
    # the address in the CN, no subjectAltName: mbedTLS 2.28 matches DNS
    # names only, and the CN when there is no SAN (docs/registry.md)
    openssl(ctx, "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + IP,
            "-keyout", "srv.key", "-out", "srv.csr")
    openssl(ctx, "x509", "-req", "-in", "srv.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "2", "-out", "srv.crt")
    openssl(ctx, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=berth token signer", "-keyout", "tok.key", "-out", "tok.crt")


def push(ctx, layout, tag, dest, *opts):
    ctx.ns_run("skopeo", "copy", "--quiet", "--dest-tls-verify=false", *opts,
               "oci:%s:%s" % (layout, tag), "docker://" + dest, check=True, timeout=120)


def oci_multi(path, layers, tag):
    """An OCI layout whose tag names an image index of a linux/amd64 and a
    linux/arm64 image (the same layers); their IDs."""
    ids = {}
    descs = []
    for arch in ("arm64", "amd64"):
        ids[arch], md = oci_layout(path, layers, tag, arch)
        size = os.path.getsize(os.path.join(path, "blobs", "sha256", md[7:]))
        descs.append({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md,
                      "size": size, "platform": {"architecture": arch, "os": "linux"}})
    idx = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                      "manifests": descs}).encode()
    with open(os.path.join(path, "blobs", "sha256", sha(idx)[7:]), "wb") as f:
        f.write(idx)
    with open(os.path.join(path, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [{
            "mediaType": "application/vnd.oci.image.index.v1+json", "digest": sha(idx),
            "size": len(idx), "annotations": {"org.opencontainers.image.ref.name": tag}}]}, f)
    return ids


def setup_module(build):
    for tool in ("docker-registry", "skopeo", "htpasswd", "openssl", "ip", "curl"):
        if not shutil.which(tool):
            harness.skip("%s is not installed (./build.sh deps installs it)" % tool)
    ctx = Ctx(build)
    try:
        start(ctx)
    except BaseException:
        teardown_module(ctx)
        raise
    return ctx


def start(ctx):
    subprocess.run(["ip", "netns", "add", ctx.ns], check=True)
    ctx.ns_run("ip", "link", "set", "lo", "up", check=True)
    ctx.ns_run("ip", "addr", "add", IP + "/32", "dev", "lo", check=True)
    make_certs(ctx)
    subprocess.run(["htpasswd", "-Bbc", os.path.join(ctx.tmp, "htpasswd"), "alice", "s3cret"],
                   check=True, capture_output=True)
    ctx.a = ctx.registry("a", ":5000")
    ctx.registry("b", ":5001", "  tls:\n    certificate: %s/srv.crt\n    key: %s/srv.key\n"
                 "auth:\n  htpasswd:\n    realm: berth\n    path: %s/htpasswd\n"
                 % (ctx.tmp, ctx.tmp, ctx.tmp))
    ctx.registry("c", ":5002", "auth:\n  token:\n    realm: http://%s/token\n"
                 "    service: berth-registry\n    issuer: berth-test\n"
                 "    rootcertbundle: %s/tok.crt\n" % (TOK, ctx.tmp))
    ctx.registry("d", ":5005")
    ctx.spawn(sys.executable, REGSRV, "token", "5003", "tok.key", "tok.crt", "alice:s3cret")
    ctx.spawn(sys.executable, REGSRV, "cut", "5004", "5000", "300000")
    ctx.spawn(sys.executable, REGSRV, "hold", "5008", "5000", "0.4")
    ctx.spawn(sys.executable, REGSRV, "hold", "5010", "5000", "0", "2")
    ctx.spawn(sys.executable, REGSRV, "stall", "5014", "5000", "65536")
    ctx.spawn(sys.executable, REGSRV, "search", "5006")
    ctx.spawn(sys.executable, REGSRV, "bad", "5007")
    base = [tar_gz([("bin", None), ("bin/hello", b"hello\n" * 2000)]),
            tar_gz([("etc", None), ("etc/motd", b"welcome\n")])]
    ctx.base = base
    big = tar_gz([("data", None), ("data/blob", os.urandom(1500000))])
    extra = tar_gz([("etc/extra", b"two\n")])
    ctx.lay1 = os.path.join(ctx.tmp, "lay1")
    ctx.id1, ctx.dig1 = oci_layout(ctx.lay1, base + [big], "1")
    ctx.lay5 = os.path.join(ctx.tmp, "lay5")
    oci_layout(ctx.lay5, base + [big] + [tar_gz([("f%d" % i, b"%d\n" % i)]) for i in range(2)],
               "5")
    ctx.laym = os.path.join(ctx.tmp, "laym")
    ctx.multi = oci_multi(ctx.laym, base, "m")
    ctx.lay2 = os.path.join(ctx.tmp, "lay2")
    ctx.id2, ctx.dig2 = oci_layout(ctx.lay2, base + [extra], "2")
    for hp, tls in ((A, False), (B, True), (C, False), (TOK, False), (CUT, False), (D, False),
                    (SEARCH, False), (BAD, False), (HOLD, False),
                    (FLAKY, False), (STALL, False)):
        ctx.wait_port(hp, tls)
    push(ctx, ctx.lay1, "1", A + "/team/app:1")
    push(ctx, ctx.lay2, "2", A + "/team/app:2")
    push(ctx, ctx.lay5, "5", A + "/team/five:5")
    push(ctx, ctx.laym, "m", A + "/team/multi:1", "--all")
    push(ctx, ctx.lay1, "1", A + "/team/bad:1")
    # a layer the extractor refuses (its blob and diff_id are right), and
    # a big one beside it
    ctx.layevil = os.path.join(ctx.tmp, "layevil")
    ctx.evil = tar_gz([("../escape", b"out\n")])
    oci_layout(ctx.layevil, [ctx.evil, tar_gz([("big", os.urandom(1 << 20))])], "1")
    push(ctx, ctx.layevil, "1", A + "/team/evil:1")
    push(ctx, ctx.lay1, "1", B + "/team/app:1", "--dest-creds", "alice:s3cret")
    push(ctx, ctx.lay1, "1", C + "/team/app:1", "--dest-creds", "alice:s3cret")
    push(ctx, ctx.lay2, "2", D + "/library/mirrored:1")


def teardown_module(ctx):
    for p in ctx.procs:
        p.terminate()
    for p in ctx.procs:
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    subprocess.run(["ip", "netns", "del", ctx.ns], capture_output=True)
    shutil.rmtree(ctx.tmp, ignore_errors=True)


def store_files(root):
    out = []
    for dp, dn, fn in os.walk(os.path.join(root, "var", "lib", "berth")):
        out += [os.path.join(dp, n) for n in fn]
    return sorted(out)


def settled(root, limit=20):
    """Wait until the layers the pulls left unsynced are synced (their
    detached child took them off layers-unsynced.json)."""
    path = os.path.join(root, "var", "lib", "berth", "layers-unsynced.json")
    for _ in range(limit * 20):
        if not os.path.exists(path):
            return
        time.sleep(0.05)
    raise harness.TestFailure("%s still there after %d s" % (path, limit))


def check_one_line(err, *words):
    lines = [l for l in err.splitlines() if l.strip()]
    if len(lines) != 1 or not all(w in lines[0] for w in words):
        raise harness.TestFailure("want one error line naming %s, got:\n%s" % (words, err))


# ---------------------------------------------------------------- tests

def test_insecure_registry_plain_http(ctx):
    root = ctx.root()
    rc, out, err = ctx.cli(root, "pull", A + "/team/app:1")
    assert rc == 1, (rc, out, err)
    check_one_line(err, A)
    root = ctx.root({"insecure-registries": [A]})
    rc, out, err = ctx.cli(root, "pull", A + "/team/app:1")
    assert rc == 0, (out, err)
    lines = out.splitlines()
    assert lines[0] == "1: Pulling from team/app", out
    assert sum(l.endswith(": Pull complete") for l in lines) == 3, out
    assert "Digest: " + ctx.dig1 in lines, out
    assert "Status: Downloaded newer image for %s/team/app:1" % A in lines, out
    assert lines[-1] == A + "/team/app:1", out
    rc, out, _ = ctx.cli(root, "images", "--format", "{{.Repository}} {{.Tag}} {{.ID}}")
    assert out.split() == [A + "/team/app", "1", ctx.id1[7:19]], out
    # two layers shared with :1 are not fetched again
    rc, out, err = ctx.cli(root, "pull", A + "/team/app:2")
    assert rc == 0, (out, err)
    assert sum(l.endswith(": Already exists") for l in out.splitlines()) == 2, out
    assert sum(l.endswith(": Download complete") for l in out.splitlines()) == 1, out
    rc, out, err = ctx.cli(root, "pull", "-q", A + "/team/app:1")
    assert (rc, out) == (0, A + "/team/app:1\n"), (out, err)
    rc, out, err = ctx.cli(root, "pull", A + "/team/app:1")
    assert "Status: Image is up to date for %s/team/app:1" % A in out, out
    rc, out, err = ctx.cli(root, "pull", A + "/team/app:nope")
    assert rc == 1
    check_one_line(err, "manifest for %s/team/app:nope not found" % A)
    rc, out, err = ctx.cli(root, "pull", IP + ":5999/team/app:1")
    assert rc == 1
    check_one_line(err, IP + ":5999")
    rc, out, err = ctx.cli(root, "pull", "Team/App")
    assert rc == 1 and "invalid reference format" in err, err


def test_tls_private_ca_and_basic_auth(ctx):
    root = ctx.root()
    rc, out, err = ctx.cli(root, "pull", B + "/team/app:1")
    assert rc == 1
    check_one_line(err, B, "certificate")
    certs = os.path.join(root, "etc", "berth", "certs.d", B)
    os.makedirs(certs)
    shutil.copy(os.path.join(ctx.tmp, "ca.crt"), certs)
    rc, out, err = ctx.cli(root, "pull", B + "/team/app:1")
    assert rc == 1
    check_one_line(err, "unauthorized")
    auth = os.path.join(root, "etc", "berth", "auth.json")
    rc, out, err = ctx.cli(root, "login", "-u", "alice", "--password-stdin", B, stdin=b"wrong\n")
    assert rc == 1 and not os.path.exists(auth), (out, err)
    assert "unauthorized" in err, err
    rc, out, err = ctx.cli(root, "login", "-u", "alice", "--password-stdin", B, stdin=b"s3cret\n")
    assert rc == 0 and "Login Succeeded" in out, (out, err)
    assert stat.S_IMODE(os.stat(auth).st_mode) == 0o600
    with open(auth) as f:
        assert json.load(f)["auths"][B]["auth"] == "YWxpY2U6czNjcmV0"  # alice:s3cret
    rc, out, err = ctx.cli(root, "pull", B + "/team/app:1")
    assert rc == 0 and "Status: Downloaded newer image" in out, (out, err)
    rc, out, err = ctx.cli(root, "logout", B)
    assert (rc, out) == (0, "Removing login credentials for %s\n" % B), (out, err)
    with open(auth) as f:
        assert B not in json.load(f)["auths"]
    rc, out, err = ctx.cli(root, "rmi", B + "/team/app:1")
    rc, out, err = ctx.cli(root, "pull", B + "/team/app:1")
    assert rc == 1 and "unauthorized" in err, (out, err)


def test_token_auth(ctx):
    root = ctx.root({"insecure-registries": [C]})
    log = os.path.join(ctx.tmp, "5003.log")
    rc, out, err = ctx.cli(root, "pull", C + "/team/app:1")
    assert rc == 1, (out, err)
    check_one_line(err, C)
    rc, out, err = ctx.cli(root, "login", "-u", "alice", "--password-stdin", C, stdin=b"s3cret\n")
    assert rc == 0, (out, err)
    before = open(log).read().count("scope=repository:team/app:pull user=alice")
    rc, out, err = ctx.cli(root, "pull", C + "/team/app:1")
    assert rc == 0 and "Status: Downloaded newer image" in out, (out, err)
    # one token for the manifest, config and three blobs: cached per scope
    after = open(log).read().count("scope=repository:team/app:pull user=alice")
    assert after - before == 1, open(log).read()


def test_tampered_blob_keeps_nothing(ctx):
    root = ctx.root({"insecure-registries": [A]})
    # the big layer of team/bad:1, rewritten in the registry's storage
    with open(os.path.join(ctx.lay1, "index.json")) as f:
        mdig = json.load(f)["manifests"][0]["digest"]
    with open(os.path.join(ctx.lay1, "blobs", "sha256", mdig[7:])) as f:
        layer = json.load(f)["layers"][2]["digest"][7:]
    data = os.path.join(ctx.a, "data", "docker", "registry", "v2", "blobs", "sha256", layer[:2],
                        layer, "data")
    with open(data, "r+b") as f:
        f.seek(1000)
        f.write(b"tampered")
    try:
        rc, out, err = ctx.cli(root, "pull", A + "/team/bad:1")
    finally:
        shutil.copy(os.path.join(ctx.lay1, "blobs", "sha256", layer), data)
    assert rc == 1, (out, err)
    check_one_line(err, "verification failed", layer)
    left = [p for p in store_files(root) if "/blobs/" in p or "/layers/" in p or ".pull-" in p]
    assert not left, left
    rc, out, _ = ctx.cli(root, "images", "-q")
    assert out == "", out


def test_interrupted_download_resumes(ctx):
    root = ctx.root()
    log = os.path.join(ctx.tmp, "5004.log")
    rc, out, err = ctx.cli(root, "pull", CUT + "/team/app:1")
    assert rc == 0, (out, err)
    ranges = [l for l in open(log).read().splitlines() if "/blobs/" in l and "Range: bytes=" in l]
    assert ranges, open(log).read()
    assert int(ranges[0].split("bytes=")[1].rstrip("-")) >= 300000 - 65536, ranges
    rc, out, _ = ctx.cli(root, "images", "--format", "{{.ID}}")
    assert out.strip() == ctx.id1[7:19], out


def test_small_layers_download_together(ctx):
    # five small layers: all five at once (Docker's 3, and up to
    # containers/image's 6 while what is in flight stays small)
    root = ctx.root()
    rc, out, err = ctx.cli(root, "pull", HOLD + "/team/five:5")
    assert rc == 0, (out, err)
    assert out.count("Pull complete") == 5, out
    with open(os.path.join(ctx.tmp, "5008.log")) as f:
        most = max(int(l.split()[1]) for l in f if l.startswith("inflight "))
    assert most == 5, most


def test_platform_picks_from_the_index(ctx):
    # an image index of linux/amd64 and linux/arm64: amd64 by default,
    # --platform's otherwise, and one line when the index lacks it
    for plat, arch in ((None, "amd64"), ("linux/arm64", "arm64")):
        root = ctx.root({"insecure-registries": [A]})
        rc, out, err = ctx.cli(root, "pull", "-q", *(["--platform", plat] if plat else []),
                               A + "/team/multi:1")
        assert rc == 0 and out == A + "/team/multi:1\n", (plat, out, err)
        rc, out, _ = ctx.cli(root, "images", "-q", "--no-trunc")
        assert out.strip() == ctx.multi[arch], (arch, out, ctx.multi)
    rc, out, err = ctx.cli(root, "pull", "--platform", "linux/s390x", A + "/team/multi:1")
    assert rc == 1, (out, err)
    check_one_line(err, "linux/s390x")


def test_5xx_retried(ctx):
    # the first two blob requests answered 503: tried again (with
    # backoff), the pull completes with every blob verified
    root = ctx.root()
    rc, out, err = ctx.cli(root, "pull", "-q", FLAKY + "/team/app:1")
    assert rc == 0 and out == FLAKY + "/team/app:1\n", (out, err)
    with open(os.path.join(ctx.tmp, "5010.log")) as f:
        log = f.read().splitlines()
    assert log.count("503") == 2, log
    assert sum("/blobs/" in l for l in log if l != "503") >= 4, log  # config + 3 layers
    rc, out, _ = ctx.cli(root, "images", "-q", "--no-trunc")
    assert out.strip() == ctx.id1, out


def test_mirror_with_fallback(ctx):
    root = ctx.root({"registry-mirrors": ["http://%s:5009" % IP, "http://" + D],
                     "insecure-registries": [IP + ":5009", D]})
    rc, out, err = ctx.cli(root, "pull", "mirrored:1")
    assert rc == 0, (out, err)
    assert "Status: Downloaded newer image for mirrored:1" in out, out
    assert out.splitlines()[-1] == "docker.io/library/mirrored:1", out
    rc, out, _ = ctx.cli(root, "images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}")
    assert out.split() == ["mirrored:1", ctx.id2[7:19]], out


def test_run_pull_policies(ctx):
    # No daemon runs here: what is checked is the pull before the
    # container would be made (the create itself then fails to reach a
    # supervisor, after the image is in the store).
    root = ctx.root({"insecure-registries": [A]})
    name = A + "/team/app:1"
    rc, out, err = ctx.cli(root, "create", "--pull", "sometimes", name)
    assert rc == 125 and "invalid pull option: 'sometimes'" in err, (rc, err)
    rc, out, err = ctx.cli(root, "create", "--pull", "never", name)
    assert rc == 125 and "Unable to find image" in err and "Pulling" not in err, (rc, err)
    rc, out, _ = ctx.cli(root, "images", "-q")
    assert out == "", out
    rc, out, err = ctx.cli(root, "create", name)
    assert "Unable to find image '%s' locally" % name in err, err
    assert "Status: Downloaded newer image for " + name in err, err
    rc, out, _ = ctx.cli(root, "images", "-q")
    assert out.strip() == ctx.id1[7:19], out
    rc, out, err = ctx.cli(root, "create", name)
    assert "Pulling" not in err, err  # missing: present, not pulled again
    rc, out, err = ctx.cli(root, "create", "--pull", "always", name)
    assert "Status: Image is up to date for " + name in err, err


def test_search(ctx):
    root = ctx.root({"insecure-registries": [SEARCH]})
    rc, out, err = ctx.cli(root, "search", "--limit", "3", SEARCH + "/web")
    assert rc == 0, (out, err)
    lines = out.splitlines()
    assert lines[0].split() == ["NAME", "DESCRIPTION", "STARS", "OFFICIAL", "AUTOMATED"], out
    assert len(lines) == 4, out
    assert lines[1].split()[0] == "library/web" and lines[1].split()[-2:] == ["9000", "[OK]"], out
    assert "The official web server. Second line" in lines[1], out
    assert "web number 1 xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\u2026" in lines[2], out  # 45 chars
    assert lines[2].rstrip().endswith("[OK]"), out
    assert "q=web n=3" in open(os.path.join(ctx.tmp, "5006.log")).read()
    rc, out, err = ctx.cli(root, "search", "--no-trunc", "--format", "{{.Name}}|{{.StarCount}}|"
                           "{{.Description}}", SEARCH + "/web3")
    assert out.splitlines() == ["team/web3|3|web number 3 " + "x" * 60] + \
        ["team/web%d|%d|web number %d " % (i, i, i) + "x" * 60 for i in range(30, 40)], out
    rc, out, err = ctx.cli(root, "search", "--limit", "0", SEARCH + "/web")
    assert rc == 1 and "limit 0 is outside the range of [1, 100]" in err, (rc, err)
    # --filter, as Docker's: after the limit, stars at least N, booleans
    fmt = ("--format", "{{.Name}}")
    rc, out, err = ctx.cli(root, "search", "--limit", "12", "-f", "stars=5", "--filter",
                           "is-official=false", *fmt, SEARCH + "/web")
    assert rc == 0 and out.split() == ["team/web%d" % i for i in range(5, 12)], (out, err)
    rc, out, err = ctx.cli(root, "search", "-f", "is-automated=true", *fmt, SEARCH + "/web")
    assert out.split() == ["team/web1"], (out, err)
    rc, out, err = ctx.cli(root, "search", "-f", "is-official=1", *fmt, SEARCH + "/web")
    assert out.split() == ["library/web"], (out, err)
    for bad, why in (("color=red", "invalid filter 'color'"),
                     ("stars=many", "invalid filter 'stars=many'"),
                     ("is-official=maybe", "invalid filter 'is-official=maybe'")):
        rc, out, err = ctx.cli(root, "search", "-f", bad, SEARCH + "/web")
        assert rc == 1 and out == "", (bad, out)
        check_one_line(err, why)


def test_push_checked_by_skopeo(ctx):
    root = ctx.root({"insecure-registries": [A]})
    rc, out, err = ctx.cli(root, "push", A + "/team/none:1")
    assert rc == 1
    check_one_line(err, "An image does not exist locally with the tag: %s/team/none:1" % A)
    rc, out, err = ctx.cli(root, "pull", "-q", A + "/team/app:1")
    assert rc == 0, err
    rc, out, err = ctx.cli(root, "tag", A + "/team/app:1", A + "/team/copy:1")
    assert rc == 0, err
    rc, out, err = ctx.cli(root, "push", A + "/team/copy:1")
    assert rc == 0, (out, err)
    lines = out.splitlines()
    assert lines[0] == "The push refers to repository [%s/team/copy]" % A, out
    # the layers come from team/app on the same registry: mounted
    assert sum(l.endswith(": Mounted from team/app") for l in lines) == 3, out
    assert lines[-1] == "1: digest: %s size: %d" % (
        ctx.dig1, os.path.getsize(os.path.join(ctx.lay1, "blobs", "sha256", ctx.dig1[7:]))), out
    rc, raw, err = ctx.ns_run("skopeo", "inspect", "--raw", "--tls-verify=false",
                              "docker://%s/team/copy:1" % A)
    assert rc == 0 and sha(raw.encode()) == ctx.dig1, (raw, err)
    # a new image: every blob uploaded, and skopeo copies (and verifies) it
    tar = os.path.join(ctx.tmp, "fresh.tar")
    with open(tar, "wb") as f:
        f.write(tar_gz([("fresh", b"new\n" * 5000)])[0])
    rc, out, err = ctx.cli(root, "import", tar, A + "/team/fresh:1")
    assert rc == 0, err
    rc, out, err = ctx.cli(root, "push", A + "/team/fresh:1")
    assert rc == 0 and out.count(": Pushed") == 2, (out, err)
    dest = os.path.join(ctx.tmp, "fresh-oci")
    ctx.ns_run("skopeo", "copy", "--quiet", "--src-tls-verify=false",
               "docker://%s/team/fresh:1" % A, "oci:" + dest + ":x", check=True)
    rc, out, err = ctx.cli(root, "push", A + "/team/fresh:1")
    assert rc == 0 and out.count(": Layer already exists") == 2, (out, err)
    # -q: only the name; --disable-content-trust taken (Docker's default)
    rc, out, err = ctx.cli(root, "push", "-q", "--disable-content-trust", A + "/team/fresh:1")
    assert rc == 0 and out == A + "/team/fresh:1\n", (out, err)
    rc, out, err = ctx.cli(root, "pull", "--disable-content-trust", "-q", A + "/team/fresh:1")
    assert rc == 0 and out == A + "/team/fresh:1\n", (out, err)


def test_dead_pulls_are_swept(ctx):
    # A pull fills .pull-PID without the store's lock; the next writer
    # removes it only once PID is gone.
    root = ctx.root({"insecure-registries": [A]})
    rc, out, err = ctx.cli(root, "pull", "-q", A + "/team/app:1")
    assert rc == 0, err
    base = os.path.join(root, "var", "lib", "berth")
    dead = subprocess.Popen(["true"])
    dead.wait()
    live = subprocess.Popen(["sleep", "30"])
    try:
        for pid in (dead.pid, live.pid):
            os.makedirs(os.path.join(base, ".pull-%d" % pid, "blobs"))
        rc, out, err = ctx.cli(root, "tag", A + "/team/app:1", "again:1")
        assert rc == 0, err
        left = sorted(n for n in os.listdir(base) if n.startswith(".pull-"))
        assert left == [".pull-%d" % live.pid], left
    finally:
        live.kill()
        live.wait()


def tree(path):
    """Every file under path with its size and mtime: to see nothing changed."""
    out = {}
    for dp, dn, fn in os.walk(path):
        for n in fn + dn:
            st = os.lstat(os.path.join(dp, n))
            out[os.path.join(dp, n)] = (st.st_size, st.st_mtime_ns)
    return out


def test_baked_store_is_read_only_and_listed(ctx):
    # What the appliance does with a data disk: its initramfs's images at
    # var/lib/berth-baked, the writable store at var/lib/berth.
    root = ctx.root({"insecure-registries": [A]})
    rc, out, err = ctx.cli(root, "pull", "-q", A + "/team/app:1")
    assert rc == 0, err
    lib = os.path.join(root, "var", "lib")
    os.rename(os.path.join(lib, "berth"), os.path.join(lib, "berth-baked"))
    baked = tree(os.path.join(lib, "berth-baked"))
    rc, out, err = ctx.cli(root, "pull", A + "/team/app:2")
    assert rc == 0, err
    # the store keeps its own copy of the layers the baked one has
    assert "Already exists" not in out, out
    rc, out, _ = ctx.cli(root, "images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}")
    assert sorted(out.split("\n")[:-1]) == sorted([A + "/team/app:1 " + ctx.id1[7:19],
                                                   A + "/team/app:2 " + ctx.id2[7:19]]), out
    for ref in (A + "/team/app:1", ctx.id1[7:19]):
        rc, out, err = ctx.cli(root, "rmi", ref)
        assert rc == 1, (ref, out, err)
        check_one_line(err, "baked", ref)
    # a tag of a baked image is the store's: untagged, the image stays
    rc, out, err = ctx.cli(root, "tag", A + "/team/app:1", "mine:1")
    assert rc == 0, err
    rc, out, err = ctx.cli(root, "rmi", "mine:1")
    assert rc == 0 and out == "Untagged: mine:1\n", (out, err)
    # prune and rmi of the store's image leave the baked store as it was
    rc, out, err = ctx.cli(root, "rmi", A + "/team/app:2")
    assert rc == 0 and "Deleted: " + ctx.id2 in out, (out, err)
    rc, out, err = ctx.cli(root, "image", "prune", "-a", "-f")
    assert rc == 0 and "berth:" not in err, (out, err)
    assert tree(os.path.join(lib, "berth-baked")) == baked
    left = [p for p in store_files(root) if "/blobs/" in p or "/layers/" in p]
    assert not left, left
    rc, out, err = ctx.cli(root, "save", "-o", os.path.join(ctx.tmp, "b.tar"), A + "/team/app:1")
    assert rc == 0, err


COMPOSE_PULL = """services:
  app:
    image: %(a)s/lib/bb:1
    command: ["sleep", "1000"]
    network_mode: none
  pinned:
    image: %(a)s/lib/absent:1
    pull_policy: never
    network_mode: none
  gone:
    image: 127.0.0.1:1/lib/bb:1
    profiles: [broken]
  daily:
    image: %(a)s/lib/bb:1
    pull_policy: daily
    command: ["sleep", "1000"]
    network_mode: none
    profiles: [refresh]
"""


def set_pull_time(root, ref, when):
    path = os.path.join(root, "var", "lib", "berth", "images", "index.json")
    with open(path) as f:
        idx = json.load(f)
    mine = [m for m in idx["manifests"]
            if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == ref]
    assert len(mine) == 1 and time.time() - 600 < mine[0]["berth.pulled"] <= time.time(), mine
    mine[0]["berth.pulled"] = when
    with open(path, "w") as f:
        json.dump(idx, f)


def test_compose_pull_and_pull_policy(ctx):
    from hostenv import Daemon, busybox_tar, require_overlay
    require_overlay()
    d = Daemon(os.path.dirname(ctx.berth))
    try:
        os.makedirs(os.path.join(d.root, "etc", "berth"), exist_ok=True)
        with open(os.path.join(d.root, "etc", "berth", "daemon.json"), "w") as f:
            json.dump({"insecure-registries": [A]}, f)
        # busybox, pushed to A as lib/bb:1
        tmp = ctx.root()
        busybox_tar(os.path.join(ctx.tmp, "bb.tar"))
        for argv in (("import", os.path.join(ctx.tmp, "bb.tar"), "bb:1"),
                     ("save", "-o", os.path.join(ctx.tmp, "bb-oci.tar"), "bb:1")):
            rc, out, err = ctx.cli(tmp, *argv)
            assert rc == 0, (argv, err)
        ctx.ns_run("skopeo", "copy", "--quiet", "--dest-tls-verify=false",
                   "oci-archive:%s:bb:1" % os.path.join(ctx.tmp, "bb-oci.tar"),
                   "docker://%s/lib/bb:1" % A, check=True, timeout=120)
        path = os.path.join(d.root, "compose.yaml")
        with open(path, "w") as f:
            f.write(COMPOSE_PULL % {"a": A})

        def compose(*args):
            return ctx.cli(d.root, "compose", "-f", path, *args)

        rc, out, err = compose("pull")
        assert rc == 0, (out, err)
        assert " app Pulling\n" in out and " app Pulled\n" in out, out
        assert " pinned Skipped - pull_policy is never\n" in out, out
        rc, out, err = compose("config")
        assert rc == 0 and "    pull_policy: \"never\"\n" in out, (out, err)
        rc, out, err = ctx.cli(d.root, "images", "--format", "{{.Repository}}:{{.Tag}}")
        assert out == A + "/lib/bb:1\n", out
        rc, out, err = ctx.cli(d.root, "rmi", A + "/lib/bb:1")
        assert rc == 0, err
        # up: app (missing) is pulled and runs; pinned (never) is not pulled
        rc, out, err = compose("up", "-d")
        assert rc == 1, (out, err)
        assert " app Pulled\n" in out and "Started" in out, (out, err)
        assert "pinned" not in out and "absent" in err, (out, err)
        rc, out, _ = ctx.cli(d.root, "ps", "--format", "{{.Image}}")
        assert out == A + "/lib/bb:1\n", out
        # daily: pulled just now by up, not again; a day later (the pull
        # time the store recorded, moved back) pulled (up to date), and
        # that pull counts as the last one
        for due in (False, True, False):
            if due:
                set_pull_time(d.root, A + "/lib/bb:1", int(time.time()) - 86400 - 60)
            rc, out, err = compose("--profile", "refresh", "up", "-d", "daily")
            assert rc == 0, (out, err)
            assert (" daily Pulled\n" in out) == due, (due, out, err)
        set_pull_time(d.root, A + "/lib/bb:1", int(time.time()))
        # an unreachable registry: one line naming it, exit 1, nothing kept
        settled(d.root)  # an earlier pull's layers synced: not a change here
        before = store_files(d.root)
        rc, out, err = compose("--profile", "broken", "pull", "gone")
        assert rc == 1, (out, err)
        check_one_line(err, "service gone", "127.0.0.1:1")
        assert store_files(d.root) == before
        # pull_policy build: berth compose has no build: a clear refusal
        with open(path, "w") as f:
            f.write("services:\n  b:\n    image: x\n    pull_policy: build\n")
        rc, out, err = compose("config", "-q")
        assert rc != 0 and "pull_policy: 'build'" in err and "berth build" in err, err
    finally:
        d.stop()


def test_garbage_and_huge_manifests_refused(ctx):
    root = ctx.root({"insecure-registries": [BAD]})
    rc, out, err = ctx.cli(root, "pull", BAD + "/x/garbage:1")
    assert rc == 1, (out, err)
    check_one_line(err, BAD, "x/garbage")
    t0 = time.monotonic()
    rc, out, err = ctx.cli(root, "pull", BAD + "/x/huge:1")
    took = time.monotonic() - t0
    assert rc == 1, (out, err)
    check_one_line(err, BAD, "manifest")
    assert store_files(root) == [], store_files(root)
    # refused while it streamed: far less than 2 GiB was read
    for _ in range(50):
        with open(os.path.join(ctx.tmp, "5007.log")) as f:
            sent = [int(l.split()[1]) for l in f if l.startswith("sent ")]
        if sent:
            break
        time.sleep(0.1)
    assert sent and sent[-1] < 64 << 20, (sent, took)


def test_full_store_during_pull(ctx):
    # the store on a 2 MiB tmpfs: the download fits, the unpacked 1.5 MB
    # layer next to it does not
    root = ctx.root({"insecure-registries": [A]})
    store = os.path.join(root, "var", "lib", "berth")
    os.makedirs(store)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", store], check=True)
    try:
        rc, out, err = ctx.cli(root, "pull", A + "/team/app:1")
        assert rc == 1, (out, err)
        check_one_line(err, "No space left on device")
        left = [p for p in store_files(root) if "/blobs/" in p or "/layers/" in p or
                ".pull-" in p or ".tmp" in p]
        assert not left, left
        rc, out, _ = ctx.cli(root, "images", "-q")
        assert out == "", out
    finally:
        subprocess.run(["umount", store], check=True)


def test_bad_layer_stops_the_pull(ctx):
    # the refused layer is whole and verified while the big one is held
    # after 64 KiB: the pull stops then (it does not wait for the other
    # download), the held download is hung up, and nothing is kept
    root = ctx.root()
    t0 = time.monotonic()
    rc, out, err = ctx.ns_run(ctx.berth, "--root", root, "pull", STALL + "/team/evil:1",
                              timeout=20)
    took = time.monotonic() - t0
    assert rc == 1, (out, err)
    check_one_line(err, sha(ctx.evil[1]), "../escape")
    assert took < 10, took
    left = [p for p in store_files(root) if "/blobs/" in p or "/layers/" in p or
            ".pull-" in p or ".tmp" in p]
    assert not left, left
    for _ in range(50):
        with open(os.path.join(ctx.tmp, "5014.log")) as f:
            log = f.read().splitlines()
        if "hung up" in log:
            break
        time.sleep(0.1)
    assert log.count("stalled") == 1 and "hung up" in log, log


def spoil_layers(ctx, root):
    """What a power cut soon after a pull can leave: the pull's layers
    listed as unsynced by an earlier boot, their files empty or gone.
    Returns the paths spoilt."""
    base = os.path.join(root, "var", "lib", "berth")
    hello = os.path.join(base, "layers", sha(ctx.base[0][0])[7:], "bin", "hello")
    motd = os.path.join(base, "layers", sha(ctx.base[1][0])[7:], "etc", "motd")
    os.truncate(hello, 0)
    os.unlink(motd)
    with open(os.path.join(base, "layers-unsynced.json"), "w") as f:
        json.dump({"boot": "00000000-0000-0000-0000-000000000000",
                   "layers": {sha(r): sha(g) for r, g in ctx.base}}, f)
    return hello, motd


def pulled_and_spoilt(ctx):
    """A fresh root that pulled team/app:1, its layers then spoilt."""
    root = ctx.root({"insecure-registries": [A]})
    rc, out, err = ctx.cli(root, "pull", "-q", A + "/team/app:1")
    assert rc == 0, err
    settled(root)
    return root, spoil_layers(ctx, root)


def whole(hello, motd):
    try:
        with open(hello, "rb") as f, open(motd, "rb") as g:
            return f.read() == b"hello\n" * 2000 and g.read() == b"welcome\n"
    except FileNotFoundError:
        return False


def test_pulled_layers_synced_after_the_pull(ctx):
    # the pull returns once its blobs are on disk (each of the 3 layers',
    # the config's and the manifest's fdatasync'ed, no syncfs); a detached
    # child of it syncs the layers it unpacked (one syncfs) and takes them
    # off the list soon after
    if not shutil.which("strace"):
        harness.skip("strace is not installed (it shows which process syncs what)")
    root = ctx.root({"insecure-registries": [A]})
    trace = os.path.join(ctx.tmp, "pull.strace")
    rc, out, err = ctx.ns_run("strace", "-f", "-qq", "-e", "trace=syncfs,fdatasync", "-o", trace,
                              ctx.berth, "--root", root, "pull", "-q", A + "/team/app:1",
                              timeout=120)
    assert rc == 0, err
    settled(root)
    with open(trace) as f:
        calls = [l.split() for l in f if "syncfs(" in l or "fdatasync(" in l]
    datasyncs = [c[0] for c in calls if c[1].startswith("fdatasync(")]
    syncfs = [c[0] for c in calls if c[1].startswith("syncfs(")]
    assert len(datasyncs) == 5 and len(syncfs) == 1 and syncfs[0] not in datasyncs, calls
    rc, out, err = ctx.cli(root, "images", "-q")
    assert rc == 0 and out == ctx.id1[7:19] + "\n" and err == "", (out, err)


def test_unsynced_layers_of_an_earlier_boot_unpacked_again(ctx):
    # after a power cut a layer the pull left to the kernel may be half on
    # disk: the store unpacks it again from its blob before anything uses
    # it (a reader takes the lock for that), and says so
    root, (hello, motd) = pulled_and_spoilt(ctx)
    rc, out, err = ctx.cli(root, "images", "-q")
    assert rc == 0 and out == ctx.id1[7:19] + "\n", (out, err)
    assert err.count("unpacked again from blob") == 2, err
    assert whole(hello, motd)
    assert not os.path.exists(os.path.join(root, "var", "lib", "berth", "layers-unsynced.json"))
    # a listed layer removed since (rmi) is not brought back
    rc, out, err = ctx.cli(root, "rmi", A + "/team/app:1")
    assert rc == 0, err
    spoilt = os.path.join(root, "var", "lib", "berth", "layers-unsynced.json")
    with open(spoilt, "w") as f:
        json.dump({"boot": "x", "layers": {sha(r): sha(g) for r, g in ctx.base}}, f)
    rc, out, err = ctx.cli(root, "images", "-q")
    assert rc == 0 and out == "" and err == "", (out, err)
    assert not os.path.exists(spoilt)
    assert not [p for p in store_files(root) if "/layers/" in p], store_files(root)


def test_daemon_repairs_unsynced_layers_before_containers(ctx):
    # the supervisor (PID 1 at boot, or a daemon) makes such layers whole
    # before it starts any container, with no CLI command in between
    from hostenv import Daemon

    root, (hello, motd) = pulled_and_spoilt(ctx)
    d = Daemon(os.path.dirname(ctx.berth), root=root)
    try:
        for _ in range(200):
            if whole(hello, motd):
                break
            time.sleep(0.05)
        assert whole(hello, motd), d.logtext()
        assert d.logtext().count("unpacked again from blob") == 2, d.logtext()
    finally:
        d.stop()
