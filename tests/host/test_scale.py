"""Removal at scale and what a cut-off start leaves (issue 14).

`berth rm -f` of many containers is one command that keeps up to 50
requests under way (Docker's CLI does the same); the supervisor removes
the containers that end in one turn of its loop with one write of the
address table and one fsync of the containers' directory, and answers
once that is durable. These tests prove the outcome: answers in the
order asked, nothing left (addresses, trees, /etc/hosts lines, logs), and
a daemon killed in the middle of it leaves each container whole or gone.
A start cut off by a kill after its published port's rules went in, or
whose rules job failed after committing one table, leaves no rule."""
import os
import re
import signal
import subprocess
import tempfile
import time

from hostenv import (Daemon, busybox_tar, daemon_with_restore, keeper_pid, require_bridge_network,
                     require_overlay, stop_daemons)

HEX64 = re.compile(r"^[0-9a-f]{64}$")


def setup_module(build):
    require_overlay()
    require_bridge_network()
    return build


def teardown_module(build):
    pass


class NsDaemons:
    """Daemons one after the other over one root, in one network namespace
    (a `sleep` under `unshare -n` holds it), so a second daemon finds the
    first one's bridge, rules and keeper."""

    def __init__(self, build):
        self.berth = os.path.join(build, "berth")
        self.holder = subprocess.Popen(["unshare", "-n", "--", "sleep", "1000"])
        self.root = tempfile.mkdtemp(prefix="berth-scale-")
        self.procs = []
        time.sleep(0.1)

    def start(self):
        log = open(os.path.join(self.root, "log"), "a")
        p = subprocess.Popen(["nsenter", "-t", str(self.holder.pid), "-n", "--", self.berth,
                              "daemon", "--root", self.root], stdout=log,
                             stderr=subprocess.STDOUT)
        self.procs.append(p)
        for _ in range(300):
            if self.cli("ping")[0] == 0:
                return p
            time.sleep(0.02)
        raise AssertionError(self.log())

    def start_with_busybox(self):
        self.start()
        tar = os.path.join(self.root, "bb.tar")
        busybox_tar(tar)
        self.ok("import", tar, "busybox")

    def cli(self, *args, timeout=60):
        p = subprocess.run([self.berth, "--root", self.root] + list(args), capture_output=True,
                           text=True, timeout=timeout)
        return p.returncode, p.stdout, p.stderr

    def ok(self, *args):
        rc, out, err = self.cli(*args)
        assert rc == 0, (args, rc, out, err)
        return out

    def net(self, *cmd, check=True):
        return subprocess.run(["nsenter", "-t", str(self.holder.pid), "-n", "--"] + list(cmd),
                              capture_output=True, text=True, check=check).stdout

    def kill(self):
        p = self.procs[-1]
        p.send_signal(signal.SIGKILL)
        p.wait()

    def log(self):
        return open(os.path.join(self.root, "log")).read()

    def stop(self):
        stop_daemons(self.berth, self.root, self.procs, self.holder)


def ipam(root):
    path = os.path.join(root, "run/berth/network/ipam")
    if not os.path.exists(path):
        return []
    return sorted(l.split()[0] for l in open(path).read().splitlines()[1:])


def ctr_dirs(root):
    return os.listdir(os.path.join(root, "run/berth/containers"))


def run_many(berth, root, names):
    """`run -d` of a busybox sleep per name, from one shell loop."""
    subprocess.run(["sh", "-c", 'for n in "$@"; do "%s" --root "%s" run -d --name $n '
                    'busybox sleep 1000 >/dev/null || exit 1; done' % (berth, root), "sh"] +
                   names, check=True, timeout=300)


def wait_swept(root):
    """The trees set aside are removed in the background: wait for it."""
    for _ in range(200):
        if not [n for n in ctr_dirs(root) if ".removing-" in n]:
            return
        time.sleep(0.05)
    assert False, ctr_dirs(root)


def test_rm_of_many_in_one_command(build):
    # 52 running: more than the 50 the CLI keeps under way at once
    d = Daemon(build)
    try:
        d.import_busybox()
        names = ["r%d" % i for i in range(52)]
        run_many(d.berth, d.root, names)
        d.ok("create", "--name", "made", "busybox", "true")
        d.ok("run", "--name", "done", "busybox", "true")
        assert len(ipam(d.root)) == 52
        hosts = os.path.join(d.root, "run/berth/network/hosts")
        want = names[:30] + ["made", "nosuch"] + names[30:] + ["done"]
        rc, out, err = d.cli("rm", "-f", *want, timeout=120)
        assert rc == 1, (rc, out, err)
        assert out.split() == [n for n in want if n != "nosuch"], out
        assert err.strip() == "berth: No such container: nosuch", err
        assert d.ok("ps", "-aq") == ""
        assert ipam(d.root) == []
        wait_swept(d.root)
        assert ctr_dirs(d.root) == []
        assert os.listdir(os.path.join(d.root, "run/berth/logs")) == []
        if os.path.exists(hosts):  # the bridge's shared /etc/hosts: no container left in it
            assert not re.search(r"172\.17\.", open(hosts).read()), open(hosts).read()
        assert "error" not in d.logtext().lower(), d.logtext()
        # the names are free again, the addresses handed out from the lowest
        d.ok("run", "-d", "--name", "r0", "busybox", "sleep", "1000")
        assert ipam(d.root) == ["172.17.0.2"]
        d.ok("rm", "-f", "r0")
    finally:
        d.stop()


def test_rm_cut_by_a_kill_leaves_each_whole_or_gone(build):
    # A daemon SIGKILLed in the middle of a big rm -f: after its successor
    # starts, every container is whole (it loads, inspect works) or gone
    # (no directory, no address), and nothing set aside is left.
    ns = NsDaemons(build)
    try:
        ns.start_with_busybox()
        names = ["k%d" % i for i in range(30)]
        run_many(ns.berth, ns.root, names)
        ids = {n: ns.ok("inspect", "-f", "{{.Id}}", n).strip() for n in names}
        rm = subprocess.Popen([ns.berth, "--root", ns.root, "rm", "-f"] + names,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2000):
            if len([n for n in ctr_dirs(ns.root) if HEX64.match(n)]) <= 27:
                break
            time.sleep(0.002)
        ns.kill()
        first = ns.log().count(": removed\n")
        assert 0 < first < len(names), first  # the kill came in the middle
        ns.start()  # it answers what the first did not read, from the FIFO
        rm.communicate(timeout=60)
        whole = []
        for n in names:
            path = os.path.join(ns.root, "run/berth/containers", ids[n])
            rc, out, err = ns.cli("inspect", "-f", "{{.Id}}", ids[n])
            if os.path.exists(path):
                assert rc == 0 and out.strip() == ids[n], (n, rc, out, err)
                whole.append(n)
            else:
                assert rc == 1 and "No such container" in err, (n, rc, out, err)
        assert not [n for n in ctr_dirs(ns.root) if not HEX64.match(n)], ctr_dirs(ns.root)
        running = [n for n in whole if ns.ok("inspect", "-f", "{{.State.Running}}", n).strip()
                   == "true"]
        ips = sorted(ns.ok("inspect", "-f", "{{.NetworkSettings.IPAddress}}", n).strip()
                     for n in running)
        assert ipam(ns.root) == ips, (ipam(ns.root), ips)
        if whole:  # the successor may have removed all the rm asked for
            ns.ok("rm", "-f", *whole)
        assert ns.ok("ps", "-aq") == "" and ipam(ns.root) == []
    finally:
        ns.stop()


def start_child(ns):
    """The daemon's child that is not its keeper or an iptables-restore: the
    start's, handed over to the keeper."""
    pid = ns.procs[-1].pid
    with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
        kids = [int(k) for k in f.read().split() if int(k) != keeper_pid(pid)]
    found = []
    for k in kids:
        try:
            if open("/proc/%d/comm" % k).read().strip() != "iptables-restor":
                found.append(k)
        except OSError:
            pass  # an iptables-restore that ended
    return found


def test_start_cut_by_a_kill_leaves_no_rules(build):
    # The start's child blocks on its /etc/passwd (a FIFO) after the
    # published port's rules went in; the daemon is killed then. Before,
    # the next daemon ended the start but left the DNAT rule behind.
    ns = NsDaemons(build)
    try:
        ns.start_with_busybox()
        fifo = os.path.join(ns.root, "pw")
        os.mkfifo(fifo)
        cli = subprocess.Popen([ns.berth, "--root", ns.root, "run", "-d", "--name", "mid",
                                "-p", "8097:80", "-v", fifo + ":/etc/passwd:ro", "busybox",
                                "sleep", "1000"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
        for _ in range(200):  # the rule is in, the start's child set up
            if "8097" in ns.net("iptables", "-t", "nat", "-S", "BERTH", check=False) and \
                    start_child(ns):
                break
            time.sleep(0.05)
        assert "DNAT" in ns.net("iptables", "-t", "nat", "-S", "BERTH")
        assert start_child(ns)
        ns.kill()
        cli.communicate(timeout=30)
        ns.start()
        st = ns.ok("inspect", "-f", "{{.State.Status}}|{{.State.Error}}", "mid").strip()
        assert st == "created|the start was interrupted: the supervisor was killed", st
        for _ in range(100):  # the removal runs in the background
            if "DNAT" not in ns.net("iptables", "-t", "nat", "-S", "BERTH"):
                break
            time.sleep(0.05)
        assert "DNAT" not in ns.net("iptables", "-t", "nat", "-S", "BERTH")
        assert "8097" not in ns.net("iptables", "-S", "BERTH-FORWARD")
        assert ipam(ns.root) == []
        assert ns.ok("ps", "-a", "--format", "{{.Ports}}").strip() == ""
        ns.ok("rm", "-f", "mid")
    finally:
        ns.stop()


def test_rules_job_failing_after_a_commit_leaves_no_rules(build):
    # iptables-restore commits table by table: here a stand-in puts the
    # rules in and then fails, as one whose second table was refused.
    # The failed start took its rules out only when the job succeeded.
    d, fake = daemon_with_restore(
        build, "commit-then-fail-iptables-restore",
        '#!/bin/sh\nrules=$(cat)\nprintf "%s\\n" "$rules" | iptables-restore "$@" || '
        'exit $?\ncase "$rules" in *"-A BERTH "*DNAT*)\n'
        '  echo "iptables-restore: line 9 failed" >&2; exit 1;;\nesac\n')
    try:
        d.import_busybox()
        rc, out, err = d.cli("run", "-d", "--name", "pub", "-p", "8098:80", "busybox", "sleep",
                             "1000")
        assert rc == 125 and "line 9 failed" in err, (rc, out, err)
        for _ in range(100):
            if "DNAT" not in d.netexec("iptables", "-t", "nat", "-S", "BERTH"):
                break
            time.sleep(0.05)
        assert "DNAT" not in d.netexec("iptables", "-t", "nat", "-S", "BERTH")
        assert "8098" not in d.netexec("iptables", "-S", "BERTH-FORWARD")
        assert ipam(d.root) == []
        d.ok("rm", "-f", "pub")
    finally:
        d.stop()
        os.unlink(fake)


def test_more_than_1024_containers_are_all_found(build):
    # The supervisor's lookup saw only the first 1024 of its table: an rm
    # of one beyond said "No such container". 1030 created containers
    # (copies of one, made while no daemon runs), all removed by ID.
    import json
    import shutil
    d = Daemon(build)
    try:
        d.import_busybox()
        proto = d.ok("create", "--network", "none", "--name", "proto", "busybox",
                     "true").strip()
        d.stop(remove=False)
        ctrs = os.path.join(d.root, "run/berth/containers")
        ids = ["%064x" % (i + 1) for i in range(1029)]
        for i, cid in enumerate(ids):
            shutil.copytree(os.path.join(ctrs, proto), os.path.join(ctrs, cid))
            path = os.path.join(ctrs, cid, "config.json")
            with open(path) as f:
                cfg = json.load(f)
            cfg["Id"], cfg["Name"] = cid, "c%d" % i
            with open(path, "w") as f:
                json.dump(cfg, f)
        d = Daemon(build, root=d.root)
        # the supervisor's table is in the reverse of readdir's order: the
        # ones read first are past the 1024th
        first = [n for n in os.listdir(ctrs) if HEX64.match(n)][:8]
        rc, out, err = d.cli("rm", *first)
        assert rc == 0 and out.split() == first, (rc, out, err)
        rest = [n for n in ids + [proto] if n not in first]
        rc, out, err = d.cli("rm", *rest, timeout=120)
        assert rc == 0 and out.split() == rest, (rc, out[-300:], err[-300:])
        assert d.ok("ps", "-aq") == ""
    finally:
        d.stop()
