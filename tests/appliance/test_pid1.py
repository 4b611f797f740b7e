"""PID 1 that cannot be brought down (issue 14): one bad writer on the
control FIFO never stalls the next client; `berth stats` has Docker's
columns. The VM has a data disk, so a container's writes reach a block
device (BLOCK I/O)."""
import os
import re
import shutil
import subprocess
import tempfile
import time

from harness import Appliance


def setup_module(build):
    tmp = tempfile.mkdtemp(prefix="berth-pid1-")
    img = os.path.join(tmp, "data.img")
    with open(img, "wb") as f:
        f.truncate(48 << 20)
    subprocess.run(["mkfs.ext4", "-q", "-F", "-L", "berth-data", img], check=True)
    vm = Appliance(build, "pid1", extra_args=["-drive", "file=%s,format=raw,if=virtio" % img])
    vm.tmp = tmp
    vm.start()
    vm.wait_prompt(90)
    return vm


def teardown_module(vm):
    vm.kill()
    shutil.rmtree(vm.tmp, ignore_errors=True)


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


STATS_HEADER = ["CONTAINER ID", "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %", "NET I/O",
                "BLOCK I/O", "PIDS"]
SIZE = r"[0-9.e+]+(B|kB|MB|GB)"


def test_stats_has_dockers_columns(vm):
    # Traffic on the bridge and an fsynced write to the data disk, then a
    # busy loop: every column has something to show.
    vm.sh("berth run -d --name st --memory 64m busybox sh -c "
          "'ping -c 3 -i 0.2 172.17.0.1; dd if=/dev/zero of=/big bs=64k count=64 conv=fsync; "
          "while :; do :; done'")
    vm.sh("sleep 3")
    out = vm.sh("berth stats --no-stream", timeout=30)
    lines = out.strip().splitlines()
    header = re.split(r"\s{2,}", lines[0].strip())
    assert header == STATS_HEADER, lines[0]
    row = re.split(r"\s{2,}", lines[1].strip())
    assert row[1] == "st", row
    cpu, mem_use, mem_pct, net, blk, pids = row[2:8]
    assert re.fullmatch(r"\d+\.\d\d%", cpu) and float(cpu[:-1]) > 20, cpu
    assert re.fullmatch(r"[0-9.]+(B|KiB|MiB) / 64MiB", mem_use), mem_use
    assert re.fullmatch(r"\d+\.\d\d%", mem_pct), mem_pct
    rx, tx = net.split(" / ")
    assert re.fullmatch(SIZE, rx) and re.fullmatch(SIZE, tx) and tx != "0B", net
    rd, wr = blk.split(" / ")
    assert re.fullmatch(SIZE, wr) and wr.endswith("MB") and float(wr[:-2]) >= 4, blk
    assert pids == "2" or pids == "1", pids


def test_stats_format_and_all(vm):
    out = vm.sh("berth stats --no-stream --format '{{.Name}}:{{.PIDs}}:{{.NetIO}}' st")
    assert re.fullmatch(r"st:\d+:%s / %s\n?" % (SIZE, SIZE), out.strip() + "\n"), out
    vm.sh("berth create --name idle busybox true")
    out = vm.sh("berth stats --no-stream --format '{{.Name}} {{.CPUPerc}} {{.MemUsage}}' -a")
    assert "idle 0.00% 0B / 0B" in out, out
    assert "idle" not in vm.sh("berth stats --no-stream --format '{{.Name}}'")
    out, rc = vm.run("berth stats --no-stream nosuch", check=False)
    assert rc == 1 and "No such container: nosuch" in out, (rc, out)
    vm.sh("berth rm -f st idle")
