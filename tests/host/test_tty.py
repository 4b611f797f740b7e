"""Interactive containers under `berth daemon`: run -it / -i and exec -it /
-i driven from a pty of our own, as a user at a terminal would: the tty
inside, the window size, Ctrl-D, exit codes, the terminal restored, and a
CLI killed mid-session that leaves the daemon and the container alone."""
import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import termios
import time

from hostenv import Daemon, require_bridge_network, require_overlay


def setup_module(build):
    require_overlay()
    require_bridge_network()  # containers go on the default bridge
    d = Daemon(build)
    d.import_busybox()
    d.ok("run", "-d", "--name", "box", "busybox", "sleep", "100000")
    return d


def teardown_module(d):
    d.stop()


class Term:
    """`berth ARGS` on the slave of a pty we hold both ends of (so the
    terminal's settings can be read after the CLI exits)."""

    def __init__(self, d, *args, rows=33, cols=101):
        self.master, self.slave = os.openpty()
        self.resize(rows, cols)
        self.before = termios.tcgetattr(self.slave)
        self.proc = subprocess.Popen(
            [d.berth, "--root", d.root] + list(args), stdin=self.slave, stdout=self.slave,
            stderr=self.slave, start_new_session=True,
            preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))
        self.buf = b""

    def resize(self, rows, cols):
        # The kernel sends SIGWINCH to the CLI, the terminal's foreground.
        fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

    def send(self, text):
        os.write(self.master, text.encode())

    def expect(self, pattern, timeout=15):
        rx = re.compile(pattern.encode())
        end = time.monotonic() + timeout
        while True:
            m = rx.search(self.buf)
            if m:
                self.buf_all = self.buf
                self.buf = self.buf[m.end():]
                return m
            left = end - time.monotonic()
            assert left > 0, "timed out waiting for %r; got %r" % (pattern, self.buf)
            r, _, _ = select.select([self.master], [], [], min(left, 0.2))
            if r:
                try:
                    self.buf += os.read(self.master, 4096)
                except OSError:
                    pass

    def wait(self, timeout=15):
        rc = self.proc.wait(timeout)
        self.after = termios.tcgetattr(self.slave)
        os.close(self.master)
        os.close(self.slave)
        return rc


def check_shell(t, tty_rx):
    t.expect(r"# ")
    t.send("tty; echo $((6*7)); stty size\r")
    m = t.expect(r"(/dev/\S+)\r\n42\r\n33 101\r\n")
    assert re.fullmatch(tty_rx, m.group(1).decode()), m.group(1)
    t.expect(r"# ")
    t.resize(40, 120)
    time.sleep(0.3)
    t.send("stty size\r")
    t.expect(r"40 120\r\n")
    t.send("exit 3\r")
    assert t.wait() == 3
    # raw mode is gone again: echo and line editing as before
    assert t.after == t.before, (t.before, t.after)


def test_run_it_without_a_terminal_refused(d):
    # Docker's check; nothing is created (subprocess stdin is a pipe here)
    before = d.ok("ps", "-a", "-q")
    rc, out, err = d.cli("run", "-it", "--rm", "busybox", "true", input="")
    assert rc == 1 and "the input device is not a TTY" in err, (rc, err)
    assert d.ok("ps", "-a", "-q") == before
    # -t alone (no -i) and -i alone do not need one
    rc, out, err = d.cli("run", "-t", "--rm", "busybox", "echo", "ok", input="")
    assert rc == 0, err
    rc, out, err = d.cli("run", "-i", "--rm", "busybox", "cat", input="piped\n")
    assert rc == 0 and out == "piped\n", (rc, out, err)

def test_run_it_shell_tty_size_exit_code(d):
    t = Term(d, "run", "-it", "--rm", "busybox", "sh")
    check_shell(t, r"/dev/console|/dev/pts/\d+")
    assert d.ok("ps", "-aq").strip() == d.ok("ps", "-q").strip()  # --rm: only "box" left
    assert d.ok("ping").strip() == "pong"


def test_exec_it_shell_tty_size_exit_code(d):
    t = Term(d, "exec", "-it", "box", "sh")
    check_shell(t, r"/dev/pts/\d+")
    assert d.ok("ping").strip() == "pong"


def test_run_it_ctrl_d_ends_container(d):
    t = Term(d, "run", "-it", "--name", "ctrld", "busybox", "sh")
    t.expect(r"# ")
    t.send("echo inside-$((2+3))\r")
    t.expect(r"inside-5")
    t.expect(r"# ")
    t.send("\x04")
    assert t.wait() == 0
    assert d.ok("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "ctrld").strip() == \
        "exited 0"
    # the tty's output is in the log too
    assert "inside-5" in d.ok("logs", "ctrld")
    d.ok("rm", "ctrld")


def test_slow_cli_pauses_output_not_the_daemon(d):
    t = Term(d, "run", "-it", "--rm", "--name", "chatty", "busybox", "sh", "-c",
             "sleep 1; seq 1 100000; echo end-$((1+1))")
    for _ in range(100):
        if d.cli("inspect", "-f", "{{.State.Status}}", "chatty")[1].strip() == "running":
            break
        time.sleep(0.05)
    t.proc.send_signal(signal.SIGSTOP)
    time.sleep(2)
    # PID 1 stopped reading the pty (bounded buffers) and still answers
    assert d.ok("ping").strip() == "pong"
    assert d.ok("inspect", "-f", "{{.State.Status}}", "chatty").strip() == "running"
    t.proc.send_signal(signal.SIGCONT)
    t.expect(r"end-2", timeout=60)
    nums = [int(x) for x in re.findall(rb"(?m)^(\d+)\r\n", t.buf_all)]
    assert nums == list(range(1, 100001)), "lost or reordered output"
    assert t.wait() == 0


def test_run_i_piped_stdin(d):
    p = subprocess.run("printf 'echo hi\\necho $((40+2)) >&2\\nexit 4\\n' | %s --root %s run -i "
                       "--rm busybox sh" % (d.berth, d.root), shell=True, capture_output=True,
                       text=True, timeout=30)
    assert p.returncode == 4, p
    assert p.stdout == "hi\n", p
    assert p.stderr == "42\n", p
    # without -i, stdin is not passed on
    p = subprocess.run([d.berth, "--root", d.root, "run", "--rm", "busybox", "cat"],
                       input="nothing\n", capture_output=True, text=True, timeout=30)
    assert p.returncode == 0 and p.stdout == "", p


def test_run_i_stdin_larger_than_buffers(d):
    data = "".join("line %d\n" % i for i in range(40000))  # ~400 KB
    p = subprocess.run([d.berth, "--root", d.root, "run", "-i", "--rm", "busybox", "wc", "-l"],
                       input=data, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and p.stdout.strip() == "40000", p


def test_exec_i_and_t_without_a_terminal(d):
    p = subprocess.run([d.berth, "--root", d.root, "exec", "-i", "box", "sh"],
                       input="echo $((1+1))\n", capture_output=True, text=True, timeout=30)
    assert p.returncode == 0 and p.stdout == "2\n", p
    # -t with stdin not a terminal: still a pty inside, no raw mode outside
    p = subprocess.run([d.berth, "--root", d.root, "exec", "-t", "box", "sh", "-c",
                        "tty; exit 5"], stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, timeout=30)
    assert p.returncode == 5, p
    assert re.match(r"/dev/pts/\d+\r?\n", p.stdout), p


def test_run_dt_detached_tty_logs(d):
    cid = d.ok("run", "-dt", "busybox", "sh", "-c", "tty; echo done").strip()
    assert d.ok("wait", cid).strip() == "0"
    logs = d.ok("logs", cid).replace("\r", "")
    assert re.match(r"/dev/(console|pts/\d+)\ndone\n", logs), logs
    d.ok("rm", cid)


def test_run_dit_keeps_a_shell_waiting_on_its_tty(d):
    cid = d.ok("run", "-dit", "--name", "waiting", "busybox", "sh").strip()
    for _ in range(50):
        if "built-in shell" in d.ok("logs", cid):
            break
        time.sleep(0.1)
    # an interactive shell (it has a tty) greets; logged though nobody is attached
    assert "built-in shell" in d.ok("logs", cid)
    time.sleep(0.5)
    assert d.ok("inspect", "-f", "{{.State.Status}}", "waiting").strip() == "running"
    d.ok("rm", "-f", "waiting")


def test_cli_killed_mid_session(d):
    t = Term(d, "run", "-it", "--name", "victim", "busybox", "sh")
    t.expect(r"# ")
    t.send("echo alive-$((1+1))\r")
    t.expect(r"alive-2")
    attach = os.path.join(d.root, "run/berth/attach")
    assert os.listdir(attach), "no attach session"
    t.proc.send_signal(signal.SIGKILL)
    t.wait()
    assert d.ok("ping").strip() == "pong"
    for _ in range(50):
        if not os.listdir(attach):
            break
        time.sleep(0.1)
    assert os.listdir(attach) == [], "session not ended"
    assert d.ok("inspect", "-f", "{{.State.Status}}", "victim").strip() == "running"
    # the container still works without anyone attached
    assert d.ok("exec", "victim", "echo", "still-here") == "still-here\n"
    assert "alive-2" in d.ok("logs", "victim")
    d.ok("stop", "-t", "1", "victim")
    assert d.ok("wait", "victim").strip() == "137"  # sh as init ignores SIGTERM
    assert d.ok("inspect", "-f", "{{.State.Status}}", "victim").strip() == "exited"
    d.ok("rm", "victim")
    assert d.ok("ping").strip() == "pong"


def test_attach_and_resize_verbs_refuse_bad_input(d):
    d.write_raw(b"attach\nattach nosuch\nattach box\nresize box 10 10\nresize box x 10\n"
                b"resize\nresize box 0 99999999\n")
    assert d.ok("ping").strip() == "pong"
    log = d.logtext()
    assert "has no tty and no stdin to attach to" in log, log
    assert "has no tty" in log and "resize: bad size x 10" in log, log
    assert os.listdir(os.path.join(d.root, "run/berth/attach")) == []


def test_attach_to_a_detached_tty_container(d):
    d.ok("run", "-dit", "--name", "attachme", "busybox", "sh")
    t = Term(d, "attach", "attachme", rows=21, cols=77)
    t.send("\r")
    t.expect(r"# ")
    t.send("echo $((6*7)); stty size\r")
    t.expect(r"42\r\n21 77\r\n")
    t.send("exit 4\r")
    assert t.wait() == 4
    assert t.after == t.before, (t.before, t.after)
    assert d.ok("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}",
                "attachme").strip() == "exited 4"
    rc, out, err = d.cli("attach", "attachme")
    assert rc == 1 and "You cannot attach to a stopped container" in err, (rc, err)
    d.ok("rm", "attachme")


def test_attach_without_tty_streams_new_output_and_stdin(d):
    d.ok("run", "-di", "--name", "attachcat", "busybox", "sh", "-c",
         "echo before; while read l; do echo got:$l; done; exit 6")
    time.sleep(0.3)
    p = subprocess.run([d.berth, "--root", d.root, "attach", "attachcat"], input="a\nb\n",
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 6, (p.returncode, p.stderr)
    assert p.stdout == "got:a\ngot:b\n", p.stdout  # "before" was earlier: not repeated
    d.ok("rm", "attachcat")


def test_start_ai_a_tty_shell_again(d):
    # docker start -ai: an -it container that has exited, its shell again
    # on our terminal (attached before the start, so its prompt is not
    # missed), size and exit code as with run -it
    d.ok("create", "-it", "--name", "again", "busybox", "sh")
    for _ in range(2):
        t = Term(d, "start", "-ai", "again")
        check_shell(t, r"/dev/console|/dev/pts/\d+")
        assert d.ok("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}",
                    "again").strip() == "exited 3"
    d.ok("rm", "again")
