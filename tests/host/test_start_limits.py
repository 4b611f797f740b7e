"""A container's start against `berth daemon --root DIR`: its descriptor
limit (Docker's 1024:524288, not the supervisor's fs.nr_open), set just
before the exec so that a supervisor holding more than 1024 descriptors
still starts containers with a low limit; --oom-score-adj; and the
remapped layer copies of user namespaces (var/lib/berth/remap), removed by
`rmi` and prunes once their layer is gone, never used half-made."""
import os
import resource
import subprocess

import harness
from hostenv import Daemon, busybox_daemon

BASE = 100000
INHERITED = 1100  # descriptors the second daemon holds: more than a 1024 limit allows


def own_hard_nofile(pid):
    with open("/proc/%d/limits" % pid) as f:
        for line in f:
            if line.startswith("Max open files"):
                return int(line.split()[4])
    raise AssertionError("no Max open files line")


def many_fds_daemon(build):
    """A daemon that inherits INHERITED open descriptors from this process
    (as PID 1 holds thousands with many containers), so a start's own
    descriptors are numbered above 1100."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard < INHERITED + 200:
        raise harness.Skip("RLIMIT_NOFILE hard limit %d is below %d" % (hard, INHERITED + 200))
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    fds = [os.open("/dev/null", os.O_RDONLY) for _ in range(INHERITED)]
    real = subprocess.Popen

    def popen(*a, **kw):
        kw["pass_fds"] = fds
        return real(*a, **kw)
    subprocess.Popen = popen
    try:
        return Daemon(build)
    finally:
        subprocess.Popen = real
        for fd in fds:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def setup_module(build):
    return busybox_daemon(build)


def teardown_module(d):
    d.stop()


def run(d, *args):
    return d.ok("run", "--rm", "--network", "none", *args)


def test_default_nofile_is_dockers(d):
    hard = min(524288, own_hard_nofile(d.proc.pid))
    assert run(d, "busybox", "sh", "-c", "ulimit -n; ulimit -Hn").split() == \
        ["1024", str(hard)]
    cid = d.ok("run", "-d", "--network", "none", "busybox", "sleep", "60").strip()
    try:  # exec gets the container's limits, as Docker's
        assert d.ok("exec", cid, "sh", "-c", "ulimit -n; ulimit -Hn").split() == \
            ["1024", str(hard)]
    finally:
        d.ok("rm", "-f", cid)
    assert run(d, "--ulimit", "nofile=100:200", "busybox", "sh", "-c",
               "ulimit -n; ulimit -Hn").split() == ["100", "200"]


def test_low_limit_with_a_supervisor_of_many_descriptors(d):
    """The sandbox child holds a copy of every supervisor descriptor until
    its exec: a limit set before its own opens failed them (EMFILE)."""
    m = many_fds_daemon(os.path.dirname(d.berth))
    try:
        assert len(os.listdir("/proc/%d/fd" % m.proc.pid)) > INHERITED
        m.import_busybox()
        out = m.ok("run", "--rm", "--network", "none", "--ulimit", "nofile=50:60", "busybox",
                   "sh", "-c", "ulimit -n; ulimit -Hn")
        assert out.split() == ["50", "60"], out
        out = m.ok("run", "--rm", "--network", "none", "busybox", "sh", "-c",
                   "ulimit -n; ls /proc/self/fd | wc -l")
        assert out.split()[0] == "1024" and int(out.split()[1]) < 10, out
    finally:
        m.stop()


def test_oom_score_adj(d):
    out = run(d, "--oom-score-adj", "500", "busybox", "cat", "/proc/self/oom_score_adj")
    assert out.strip() == "500", out
    assert run(d, "busybox", "cat", "/proc/self/oom_score_adj").strip() == "0"
    cid = d.ok("create", "--oom-score-adj", "300", "busybox", "true").strip()
    assert d.ok("inspect", "-f", "{{.HostConfig.OomScoreAdj}}", cid).strip() == "300"
    d.ok("rm", cid)
    rc, out, err = d.cli("run", "--rm", "--oom-score-adj", "1001", "busybox", "true")
    assert rc == 125 and "Invalid value 1001, range for oom score adj is [-1000, 1000]" in err, err


def userns_lack():
    try:
        with open("/proc/sys/user/max_user_namespaces") as f:
            if int(f.read()) < 2:
                return "user namespaces are disabled (max_user_namespaces is 0)"
    except FileNotFoundError:
        return "kernel without user namespaces"
    return None


def test_remapped_copies_pruned_and_whole(d):
    lack = userns_lack()
    if lack:
        raise harness.Skip(lack)
    env = dict(os.environ, BERTH_USERNS_COPY="1")  # copies even where idmapped mounts work
    remap = os.path.join(d.root, "var/lib/berth/remap/%d.%d" % (BASE, BASE))
    layers = os.path.join(d.root, "var/lib/berth/layers")

    def run_remapped(image):
        p = subprocess.run([d.berth, "--root", d.root, "run", "--rm", "--network", "none",
                            "--userns", "remap", image, "sh", "-c", "stat -c %u /bin/busybox"],
                           capture_output=True, text=True, timeout=60, env=env)
        assert p.returncode == 0 and p.stdout.split() == ["0"], (p.stdout, p.stderr)

    base_layer = os.listdir(layers)[0]
    os.makedirs(os.path.join(d.root, "etc"), exist_ok=True)  # subuid, subgid go there
    # a half-made copy (its CLI still running: this process) is not used
    os.makedirs(remap, exist_ok=True)
    half = os.path.join(remap, ".tmp-%s-%d" % (base_layer, os.getpid()))
    os.makedirs(os.path.join(half, "bin"))
    run_remapped("busybox")
    assert os.lstat(os.path.join(remap, base_layer, "bin/busybox")).st_uid == BASE
    # an image of its own: busybox + one layer
    cid = d.ok("create", "--network", "none", "busybox", "sh", "-c", "echo x > /f").strip()
    d.ok("start", cid)
    assert d.ok("wait", cid).strip() == "0"
    d.ok("commit", cid, "mine")
    d.ok("rm", cid)
    run_remapped("mine")
    top = [x for x in os.listdir(layers) if x != base_layer]
    assert len(top) == 1 and sorted(os.listdir(remap)) == \
        sorted([base_layer, top[0], os.path.basename(half)]), os.listdir(remap)
    d.ok("rmi", "mine")
    assert sorted(os.listdir(remap)) == sorted([base_layer, os.path.basename(half)])
    # a prune takes copies of layers that are gone and temporary trees of
    # CLIs that are gone; a live one's stays
    gone = os.path.join(remap, "0" * 64)
    dead = os.path.join(remap, ".tmp-%s-%d" % ("1" * 64, 2 ** 22 + 1))
    os.makedirs(os.path.join(gone, "bin"))
    os.makedirs(dead)
    d.ok("image", "prune", "-f")
    assert sorted(os.listdir(remap)) == sorted([base_layer, os.path.basename(half)])
    os.rmdir(os.path.join(half, "bin"))
    os.rmdir(half)
