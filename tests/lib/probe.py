"""tests/host/probe/probe.c for the host and the appliance tests: how it is
built, and what the 32-bit seccomp test (archMap) gives `berth
sandbox-run`, so tests/host/test_sandbox.py and
tests/appliance/test_sandbox.py check the same thing."""
import json
import os
import signal
import subprocess

SOURCE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                      "host", "probe", "probe.c")

NO_IA32 = ("host kernel has no IA32 emulation (int $0x80 -> SIGSEGV); "
           "the 32-bit seccomp path is tested in the appliance")


def compile_probe(out):
    """A static musl build of probe.c at out: it runs in any container."""
    subprocess.run(["musl-gcc", "-static", "-O1", "-o", out, SOURCE], check=True)
    return out


def int80_segfaulted(returncode):
    """The probe's int80 (the i386 getpid through int $0x80) died of
    SIGSEGV: run directly (-11) or through a shell (139). Without IA32
    emulation the kernel answers int $0x80 from a 64-bit program so."""
    return returncode in (-signal.SIGSEGV, 128 + signal.SIGSEGV)


def arch_map_profiles():
    """{"map.json": text, "native.json": text}: two seccomp profiles that
    allow only what the probe needs (by name) and answer everything else
    with an error. map.json lists the architectures in Docker's archMap
    form, x86_64 with its 32-bit sub-architectures, so the i386 getpid of
    int80 is allowed too; native.json names none, so only the native
    (x86_64) calls are, and int80 must not succeed."""
    def profile(extra):
        return json.dumps(dict({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
            {"names": ["getpid", "exit_group", "write", "execve", "brk", "arch_prctl",
                       "set_tid_address", "ioctl", "writev", "exit"],
             "action": "SCMP_ACT_ALLOW"}]}, **extra))
    return {
        "map.json": profile({"archMap": [
            {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]},
            {"architecture": "SCMP_ARCH_X86_64",
             "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]}]}),
        "native.json": profile({}),
    }
