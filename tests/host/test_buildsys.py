"""The build system: every download pinned in deps.lock and hash-checked, a
locked version that cannot be had named with what can, and two image builds
of one commit byte-identical. Runs build.sh itself, with a cache of its own
(BERTH_CACHE in a temp dir: the apt lists hard-linked from the real cache,
so nothing is updated) or a build directory of its own (BERTH_BUILD)."""
import hashlib
import os
import shutil
import subprocess
import tempfile
import urllib.request

import harness

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CACHE = os.environ.get("BERTH_CACHE", "/var/cache/berth")


class Ctx:
    def __init__(self, build):
        self.build = build
        self.tmp = tempfile.mkdtemp(prefix="berth-bs-")

    def cache(self, name, files=()):
        """A cache with the real one's apt lists and copies of FILES."""
        c = os.path.join(self.tmp, name)
        os.makedirs(os.path.join(c, "dl"))
        subprocess.run(["cp", "-al", os.path.join(CACHE, "apt"), os.path.join(c, "apt")],
                       check=True)
        for f in files:
            shutil.copy(os.path.join(CACHE, "dl", f), os.path.join(c, "dl", f))
        return c

    def buildsh(self, *args, env=None, timeout=900):
        e = dict(os.environ)
        e.update(env or {})
        return subprocess.run([os.path.join(TOP, "build.sh")] + list(args), env=e,
                              capture_output=True, text=True, timeout=timeout)


def setup_module(build):
    return Ctx(build)


def teardown_module(ctx):
    shutil.rmtree(ctx.tmp, ignore_errors=True)


def lock():
    """{name: (kind, version, suite, {file: sha256})} from deps.lock."""
    out = {}
    with open(os.path.join(TOP, "deps.lock")) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            kind, name, ver, suite, *files = line.split()
            out[name] = (kind, ver, suite, dict(x.rsplit("=", 1) for x in files))
    return out


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    return h.hexdigest()


def show(p):
    return "rc=%d\nstdout:\n%s\nstderr:\n%s" % (p.returncode, p.stdout[-3000:], p.stderr[-3000:])


def test_lock_pins_every_source_with_hashes():
    entries = lock()
    for name in ("zlib", "nettle", "libnl3", "libseccomp", "libcap2", "libyaml", "jansson",
                 "libarchive", "iptables", "linux-source-6.1", "busybox-static"):
        assert name in entries, "deps.lock has no %s" % name
    assert any(n.startswith("linux-image-") for n in entries), entries.keys()
    for name, (kind, ver, suite, files) in entries.items():
        assert kind in ("src", "deb"), name
        assert files, name
        for f, h in files.items():
            assert len(h) == 64 and int(h, 16) >= 0, (name, f)
            # what the build used is what the lock says
            assert sha256(os.path.join(CACHE, "dl", f)) == h, (name, f)
        if kind == "src":
            assert sum(f.endswith(".dsc") for f in files) == 1, (name, files)


def archive_reachable(cache):
    """The locked suite's InRelease answers (the test downloads again)."""
    for d in sorted(os.listdir(os.path.join(cache, "apt"))):
        with open(os.path.join(cache, "apt", d, "sources.list")) as f:
            words = [w for w in f.readline().split() if not w.startswith("[")]
        url = "%s/dists/%s/InRelease" % (words[1], words[2])
        try:
            opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
            opener.open(urllib.request.Request(url, method="HEAD"), timeout=10).close()
            return True
        except OSError:
            continue
    return False


def test_flipped_byte_in_cached_tarball_is_refused(ctx):
    kind, ver, suite, files = lock()["jansson"]
    if not archive_reachable(CACHE):
        harness.skip("the Debian archive is not reachable from this host (the test downloads "
                     "the refused file again)")
    tarball = [f for f in files if ".orig.tar." in f][0]
    cache = ctx.cache("flip", files)
    path = os.path.join(cache, "dl", tarball)
    with open(path, "r+b") as f:
        f.seek(1000)
        b = f.read(1)
        f.seek(1000)
        f.write(bytes([b[0] ^ 1]))
    p = ctx.buildsh("fetch", "jansson", env={"BERTH_CACHE": cache})
    lines = [ln for ln in (p.stdout + p.stderr).splitlines()
             if tarball in ln and "does not match deps.lock" in ln]
    assert len(lines) == 1, show(p)
    # refused, then fetched again from the archive and verified
    assert p.returncode == 0, show(p)
    assert sha256(path) == files[tarball], show(p)


def test_unavailable_version_names_what_can_be_had(ctx):
    kind, ver, suite, files = lock()["jansson"]
    bad = os.path.join(ctx.tmp, "bad.lock")
    with open(bad, "w") as f:
        f.write("src jansson 2.14-0~berth.nonexistent %s %s\n" % (
            suite, " ".join("%s=%s" % kv for kv in files.items())))
    cache = ctx.cache("missing")
    p = ctx.buildsh("fetch", "jansson", env={"BERTH_CACHE": cache, "BERTH_LOCK": bad})
    assert p.returncode != 0, show(p)
    err = [ln for ln in p.stderr.splitlines() if "cannot be had" in ln]
    assert len(err) == 1, show(p)
    assert "jansson 2.14-0~berth.nonexistent" in err[0] and "available: " in err[0], err
    assert ver in err[0].split("available: ")[1], err
    assert os.listdir(os.path.join(cache, "dl")) == [], "nothing is kept of a failed fetch"


def test_two_image_builds_are_byte_identical(ctx):
    # two fresh builds of this tree, each in a build directory of its own
    # (build/ may be older than the tree a developer is editing)
    dirs = [os.path.join(ctx.tmp, "build%d" % i) for i in (1, 2)]
    outs = []
    for d in dirs:
        p = ctx.buildsh("image", env={"BERTH_BUILD": d})
        assert p.returncode == 0, show(p)
        outs.append(p.stdout)
    # (the UEFI disk image too: fixed GUIDs, volume ids, hash seed, timestamps)
    for f in ("berth", "bzImage", "initramfs.cpio.gz", "berth.uki", "berth.img",
              "berth-update.bundle"):
        a, b = (sha256(os.path.join(d, f)) for d in dirs)
        assert a == b, "%s differs between two builds: %s vs %s" % (f, a, b)
    # the build prints the images' hashes
    for f in ("initramfs.cpio.gz", "berth.img"):
        assert sha256(os.path.join(dirs[1], f)) in outs[1], outs[1]
