"""The run flags behind a container's extra HostConfig, against `berth
daemon --root DIR` with busybox: --ulimit, --add-host, --dns*, --tmpfs,
--sysctl, --device, --init (zombies reaped, SIGTERM forwarded),
--stop-signal, --log-opt max-size/max-file (rotation, `logs` across the
files), `inspect` showing them with Docker's names, `ps --size`, and each
flag's bad input refused with one line and exit 125. Network mode none:
each container still has a network namespace of its own."""
import json
import os
import time

from hostenv import busybox_daemon


def setup_module(build):
    return busybox_daemon(build)


def teardown_module(d):
    d.stop()


def run(d, *args):
    """run --rm --network none ARGS..., its output; it must succeed."""
    return d.ok("run", "--rm", "--network", "none", *args)


def inspect(d, name):
    return json.loads(d.ok("inspect", name))[0]


def wait_for(pred, timeout=10):
    end = time.time() + timeout
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    return pred()


def test_ulimit_sets_soft_and_hard(d):
    out = run(d, "--ulimit", "nofile=100:200", "--ulimit", "nproc=77", "busybox", "sh", "-c",
              "ulimit -n; ulimit -Hn; ulimit -u")
    assert out.split() == ["100", "200", "77"], out


def test_add_host_and_dns_files(d):
    out = run(d, "--add-host", "db:10.1.2.3", "--add-host", "gw:host-gateway",
              "--dns", "10.0.0.53", "--dns-search", "example.org", "--dns-option", "ndots:2",
              "busybox", "sh", "-c", "cat /etc/hosts; echo ---; cat /etc/resolv.conf")
    hosts, resolv = out.split("---\n")
    assert "10.1.2.3\tdb\n" in hosts, hosts
    assert "172.17.0.1\tgw\n" in hosts, hosts  # host-gateway: the bridge's address
    assert [l for l in resolv.splitlines() if l.startswith("nameserver")] == \
        ["nameserver 10.0.0.53"], resolv
    assert "search example.org\n" in resolv and "options ndots:2\n" in resolv, resolv


def test_tmpfs_is_a_tmpfs_with_its_options(d):
    out = run(d, "--tmpfs", "/scratch:size=64k,mode=1770", "--tmpfs", "/run2:exec",
              "--tmpfs", "/run3", "busybox", "sh", "-c",
              "grep -E ' /(scratch|run2|run3) ' /proc/mounts; stat -c %a /scratch; "
              "dd if=/dev/zero of=/scratch/f bs=1k count=100 2>/dev/null || echo full; "
              "cp /bin/busybox /run2/ && /run2/busybox echo ran; "
              "cp /bin/busybox /run3/ && /run3/busybox echo ran3 || echo exec-refused")
    mounts = {l.split()[1]: l.split()[3].split(",") for l in out.splitlines() if "tmpfs" in l}
    assert set(mounts) == {"/scratch", "/run2", "/run3"}, out
    assert {"nosuid", "nodev", "noexec", "size=64k", "mode=1770"} <= set(mounts["/scratch"]), out
    assert "noexec" not in mounts["/run2"], out  # exec given: Docker's default lifted
    assert {"nosuid", "nodev", "noexec"} <= set(mounts["/run3"]), out
    assert "1770" in out.split() and "full" in out.split(), out
    assert "ran" in out.split() and "ran3" not in out.split(), out
    assert "exec-refused" in out.split(), out


def test_sysctl_in_the_containers_namespaces(d):
    out = run(d, "--sysctl", "net.ipv4.ip_forward=1", "--sysctl", "kernel.shmmni=1000",
              "busybox", "cat", "/proc/sys/net/ipv4/ip_forward", "/proc/sys/kernel/shmmni")
    assert out.split() == ["1", "1000"], out


def test_device_as_another_name(d):
    out = run(d, "--device", "/dev/null:/dev/mynull:rw", "busybox", "sh", "-c",
              "stat -c '%F %t:%T' /dev/mynull; echo hi > /dev/mynull && echo wrote")
    assert out.splitlines() == ["character special file 1:3", "wrote"], out


def zombies(d, name):
    """The container's processes in state Z (busybox ps inside it)."""
    out = d.ok("exec", name, "ps", "-o", "stat,comm")
    return [l for l in out.splitlines()[1:] if l.split()[0].startswith("Z")]


def test_init_reaps_zombies_and_forwards_sigterm(d):
    # a docker-init an earlier daemon left under the root (another build,
    # the same size: builds differ in content, not always in size) is not
    # what this daemon hands out: it makes its own copy at its first --init
    stale = os.path.join(d.root, "run/berth/docker-init")
    script = b"#!/bin/sh\nexit 99\n"
    with open(stale, "wb") as f:
        f.write(script + b"\n" * (os.path.getsize(d.berth) - len(script)))
    os.chmod(stale, 0o555)
    assert run(d, "--init", "busybox", "echo", "fresh") == "fresh\n"
    with open(stale, "rb") as f, open(d.berth, "rb") as b:
        assert f.read() == b.read(), "the stale docker-init was kept"
    # an orphan that exits: sleep as PID 1 never reaps it, the init does
    cmd = ["busybox", "sh", "-c", "(sleep 0.3 &); exec sleep 100000"]
    d.ok("run", "-d", "--name", "noinit", "--network", "none", *cmd)
    d.ok("run", "-d", "--name", "withinit", "--init", "--network", "none", *cmd)
    time.sleep(1)
    assert wait_for(lambda: zombies(d, "noinit")), "no zombie without --init: test is void"
    assert zombies(d, "withinit") == []
    cmdline = d.ok("exec", "withinit", "cat", "/proc/1/cmdline").split("\0")
    assert cmdline[:3] == ["/sbin/docker-init", "--", "sh"], cmdline
    assert inspect(d, "withinit")["HostConfig"]["Init"] is True
    assert "Init" not in inspect(d, "noinit")["HostConfig"]
    d.ok("rm", "-f", "noinit", "withinit")
    # SIGTERM reaches the command through the init: a trap answers it
    d.ok("run", "-d", "--name", "term", "--init", "--network", "none", "busybox", "sh", "-c",
         "trap 'echo got TERM; exit 3' TERM; while :; do sleep 0.1; done")
    time.sleep(0.5)
    t0 = time.time()
    d.ok("stop", "-t", "10", "term")
    assert time.time() - t0 < 5, "the stop waited for its SIGKILL"
    assert d.ok("logs", "term").strip() == "got TERM"
    assert inspect(d, "term")["State"]["ExitCode"] == 3
    d.ok("rm", "term")


def test_stop_signal_is_what_stop_sends(d):
    d.ok("run", "-d", "--name", "usr1", "--stop-signal", "USR1", "--network", "none",
         "busybox", "sh", "-c",
         "trap 'echo got USR1; exit 7' USR1; trap 'echo got TERM; exit 9' TERM; "
         "while :; do sleep 0.1; done")
    time.sleep(0.5)
    d.ok("stop", "usr1")
    assert d.ok("logs", "usr1").strip() == "got USR1"
    j = inspect(d, "usr1")
    assert j["State"]["ExitCode"] == 7 and j["Config"]["StopSignal"] == "SIGUSR1", j["State"]
    d.ok("rm", "usr1")


def test_log_rotation_keeps_max_file_and_logs_reads_across(d):
    d.ok("run", "-d", "--name", "chatty", "--log-opt", "max-size=1k", "--log-opt", "max-file=2",
         "--network", "none", "busybox", "sh", "-c",
         "i=0; while [ $i -lt 200 ]; do i=$((i+1)); echo line-$i-padding-padding-padding; done")
    d.ok("wait", "chatty")
    j = inspect(d, "chatty")
    assert j["HostConfig"]["LogConfig"] == {"Type": "json-file",
                                            "Config": {"max-size": "1k", "max-file": "2"}}
    logdir, base = os.path.split(j["LogPath"])
    files = sorted(f for f in os.listdir(logdir) if f.startswith(base))
    assert files == [base, base + ".1"], files
    for f in files:
        assert os.path.getsize(os.path.join(logdir, f)) <= 1024 + 200, f
    with open(j["LogPath"]) as f:
        live = len(f.read().splitlines())
    lines = d.ok("logs", "chatty").splitlines()
    assert len(lines) > live, (len(lines), live)  # the rotated file's lines too
    nums = [int(l.split("-")[1]) for l in lines]
    assert nums == list(range(201 - len(nums), 201)), nums  # in order, up to the last
    d.ok("rm", "chatty")


def test_inspect_names_and_ps_size(d):
    d.ok("create", "--name", "shown", "--network", "none", "--add-host", "a:10.0.0.1",
         "--dns", "10.0.0.53", "--dns-search", "x.org", "--dns-option", "ndots:1",
         "--tmpfs", "/t:size=1m", "--ulimit", "nofile=10:20", "--sysctl", "net.core.somaxconn=99",
         "--device", "/dev/null:/dev/n:r", "busybox", "true")
    hc = inspect(d, "shown")["HostConfig"]
    assert hc["ExtraHosts"] == ["a:10.0.0.1"] and hc["Dns"] == ["10.0.0.53"]
    assert hc["DnsSearch"] == ["x.org"] and hc["DnsOptions"] == ["ndots:1"]
    assert hc["Tmpfs"] == {"/t": "size=1m"} and hc["Sysctls"] == {"net.core.somaxconn": "99"}
    assert hc["Ulimits"] == [{"Name": "nofile", "Soft": 10, "Hard": 20}]
    assert hc["Devices"] == [{"PathOnHost": "/dev/null", "PathInContainer": "/dev/n",
                              "CgroupPermissions": "r"}]
    # a key that is no Go identifier goes through index, as in Docker
    assert d.ok("inspect", "-f", '{{index .HostConfig.Tmpfs "/t"}}|{{.Config.Labels.nope}}',
                "shown").strip() == "size=1m|<no value>"
    d.ok("rm", "shown")
    d.ok("run", "--name", "sized", "--network", "none", "busybox", "sh", "-c",
         "head -c 5000 /dev/zero > /big")
    out = d.ok("ps", "-a", "-s", "--filter", "name=sized")
    assert out.splitlines()[0].split()[-1] == "SIZE", out
    size = d.ok("ps", "-a", "--filter", "name=sized", "--format", "{{.Size}}").strip()
    assert size.startswith("5kB (virtual ") and not size.startswith("5kB (virtual 5kB"), size
    d.ok("rm", "sized")


BAD = [
    (["--ulimit", "nofile=2:1"], "invalid argument \"nofile=2:1\" for \"--ulimit\" flag: ulimit "
     "soft limit must be less than or equal to hard limit: 2 > 1"),
    (["--ulimit", "files=1"], "invalid ulimit type: files"),
    (["--sysctl", "kernel.hostname=x"], "sysctl 'kernel.hostname=x' is not whitelisted"),
    (["--network", "host", "--sysctl", "net.ipv4.ip_forward=1"],
     "sysctl \"net.ipv4.ip_forward\" is not allowed in the host's network namespace"),
    (["--device", "/dev/null:rwx"], "invalid device mode: rwx"),
    (["--add-host", "nohost"], "bad format for add-host: \"nohost\""),
    (["--dns", "one.one"], "IP address is not correctly formatted: one.one"),
    (["--dns-search", "-bad-"], "-bad- is not a valid domain"),
    (["--tmpfs", "/t:colour=red"], "invalid tmpfs option \"colour=red\""),
    (["--log-opt", "max-file=0"], "max-file cannot be less than 1"),
    (["--log-opt", "compress=true"], "unknown log opt 'compress' for json-file log driver"),
    (["--log-driver", "syslog"], "log driver \"syslog\" is not supported"),
    (["--stop-signal", "SIGNOPE"], "invalid signal: SIGNOPE"),
]


def test_bad_input_is_one_line_and_125(d):
    before = d.ok("ps", "-aq")
    for args, msg in BAD:
        rc, out, err = d.cli("run", "--rm", *args, "busybox", "true")
        lines = err.splitlines()
        assert rc == 125 and out == "", (args, rc, out, err)
        assert lines[0].startswith("berth: ") and msg in lines[0], (args, err)
        assert lines[1:] == ["See 'berth run --help'."], (args, err)
    assert d.ok("ps", "-aq") == before  # nothing was made
    rc, out, err = d.cli("run", "--rm", "--network", "none", "--device", "/dev/nothere",
                         "busybox", "true")
    assert rc != 0 and "/dev/nothere" in err and len(err.splitlines()) == 1, (rc, err)
