"""Interactive containers on the appliance's serial console: `berth run -it`
through PID 1's pty and attach FIFOs, Ctrl-D back to the console's shell,
`berth exec -it`, and the console's own settings restored afterwards."""
import re

from harness import PROMPT, Appliance


def setup_module(build):
    vm = Appliance(build, "tty", mem=512).start()
    vm.wait_prompt(90)
    return vm


def teardown_module(vm):
    vm.kill()


def test_run_it_shell_then_ctrl_d(vm):
    before = vm.sh("stty -g").strip()
    start = len(vm.buf)
    vm.send("berth run -it --rm busybox sh\n")
    vm.expect(rb"/ # ", 60, start)
    at = len(vm.buf)
    vm.send("echo inside-$((2+3)); tty\n")
    m = vm.expect(rb"inside-5\r\n/dev/console\r\n", 30, at)
    # Ctrl-D at the prompt, where the shell's line editing reads it
    vm.expect(rb"/ # ", 30, m.end())
    at = len(vm.buf)
    vm.send("\x04")
    vm.expect(PROMPT, 30, at)
    # back at the console's shell, with its settings as they were
    out, rc = vm.run("echo rc=$?", timeout=30)
    assert "rc=0" in out, out
    assert vm.sh("stty -g").strip() == before
    assert vm.sh("berth ps -aq").strip() == ""
    assert vm.sh("ls /run/berth/attach").strip() == ""
    assert vm.sh("berth ping").strip() == "pong"


def test_exec_it_on_the_console(vm):
    vm.sh("berth run -d --name idle busybox sleep 100000")
    start = len(vm.buf)
    vm.send("berth exec -it idle sh\n")
    vm.expect(rb"/ # ", 60, start)
    at = len(vm.buf)
    vm.send("tty; echo x-$((3*3))\n")
    vm.expect(rb"/dev/pts/\d+\r\nx-9\r\n", 30, at)
    at = len(vm.buf)
    vm.send("exit 7\n")
    vm.expect(PROMPT, 30, at)
    out, rc = vm.run("echo rc=$?", timeout=30)
    assert "rc=7" in out, out
    assert re.search(r"^idle$", vm.sh("berth ps --format '{{.Names}}'"), re.M)
    vm.sh("berth rm -f idle")
    assert vm.sh("berth ping").strip() == "pong"
