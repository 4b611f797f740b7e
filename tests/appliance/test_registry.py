"""A pull over QEMU's user network: Debian's docker-registry on the build
host's loopback (10.0.2.2 inside the guest, listed in the appliance's
/etc/berth/daemon.json as insecure) holds the baked httpd image, pushed
there by skopeo from build/images/baked.tar. The appliance drops its own
httpd, pulls it back (its layers downloaded again), runs it with -p and
serves the page through hostfwd."""
import os
import shutil
import subprocess
import tempfile
import time

import harness
from harness import Appliance, free_port, http_get


class Ctx:
    pass


def setup_module(build):
    for tool in ("docker-registry", "skopeo"):
        if not shutil.which(tool):
            harness.skip("%s is not installed (./build.sh deps installs it)" % tool)
    ctx = Ctx()
    ctx.tmp = tempfile.mkdtemp(prefix="berth-areg-")
    ctx.port = free_port()
    ctx.reg = None
    ctx.vm = None
    try:
        start(ctx, build)
    except BaseException:
        teardown_module(ctx)
        raise
    return ctx


def start(ctx, build):
    cfg = os.path.join(ctx.tmp, "config.yml")
    with open(cfg, "w") as f:
        f.write("version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n"
                "    rootdirectory: %s/data\nhttp:\n  addr: 127.0.0.1:%d\n" % (ctx.tmp, ctx.port))
    ctx.reg = subprocess.Popen(["docker-registry", "serve", cfg], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    for _ in range(100):
        if subprocess.run(["curl", "-s", "-o", "/dev/null", "--noproxy", "*",
                           "http://127.0.0.1:%d/v2/" % ctx.port]).returncode == 0:
            break
        time.sleep(0.1)
    subprocess.run(["skopeo", "copy", "--quiet", "--dest-tls-verify=false",
                    "oci-archive:%s:httpd:latest" % os.path.join(build, "images", "baked.tar"),
                    "docker://127.0.0.1:%d/web/httpd:1" % ctx.port],
                   check=True, capture_output=True, timeout=120)
    daemon = '{"insecure-registries": ["10.0.2.2:%d"]}\n' % ctx.port
    ctx.vm = Appliance(build, "registry", mem=512, http_port=free_port(),
                       files={"/etc/berth/daemon.json": daemon}).start()
    ctx.vm.wait_prompt(90)


def teardown_module(ctx):
    if ctx.vm:
        ctx.vm.kill()
    if ctx.reg:
        ctx.reg.terminate()
        ctx.reg.wait()
    shutil.rmtree(ctx.tmp, ignore_errors=True)


def test_pull_over_user_network_and_serve(ctx):
    vm, name = ctx.vm, "10.0.2.2:%d/web/httpd:1" % ctx.port
    vm.sh("berth rmi httpd")
    out = vm.sh("berth pull %s" % name, timeout=180)
    assert "Status: Downloaded newer image for " + name in out, out
    assert "Download complete" in out and "Pull complete" in out, out
    vm.sh("berth run -d --name web -p 80:80 %s" % name)
    body = http_get(vm.http_port, "/", 30)
    assert "Hello from Berth" in body, body
    out = vm.sh("berth images --format '{{.Repository}}:{{.Tag}}'")
    assert name in out.split(), out
    vm.sh("berth rm -f web")
