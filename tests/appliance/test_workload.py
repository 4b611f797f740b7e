"""The appliance as built: the baked-in rootfs/etc/berth/compose.yaml runs
the baked httpd image with -p 80:80, a memory limit and restart: always.
With nothing typed, its page answers on the host through QEMU's hostfwd;
killing the httpd process brings it back with RestartCount 1; the image's
HEALTHCHECK turns it healthy; with a data disk, the second boot starts the
same container again."""
import os
import subprocess
import tempfile
import time

from harness import Appliance, free_port, http_get

HERE = os.path.dirname(os.path.abspath(__file__))
PAGE = open(os.path.join(HERE, "..", "..", "images", "httpd", "index.html")).read()






def setup_module(build):
    vm = Appliance(build, "workload", http_port=free_port(), workload=True).start()
    t0 = time.monotonic()
    vm.body = http_get(vm.http_port, "/", 90)  # nothing typed on the console
    vm.first_200 = time.monotonic() - t0
    vm.up_status = vm.wait_compose_up(60)
    return vm


def teardown_module(vm):
    vm.kill()


def test_default_workload_answers_with_nothing_typed(vm):
    assert vm.body == PAGE, vm.body
    assert vm.up_status == b"0", vm.tail()
    print("QEMU start to first 200 of the default workload: %.2f s" % vm.first_200)


def test_default_workload_config(vm):
    fmt = ("{{.Config.Image}} {{.HostConfig.Memory}} {{.HostConfig.RestartPolicy.Name}} "
           "{{.HostConfig.PidsLimit}}")
    out = vm.sh("berth inspect -f '%s' berth-web-1" % fmt).strip()
    assert out == "httpd:latest 33554432 always 64", out
    assert vm.sh("berth port berth-web-1").strip() == "80/tcp -> 0.0.0.0:80"


def wait_for(vm, cmd, want, timeout):
    deadline = time.monotonic() + timeout
    while True:
        out = vm.sh(cmd).strip()
        if want(out):
            return out
        if time.monotonic() > deadline:
            raise AssertionError("%r: still %r after %ss" % (cmd, out, timeout))
        time.sleep(0.5)


def test_default_workload_turns_healthy(vm):
    # the image's HEALTHCHECK: every 5 s, wget of its own page
    out = wait_for(vm, "berth ps --format '{{.Names}} {{.Status}}'",
                   lambda o: "(healthy)" in o, 40)
    assert out.startswith("berth-web-1 Up "), out


def test_default_workload_restarted_after_kill(vm):
    pid = vm.sh("berth inspect -f '{{.State.Pid}}' berth-web-1").strip()
    assert pid.isdigit() and int(pid) > 1, pid
    vm.sh("kill -9 %s" % pid)
    out = wait_for(vm, "berth inspect -f '{{.RestartCount}} {{.State.Status}} {{.State.Pid}}' "
                   "berth-web-1", lambda o: o.startswith("1 running "), 30)
    assert out.split()[2] != pid, out
    assert http_get(vm.http_port, "/", 30) == PAGE


def test_default_workload_with_data_disk_comes_back_after_poweroff(vm):
    # ./build.sh run's second boot: the service's container is on /data
    # from the first boot; compose finds it and starts that same one
    with tempfile.NamedTemporaryFile(suffix=".img") as img:
        subprocess.run(["truncate", "-s", "64M", img.name], check=True)
        subprocess.run(["mkfs.ext4", "-q", "-F", "-L", "berth-data", img.name], check=True)
        args = ["-drive", "file=%s,format=raw,if=virtio" % img.name]
        ids = []
        for boot in range(2):
            v = Appliance(vm.build, "workload-data-%d" % boot, extra_args=args,
                          http_port=free_port(), workload=True).start()
            try:
                assert http_get(v.http_port, "/", 90) == PAGE
                m = v.expect(rb"berth compose: up finished \(exit (\d+)\)", 60)
                assert m.group(1) == b"0", v.tail()
                v.send("\n")
                v.wait_prompt(60, start=m.end())
                ids.append(v.sh("berth ps -aq --no-trunc").split())
                v.send("berth poweroff\n")
                v.wait_exit(60)
            finally:
                v.kill()
        assert len(ids[0]) == 1 and ids[1] == ids[0], ids
