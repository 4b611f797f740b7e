"""The supervisor never waits for a container's start: a start whose child
hangs in its setup (the image's /etc/passwd is a FIFO nobody writes, bound
in with -v) leaves `ps`, other starts and crash-loop restarts answered;
`rm -f` ends such a start; the start's own request is answered when it is
finished. Under `berth daemon` on the build host."""
import os
import subprocess
import threading
import time

from hostenv import Daemon, require_bridge_network, require_overlay


def setup_module(build):
    require_overlay()
    require_bridge_network()
    d = Daemon(build)
    d.import_busybox()
    return d


def teardown_module(d):
    d.stop()


def hung_run(d, name, fifo, *extra):
    """`run -d` of a container whose start blocks on fifo (its /etc/passwd)
    until someone writes it; returns the running CLI."""
    if not os.path.exists(fifo):
        os.mkfifo(fifo)
    return subprocess.Popen([d.berth, "--root", d.root, "run", "-d", "--name", name] +
                            list(extra) + ["-v", fifo + ":/etc/passwd:ro", "busybox",
                                           "sleep", "1000"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_starting(d, name):
    """Until the hung start's child is there (the container is created
    and its start reached the FIFO: a reader holds it open)."""
    end = time.monotonic() + 20
    while time.monotonic() < end:
        if name in d.ok("ps", "-a", "--format", "{{.Names}}").split():
            time.sleep(0.3)  # the child opens the FIFO right after its release
            return
        time.sleep(0.05)
    raise AssertionError("container %s was not created" % name)


def release(fifo):
    fd = os.open(fifo, os.O_WRONLY)  # the child holds it open for reading
    os.write(fd, b"root:x:0:0:root:/root:/bin/sh\n")
    os.close(fd)


def test_hung_start_does_not_delay_ps_or_other_starts(d):
    fifo = os.path.join(d.root, "passwd1")
    cli = hung_run(d, "slow", fifo)
    try:
        wait_starting(d, "slow")
        # the supervisor answers while the start is under way
        rc, out, err = d.cli("ps", "-a", timeout=10)
        assert rc == 0 and "slow" in out and "Created" in out, (rc, out, err)
        rc, out, err = d.cli("run", "-d", "--name", "quick", "busybox", "sleep", "1000",
                             timeout=10)
        assert rc == 0, (rc, out, err)
        assert cli.poll() is None, cli.communicate()  # still waiting for its start
        release(fifo)
        out, err = cli.communicate(timeout=20)
        assert cli.returncode == 0 and len(out.strip()) == 64, (cli.returncode, out, err)
        assert d.ok("inspect", "-f", "{{.State.Status}}", "slow").strip() == "running"
    finally:
        if cli.poll() is None:
            cli.kill()
        d.cli("rm", "-f", "slow", "quick")


def test_rm_f_ends_a_hung_start(d):
    fifo = os.path.join(d.root, "passwd2")
    cli = hung_run(d, "stuck", fifo, "-p", "8080:80")
    wait_starting(d, "stuck")
    rc, out, err = d.cli("rm", "-f", "stuck", timeout=10)
    assert (rc, out) == (0, "stuck\n"), (rc, out, err)
    out, err = cli.communicate(timeout=20)
    assert cli.returncode != 0 and "the start was cancelled" in err, (cli.returncode, err)
    assert "stuck" not in d.ok("ps", "-a")
    # nothing left of it: the name, its port and its address are free again
    rc, out, err = d.cli("run", "-d", "--name", "stuck", "-p", "8080:80", "busybox", "sleep",
                         "1000")
    assert rc == 0, (rc, out, err)
    d.ok("rm", "-f", "stuck")


def test_requests_during_crash_loop_all_answered(d):
    # three crash-loopers restarting on their backoff, one start hung all
    # along: every request is answered and the restarts go on
    fifo = os.path.join(d.root, "passwd3")
    cli = hung_run(d, "hung", fifo)
    loopers = ["loop%d" % i for i in range(3)]
    try:
        wait_starting(d, "hung")
        for n in loopers:
            d.ok("run", "-d", "--restart", "always", "--name", n, "busybox", "sh", "-c", "exit 3")
        failed = []

        def client():
            for _ in range(15):
                rc, out, err = d.cli("ps", "-a", timeout=30)
                if rc != 0 or "loop0" not in out:
                    failed.append((rc, err))

        threads = [threading.Thread(target=client) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not failed, failed
        end = time.monotonic() + 15
        while True:
            counts = [int(d.ok("inspect", "-f", "{{.RestartCount}}", n)) for n in loopers]
            if min(counts) >= 2 or time.monotonic() > end:
                break
            time.sleep(0.2)
        assert min(counts) >= 2, counts
        assert cli.poll() is None  # the hung one is still starting
    finally:
        d.cli("rm", "-f", "hung", *loopers)
        cli.communicate(timeout=20)
