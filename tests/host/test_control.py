"""The control FIFO protocol against `berth daemon --root DIR` on the host:
replies and exit codes, bad input that must not hurt the supervisor, and
reply paths that must be refused."""
import os
import stat
import threading
import time

from hostenv import Daemon


def setup_module(build):
    return Daemon(build)


def teardown_module(d):
    d.stop()  # already stopped by test_stop_ends_daemon when that passed


def test_ping_and_version(d):
    rc, out, err = d.cli("ping")
    assert (rc, out) == (0, "pong\n"), (rc, out, err)
    rc, out, err = d.cli("info")
    assert rc == 0 and "daemon" in out and str(d.proc.pid) in out, (rc, out, err)
    rc, out, _ = d.cli("--version")
    assert rc == 0 and out.startswith("berth version "), out


def test_control_fifo_is_private(d):
    st = os.stat(d.control)
    assert stat.S_ISFIFO(st.st_mode)
    assert stat.S_IMODE(st.st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.dirname(d.control)).st_mode) == 0o700


def test_unknown_command_and_flag(d):
    rc, out, err = d.cli("frobnicate")
    assert rc == 1 and "'frobnicate' is not a berth command" in err, (rc, out, err)
    rc, out, err = d.cli("--bogus", "ps")
    assert rc == 125 and "unknown flag: --bogus" in err, (rc, err)
    rc, out, err = d.cli("reboot", "extra")
    assert rc == 1 and "accepts no arguments" in err, (rc, err)


def test_garbage_and_long_lines_do_not_hurt(d):
    d.write_raw(b"\x00\x01\xff\xfebinary garbage\n")
    d.write_raw(b"x" * 4000)
    d.write_raw(b"y" * 1000 + b"\n")  # one line of 5000 bytes in two writes
    d.write_raw(b"'unterminated\n")
    d.write_raw(b"\n")
    rc, out, _ = d.cli("ping")
    assert (rc, out) == (0, "pong\n")
    assert d.alive()
    log = d.logtext()
    assert "NUL byte in line" in log, log
    assert "longer than 4096 bytes" in log, log
    assert "unterminated ' quote" in log, log


def ask_raw(d, name, *chunks):
    """Write chunks (each a separate write; %s: the reply FIFO's path) by
    hand and return what came back on reply FIFO name."""
    reply = os.path.join(d.root, "run/berth/reply", name)
    os.mkfifo(reply, 0o600)
    rfd = os.open(reply, os.O_RDONLY | os.O_NONBLOCK)
    try:
        for c in chunks:
            d.write_raw((c % reply if "%s" in c else c).encode())
        return read_all(rfd, 5)
    finally:
        os.close(rfd)
        os.unlink(reply)


def timed_cli(d, *args):
    t0 = time.monotonic()
    rc, out, err = d.cli(*args)
    return rc, out, err, time.monotonic() - t0


def test_partial_line_does_not_stall_next_client(d):
    # The steps: a writer leaves a line without its newline; the
    # next client's request must not be glued to it (it would wait 15 s).
    d.write_raw(b"garbage-without-newline")
    rc, out, err, secs = timed_cli(d, "ps")
    assert rc == 0 and out.startswith("CONTAINER ID"), (rc, out, err)
    assert secs < 5, secs
    assert "dropped 23 bytes of an unfinished line (a new request started)" in d.logtext()


def test_garbage_and_request_in_one_read(d):
    # Both may be in the FIFO before the supervisor reads: one chunk.
    data = ask_raw(d, "glued", "junk-no-newline@%s ping\n")
    assert data == b"pong\n@status 0\n", data
    assert "dropped 15 bytes of an unfinished line" in d.logtext()


def test_stale_partial_line_is_dropped_after_a_while(d):
    d.write_raw(b"half-a-line")
    deadline = time.monotonic() + 5
    want = "dropped 11 bytes of an unfinished line (not finished within 250 ms)"
    while want not in d.logtext() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert want in d.logtext()
    # the next hand-written request stands on its own
    d.write_raw(b"ping\n")
    deadline = time.monotonic() + 5
    while "control: pong" not in d.logtext() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "control: pong" in d.logtext()
    assert "half-a-lineping" not in d.logtext()


def test_line_split_over_two_quick_writes_still_works(d):
    # Shells may write one line in pieces: a prompt second piece completes it.
    data = ask_raw(d, "split", "@%s pi", "ng\n")
    assert data == b"pong\n@status 0\n", data


def test_over_long_line_without_newline_does_not_stall(d):
    d.write_raw(b"z" * 5000)
    rc, out, err, secs = timed_cli(d, "ping")
    assert (rc, out) == (0, "pong\n"), (rc, out, err)
    assert secs < 5, secs


def test_too_long_request_is_refused_by_cli(d):
    rc, out, err = d.cli("ping", "z" * 5000)
    assert rc == 1 and "longer than 4096" in err, (rc, err)
    assert d.alive()


def test_oversized_line_with_reply_gets_an_error(d):
    # A hand-made request over the limit still gets an answer on its FIFO.
    reply = os.path.join(d.root, "run/berth/reply/long")
    os.mkfifo(reply, 0o600)
    rfd = os.open(reply, os.O_RDONLY | os.O_NONBLOCK)
    d.write_raw(("@%s ping " % reply).encode() + b"a" * 5000 + b"\n")
    data = read_all(rfd, 5)
    os.close(rfd)
    os.unlink(reply)
    assert b"@err malformed request: longer than 4096 bytes" in data, data
    assert data.endswith(b"@status 2\n"), data


def read_all(fd, timeout):
    deadline = time.monotonic() + timeout
    data = b""
    while time.monotonic() < deadline:
        try:
            chunk = os.read(fd, 4096)
        except BlockingIOError:
            time.sleep(0.02)
            continue
        if not chunk and data:
            break
        data += chunk
        if not chunk:
            time.sleep(0.02)
    return data


def test_reply_path_outside_reply_dir_is_refused(d):
    outside = os.path.join(d.root, "outside.fifo")
    os.mkfifo(outside, 0o600)
    rfd = os.open(outside, os.O_RDONLY | os.O_NONBLOCK)
    d.write_raw(("@%s ping\n" % outside).encode())
    time.sleep(0.3)
    data = read_all(rfd, 0.3)
    os.close(rfd)
    assert data == b"", data
    assert "is not inside" in d.logtext()
    assert d.alive()


def test_symlinked_reply_fifo_is_refused(d):
    target = os.path.join(d.root, "target.fifo")
    os.mkfifo(target, 0o600)
    link = os.path.join(d.root, "run/berth/reply/evil")
    os.symlink(target, link)
    rfd = os.open(target, os.O_RDONLY | os.O_NONBLOCK)
    d.write_raw(("@%s ping\n" % link).encode())
    time.sleep(0.3)
    data = read_all(rfd, 0.3)
    os.close(rfd)
    os.unlink(link)
    assert data == b"", data
    assert "open reply" in d.logtext()


def test_regular_file_reply_is_refused(d):
    path = os.path.join(d.root, "run/berth/reply/plain")
    with open(path, "w"):
        pass
    d.write_raw(("@%s ping\n" % path).encode())
    time.sleep(0.3)
    assert os.path.getsize(path) == 0
    os.unlink(path)
    rc, out, _ = d.cli("ping")
    assert rc == 0


def test_vanished_client_does_not_block(d):
    # A reply FIFO nobody reads: the open fails without blocking the loop.
    path = os.path.join(d.root, "run/berth/reply/gone")
    os.mkfifo(path, 0o600)
    d.write_raw(("@%s boot\n" % path).encode())
    rc, out, _ = d.cli("ping")
    assert rc == 0
    os.unlink(path)


def test_concurrent_clients(d):
    results = []

    def one():
        results.append(d.cli("ping"))

    threads = [threading.Thread(target=one) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 20
    assert all(r[0] == 0 and r[1] == "pong\n" for r in results), results


def test_stop_ends_daemon(d):
    rc, out, err = d.cli("poweroff")
    assert rc == 0, (rc, out, err)
    assert d.proc.wait(10) == 0
    assert not os.path.exists(d.control)
