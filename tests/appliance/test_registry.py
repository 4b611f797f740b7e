"""Pulls over QEMU's user network, with a data disk: Debian's
docker-registry on the build host's loopback (10.0.2.2 inside the guest,
listed in the appliance's /etc/berth/daemon.json as insecure) holds the
baked httpd image, pushed there by skopeo from build/images/baked.tar.

First boot: the baked httpd cannot be removed (the initramfs's images are
a read-only store once a data disk is there); the appliance pulls httpd
from the registry into /data (its layers downloaded: the store on /data
keeps its own copy), runs it with -p and serves the page through hostfwd.
Then QEMU is killed (a power cut), with the layer holding the page left
as such a cut right after the pull can leave it (listed unsynced by an
earlier boot, the page empty), and the appliance boots again with the
same disk and a compose file: the supervisor unpacks that layer again
from its blob, and the web service runs the pulled image (still listed,
not pulled again), and its late service names an image on a
second registry that is down at boot: web comes up without waiting for
it, and once that registry is started, late is pulled and comes up."""
import json
import os
import shutil
import subprocess
import tempfile
import time

import harness
from harness import Appliance, free_port, http_get

COMPOSE = """services:
  web:
    image: 10.0.2.2:%(p1)d/web/httpd:1
    pull_policy: never
    ports: ["80:80"]
  late:
    image: 10.0.2.2:%(p2)d/web/late:1
    command: ["sleep", "1000"]
    network_mode: none
"""


class Ctx:
    pass


def setup_module(build):
    for tool in ("docker-registry", "skopeo", "mkfs.ext4"):
        if not shutil.which(tool):
            harness.skip("%s is not installed (./build.sh deps installs it)" % tool)
    ctx = Ctx()
    ctx.build = build
    ctx.tmp = tempfile.mkdtemp(prefix="berth-areg-")
    ctx.port = free_port()
    ctx.port2 = free_port()
    while ctx.port2 == ctx.port:
        ctx.port2 = free_port()
    ctx.regs = {}
    ctx.vm = None
    try:
        start(ctx, build)
    except BaseException:
        teardown_module(ctx)
        raise
    return ctx


def registry(ctx, port):
    """Debian's docker-registry on 127.0.0.1:port, its data kept under tmp."""
    cfg = os.path.join(ctx.tmp, "config-%d.yml" % port)
    with open(cfg, "w") as f:
        f.write("version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n"
                "    rootdirectory: %s/data-%d\nhttp:\n  addr: 127.0.0.1:%d\n"
                % (ctx.tmp, port, port))
    log = open(os.path.join(ctx.tmp, "registry-%d.log" % port), "ab")
    ctx.regs[port] = subprocess.Popen(["docker-registry", "serve", cfg],
                                      stdout=log, stderr=subprocess.STDOUT)
    log.close()
    for _ in range(100):
        if subprocess.run(["curl", "-s", "-o", "/dev/null", "--noproxy", "*",
                           "http://127.0.0.1:%d/v2/" % port]).returncode == 0:
            registry_alive(ctx, port)  # ours answers, not another's on that port
            return
        time.sleep(0.1)
    raise harness.TestFailure("registry on port %d does not answer" % port)


def registry_alive(ctx, port):
    if ctx.regs[port].poll() is not None:
        with open(os.path.join(ctx.tmp, "registry-%d.log" % port), "rb") as f:
            tail = f.read()[-2000:].decode(errors="replace")
        raise harness.TestFailure("our registry on port %d exited %s: %s"
                                  % (port, ctx.regs[port].returncode, tail))


def stop_registry(ctx, port):
    p = ctx.regs.pop(port)
    p.terminate()
    p.wait()


def skopeo(ctx, image, dest):
    subprocess.run(["skopeo", "copy", "--quiet", "--dest-tls-verify=false",
                    "oci-archive:%s:%s" % (os.path.join(ctx.build, "images", "baked.tar"), image),
                    "docker://127.0.0.1:%s" % dest], check=True, capture_output=True, timeout=120)


def boot(ctx, name, files):
    daemon = '{"insecure-registries": ["10.0.2.2:%d", "10.0.2.2:%d"]}\n' % (ctx.port, ctx.port2)
    files = dict(files, **{"/etc/berth/daemon.json": daemon})
    ctx.vm = Appliance(ctx.build, name, mem=512, http_port=free_port(), files=files,
                       extra_args=["-drive", "file=%s,format=raw,if=virtio" % ctx.disk]).start()
    ctx.vm.wait_prompt(90)
    # eth0's DHCP lease comes in the background (the console is there
    # before it): a pull before it finds no route to 10.0.2.2
    for _ in range(40):
        if "default via 10.0.2.2" in ctx.vm.sh("ip route"):
            return
        time.sleep(0.5)
    ctx.vm.fail("no DHCP lease on eth0 after 20 s")


def start(ctx, build):
    ctx.disk = os.path.join(ctx.tmp, "data.img")
    with open(ctx.disk, "wb") as f:
        f.truncate(64 << 20)
    subprocess.run(["mkfs.ext4", "-q", "-F", "-L", "berth-data", ctx.disk], check=True)
    registry(ctx, ctx.port)
    registry(ctx, ctx.port2)
    skopeo(ctx, "httpd:latest", "%d/web/httpd:1" % ctx.port)
    skopeo(ctx, "busybox:latest", "%d/web/late:1" % ctx.port2)
    stop_registry(ctx, ctx.port2)  # down at the second boot, until the test starts it
    boot(ctx, "registry", {})


def teardown_module(ctx):
    if ctx.vm:
        ctx.vm.kill()
    for p in ctx.regs.values():
        p.terminate()
        p.wait()
    shutil.rmtree(ctx.tmp, ignore_errors=True)


def test_pull_over_user_network_and_serve(ctx):
    vm, name = ctx.vm, "10.0.2.2:%d/web/httpd:1" % ctx.port
    registry_alive(ctx, ctx.port)
    out, rc = vm.run("berth rmi httpd 2>&1", check=False)
    assert rc == 1 and "image" in out and "is baked into the appliance" in out, out
    out = vm.sh("berth pull %s" % name, timeout=180)
    assert "Status: Downloaded newer image for " + name in out, out
    assert "Download complete" in out and "Pull complete" in out, out
    vm.sh("berth run -d --name web -p 80:80 %s" % name)
    body = http_get(vm.http_port, "/", 30)
    assert "Hello from Berth" in body, body
    out = vm.sh("berth images --format '{{.Repository}}:{{.Tag}}'")
    assert name in out.split() and "httpd:latest" in out.split(), out
    vm.sh("berth rm -f web")


def spoil_page_layer(ctx):
    """What a power cut right after the pull can leave (its layers are
    synced just after it returns, docs/registry.md): the layer holding the
    page listed as unsynced by an earlier boot, the page empty on disk."""
    vm = ctx.vm
    src = "docker://127.0.0.1:%d/web/httpd:1" % ctx.port
    man = json.loads(subprocess.run(["skopeo", "inspect", "--raw", "--tls-verify=false", src],
                                    check=True, capture_output=True, timeout=60).stdout)
    cfg = json.loads(subprocess.run(["skopeo", "inspect", "--config", "--raw",
                                     "--tls-verify=false", src],
                                    check=True, capture_output=True, timeout=60).stdout)
    blobs = dict(zip(cfg["rootfs"]["diff_ids"], (l["digest"] for l in man["layers"])))
    # (not grep -r: busybox's follows a layer's absolute symlinks out of it)
    page = vm.sh("ls /var/lib/berth/layers/*/www/index.html").strip()
    hexid = page.split("/var/lib/berth/layers/")[1].split("/")[0]
    entry = json.dumps({"boot": "00000000-0000-0000-0000-000000000000",
                        "layers": {"sha256:" + hexid: blobs["sha256:" + hexid]}})
    vm.sh(": > %s && printf '%%s' '%s' > /var/lib/berth/layers-unsynced.json && sync"
          % (page, entry))


def test_pulled_image_survives_power_cut_and_boot_pulls_late(ctx):
    name = "10.0.2.2:%d/web/httpd:1" % ctx.port
    spoil_page_layer(ctx)
    ctx.vm.kill()  # a power cut: the pull above has returned, nothing more
    boot(ctx, "registry-2", {"/etc/berth/compose.yaml": COMPOSE % {"p1": ctx.port,
                                                                  "p2": ctx.port2}})
    vm = ctx.vm
    # web (pull_policy never) runs the image kept on /data, not waiting for
    # late; its page layer unpacked again by the supervisor before it started
    body = http_get(vm.http_port, "/", 60)
    assert "Hello from Berth" in body, body
    out, _ = vm.run("dmesg | grep -c 'unpacked again from blob'", check=False)
    assert out.strip() == "1", vm.sh("dmesg | tail -40")
    vm.sh("test ! -e /var/lib/berth/layers-unsynced.json")
    out = vm.sh("berth images --format '{{.Repository}}:{{.Tag}}'")
    assert name in out.split(), out
    # the checks read the commands' own output only (grep's status), never
    # the console's lines ("berth compose: late Pulling") mixed into it
    _, rc = vm.run("berth ps -a --format '{{.Names}}' | grep -qx berth-late-1", check=False)
    assert rc == 1, vm.sh("berth ps -a")
    registry(ctx, ctx.port2)
    late = "berth-late-1 10.0.2.2:%d/web/late:1" % ctx.port2
    for _ in range(60):
        _, rc = vm.run("berth ps --format '{{.Names}} {{.Image}}' | grep -qx '%s'" % late,
                       check=False)
        if rc == 0:
            break
        time.sleep(1)
    assert rc == 0, vm.sh("berth ps -a") + vm.sh("dmesg | grep compose")
