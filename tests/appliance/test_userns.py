"""User namespaces in the appliance (cgroup v2, Linux 6.1): `berth run
--userns remap` with the baked image store on the initramfs, whose
filesystem takes no idmapped mounts before 6.3, so the layers are a
remapped copy; the container's cgroup delegated to the mapped root (its
limits stay root's); a volume's files are the mapped uid's; and the
escape probes of test_sandbox.py again under the user namespace. Probes
are harmless: a mount on the container's own /tmp, opens for reading."""
from harness import Appliance

BASE = 100000


def setup_module(build):
    vm = Appliance(build, "userns", mem=512).start()
    vm.wait_prompt(90)
    return vm


def teardown_module(vm):
    vm.kill()


def test_remapped_copy_on_the_initramfs_store(vm):
    out = vm.sh("berth run --rm --userns remap --network none busybox sh -c "
                "'id -u; cat /proc/self/uid_map; stat -c %u /bin/busybox'", timeout=60)
    assert out.split() == ["0", "0", str(BASE), "65536", "0"], out
    assert vm.sh("cat /etc/subuid").strip() == "dockremap:%d:65536" % BASE
    # no idmapped mounts on this filesystem: the layer was copied, owners moved
    out = vm.sh("stat -c %u /var/lib/berth/remap/*/*/bin/busybox")
    assert out.split() == [str(BASE)], out


def test_cgroup_delegated_limits_stay_root(vm):
    vm.sh("berth run -d --name un --userns remap --network none --memory 64m busybox "
          "sleep 300", timeout=60)
    try:
        pid = vm.sh("berth inspect -f '{{.State.Pid}}' un").strip()
        uid = vm.sh("grep ^Uid /proc/%s/status" % pid).split()[1:]
        assert uid == [str(BASE)] * 4, uid
        cid = vm.sh("berth inspect -f '{{.Id}}' un").strip()
        out = vm.sh("cd /sys/fs/cgroup/berth/%s && stat -c '%%u %%n' . cgroup.procs "
                    "cgroup.subtree_control memory.max" % cid)
        assert out.splitlines() == ["%d ." % BASE, "%d cgroup.procs" % BASE,
                                    "%d cgroup.subtree_control" % BASE, "0 memory.max"], out
        out = vm.sh("berth exec un sh -c 'id -u; stat -c %u /sys/fs/cgroup/memory.max; "
                    "echo max > /sys/fs/cgroup/memory.max || echo limit-kept'")
        assert out.split()[:2] == ["0", "65534"] and "limit-kept" in out, out
        assert vm.sh("cat /sys/fs/cgroup/berth/%s/memory.max" % cid).strip() == "67108864"
    finally:
        vm.sh("berth rm -f un", timeout=30)


def test_volume_files_are_the_mapped_uid(vm):
    vm.sh("berth run --rm --userns remap --network none -v uv:/v busybox "
          "sh -c 'touch /v/f && chown 1000 /v/f'", timeout=60)
    path = vm.sh("berth volume inspect -f '{{.Mountpoint}}' uv").strip()
    assert vm.sh("stat -c %u " + path + "/f").strip() == str(BASE + 1000)
    vm.sh("berth volume rm uv")


def test_escape_probes_under_userns(vm):
    ro = "/proc/sysrq-trigger"
    if "absent" in vm.sh("[ -e /proc/sysrq-trigger ] || echo absent"):
        ro = "/proc/sys/kernel/domainname"
    out, rc = vm.run("berth run --rm --userns remap --network none busybox sh -c "
                     "'mount -t tmpfs x /tmp 2>&1 || echo mount-denied; "
                     "true > %s 2>/dev/null || echo ro-denied; "
                     "mknod /tmp/vd b 254 0 2>/dev/null || echo mknod-denied; "
                     "cat /proc/keys /proc/timer_list 2>/dev/null | grep . | wc -l'" % ro,
                     timeout=60, check=False)
    assert "mount-denied" in out and "ro-denied" in out and "mknod-denied" in out, out
    assert out.splitlines()[-1].strip() == "0", out
    # with every capability of its namespace it still has no host power
    out, rc = vm.run("berth run --rm --userns remap --network none --cap-add ALL "
                     "--security-opt seccomp=unconfined busybox sh -c "
                     "'mknod /tmp/vd b 254 0 2>/dev/null || echo mknod-denied; "
                     "date -s @$(date +%s) 2>&1 | grep -q \"not permitted\" && echo clock-denied'",
                     timeout=60, check=False)
    # the clock is the host's (CAP_SYS_TIME of the initial namespace); were
    # it allowed, it would be set to the time it already has
    assert "mknod-denied" in out and "clock-denied" in out, out
    assert vm.sh("berth ping").strip() == "pong"


def test_limits_and_oom_score_set_by_the_parent(vm):
    """Raising a hard limit and lowering the OOM score need CAP_SYS_RESOURCE
    of the initial user namespace, which a remapped container's init does
    not have: the supervisor sets them on it before its go. Containers get
    Docker's nofile 1024:524288, not PID 1's fs.nr_open."""
    cmd = "'ulimit -l; ulimit -Hl; cat /proc/self/oom_score_adj; ulimit -n; ulimit -Hn'"
    out = vm.sh("berth run --rm --userns remap --network none --ulimit memlock=-1:-1 "
                "--oom-score-adj -500 busybox sh -c " + cmd, timeout=60)
    assert out.split() == ["unlimited", "unlimited", "-500", "1024", "524288"], out
    out = vm.sh("berth run --rm --network none busybox sh -c " + cmd, timeout=60)
    assert out.split()[2:] == ["0", "1024", "524288"], out
