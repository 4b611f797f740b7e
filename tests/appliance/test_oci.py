"""The OCI runtime's verbs (`berth oci`) against a bundle inside the
appliance, where cgroup2 is there: cgroupsPath and the limits of
linux.resources in it, pause/resume through the freezer (the state says
paused), update --resources changing a live limit, the device program,
and delete removing the cgroup and the state. The config is made here and
put into the image; the rootfs is the appliance's busybox. PID 1 (berth)
is the subreaper that adopts each container's init once create exits."""
import json

from harness import Appliance

ROOTFS = "/tmp/ocirootfs"
CG = "/sys/fs/cgroup/oci-test/c1"


def config(args):
    return {
        "ociVersion": "1.0.2",
        "process": {"terminal": False, "user": {"uid": 0, "gid": 0}, "args": args,
                    "env": ["PATH=/bin"], "cwd": "/",
                    "capabilities": {k: ["CAP_KILL", "CAP_MKNOD"]
                                     for k in ("bounding", "effective", "permitted")},
                    "noNewPrivileges": True},
        "root": {"path": ROOTFS},
        "hostname": "oci",
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
             "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
            {"destination": "/sys", "type": "sysfs", "source": "sysfs",
             "options": ["nosuid", "noexec", "nodev", "ro"]},
            {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
             "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]}],
        "linux": {
            "cgroupsPath": "/oci-test/c1",
            "resources": {"memory": {"limit": 33554432}, "pids": {"limit": 20},
                          "cpu": {"quota": 50000, "period": 100000},
                          "devices": [{"allow": False, "access": "rwm"}]},
            "namespaces": [{"type": t} for t in ("pid", "network", "ipc", "uts", "mount",
                                                 "cgroup")],
            "maskedPaths": ["/proc/kcore"], "readonlyPaths": ["/proc/sys"]}}


def setup_module(build):
    files = {"/root/config.json": json.dumps(config(["sleep", "1000"])),
             "/root/res.json": json.dumps({"memory": {"limit": 67108864},
                                           "pids": {"limit": 30}})}
    vm = Appliance(build, "oci", files=files).start()
    vm.wait_prompt(120)
    vm.run("mkdir -p %s/bin %s/tmp && cp /bin/busybox %s/bin/ && "
           "for a in sh cat sleep mknod head echo; do ln -s busybox %s/bin/$a; done"
           % (ROOTFS, ROOTFS, ROOTFS, ROOTFS), 60)
    return vm


def teardown_module(vm):
    vm.kill()


def oci(vm, args, timeout=30):
    return vm.run("berth oci %s" % args, timeout, check=False)


def status(vm):
    out, rc = oci(vm, "state c1")
    assert rc == 0, out
    return json.loads(out)["status"]


def test_lifecycle_with_cgroup_v2(vm):
    out, rc = oci(vm, "create --bundle /root --pid-file /tmp/c1.pid c1 >/dev/null")
    assert rc == 0, out
    assert status(vm) == "created"
    out, _ = vm.run("cat %s/memory.max %s/pids.max %s/cpu.max" % (CG, CG, CG))
    assert out.splitlines() == ["33554432", "20", "50000 100000"], out
    out, _ = vm.run("cat %s/cgroup.procs; cat /tmp/c1.pid; echo" % CG)
    procs = out.split()
    assert procs[0] == procs[-1], out  # the init is in the cgroup
    out, rc = oci(vm, "start c1")
    assert rc == 0 and status(vm) == "running", out

    out, rc = oci(vm, "pause c1")
    assert rc == 0, out
    assert status(vm) == "paused"
    out, _ = vm.run("grep frozen %s/cgroup.events" % CG)
    assert out.strip() == "frozen 1", out
    out, rc = oci(vm, "exec c1 true")
    assert rc == 1 and "paused" in out, out
    out, rc = oci(vm, "resume c1")
    assert rc == 0 and status(vm) == "running", out

    out, rc = oci(vm, "update --resources /root/res.json c1")
    assert rc == 0, out
    out, _ = vm.run("cat %s/memory.max %s/pids.max" % (CG, CG))
    assert out.splitlines() == ["67108864", "30"], out

    # events: runc's stats JSON from the cgroup, and an OOM kill streamed
    out, rc = oci(vm, "events --stats c1")
    assert rc == 0, out
    ev = json.loads(out)
    assert ev["type"] == "stats" and ev["id"] == "c1", ev
    assert ev["data"]["memory"]["usage"]["limit"] == 67108864, ev
    assert ev["data"]["pids"]["current"] >= 1 and ev["data"]["cpu"]["usage"]["total"] > 0, ev
    vm.run("berth oci events --interval 1m c1 > /tmp/ev & echo $! > /tmp/ev.pid")
    oci(vm, "exec c1 sh -c 'head -c 200m /dev/zero | tail'", timeout=60)
    out, _ = vm.run("sleep 1; kill $(cat /tmp/ev.pid); cat /tmp/ev")
    types = [json.loads(l)["type"] for l in out.splitlines() if l.startswith("{")]
    assert types[0] == "stats" and "oom" in types, out

    # the container's own cgroup (namespace) and the device program
    out, rc = oci(vm, "exec c1 sh -c 'cat /proc/self/cgroup; "
                      "mknod /tmp/vda b 253 0 && head -c1 /tmp/vda; echo rc=$?'")
    assert rc == 0, out
    assert out.splitlines()[0] == "0::/" and "rc=1" in out, out

    out, rc = oci(vm, "delete c1")
    assert rc == 1 and "not stopped: running" in out, out
    out, rc = oci(vm, "delete --force c1")
    assert rc == 0, out
    out, _ = vm.run("ls -d %s /run/berth-oci/c1 2>&1; echo" % CG)
    assert out.count("No such file or directory") == 2, out
