"""`berth pull -a` / `push -a`, mutual TLS, chunked pushes with retries and
`berth version`, against Debian's docker-registry inside a network
namespace this module creates (only lo, with 10.99.0.1/32 on it). The
fixtures and helpers are test_registry's.

Registries: A plain http (:5000); M TLS with a private CA that requires a
client certificate signed by it (`http.tls.clientcas`, :5001); proxies to
A (tests/lib/regsrv.py) that log each request: one answers the first
PATCH of a blob upload with 503 (127.0.0.1:5011), one the first PUT of a
whole blob with 503 and cuts the second off (127.0.0.1:5012), one serves
tag lists in pages of 2 with Link headers (127.0.0.1:5013)."""
import json
import os
import shutil
import sys

import harness
import test_registry as reg
from hostenv import Daemon

A, M, FLAKY = reg.IP + ":5000", reg.IP + ":5001", "127.0.0.1:5011"
PUTFAIL, PAGES = "127.0.0.1:5012", "127.0.0.1:5013"


def setup_module(build):
    for tool in ("docker-registry", "skopeo", "openssl", "ip", "curl"):
        if not shutil.which(tool):
            harness.skip("%s is not installed (./build.sh deps installs it)" % tool)
    ctx = reg.Ctx(build)
    ctx.ns = "berth-regt-%d" % os.getpid()
    ctx.build = build
    try:
        start(ctx)
    except BaseException:
        reg.teardown_module(ctx)
        raise
    return ctx


def client_cert(ctx, d):
    """certs.d-style directory d: ca.crt, client.cert, client.key."""
    os.makedirs(d)
    reg.openssl(ctx, "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=berth client",
                "-keyout", os.path.join(d, "client.key"), "-out", "cli.csr")
    reg.openssl(ctx, "x509", "-req", "-in", "cli.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
                "-CAcreateserial", "-days", "2", "-out", os.path.join(d, "client.cert"))
    shutil.copy(os.path.join(ctx.tmp, "ca.crt"), d)


def start(ctx):
    reg.subprocess.run(["ip", "netns", "add", ctx.ns], check=True)
    ctx.ns_run("ip", "link", "set", "lo", "up", check=True)
    ctx.ns_run("ip", "addr", "add", reg.IP + "/32", "dev", "lo", check=True)
    reg.make_certs(ctx)
    ctx.certs = os.path.join(ctx.tmp, "certs")
    client_cert(ctx, ctx.certs)
    ctx.registry("a", ":5000")
    ctx.registry("m", ":5001", "  tls:\n    certificate: %s/srv.crt\n    key: %s/srv.key\n"
                 "    clientcas:\n      - %s/ca.crt\n" % (ctx.tmp, ctx.tmp, ctx.tmp))
    ctx.spawn(sys.executable, reg.REGSRV, "patchfail", "5011", "5000")
    ctx.spawn(sys.executable, reg.REGSRV, "putfail", "5012", "5000")
    ctx.spawn(sys.executable, reg.REGSRV, "pages", "5013", "5000", "2")
    base = [reg.tar_gz([("bin", None), ("bin/hello", b"hello\n" * 2000)])]
    ctx.lay1 = os.path.join(ctx.tmp, "lay1")
    reg.oci_layout(ctx.lay1, base, "1")
    ctx.lay2 = os.path.join(ctx.tmp, "lay2")
    reg.oci_layout(ctx.lay2, base + [reg.tar_gz([("etc/two", b"two\n")])], "2")
    ctx.lay3 = os.path.join(ctx.tmp, "lay3")
    reg.oci_layout(ctx.lay3, base + [reg.tar_gz([("big", os.urandom(9 << 20))])], "3")
    ctx.wait_port(A)
    for hp in (FLAKY, PUTFAIL, PAGES):
        ctx.wait_port(hp)
    reg.push(ctx, ctx.lay1, "1", A + "/team/app:1")
    reg.push(ctx, ctx.lay2, "2", A + "/team/app:2")
    reg.push(ctx, ctx.lay1, "1", M + "/team/app:1", "--dest-cert-dir", ctx.certs)
    reg.push(ctx, ctx.lay3, "3", A + "/team/big:3")
    for t in ("a", "b", "c"):
        reg.push(ctx, ctx.lay1, "1", A + "/team/paged:" + t)


def teardown_module(ctx):
    reg.teardown_module(ctx)


def tags(ctx, repo):
    rc, out, err = ctx.ns_run("curl", "-sf", "http://%s/v2/%s/tags/list" % (A, repo))
    assert rc == 0, err
    return sorted(json.loads(out)["tags"])


def test_pull_all_tags(ctx):
    root = ctx.root({"insecure-registries": [A]})
    rc, out, err = ctx.cli(root, "pull", "--all-tags", A + "/team/app")
    assert rc == 0, (out, err)
    lines = out.splitlines()
    assert "1: Pulling from team/app" in lines and "2: Pulling from team/app" in lines, out
    assert sum(l.startswith("Digest: sha256:") for l in lines) == 2, out
    assert lines[-2:] == ["Status: Downloaded newer image for %s/team/app" % A,
                          A + "/team/app"], out
    rc, out, _ = ctx.cli(root, "images", "--format", "{{.Repository}}:{{.Tag}}")
    assert sorted(out.split()) == [A + "/team/app:1", A + "/team/app:2"], out
    rc, out, err = ctx.cli(root, "pull", "-a", A + "/team/app")
    assert rc == 0 and "Status: Image is up to date for %s/team/app" % A in out, (out, err)
    rc, out, err = ctx.cli(root, "pull", "-a", "-q", A + "/team/app")
    assert (rc, out) == (0, A + "/team/app\n"), (out, err)
    rc, out, err = ctx.cli(root, "pull", "-a", A + "/team/app:1")
    assert rc == 1
    reg.check_one_line(err, "tag can't be used with --all-tags/-a")
    rc, out, err = ctx.cli(root, "pull", "-a", A + "/team/none")
    assert rc == 1
    reg.check_one_line(err, A, "team/none")


def test_push_all_tags(ctx):
    root = ctx.root({"insecure-registries": [A]})
    for t in ("1", "2"):
        rc, out, err = ctx.cli(root, "pull", "-q", "%s/team/app:%s" % (A, t))
        assert rc == 0, (out, err)
        rc, out, err = ctx.cli(root, "tag", "%s/team/app:%s" % (A, t), "%s/team/copy:%s" % (A, t))
        assert rc == 0, (out, err)
    rc, out, err = ctx.cli(root, "push", "-a", A + "/team/copy")
    assert rc == 0, (out, err)
    lines = out.splitlines()
    assert lines.count("The push refers to repository [%s/team/copy]" % A) == 1, out
    assert lines[0].startswith("The push refers"), out
    assert sum(l.startswith(("1: digest: sha256:", "2: digest: sha256:")) for l in lines) == 2, out
    assert tags(ctx, "team/copy") == ["1", "2"]
    rc, out, err = ctx.cli(root, "push", "--all-tags", A + "/team/copy:1")
    assert rc == 1
    reg.check_one_line(err, "tag can't be used with --all-tags/-a")
    rc, out, err = ctx.cli(root, "push", "-a", A + "/team/nothing")
    assert rc == 1
    reg.check_one_line(err, "does not exist locally", "team/nothing")


def test_mutual_tls(ctx):
    root = ctx.root()
    certs = os.path.join(root, "etc", "berth", "certs.d", M)
    os.makedirs(certs)
    shutil.copy(os.path.join(ctx.tmp, "ca.crt"), certs)
    # the server's CA is trusted, but no client certificate: the handshake fails
    rc, out, err = ctx.cli(root, "pull", M + "/team/app:1")
    assert rc == 1, (out, err)
    reg.check_one_line(err, M)
    assert not reg.store_files(root) or all("/blobs/" not in p for p in reg.store_files(root))
    for f in ("client.cert", "client.key"):
        shutil.copy(os.path.join(ctx.certs, f), certs)
    rc, out, err = ctx.cli(root, "pull", M + "/team/app:1")
    assert rc == 0 and "Status: Downloaded newer image for %s/team/app:1" % M in out, (out, err)
    rc, out, err = ctx.cli(root, "tag", M + "/team/app:1", M + "/team/pushed:1")
    assert rc == 0, err
    rc, out, err = ctx.cli(root, "push", M + "/team/pushed:1")
    assert rc == 0 and "1: digest: sha256:" in out, (out, err)


def test_version_server_section(ctx):
    d = Daemon(ctx.build)
    try:
        rc, out, err = d.cli("version")
        assert rc == 0, (out, err)
        client, _, server = out.partition("\n\n")
        assert client.splitlines()[0] == "Client:", out
        assert client.splitlines()[1].split(":", 1)[0] == " Version", out
        s = server.splitlines()
        assert s[:2] == ["Server:", " Engine:"], out
        assert s[2].split() == ["Version:", client.splitlines()[1].split()[1]], out
        assert s[3].split() == ["Mode:", "daemon", "(pid", "%d)" % d.proc.pid], out
    finally:
        d.stop()
    root = ctx.root()
    rc, out, err = ctx.cli(root, "version")
    assert rc == 1 and out.startswith("Client:\n Version:") and "Server:" not in out, out
    reg.check_one_line(err, "Cannot connect to the berth daemon")


def push_through(ctx, src, proxy, dest):
    """Pull A/src, push it as proxy/dest (tag T: "T: digest:" expected);
    the proxy's log lines."""
    root = ctx.root({"insecure-registries": [A]})
    rc, out, err = ctx.cli(root, "pull", "-q", A + "/" + src)
    assert rc == 0, (out, err)
    rc, out, err = ctx.cli(root, "tag", A + "/" + src, proxy + "/" + dest)
    assert rc == 0, err
    rc, out, err = ctx.cli(root, "push", proxy + "/" + dest)
    assert rc == 0 and "%s: digest: sha256:" % dest.split(":")[1] in out, (out, err)
    with open(os.path.join(ctx.tmp, "%s.log" % proxy.split(":")[1])) as f:
        return f.read().splitlines()


def test_push_in_chunks_retried(ctx):
    log = push_through(ctx, "team/big:3", FLAKY, "team/chunked:3")
    patches = [l.split()[2] for l in log if l.startswith("PATCH ")]
    # 9 MiB + a gzip header in 4 MiB PATCHes; the first answered 503 and
    # sent again from where the registry's upload status (GET) said
    assert patches[:2] == ["0-4194303", "0-4194303"], log
    assert patches[2:] == ["4194304-8388607", "8388608-%s" % patches[-1].split("-")[1]], log
    i = log.index("503")
    assert log[i + 1].startswith("GET /v2/team/chunked/blobs/uploads/"), log
    assert [l for l in log if l.startswith("PUT /v2/team/chunked/blobs/uploads/")], log
    # what went up is whole: a fresh store pulls it back (every digest checked)
    root = ctx.root({"insecure-registries": [A]})
    rc, out, err = ctx.cli(root, "pull", A + "/team/chunked:3")
    assert rc == 0 and "Status: Downloaded newer image" in out, (out, err)


def test_pull_all_tags_follows_pages(ctx):
    # the tag list in pages of 2 (a, b; then c): every page is followed
    root = ctx.root()
    rc, out, err = ctx.cli(root, "pull", "-a", "-q", PAGES + "/team/paged")
    assert (rc, out) == (0, PAGES + "/team/paged\n"), (out, err)
    rc, out, _ = ctx.cli(root, "images", "--format", "{{.Tag}}")
    assert sorted(out.split()) == ["a", "b", "c"], out
    with open(os.path.join(ctx.tmp, "5013.log")) as f:
        log = f.read().splitlines()
    assert log == ["/v2/team/paged/tags/list", "/v2/team/paged/tags/list?last=b&n=2"], log


def test_push_whole_blob_retried(ctx):
    # a blob up to 4 MiB goes up in one PUT: the first answered 503, the
    # second cut off without an answer; each tried again on a new upload
    log = push_through(ctx, "team/app:1", PUTFAIL, "team/put:1")
    puts = [l for l in log if l.startswith("PUT /v2/team/put/blobs/uploads/")]
    posts = [l for l in log if l.startswith("POST /v2/team/put/blobs/uploads/")]
    # the layer: three PUTs, each on an upload of its own; the config: one
    assert (len(puts), len(posts)) == (4, 4), log
    assert log.index("503") < log.index("reset"), log
    root = ctx.root({"insecure-registries": [A]})
    rc, out, err = ctx.cli(root, "pull", A + "/team/put:1")
    assert rc == 0 and "Status: Downloaded newer image" in out, (out, err)
