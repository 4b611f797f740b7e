"""PID 1 that cannot be brought down (issue 14): one bad writer on the
control FIFO never stalls the next client."""
import time

from harness import Appliance


def setup_module(build):
    vm = Appliance(build, "pid1").start()
    vm.wait_prompt(90)
    return vm


def teardown_module(vm):
    vm.kill()


def timed(vm, cmd, timeout=20):
    t0 = time.monotonic()
    out, rc = vm.run(cmd, timeout=timeout, check=False)
    return out, rc, time.monotonic() - t0


def test_partial_control_line_does_not_stall_ps(vm):
    # The steps: before the fix `berth ps` waited 15 s and failed.
    vm.sh("printf garbage-without-newline > /run/berth/control")
    out, rc, secs = timed(vm, "berth ps")
    assert rc == 0 and "CONTAINER ID" in out, (rc, out)
    assert secs < 8, secs
    assert "dropped 23 bytes of an unfinished line" in vm.sh("dmesg | grep 'control: dropped'")


def test_over_long_control_line_does_not_stall_ps(vm):
    vm.sh("head -c 6000 /dev/zero | tr '\\0' x > /run/berth/control")
    out, rc, secs = timed(vm, "berth ps")
    assert rc == 0 and "CONTAINER ID" in out, (rc, out)
    assert secs < 8, secs
    vm.sh("printf half > /run/berth/control; sleep 1")
    assert "(not finished within 250 ms)" in vm.sh("dmesg | grep 'control: dropped'")
    assert vm.sh("berth ping").strip() == "pong"
