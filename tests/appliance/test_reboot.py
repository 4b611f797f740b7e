"""SIGTERM to PID 1 reboots (busybox/sysvinit convention; the signals
table in docs/architecture.md, "Boot")."""
from harness import Appliance


def setup_module(build):
    vm = Appliance(build, "reboot").start()
    vm.wait_prompt(90)
    return vm


def teardown_module(vm):
    vm.kill()


def test_sigterm_reboots(vm):
    start = len(vm.buf)
    vm.send("kill -TERM 1\n")
    vm.expect(rb"reboot: Restarting system", 60, start)
    # -no-reboot turns the reset into QEMU's exit
    vm.wait_exit(30)
    log = vm.buf[start:].decode("utf-8", "replace")
    # A crashed PID 1 would also reboot (panic=-1), but only after a panic.
    assert "Kernel panic" not in log, log
