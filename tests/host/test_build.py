"""`berth build` on the build host, as root, against a `berth daemon --root
DIR` store: each images/ Containerfile builds and behaves as it says, the
second build is all cache hits with the same image ID, a failing RUN stops
the build with its output and exit code, context escapes and bad
Containerfiles are refused naming file and line and leave no image behind,
overlay whiteouts become OCI whiteouts, and builds are reproducible with
SOURCE_DATE_EPOCH."""
import json
import os
import shutil
import subprocess
import tarfile
import tempfile

from hostenv import Daemon, require_overlay

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EPOCH = "1704067200"


class Ctx:
    def __init__(self, build):
        self.d = Daemon(build)
        self.tmp = tempfile.mkdtemp(prefix="berth-build-")
        self.n = 0

    def context(self, files):
        """A build context from {path: content (str/bytes) | ('link', target)}."""
        self.n += 1
        ctx = os.path.join(self.tmp, "ctx%d" % self.n, "ctx")
        os.makedirs(ctx)
        for name, content in files.items():
            p = os.path.join(ctx, name)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            if isinstance(content, tuple):
                os.symlink(content[1], p)
            else:
                with open(p, "wb") as f:
                    f.write(content.encode() if isinstance(content, str) else content)
        return ctx

    def build(self, *args, env=None, root=None, input=None):
        e = dict(os.environ)
        e.update(env or {})
        p = subprocess.run([self.d.berth, "--root", root or self.d.root, "build"] + list(args),
                           capture_output=True, text=True, timeout=120, env=e, input=input)
        return p.returncode, p.stdout, p.stderr


def image_context(tmp, name):
    """images/NAME as build.sh stages it (busybox gets the host binary)."""
    ctx = os.path.join(tmp, "img-" + name)
    shutil.rmtree(ctx, ignore_errors=True)
    shutil.copytree(os.path.join(TOP, "images", name), ctx, symlinks=True)
    if name == "busybox":
        shutil.copy2("/bin/busybox", os.path.join(ctx, "busybox"))
    return ctx


def setup_module(build):
    require_overlay()
    c = Ctx(build)
    env = {"SOURCE_DATE_EPOCH": EPOCH}
    for name in ("busybox", "httpd", "hello"):
        rc, out, err = c.build("-t", name, image_context(c.tmp, name), env=env)
        assert rc == 0, (name, out, err)
    return c


def teardown_module(c):
    c.d.stop()
    shutil.rmtree(c.tmp, ignore_errors=True)


def image_id(c, ref):
    return c.d.ok("image", "inspect", "-f", "{{.Id}}", ref).strip()


def test_busybox_image_runs(c):
    out = c.d.ok("run", "--rm", "--network", "none", "busybox", "sh", "-c",
                 "echo hi; ls -l /bin/ls; stat -c %a /tmp /root; cat /etc/passwd")
    assert "hi\n" in out, out
    assert "/bin/ls -> /bin/busybox" in out, out
    assert "1777\n700\n" in out, out
    assert out.count("root:x:0:0") == 1, out


def test_second_build_is_all_cache_hits_same_id(c):
    before = image_id(c, "httpd")
    rc, out, err = c.build("-t", "httpd", image_context(c.tmp, "httpd"))
    assert rc == 0, (out, err)
    steps = out.count("Step ")
    assert steps == 6, out
    # every step after FROM came from the cache
    assert out.count(" ---> Using cache") == steps - 1, out
    assert "Successfully built %s" % before[7:19] in out, out
    assert "Successfully tagged httpd:latest" in out, out
    assert image_id(c, "httpd") == before


def test_no_cache_rebuilds_and_sde_reproduces(c):
    before = image_id(c, "hello")
    rc, out, err = c.build("--no-cache", "-t", "hello2", image_context(c.tmp, "hello"),
                           env={"SOURCE_DATE_EPOCH": EPOCH})
    assert rc == 0, (out, err)
    assert "Using cache" not in out, out
    assert "Running in" in out, out
    # same inputs, same SOURCE_DATE_EPOCH: the same image, bit for bit
    assert image_id(c, "hello2") == before
    c.d.ok("rmi", "hello2")


def test_httpd_config_and_page(c):
    cfg = json.loads(c.d.ok("image", "inspect", "-f", "{{json .Config}}", "httpd"))
    assert cfg["ExposedPorts"] == {"80/tcp": {}}, cfg
    hc = cfg["Healthcheck"]
    assert hc["Test"][0] == "CMD-SHELL" and "wget" in hc["Test"][1], hc
    assert hc["Interval"] == 5 * 10**9 and hc["Timeout"] == 2 * 10**9, hc
    assert hc["Retries"] == 3 and hc["StartPeriod"] == 10**9, hc
    assert cfg["Cmd"][0] == "httpd", cfg
    cid = c.d.ok("run", "-d", "--network", "none", "httpd").strip()
    try:
        page = ""
        for _ in range(50):
            rc, page, err = c.d.cli("exec", cid, "wget", "-q", "-O-", "http://127.0.0.1/")
            if rc == 0:
                break
        assert "Hello from Berth" in page, (page, c.d.cli("logs", cid))
    finally:
        c.d.cli("rm", "-f", cid)


def test_hello_args_env_user_workdir_volume_entrypoint(c):
    out = c.d.ok("run", "--rm", "--network", "none", "hello")
    assert "Hello, world!\n" in out, out
    assert "user=app uid=1000 cwd=/home/app built with version 1.0" in out, out
    out = c.d.ok("run", "--rm", "--network", "none", "hello", "Berth")
    assert "Hello, Berth!\n" in out, out
    cfg = json.loads(c.d.ok("image", "inspect", "-f", "{{json .Config}}", "hello"))
    assert cfg["User"] == "app" and cfg["WorkingDir"] == "/home/app", cfg
    assert cfg["Volumes"] == {"/home/app/data": {}}, cfg
    assert cfg["Entrypoint"] == ["/usr/local/bin/greet"] and cfg["Cmd"] == ["world"], cfg
    assert "GREETING=Hello" in cfg["Env"], cfg
    assert cfg["Labels"]["org.opencontainers.image.version"] == "1.0", cfg
    # a --build-arg changes the value ARG gives, and only the steps using it
    rc, out, err = c.build("--build-arg", "VERSION=2.5", "--build-arg", "NOPE=1", "-t",
                           "hello:2.5", image_context(c.tmp, "hello"))
    assert rc == 0, (out, err)
    assert "[Warning] One or more build-args [NOPE] were not consumed" in err, err
    out2 = c.d.ok("run", "--rm", "--network", "none", "hello:2.5")
    assert "built with version 2.5" in out2, out2
    hist = c.d.ok("history", "--no-trunc", "hello:2.5")
    assert "|1 VERSION=2.5 /bin/sh -c" in hist, hist
    c.d.ok("rmi", "hello:2.5")


def test_history_columns(c):
    out = c.d.ok("history", "httpd")
    lines = out.splitlines()
    assert lines[0].split() == ["IMAGE", "CREATED", "CREATED", "BY", "SIZE", "COMMENT"], out
    assert lines[1].startswith(image_id(c, "httpd")[7:19]), out
    assert "CMD [\"httpd\"" in lines[1], out
    assert "<missing>" in lines[2], out
    assert any("COPY file:" in l for l in lines), out


def test_images_format_table(c):
    out = c.d.ok("images", "--format", "table {{.ID}}\t{{.Tag}}\t{{.Repository}}")
    lines = out.splitlines()
    assert lines[0].split() == ["IMAGE", "ID", "TAG", "REPOSITORY"], out
    row = [l.split() for l in lines if l.split()[-1] == "httpd"][0]
    assert row == [image_id(c, "httpd")[7:19], "latest", "httpd"], out


def test_failing_run_stops_with_output_and_exit_code(c):
    ctx = c.context({"Containerfile": "FROM busybox\nRUN echo before-the-end; exit 3\n"
                                      "RUN echo never\n"})
    rc, out, err = c.build("-t", "broken", ctx)
    assert rc != 0, (out, err)
    assert "before-the-end" in out, out
    assert "never" not in out.replace("RUN echo never", ""), out
    assert "Containerfile:2:" in err and "exit code 3" in err, err
    rc, _, err = c.d.cli("image", "inspect", "broken")
    assert rc != 0 and "No such image" in err, err
    assert os.listdir(os.path.join(c.d.root, "var/lib/berth/build")) == []


def test_copy_escaping_the_context_is_refused(c):
    secret = os.path.join(c.tmp, "secret")
    with open(secret, "w") as f:
        f.write("secret\n")
    ctx = c.context({"Containerfile": "FROM busybox\n\nCOPY ../secret /x\n"})
    rc, out, err = c.build("-t", "escape1", ctx)
    assert rc != 0 and "Containerfile:3:" in err and "outside the build context" in err, err
    ctx = c.context({"Containerfile": "FROM busybox\nCOPY link/secret /x\n",
                     "link": ("link", os.path.dirname(os.path.dirname(os.path.dirname(ctx))))})
    rc, out, err = c.build("-t", "escape2", ctx)
    assert rc != 0 and "Containerfile:2:" in err and "outside the build context" in err, err
    ctx = c.context({"Containerfile": "FROM busybox\nADD https://example.com/x /x\n"})
    rc, out, err = c.build("-t", "escape3", ctx)
    assert rc != 0 and "Containerfile:2:" in err and "URLs are not supported" in err, err
    images = c.d.ok("images")
    assert "escape" not in images, images


def test_bad_containerfile_names_file_and_line(c):
    ctx = c.context({"Containerfile": "FROM busybox\n# fine\nRUN true\n\nFRM busybox\n"})
    rc, out, err = c.build("-t", "bad", ctx)
    assert rc != 0 and "Containerfile:5: unknown instruction: FRM" in err, err
    assert "Step" not in out, out
    ctx = c.context({"Other": "FROM busybox\nENV =x\n"})
    rc, out, err = c.build("-f", os.path.join(ctx, "Other"), "-t", "bad", ctx)
    assert rc != 0 and "Other:2: ENV names can not be blank" in err, err
    rc, out, err = c.build("-f", "-", "-t", "bad", ctx, input="FROM busybox\nRUN true\nFRM\n")
    assert rc != 0 and "Containerfile:3: unknown instruction: FRM" in err, err
    ctx = c.context({"Containerfile": "FROM nosuchimage\n"})
    rc, out, err = c.build("-t", "bad", ctx)
    assert rc != 0 and "Containerfile:1: FROM nosuchimage: No such image" in err, err


def test_whiteouts_copy_chown_and_add_archive(c):
    # a tar.gz for ADD, with a directory and a file
    src = os.path.join(c.tmp, "payload")
    os.makedirs(os.path.join(src, "sub"), exist_ok=True)
    with open(os.path.join(src, "sub", "f.txt"), "w") as f:
        f.write("from the archive\n")
    ctx = c.context({
        "Containerfile":
            "FROM busybox\n"
            "RUN rm /bin/vi && rm -rf /etc && mkdir /etc && echo new > /etc/only\n"
            "ADD payload.tar.gz /opt/\n"
            "COPY --chown=65534:65534 --chmod=640 dir/ /data/\n"
            "COPY dir/* /glob/\n"
            "WORKDIR rel\n"
            "COPY dir/a.txt here.txt\n",
        "dir/a.txt": "a\n", "dir/b.txt": "b\n"})
    with tarfile.open(os.path.join(ctx, "payload.tar.gz"), "w:gz") as t:
        t.add(os.path.join(src, "sub"), arcname="sub")
    rc, out, err = c.build("-t", "wh", ctx)
    assert rc == 0, (out, err)
    out = c.d.ok("run", "--rm", "--network", "none", "wh", "sh", "-c",
                 "ls /bin/vi 2>&1; ls /etc; cat /opt/sub/f.txt; stat -c '%u:%g %a %n' "
                 "/data/a.txt; ls /glob; cat /rel/here.txt")
    assert "No such file" in out, out          # .wh.vi hides it
    etc = out.split("\nfrom the archive")[0].splitlines()[1:]
    # the opaque /etc hides the old files (hosts etc. are the runtime's mounts)
    assert "only" in etc and "passwd" not in etc and "group" not in etc, out
    assert "from the archive" in out, out
    assert "65534:65534 640 /data/a.txt" in out, out
    assert "a.txt\nb.txt\n" in out, out
    assert out.endswith("a\n"), out
    # the layer blob holds OCI whiteouts
    m = json.loads(c.d.ok("image", "inspect", "wh"))[0]
    diff = m["RootFS"]["Layers"][3]
    blob = os.path.join(c.d.root, "var/lib/berth/images/blobs/sha256", diff[7:])
    with tarfile.open(blob) as t:
        names = t.getnames()
    assert "bin/.wh.vi" in names and "etc/.wh..wh..opq" in names, names
    c.d.ok("rmi", "wh")


def test_commit_then_run_the_committed_image(c):
    cid = c.d.ok("run", "-d", "--network", "none", "--name", "tocommit", "busybox", "sh", "-c",
                 "echo committed > /made; rm /bin/vi; rm -rf /home; "
                 "mkdir /etc/x && echo y > /etc/x/f; sleep 30").strip()
    try:
        for _ in range(100):
            rc, out, _ = c.d.cli("exec", cid, "cat", "/etc/x/f")
            if rc == 0 and out == "y\n":
                break
        out = c.d.ok("commit", "-m", "by the test", "tocommit", "committed:v1")
        assert out.startswith("sha256:"), out
    finally:
        c.d.cli("rm", "-f", cid)
    out = c.d.ok("run", "--rm", "--network", "none", "committed:v1", "sh", "-c",
                 "cat /made /etc/x/f; ls /bin/vi 2>&1; ls -d /home 2>&1; "
                 "test -e /etc/passwd && echo passwd-kept")
    assert "committed\ny\n" in out, out
    assert out.count("No such file") == 2, out
    assert "passwd-kept" in out, out
    # Cmd comes from the container; history records the comment
    cfg = json.loads(c.d.ok("image", "inspect", "-f", "{{json .Config}}", "committed:v1"))
    assert cfg["Cmd"][:2] == ["sh", "-c"], cfg
    hist = c.d.ok("history", "--format", "{{.Comment}}", "committed:v1")
    assert hist.splitlines()[0] == "by the test", hist
    # the layer holds no runtime mount points, and OCI whiteouts
    m = json.loads(c.d.ok("image", "inspect", "committed:v1"))[0]
    blob = os.path.join(c.d.root, "var/lib/berth/images/blobs/sha256",
                        m["RootFS"]["Layers"][-1][7:])
    with tarfile.open(blob) as t:
        names = t.getnames()
    assert "bin/.wh.vi" in names and ".wh.home" in names and "made" in names, names
    assert not any(n in ("proc", "sys", "dev", "etc/hosts", "etc/resolv.conf") for n in names), names
    c.d.ok("rmi", "committed:v1")


def test_commit_of_a_never_started_container(c):
    # Docker commits a created container: its config and an empty layer
    cid = c.d.ok("create", "--network", "none", "-e", "MADE=created", "busybox",
                 "sh", "-c", "echo $MADE").strip()
    try:
        out = c.d.ok("commit", cid, "fromcreated:v1")
        assert out.startswith("sha256:"), out
        left = os.listdir(os.path.join(c.d.root, "run/berth/containers", cid))
        assert not any(n.startswith("commit.") for n in left), left
    finally:
        c.d.cli("rm", "-f", cid)
    base = json.loads(c.d.ok("image", "inspect", "busybox"))[0]["RootFS"]["Layers"]
    layers = json.loads(c.d.ok("image", "inspect", "fromcreated:v1"))[0]["RootFS"]["Layers"]
    assert layers[:-1] == base and len(layers) == len(base) + 1, (base, layers)
    assert c.d.ok("run", "--rm", "--network", "none", "fromcreated:v1") == "created\n"
    c.d.ok("rmi", "fromcreated:v1")


def test_save_then_load_round_trip(c):
    out_tar = os.path.join(c.tmp, "save.tar")
    c.d.ok("save", "-o", out_tar, "httpd", "hello")
    with tarfile.open(out_tar) as t:
        names = t.getnames()
        layout = json.load(t.extractfile("oci-layout"))
        index = json.load(t.extractfile("index.json"))
        assert layout == {"imageLayoutVersion": "1.0.0"}, layout
        refs = sorted(m["annotations"]["org.opencontainers.image.ref.name"]
                      for m in index["manifests"])
        assert refs == ["hello:latest", "httpd:latest"], index
        # every blob is named by its digest
        import hashlib
        for n in names:
            if n.startswith("blobs/sha256/") and len(n) == 13 + 64:
                assert hashlib.sha256(t.extractfile(n).read()).hexdigest() == n[13:], n
    ids = (image_id(c, "httpd"), image_id(c, "hello"))
    # a fresh store loads it with the same IDs, and the images run
    root = tempfile.mkdtemp(prefix="berth-load-", dir=c.tmp)
    p = subprocess.run([c.d.berth, "--root", root, "load", "-i", out_tar],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert "Loaded image: httpd:latest" in p.stdout and "Loaded image: hello:latest" in p.stdout
    for ref, want in zip(("httpd", "hello"), ids):
        p = subprocess.run([c.d.berth, "--root", root, "image", "inspect", "-f", "{{.Id}}", ref],
                           capture_output=True, text=True, timeout=30)
        assert p.stdout.strip() == want, (p.stdout, p.stderr)
    # into the daemon's own store after a rmi: it runs again
    c.d.ok("rmi", "hello")
    c.d.ok("load", "-i", out_tar)
    out = c.d.ok("run", "--rm", "--network", "none", "hello", "again")
    assert "Hello, again!" in out, out
    rc, out, err = c.d.cli("save", "-o", os.path.join(c.tmp, "none.tar"), "nosuch")
    assert rc != 0 and "No such image: nosuch" in err, err
    assert not os.path.exists(os.path.join(c.tmp, "none.tar"))


def test_containerfile_from_stdin(c):
    ctx = c.context({"msg": "hi from the context\n"})
    rc, out, err = c.build("-f", "-", "-t", "fromstdin", ctx,
                           input="FROM busybox\nCOPY msg /msg\nCMD [\"cat\", \"/msg\"]\n")
    assert rc == 0, (out, err)
    assert c.d.ok("run", "--rm", "--network", "none", "fromstdin") == "hi from the context\n"
    c.d.ok("rmi", "fromstdin")


def test_containerignore(c):
    ctx = c.context({"Containerfile": "FROM busybox\nCOPY . /app/\nCMD ls -a /app /app/sub\n",
                     ".containerignore": "# test\n*.log\n!keep.log\nsecret\nsub/*.tmp\n",
                     "a.txt": "a", "x.log": "x", "keep.log": "k", "secret": "s",
                     "sub/b.tmp": "b", "sub/c.txt": "c"})
    rc, out, err = c.build("-t", "ign", ctx)
    assert rc == 0, (out, err)
    out = c.d.ok("run", "--rm", "--network", "none", "ign").split()
    assert "a.txt" in out and "keep.log" in out and "c.txt" in out, out
    assert "x.log" not in out and "secret" not in out and "b.tmp" not in out, out
    with open(os.path.join(ctx, "Containerfile"), "w") as f:
        f.write("FROM busybox\nCOPY secret /x\n")
    rc, out, err = c.build("-t", "ign2", ctx)
    assert rc != 0 and "Containerfile:2:" in err and "excluded by .containerignore" in err, err
    c.d.ok("rmi", "ign")


def test_oci_archive_is_read_and_written_by_skopeo(c):
    """skopeo (containers/image, what podman uses) reads our oci-archive by
    its ref name, and an OCI layout it writes loads back."""
    archive = os.path.join(c.tmp, "for-skopeo.tar")
    c.d.ok("save", "-o", archive, "httpd")
    p = subprocess.run(["skopeo", "inspect", "--config", "oci-archive:%s:httpd:latest" % archive],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["config"]["ExposedPorts"] == {"80/tcp": {}}, p.stdout
    layout = os.path.join(c.tmp, "skopeo-layout")
    p = subprocess.run(["skopeo", "copy", "oci-archive:%s:httpd:latest" % archive,
                        "oci:%s:httpd-copy:v2" % layout],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    out = c.d.ok("load", "-i", layout)
    assert "Loaded image: httpd-copy:v2" in out, out
    # the config went through byte for byte: the same image ID
    assert image_id(c, "httpd-copy:v2") == image_id(c, "httpd")
    c.d.ok("rmi", "httpd-copy:v2")


def test_builder_prune(c):
    ctx = c.context({"Containerfile": "FROM busybox\nRUN echo prune-me > /p\nRUN exit 1\n"})
    rc, out, err = c.build("-t", "prunable", ctx)
    assert rc != 0 and "exit code 1" in err, (out, err)
    layers = os.path.join(c.d.root, "var/lib/berth/layers")
    before = set(os.listdir(layers))
    assert before, before
    # the failed build's first step is cached (its layer kept, in no image) ...
    with open(os.path.join(ctx, "Containerfile"), "w") as f:
        f.write("FROM busybox\nRUN echo prune-me > /p\nRUN exit 2\n")
    rc, out, err = c.build("-t", "prunable", ctx)
    assert rc != 0 and out.count("Using cache") == 1, (out, err)
    out = c.d.ok("builder", "prune", "-f")
    assert out.startswith("Total reclaimed space: ") and " 0B" not in out, out
    assert len(set(os.listdir(layers))) < len(before), (before, os.listdir(layers))
    # ... until pruned; the images in the index are untouched
    rc, out, err = c.build("-t", "prunable", ctx)
    assert rc != 0 and "Using cache" not in out, (out, err)
    assert "Hello, pruned!" in c.d.ok("run", "--rm", "--network", "none", "hello", "pruned")
    c.d.ok("builder", "prune")


def test_chown_reads_the_image_passwd_through_whiteouts(c):
    ctx = c.context({"Containerfile": "FROM busybox\nCOPY --chown=nobody a /a\n"
                                      "RUN rm -rf /etc && mkdir /etc\n"
                                      "COPY --chown=nobody a /b\n", "a": "a\n"})
    rc, out, err = c.build("-t", "chown", ctx)
    # step 2 found nobody in busybox's /etc/passwd; step 4 must not see the
    # file the opaque /etc of step 3 hides
    assert rc != 0 and "Containerfile:4:" in err and "--chown=nobody" in err, (out, err)
    assert "Step 4/4" in out, out
