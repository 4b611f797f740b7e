"""Appliance test harness: boot build/ kernel + initramfs in QEMU (TCG) and
talk to the serial console with timeouts and clear diagnostics.

The serial log of every boot is written to build/test-logs/<name>.serial.log
as it arrives, so a failure can always be read afterwards.
"""
import gzip
import os
import re
import subprocess
import socket
import threading
import time
import urllib.request


class TestFailure(AssertionError):
    pass


class Skip(BaseException):
    """Raised by a test (or a module's setup_module, for all its tests)
    when the build host lacks something the test needs and Berth does not
    provide: a kernel feature, a facility of the machine. tests/run.py
    prints `skip NAME (reason)` and counts it. Only after the test found
    out the lack itself, never by default; what Berth's own kernel (the
    appliance's) must have is asserted, not skipped. A BaseException, so
    a test's `except Exception` does not swallow it."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def skip(reason):
    raise Skip(reason)


# busybox's line editing asks the terminal for the cursor position (ESC[6n)
# right after the prompt.
PROMPT = re.compile(rb"[\w.-]+:[^\n]*# (\x1b\[6n)?$")
# After a command's end marker: its prompt, which kernel messages printed on
# the console may already have followed (so not anchored at the end).
PROMPT_AFTER = re.compile(rb"[\w.-]+:[^\n]*# (\x1b\[6n)?")
ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")


class Appliance:
    instances = []

    def __init__(self, build, name, extra_args=(), append="", http_port=0, mem=512, hostfwd=(),
                 files=None, workload=None):
        """files: {"/etc/berth/compose.yaml": text, ...} put into the
        appliance without rebuilding it: a cpio archive of them is appended
        to the initramfs (the kernel unpacks concatenated archives in
        order, so later files win). A value is the content (str or bytes)
        or (content, mode), e.g. (elf_bytes, 0o755) for a program; see
        newc_cpio. The file's directory must exist in the image (/root,
        /etc/berth: not /tmp, a tmpfs over it at boot).
        workload: start the compose services at boot? Default: only when
        files gives a compose file; otherwise the test boots with
        berth.compose=none, so the baked-in default (httpd on port 80) does
        not take ports and containers the test expects to own."""
        self.build = build
        self.files = files or {}
        if workload is None:
            workload = "/etc/berth/compose.yaml" in self.files
        if not workload:
            append = (append + " berth.compose=none").strip()
        self.hostfwd = list(hostfwd)  # more QEMU hostfwd rules (127.0.0.1 only)
        self.name = name
        self.extra_args = list(extra_args)
        self.append = append
        self.http_port = http_port
        self.mem = mem
        self.buf = b""
        self.lock = threading.Condition()
        self.proc = None
        self.seq = 0
        self.t_start = None
        logdir = os.path.join(build, "test-logs")
        os.makedirs(logdir, exist_ok=True)
        self.log_path = os.path.join(logdir, name + ".serial.log")
        Appliance.instances.append(self)

    # -- process -----------------------------------------------------------
    def start(self):
        env = dict(os.environ)
        # loglevel=4 keeps PID 1's warnings off the console (tests read them
        # with dmesg), so they cannot interleave with command output.
        env["BERTH_APPEND"] = ("loglevel=4 " + self.append).strip()
        env["BERTH_HTTP_PORT"] = str(self.http_port)
        env["BERTH_MEM"] = str(self.mem)
        env["BERTH_HOSTFWD"] = ",".join(self.hostfwd)
        if self.files:
            env["BERTH_INITRD"] = self._initrd_with_files()
        self.logf = open(self.log_path, "wb")
        self.t_start = time.monotonic()
        self.proc = subprocess.Popen(
            [os.path.join(self.build, "qemu.sh"), "-no-reboot"] + self.extra_args,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            env=env, start_new_session=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        return self

    def _initrd_with_files(self):
        """build/initramfs.cpio.gz followed by a gzipped newc cpio of
        self.files, in build/test-logs/<name>.initrd."""
        path = os.path.join(os.path.dirname(self.log_path), self.name + ".initrd")
        with open(os.path.join(self.build, "initramfs.cpio.gz"), "rb") as f:
            base = f.read()
        base += b"\0" * (-len(base) % 512)
        with open(path, "wb") as f:
            f.write(base)
            f.write(gzip.compress(newc_cpio(self.files)))
        return path

    def _read(self):
        fd = self.proc.stdout.fileno()
        while True:
            try:
                data = os.read(fd, 4096)
            except OSError:
                data = b""
            with self.lock:
                if not data:
                    self.lock.notify_all()
                    return
                self.buf += data
                self.logf.write(data)
                self.logf.flush()
                self.lock.notify_all()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill(self):
        if self.alive():
            try:
                os.killpg(self.proc.pid, 9)
            except ProcessLookupError:
                pass
            self.proc.wait()
        if self.proc:
            self.reader.join(2)
        if getattr(self, "logf", None):
            self.logf.close()

    def wait_exit(self, timeout):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.fail("QEMU did not exit within %ss" % timeout)

    # -- diagnostics --------------------------------------------------------
    def tail(self, n=40):
        text = ANSI.sub(b"", self.buf).decode("utf-8", "replace").replace("\r", "")
        return "\n".join(text.splitlines()[-n:])

    def fail(self, msg):
        raise TestFailure("%s\n--- last serial lines (%s) ---\n%s\n--- full log: %s" %
                          (msg, self.name, self.tail(), self.log_path))

    # -- console ------------------------------------------------------------
    def expect(self, pattern, timeout=30, start=0):
        """Wait for a regex (bytes) in the serial output after offset start;
        returns the match."""
        if isinstance(pattern, re.Pattern):
            rx = pattern
        else:
            rx = re.compile(pattern if isinstance(pattern, bytes) else pattern.encode())
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                m = rx.search(self.buf, start)
                if m:
                    return m
                left = deadline - time.monotonic()
                if left <= 0:
                    self.fail("timed out after %ss waiting for %r" % (timeout, rx.pattern))
                if self.proc.poll() is not None and not self.reader.is_alive():
                    self.fail("QEMU exited (%s) while waiting for %r" %
                              (self.proc.returncode, rx.pattern))
                self.lock.wait(min(left, 0.5))

    def send(self, text):
        self.proc.stdin.write(text.encode())
        self.proc.stdin.flush()

    def wait_prompt(self, timeout=60, start=0):
        """Wait for a shell prompt after offset start, then turn off echo
        (busybox's line editing steps aside without echo, so output parses
        cleanly)."""
        m = self.expect(PROMPT, timeout, start)
        self.prompt_at = time.monotonic() - self.t_start
        self.send("stty -echo\n")
        self.run("true")
        return m

    def wait_compose_up(self, timeout=60):
        """The boot-time compose child's exit status (b"0"...), from its
        last line; then a fresh prompt, as its lines come after the
        shell's first one."""
        m = self.expect(rb"berth compose: up finished \(exit (\d+)\)", timeout)
        self.send("\n")
        self.wait_prompt(60, start=m.end())
        return m.group(1)

    def run(self, cmd, timeout=20, check=True):
        """Run a shell command on the console; returns (output, status)."""
        self.seq += 1
        start = len(self.buf)
        # The quotes keep the marker out of any echo of the typed line.
        self.send('%s; echo "__RC$?_""%d__"\n' % (cmd, self.seq))
        m = self.expect(rb"__RC(\d+)_%d__\r?\n" % self.seq, timeout, start)
        # The next prompt belongs to this command, not to the next one's output.
        self.expect(PROMPT_AFTER, timeout, m.end())
        out = ANSI.sub(b"", self.buf[start:m.start()]).decode("utf-8", "replace")
        out = out.replace("\r", "")
        status = int(m.group(1))
        if check and status != 0:
            self.fail("command %r exited %d:\n%s" % (cmd, status, out))
        return out, status

    def sh(self, cmd, timeout=20):
        return self.run(cmd, timeout)[0]


def newc_cpio(files):
    """A newc ("070701") cpio archive of root-owned regular files
    {path: content} or {path: (content, mode)}, content str or bytes. The
    mode defaults to 0644, 0755 when the content starts with "#!"."""
    out = b""

    def member(name, mode, data, ino):
        nonlocal out
        name_b = name.encode() + b"\0"
        fields = [ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name_b), 0]
        hdr = b"070701" + b"".join(b"%08X" % v for v in fields)
        out += hdr + name_b
        out += b"\0" * (-len(out) % 4)
        out += data
        out += b"\0" * (-len(out) % 4)

    for i, (path, value) in enumerate(sorted(files.items())):
        content, perm = value if isinstance(value, tuple) else (value, None)
        data = content.encode() if isinstance(content, str) else bytes(content)
        if perm is None:
            perm = 0o755 if data.startswith(b"#!") else 0o644
        member(path.lstrip("/"), 0o100000 | (perm & 0o7777), data, 1000 + i)
    member("TRAILER!!!", 0, b"", 0)
    return out


def kill_all():
    """End every QEMU this process started (the runner calls it after each
    test module, so a failed setup leaves nothing behind)."""
    while Appliance.instances:
        Appliance.instances.pop().kill()


def free_port():
    """A free TCP port on 127.0.0.1 for a QEMU hostfwd."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(port, path="/", timeout=30):
    """GET http://127.0.0.1:PORT/PATH (a hostfwd) until it answers 200 or
    timeout seconds pass; the body as text. Straight there, whatever proxy
    the host's environment names (http_proxy without no_proxy would take
    127.0.0.1 too)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            with opener.open("http://127.0.0.1:%d%s" % (port, path), timeout=2) as r:
                if r.status == 200:
                    return r.read().decode()
        except Exception as e:  # not up yet
            last = e
        time.sleep(0.2)
    raise AssertionError("no 200 from 127.0.0.1:%d%s within %ss: %r" % (port, path, timeout, last))
