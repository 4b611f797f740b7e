"""Docker parity of the CLI against `berth daemon --root DIR`, the gaps a
Docker user met: `berth` alone, an image's STOPSIGNAL (built and used by
stop), templates over events' attribute maps, and the rest below, each
with its bad input."""
import json
import os
import subprocess
import tempfile
import time

from harness import skip
from hostenv import build_context as ctx, busybox_daemon


def setup_module(build):
    return busybox_daemon(build)


def teardown_module(d):
    d.stop()


def test_no_arguments_prints_usage_and_exits_0(d):
    p = subprocess.run([d.berth], capture_output=True, text=True, timeout=10)
    assert p.returncode == 0, p
    assert p.stderr.startswith("\nUsage:  berth [OPTIONS] COMMAND") and p.stdout == "", p
    rc, out, err = d.cli("frobnicate")
    assert rc == 1 and err == ("berth: 'frobnicate' is not a berth command.\n"
                               "See 'berth --help'.\n"), (rc, err)


def test_image_stopsignal_is_built_and_used_by_stop(d):
    trap = ('CMD ["sh", "-c", "trap \\"echo got usr1; exit 7\\" USR1; '
            'while true; do sleep 0.1; done"]\n')
    d.ok("build", "-q", "-t", "sigimg", ctx(d, "FROM busybox\nSTOPSIGNAL SIGUSR1\n" + trap))
    assert d.ok("image", "inspect", "-f", "{{.Config.StopSignal}}", "sigimg") == "SIGUSR1\n"
    assert "STOPSIGNAL SIGUSR1" in d.ok("history", "--no-trunc", "sigimg")
    d.ok("run", "-d", "--name", "sig1", "--network", "none", "sigimg")
    d.ok("run", "-d", "--name", "sig2", "--network", "none", "--stop-signal", "KILL", "sigimg")
    try:
        time.sleep(0.5)  # the trap is set
        t0 = time.monotonic()
        d.ok("stop", "sig1", "sig2")
        assert time.monotonic() - t0 < 8, "stop waited for the grace period"
        # the image's signal ran the trap; --stop-signal overrides it
        assert d.ok("inspect", "-f", "{{.State.ExitCode}} {{.Config.StopSignal}}",
                    "sig1") == "7 SIGUSR1\n"
        assert d.ok("logs", "sig1") == "got usr1\n"
        assert d.ok("inspect", "-f", "{{.State.ExitCode}} {{.Config.StopSignal}}",
                    "sig2") == "137 SIGKILL\n"
    finally:
        d.cli("rm", "-f", "sig1", "sig2")
    rc, out, err = d.cli("build", "-q", "-t", "badsig", ctx(d, "FROM busybox\nSTOPSIGNAL SIGNOPE\n"))
    assert rc == 1 and "STOPSIGNAL: invalid signal: SIGNOPE" in err, (rc, err)
    rc, out, err = d.cli("build", "-q", "-t", "badsig", ctx(d, "FROM busybox\nSTOPSIGNAL\n"))
    assert rc == 1 and "STOPSIGNAL requires exactly one argument" in err, (rc, err)


def test_events_template_missing_attribute_is_no_value(d):
    d.ok("volume", "create", "evvol")
    d.ok("run", "--name", "evc", "--network", "none", "busybox", "true")
    d.ok("rm", "evc")
    out = d.ok("events", "--since", "1m", "--until", "0s", "--format",
               "{{.Type}} {{.Action}} {{.Actor.Attributes.name}}")
    lines = out.splitlines()
    # a volume's event has no name attribute: Go prints <no value>, the stream goes on
    assert "volume create <no value>" in lines and "container destroy evc" in lines, lines
    rc, out, err = d.cli("events", "--since", "1m", "--until", "0s", "--format",
                         "{{.Actor.Nope}}")
    assert rc == 1 and "<.Actor.Nope>: can't evaluate field Nope" in err, (rc, err)


def unpacked_size(d, image):
    """Docker's directory.Size over the image's unpacked layers."""
    layers = json.loads(d.ok("image", "inspect", "-f", "{{json .RootFS.Layers}}", image))
    total, seen = 0, set()
    for diff_id in layers:
        top = os.path.join(d.root, "var/lib/berth/layers", diff_id.split(":")[1])
        for dirpath, dirs, files in os.walk(top):
            for name in files + [x for x in dirs if os.path.islink(os.path.join(dirpath, x))]:
                st = os.lstat(os.path.join(dirpath, name))
                if st.st_nlink > 1 and st.st_ino in seen:
                    continue
                seen.add(st.st_ino)
                total += st.st_size
    return total


def test_image_size_is_the_unpacked_size(d):
    # zeros: the layer's blob and its files differ in size
    d.ok("build", "-q", "-t", "sized", ctx(d, "FROM busybox\nRUN dd if=/dev/zero of=/zeros "
                                             "bs=1k count=300\n"))
    want = unpacked_size(d, "sized")
    assert int(d.ok("image", "inspect", "-f", "{{.Size}}", "sized")) == want
    # busybox's files and the zeros, no tar headers
    base = unpacked_size(d, "busybox")
    assert 300 * 1024 <= want - base < 310 * 1024, (want, base)
    row = json.loads(d.ok("images", "--format", "json", "--filter", "reference=sized"))
    assert row["Size"] == "%.3gMB" % (want / 1e6) or row["Size"] == "%.2fMB" % (want / 1e6), \
        (row, want)
    assert row["VirtualSize"] == row["Size"], row


def test_compose_ps_formats_and_filters(d):
    path = os.path.join(tempfile.mkdtemp(prefix="proj-", dir=d.root), "compose.yaml")
    with open(path, "w") as f:
        f.write("services:\n  up:\n    image: busybox\n    command: sleep 1000\n"
                "    network_mode: none\n"
                "  done:\n    image: busybox\n    network_mode: none\n"
                "    command: [\"sh\", \"-c\", \"echo a rather long command; exit 4\"]\n")

    def ps(*args):
        return d.ok("compose", "-f", path, "-p", "psproj", "ps", *args)
    d.ok("compose", "-f", path, "-p", "psproj", "up", "-d", timeout=60)
    try:
        for _ in range(50):
            if "done" in ps("-a", "--status", "exited"):
                break
            time.sleep(0.1)
        lines = ps("-a").splitlines()
        assert lines[0].split() == ["NAME", "IMAGE", "COMMAND", "SERVICE", "CREATED", "STATUS",
                                    "PORTS"], lines
        # aligned by characters: the truncated command ends in "…"
        col = lines[0].index("SERVICE")
        assert all(l[col - 3:col] == "   " and l[col] != " " for l in lines[1:]), lines
        assert '"sh -c echo a rather…"' in "\n".join(lines), lines
        rows = {r["Service"]: r for r in map(json.loads, ps("-a", "--format", "json").splitlines())}
        assert rows["done"]["ExitCode"] == 4 and rows["done"]["State"] == "exited", rows
        assert rows["up"]["Name"] == "psproj-up-1" and rows["up"]["Project"] == "psproj", rows
        assert rows["up"]["Command"] == '"sleep 1000"' and len(rows["up"]["ID"]) == 12, rows
        assert ps("--format", "{{.Service}}:{{.State}}") == "up:running\n"
        assert ps("--status", "exited", "-q") == d.ok("inspect", "-f", "{{.Id}}",
                                                      "psproj-done-1")
        assert sorted(ps("-a", "--services").split()) == ["done", "up"]
        assert ps("-a", "done", "--format", "{{.Name}}") == "psproj-done-1\n"
        rc, out, err = d.cli("compose", "-f", path, "-p", "psproj", "ps", "nope")
        assert rc == 1 and err == "berth: no such service: nope\n", (rc, err)
        rc, out, err = d.cli("compose", "-f", path, "-p", "psproj", "ps", "--status", "up")
        assert rc == 1 and "invalid status 'up'" in err, (rc, err)
    finally:
        d.cli("compose", "-f", path, "-p", "psproj", "down", "-t", "0", timeout=60)


def test_log_driver_none_and_local(d):
    cmd = ["busybox", "sh", "-c", "echo out; echo err >&2"]
    d.ok("run", "-d", "--name", "lnone", "--network", "none", "--log-driver", "none", *cmd)
    d.ok("run", "--name", "llocal", "--network", "none", "--log-driver", "local",
         "--log-opt", "max-size=1m", *cmd)
    try:
        rc, out, err = d.cli("logs", "lnone")
        assert rc == 1 and err == "berth: configured logging driver does not support reading\n"
        assert not os.path.exists(os.path.join(d.root, "run/berth/logs",
                                               cid_of(d, "lnone") + ".log"))
        assert d.ok("inspect", "-f", "{{.HostConfig.LogConfig.Type}}", "lnone") == "none\n"
        assert d.ok("logs", "llocal") == "out\n"
        assert d.ok("inspect", "-f", "{{json .HostConfig.LogConfig}}", "llocal") == \
            '{"Type":"local","Config":{"max-size":"1m"}}\n'
        # attached with a terminal, none still shows the output (only nothing is kept)
        rc, out, err = d.cli("run", "--rm", "--network", "none", "--log-driver", "none", "-t",
                             *cmd)
        assert rc == 0 and out.replace("\r", "") == "out\nerr\n", (rc, out, err)
        # without one, berth would have nothing to show: refused, not silent
        rc, out, err = d.cli("run", "--rm", "--network", "none", "--log-driver", "none", *cmd)
        assert rc == 125 and "--log-driver none needs -d or -t" in err, (rc, err)
    finally:
        d.cli("rm", "lnone", "llocal")
    rc, out, err = d.cli("run", "--rm", "--log-driver", "none", "--log-opt", "max-file=2",
                         "busybox", "true")
    assert rc == 125 and "unknown log opt 'max-file' for none log driver" in err, (rc, err)
    rc, out, err = d.cli("run", "--rm", "--log-driver", "syslog", "busybox", "true")
    assert rc == 125 and 'log driver "syslog" is not supported' in err, (rc, err)


def cid_of(d, name):
    return d.ok("inspect", "-f", "{{.Id}}", name).strip()


def test_device_directory(d):
    """--device DIR: its device nodes, as Docker walks one; bound read-only."""
    if not os.path.exists("/dev/net/tun"):
        skip("the build host has no /dev/net/tun")
    out = d.ok("run", "--rm", "--network", "none", "--device", "/dev/net:/dev/mynet", "busybox",
               "sh", "-c", "ls -l /dev/mynet/tun; touch /dev/mynet/x 2>&1; echo rc=$?")
    assert out.startswith("c") and "10, 200" in out.splitlines()[0], out
    assert "Read-only file system" in out and out.endswith("rc=1\n"), out
    assert not os.path.exists("/dev/net/x")
    empty = tempfile.mkdtemp(prefix="nodev-", dir=d.root)
    rc, out, err = d.cli("run", "--rm", "--network", "none", "--device", empty, "busybox", "true")
    assert rc == 125 and ('error gathering device information while adding custom device "%s": '
                          'not a device node' % empty) in err, (rc, err)
