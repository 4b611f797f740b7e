"""`berth sandbox-run` on the build host, as root: a busybox rootfs (plus a
static probe program, tests/host/probe/probe.c) in an overlay, each
container in fresh namespaces. Probes try privileged operations in harmless
ways (bad arguments that fail after the permission check; open for write
without writing), so a broken protection shows as a test failure, not as
damage. Limits and the device program are tested in the appliance
(tests/appliance/test_sandbox.py), where cgroup2 is there: a build host may
have cgroup v1 (hybrid). What the host kernel may lack is found out first
(IA32 emulation, CONFIG_KEYS, CONFIG_PROC_CHILDREN, sysrq, overlayfs under
TMPDIR): a test then skips or checks the same thing another way."""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

import harness
import probe as probe_prog
from hostenv import exec_dir, require_overlay


class Box:
    def __init__(self, build):
        self.berth = os.path.join(build, "berth")
        self.tmp = tempfile.mkdtemp(prefix="berth-sb-")
        self.lower = os.path.join(self.tmp, "lower")
        self.top = os.path.join(self.tmp, "top")
        self.n = 0
        bindir = os.path.join(self.lower, "bin")
        os.makedirs(bindir)
        for d in ("etc", "tmp", "root", "home/user"):
            os.makedirs(os.path.join(self.lower, d))
        os.chmod(os.path.join(self.lower, "tmp"), 0o1777)
        shutil.copy("/bin/busybox", bindir)
        applets = subprocess.run(["/bin/busybox", "--list"],
                                 capture_output=True, text=True, check=True).stdout.split()
        for a in applets:
            if a != "busybox":
                os.symlink("busybox", os.path.join(bindir, a))
        # built where the host may run it directly (TMPDIR may be noexec)
        self.probe = probe_prog.compile_probe(os.path.join(exec_dir(build), "probe"))
        shutil.copy2(self.probe, bindir)
        with open(os.path.join(self.lower, "etc/passwd"), "w") as f:
            f.write("root:x:0:0:root:/root:/bin/sh\n"
                    "user:x:1000:1000:user:/home/user:/bin/sh\n"
                    "nobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n")
        with open(os.path.join(self.lower, "etc/group"), "w") as f:
            f.write("root:x:0:\nusers:x:100:user\nuser:x:1000:\nnogroup:x:65534:\n")
        with open(os.path.join(self.lower, "notexec"), "w") as f:
            f.write("#!/bin/sh\necho no\n")
        os.chmod(os.path.join(self.lower, "notexec"), 0o644)
        with open(os.path.join(self.lower, "etc/marker"), "w") as f:
            f.write("lower\n")
        os.makedirs(self.top + "/etc")
        with open(os.path.join(self.top, "etc/marker"), "w") as f:
            f.write("top\n")

    def dirs(self):
        """Fresh upper, work and rootfs directories for one container."""
        self.n += 1
        d = os.path.join(self.tmp, "c%d" % self.n)
        paths = [os.path.join(d, x) for x in ("upper", "work", "rootfs")]
        for p in paths:
            os.makedirs(p)
        return paths

    def run(self, *cmd, opts=(), lowers=None, timeout=30):
        upper, work, rootfs = self.dirs()
        args = [self.berth, "sandbox-run"]
        for lo in (lowers or [self.lower]):
            args += ["--lower", lo]
        args += ["--upper", upper, "--work", work, "--rootfs", rootfs] + list(opts)
        args += ["--"] + list(cmd)
        p = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
        p.upper = upper
        return p

    def sh(self, script, **kw):
        return self.run("/bin/sh", "-c", script, **kw)

    def stop(self):
        shutil.rmtree(self.tmp, ignore_errors=True)


def setup_module(build):
    require_overlay()  # the containers' overlays are under TMPDIR
    return Box(build)


def teardown_module(box):
    box.stop()


def show(p):
    return "rc=%d\nstdout: %s\nstderr: %s" % (p.returncode, p.stdout, p.stderr)


def probe(box, *args, opts=()):
    p = box.run("/bin/probe", *args, opts=opts)
    return p.stdout.strip(), p


# A file berth masks (bind-mounts /dev/null over) that this host's /proc
# has, to look for in mountinfo: /proc/keys exists only with CONFIG_KEYS in
# the host's kernel, /proc/interrupts always.
MASKED = "/proc/keys" if os.path.exists("/proc/keys") else "/proc/interrupts"


def denied(out, errno=1):
    return out.endswith("errno=%d (%s)" % (errno, os.strerror(errno)))


def proc_status(box, opts=()):
    p = box.run("cat", "/proc/self/status", opts=opts)
    assert p.returncode == 0, show(p)
    return dict(line.split(":\t", 1) for line in p.stdout.splitlines() if ":\t" in line)


# ------------------------------------------------------------ namespaces

def test_command_is_pid1(box):
    p = box.sh("echo $$; cut -d' ' -f1 /proc/self/stat")
    assert p.returncode == 0 and p.stdout.split()[0] == "1", show(p)


def test_hostname(box):
    p = box.run("hostname", opts=["--hostname", "boxy"])
    assert p.stdout.strip() == "boxy", show(p)


def test_own_network_namespace_with_lo_up(box):
    p = box.sh("ls /sys/class/net; ping -c1 -W2 127.0.0.1 >/dev/null && echo pong")
    assert p.stdout.split() == ["lo", "pong"], show(p)


def test_host_processes_invisible(box):
    p = box.sh("ls -d /proc/[0-9]* | wc -l")
    assert p.stdout.strip() in ("1", "2", "3"), show(p)


# ------------------------------------------------------------ privileges

def test_mount_denied(box):
    out, p = probe(box, "mount")
    assert denied(out), show(p)


def test_unshare_and_clone_namespaces_denied(box):
    out, p = probe(box, "unshare")
    assert denied(out), show(p)
    out, p = probe(box, "clone_ns")
    assert denied(out), show(p)


def test_ptrace_host_pid_denied(box):
    out, p = probe(box, "ptrace", str(os.getpid()))
    assert not out.endswith(" ok") and "errno=" in out, show(p)


def test_init_module_denied(box):
    out, p = probe(box, "init_module")
    assert denied(out), show(p)


def test_keyctl_denied(box):
    for what in ("keyctl", "add_key"):
        out, p = probe(box, what)
        assert denied(out), show(p)


def test_reboot_and_personality_denied(box):
    out, p = probe(box, "reboot")
    assert denied(out), show(p)
    out, p = probe(box, "personality")
    assert denied(out), show(p)


def test_vsock_denied(box):
    out, p = probe(box, "vsock")
    assert denied(out), show(p)


def test_sysrq_trigger_read_only(box):
    if not os.path.exists("/proc/sysrq-trigger"):
        # This kernel has no sysrq; the same rule covers /proc/sys.
        p = box.sh("echo x > /proc/sys/kernel/domainname")
        assert p.returncode != 0 and "Read-only" in p.stderr, show(p)
        return
    out, p = probe(box, "sysrq")
    assert denied(out, 30), show(p)  # EROFS, before any write


def test_proc_sys_read_only(box):
    p = box.sh("echo x > /proc/sys/kernel/domainname")
    assert p.returncode != 0 and "Read-only" in p.stderr, show(p)
    p = box.sh("touch /sys/kernel/x")
    assert p.returncode != 0, show(p)


def test_masked_paths(box):
    p = box.sh("cat /proc/keys /proc/kcore /proc/timer_list %s 2>/dev/null | wc -c; "
               "ls /sys/firmware | wc -l; grep -c ' %s ' /proc/self/mountinfo" % (MASKED, MASKED))
    assert p.stdout.split() == ["0", "0", "1"], show(p)


def test_default_capabilities(box):
    st = proc_status(box)
    # Docker's 14.
    assert st["CapEff"] == "00000000a80425fb", st["CapEff"]
    assert st["CapBnd"] == "00000000a80425fb", st["CapBnd"]
    assert st["CapInh"] == "0000000000000000"
    assert st["NoNewPrivs"] == "1"
    assert st["Seccomp"] == "2"


def test_raw_socket_with_default_caps_not_without_net_raw(box):
    out, p = probe(box, "raw")
    assert out == "raw ok", show(p)
    out, p = probe(box, "raw", opts=["--cap-drop", "NET_RAW"])
    assert denied(out), show(p)


def test_cap_add_sys_admin_allows_mount(box):
    out, p = probe(box, "mount", opts=["--cap-add", "SYS_ADMIN"])
    assert out == "mount ok", show(p)
    out, p = probe(box, "unshare", opts=["--cap-add", "CAP_SYS_ADMIN"])
    assert out == "unshare ok", show(p)


def test_cap_drop_all(box):
    st = proc_status(box, opts=["--cap-drop", "ALL", "--cap-add", "KILL"])
    assert st["CapEff"] == "0000000000000020", st["CapEff"]


def test_privileged(box):
    st = proc_status(box, opts=["--privileged"])
    assert st["Seccomp"] == "0" and st["NoNewPrivs"] == "0", st
    with open("/proc/self/status") as f:
        mine = dict(line.split(":\t", 1) for line in f.read().splitlines() if ":\t" in line)
    assert st["CapEff"] == mine["CapBnd"], (st["CapEff"], mine["CapBnd"])
    out, p = probe(box, "mount", opts=["--privileged"])
    assert out == "mount ok", show(p)
    p = box.sh("echo x > /proc/sys/kernel/domainname && echo rw; "
               "grep -c ' %s ' /proc/self/mountinfo" % MASKED, opts=["--privileged"])
    # Not masked, and /proc/sys is writable (it is our own UTS namespace).
    assert p.stdout.split() == ["rw", "0"], show(p)


def test_seccomp_unconfined(box):
    out, p = probe(box, "personality", opts=["--security-opt", "seccomp=unconfined"])
    assert out == "personality ok", show(p)
    st = proc_status(box, opts=["--security-opt", "seccomp=unconfined"])
    assert st["Seccomp"] == "0"


def test_seccomp_json_profile(box):
    prof = os.path.join(box.tmp, "profile.json")
    with open(prof, "w") as f:
        json.dump({"defaultAction": "SCMP_ACT_ALLOW",
                   "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
                   "syscalls": [
                       {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO",
                        "errnoRet": 13},
                       {"names": ["socket"], "action": "SCMP_ACT_ERRNO",
                        "args": [{"index": 0, "value": 2, "op": "SCMP_CMP_EQ"}]},
                       {"names": ["unshare"], "action": "SCMP_ACT_ERRNO",
                        "excludes": {"caps": ["CAP_SYS_ADMIN"]}},
                       # Rules for other architectures or newer kernels
                       # must not apply here.
                       {"names": ["mount"], "action": "SCMP_ACT_ERRNO",
                        "includes": {"arches": ["s390x"]}},
                       {"names": ["mount"], "action": "SCMP_ACT_ERRNO",
                        "includes": {"minKernel": "99.0"}},
                       {"names": ["personality"], "action": "SCMP_ACT_ERRNO",
                        "includes": {"arches": ["amd64"], "minKernel": "3.0"}}]}, f)
    opts = ["--security-opt", "seccomp=" + prof]
    p = box.sh("mkdir /tmp/d", opts=opts)
    assert p.returncode != 0 and "Permission denied" in p.stderr, show(p)
    out, p = probe(box, "raw", opts=opts)
    assert denied(out), show(p)
    out, p = probe(box, "unshare", opts=opts)
    assert denied(out), show(p)
    out, p = probe(box, "unshare", opts=opts + ["--cap-add", "SYS_ADMIN"])
    assert out == "unshare ok", show(p)
    out, p = probe(box, "mount", opts=opts + ["--cap-add", "SYS_ADMIN"])
    assert out == "mount ok", show(p)
    out, p = probe(box, "personality", opts=opts)
    assert denied(out), show(p)


def test_seccomp_arch_map(box):
    # Docker's profile lists architectures in archMap; ours brings its
    # 32-bit sub-architecture. Without it, i386 calls would be killed.
    # int $0x80 needs IA32 emulation in the host's kernel, a property of
    # the build host: first outside any sandbox (the appliance's kernel
    # has it, and tests/appliance/test_sandbox.py requires it).
    host = subprocess.run([box.probe, "int80"], capture_output=True, text=True, timeout=30)
    if probe_prog.int80_segfaulted(host.returncode):
        harness.skip(probe_prog.NO_IA32)
    assert host.returncode == 0 and host.stdout.strip() == "int80 ok", \
        "int80 outside any sandbox:\n" + show(host)
    paths = {}
    for name, text in probe_prog.arch_map_profiles().items():
        paths[name] = os.path.join(box.tmp, name)
        with open(paths[name], "w") as f:
            f.write(text)
    out, p = probe(box, "int80", opts=["--security-opt", "seccomp=" + paths["map.json"]])
    assert out == "int80 ok", show(p)
    out, p = probe(box, "int80", opts=["--security-opt", "seccomp=" + paths["native.json"]])
    assert out != "int80 ok", show(p)
    out, p = probe(box, "int80")
    assert out == "int80 ok", show(p)


def test_seccomp_bad_profile_reports(box):
    prof = os.path.join(box.tmp, "bad.json")
    with open(prof, "w") as f:
        f.write('{"defaultAction": "SCMP_ACT_NOPE"}')
    p = box.run("true", opts=["--security-opt", "seccomp=" + prof])
    assert p.returncode == 125 and "defaultAction" in p.stderr, show(p)


def test_no_new_privs_can_be_disabled(box):
    st = proc_status(box, opts=["--security-opt", "no-new-privileges=false"])
    assert st["NoNewPrivs"] == "0" and st["Seccomp"] == "2", st


# ------------------------------------------------------------ filesystem

def test_overlay_upper_gets_writes_lower_untouched(box):
    p = box.sh("echo hi > /etc/newfile; rm /etc/marker; cat /etc/newfile")
    assert p.stdout.strip() == "hi", show(p)
    assert open(os.path.join(p.upper, "etc/newfile")).read() == "hi\n"
    assert not os.path.exists(os.path.join(box.lower, "etc/newfile"))
    assert open(os.path.join(box.lower, "etc/marker")).read() == "lower\n"


def test_lower_order_top_last(box):
    p = box.run("cat", "/etc/marker", lowers=[box.lower, box.top])
    assert p.stdout.strip() == "top", show(p)


def test_read_only_root(box):
    p = box.run("touch", "/x", opts=["--read-only"])
    assert p.returncode != 0 and "Read-only" in p.stderr, show(p)
    p = box.run("touch", "/dev/shm/x", opts=["--read-only"])
    assert p.returncode == 0, show(p)


def test_volumes(box):
    vol = os.path.join(box.tmp, "vol")
    os.makedirs(vol, exist_ok=True)
    with open(os.path.join(vol, "f"), "w") as f:
        f.write("data\n")
    p = box.sh("cat /data/f; touch /data/g", opts=["-v", vol + ":/data:ro"])
    assert p.stdout.strip() == "data" and p.returncode != 0, show(p)
    assert "Read-only" in p.stderr, show(p)
    assert not os.path.exists(os.path.join(vol, "g"))
    p = box.sh("touch /mnt/deep/g && grep ' /mnt/deep ' /proc/self/mountinfo",
               opts=["-v", vol + ":/mnt/deep"])
    assert p.returncode == 0 and os.path.exists(os.path.join(vol, "g")), show(p)
    assert "nodev" in p.stdout and "nosuid" in p.stdout, show(p)


def test_volume_target_symlink_stays_inside(box):
    # A symlink in the image pointing at a host path resolves in the container.
    evil = os.path.join(box.tmp, "evil")
    os.makedirs(os.path.join(evil, "etc"))
    os.symlink("/etc", os.path.join(evil, "escape"))
    vol = os.path.join(box.tmp, "vol2")
    os.makedirs(vol)
    p = box.run("ls", "/escape/", opts=["-v", vol + ":/escape/berthtest"],
                lowers=[box.lower, evil])
    assert p.returncode == 0, show(p)
    assert not os.path.exists("/etc/berthtest")


def test_supervisor_files(box):
    hosts = os.path.join(box.tmp, "hosts")
    with open(hosts, "w") as f:
        f.write("10.1.2.3 other\n")
    p = box.sh("cat /etc/hosts; echo x >> /etc/hosts", opts=["--hosts", hosts])
    assert p.stdout.strip() == "10.1.2.3 other" and p.returncode != 0, show(p)


def test_dev(box):
    p = box.sh("ls /dev | sort | tr '\\n' ' '; echo x > /dev/null && echo null-ok; "
               "readlink /dev/ptmx; grep ' /dev ' /proc/self/mountinfo")
    names = p.stdout.split("\n")[0].split()
    for n in ("null", "zero", "full", "random", "urandom", "tty", "ptmx", "pts", "shm",
              "mqueue", "fd", "stdin", "stdout", "stderr"):
        assert n in names, show(p)
    assert "null-ok" in p.stdout and "pts/ptmx" in p.stdout, show(p)
    assert "nosuid" in p.stdout, show(p)


def test_writable_root_is_nodev(box):
    out, p = probe(box, "mknod", "/tmp/null2", "c", "1:3")
    assert denied(out, 13), show(p)  # mknod works (CAP_MKNOD), open does not


# ------------------------------------------------------------ process

def test_user_by_name(box):
    p = box.sh("id; echo $HOME; grep CapEff /proc/self/status", opts=["-u", "user"])
    lines = p.stdout.splitlines()
    assert lines[0] == "uid=1000(user) gid=1000(user) groups=100(users),1000(user)" or \
        lines[0] == "uid=1000(user) gid=1000(user) groups=1000(user),100(users)", show(p)
    assert lines[1] == "/home/user", show(p)
    assert lines[2].split()[1] == "0000000000000000", show(p)


def test_user_nobody_and_numeric(box):
    p = box.run("id", opts=["-u", "nobody"])
    assert p.stdout.startswith("uid=65534(nobody) gid=65534(nogroup)"), show(p)
    p = box.run("id", "-u", opts=["-u", "4242:100"])
    assert p.stdout.strip() == "4242", show(p)
    p = box.run("id", "-g", opts=["-u", "4242:users"])
    assert p.stdout.strip() == "100", show(p)


def test_unknown_user(box):
    p = box.run("id", opts=["-u", "ghost"])
    assert p.returncode == 125 and "unable to find user ghost" in p.stderr, show(p)


def test_env_and_workdir(box):
    p = box.sh("pwd; echo $FOO; echo $HOME; echo $PATH", opts=["-w", "/new/dir", "-e", "FOO=bar"])
    assert p.stdout.split() == ["/new/dir", "bar", "/root",
                                "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], \
        show(p)


def test_exit_code(box):
    p = box.sh("exit 3")
    assert p.returncode == 3, show(p)


def test_killed_by_signal_is_128_plus(box):
    upper, work, rootfs = box.dirs()
    proc = subprocess.Popen([box.berth, "sandbox-run", "--lower", box.lower, "--upper", upper,
                             "--work", work, "--rootfs", rootfs, "--", "sleep", "60"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    child = None
    for _ in range(200):
        try:
            kids = children(proc.pid)
            if kids:
                with open("/proc/%d/cmdline" % kids[0], "rb") as f:
                    if f.read().startswith(b"sleep"):
                        child = kids[0]
                        break
        except OSError:
            pass
        time.sleep(0.02)
    assert child, "container process not found"
    os.kill(child, signal.SIGKILL)
    assert proc.wait(timeout=10) == 137


def test_missing_command(box):
    p = box.run("foo")
    assert p.returncode == 127, show(p)
    assert 'exec: "foo": executable file not found in $PATH' in p.stderr, show(p)


def test_not_executable(box):
    p = box.run("/notexec")
    assert p.returncode == 126 and "permission denied" in p.stderr, show(p)


def test_setup_error_has_context(box):
    p = box.run("true", lowers=[os.path.join(box.tmp, "does-not-exist")])
    assert p.returncode == 125, show(p)
    assert "mount overlay on " in p.stderr, show(p)


def test_stdin_passes_through(box):
    upper, work, rootfs = box.dirs()
    p = subprocess.run([box.berth, "sandbox-run", "--lower", box.lower, "--upper", upper,
                        "--work", work, "--rootfs", rootfs, "--", "cat"],
                       input="through\n", capture_output=True, text=True, timeout=30)
    assert p.stdout == "through\n", show(p)


def test_exec_joins_running_container(box):
    p = box.run("sleep", "2", opts=[
        "--hostname", "joined", "-u", "nobody", "--also-exec",
        "echo $$; hostname; tr '\\0' ' ' < /proc/1/cmdline; echo; id -u; "
        "grep -e CapEff -e Seccomp: -e NoNewPrivs /proc/self/status; "
        "grep -c ' %s ' /proc/self/mountinfo" % MASKED])
    lines = p.stdout.splitlines()
    assert p.returncode == 0 and "exec exited 0" in p.stderr, show(p)
    assert lines[0] != "1" and lines[1] == "joined" and lines[2].strip() == "sleep 2", show(p)
    assert lines[3] == "65534", show(p)
    assert lines[4].split() == ["CapEff:", "0000000000000000"], show(p)
    assert lines[5].split() == ["NoNewPrivs:", "1"], show(p)
    assert lines[6].split() == ["Seccomp:", "2"], show(p)
    assert lines[7] == "1", show(p)


def test_exec_status_propagates(box):
    p = box.run("sleep", "2", opts=["--also-exec", "exec nothere"])
    assert "exec exited 127" in p.stderr, show(p)


def test_signal_mask_and_ignored_signals_reset(box):
    # A supervisor blocks signals for its signalfd and may ignore some; the
    # container must start with neither.
    def blocked():
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGUSR1})
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    upper, work, rootfs = box.dirs()
    p = subprocess.run([box.berth, "sandbox-run", "--lower", box.lower, "--upper", upper,
                        "--work", work, "--rootfs", rootfs, "--", "grep", "-e", "SigBlk",
                        "-e", "SigIgn", "/proc/self/status"],
                       capture_output=True, text=True, timeout=30, preexec_fn=blocked)
    st = dict(line.split(":\t") for line in p.stdout.splitlines())
    assert int(st["SigBlk"], 16) == 0 and int(st["SigIgn"], 16) == 0, show(p)


def test_tty_console(box):
    import pty
    master, slave = pty.openpty()
    upper, work, rootfs = box.dirs()
    proc = subprocess.Popen([box.berth, "sandbox-run", "-t", "--lower", box.lower, "--upper",
                             upper, "--work", work, "--rootfs", rootfs, "--", "/bin/sh", "-c",
                             "tty; [ -c /dev/console ] && echo console-ok; "
                             "grep -c ' /dev/console ' /proc/self/mountinfo"],
                            stdin=slave, stdout=slave, stderr=slave, close_fds=True)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    assert proc.wait(timeout=30) == 0, out
    text = out.decode().replace("\r", "")
    assert "/dev/pts/" in text or "/dev/console" in text, text
    assert "console-ok" in text and text.strip().endswith("1"), text


def test_runs_from_sealed_memfd_copy(box):
    # CVE-2019-5736: what enters the container is a sealed copy of berth,
    # never the file on disk. Writing to the copy is harmless either way.
    before = open(box.berth, "rb").read()
    upper, work, rootfs = box.dirs()
    proc = subprocess.Popen([box.berth, "sandbox-run", "--lower", box.lower, "--upper", upper,
                             "--work", work, "--rootfs", rootfs, "--", "sleep", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    exe = ""
    for _ in range(100):
        exe = os.readlink("/proc/%d/exe" % proc.pid)
        if "memfd:" in exe:
            break
        time.sleep(0.02)
    try:
        assert exe.startswith("/memfd:berth"), exe
        try:
            with open("/proc/%d/exe" % proc.pid, "r+b", buffering=0) as f:
                f.write(b"X")
            wrote = True
        except OSError:
            wrote = False
        assert not wrote, "sealed copy was writable"
    finally:
        proc.kill()
        proc.wait()
    assert open(box.berth, "rb").read() == before


def children(pid):
    """pid's child processes: /proc/PID/task/PID/children where the host's
    kernel has it (CONFIG_PROC_CHILDREN), else the processes whose
    /proc/N/stat names pid as their parent."""
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(k) for k in f.read().split()]
    except FileNotFoundError:
        pass
    kids = []
    for n in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/stat" % n) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid == pid:
            kids.append(int(n))
    return sorted(kids)


def find_child(pid):
    for _ in range(250):
        try:
            kids = children(pid)
            if kids:
                return kids[0]
        except OSError:
            pass
        time.sleep(0.02)
    return None


def test_shebang_proc_self_exe_gets_the_copy(box):
    # A "#!/proc/self/exe" program as the container's command makes the
    # kernel run whatever the exec'ing process runs: berth. It must be the
    # sealed copy, not build/berth. (As PID 1 it boots as init: kill it.)
    evil = os.path.join(box.tmp, "evil-exe")
    os.makedirs(os.path.join(evil, "bin"), exist_ok=True)
    with open(os.path.join(evil, "bin/evil"), "w") as f:
        f.write("#!/proc/self/exe\n")
    os.chmod(os.path.join(evil, "bin/evil"), 0o755)
    upper, work, rootfs = box.dirs()
    proc = subprocess.Popen([box.berth, "sandbox-run", "--lower", box.lower, "--lower", evil,
                             "--upper", upper, "--work", work, "--rootfs", rootfs, "--",
                             "/bin/evil"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        child = find_child(proc.pid)
        assert child, "container process not found"
        exe = ""
        for _ in range(100):
            exe = os.readlink("/proc/%d/exe" % child)
            with open("/proc/%d/cmdline" % child, "rb") as f:
                if f.read().startswith(b"/proc/self/exe"):
                    break
            time.sleep(0.02)
        assert exe.startswith("/memfd:berth"), exe
    finally:
        proc.kill()
        if child:
            try:
                os.kill(child, signal.SIGKILL)
            except OSError:
                pass
        proc.wait()


def test_layer_path_with_comma_refused(box):
    odd = os.path.join(box.tmp, "odd,upperdir=")
    os.makedirs(odd, exist_ok=True)
    p = box.run("true", lowers=[box.lower, odd])
    assert p.returncode == 125 and "overlay layer path" in p.stderr, show(p)
