"""Booting build/berth.img under OVMF (build/qemu.sh --uefi) for the
appliance tests and the benchmark: a copy of the image and of the
firmware's variables per VM; reboots stay inside QEMU."""
import os
import shutil
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from harness import Appliance

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd"
OVMF_VARS_SNAKEOIL = "/usr/share/OVMF/OVMF_VARS_4M.snakeoil.fd"


class UefiAppliance(Appliance):
    """build/qemu.sh --uefi on disk (written to); env: more of qemu.sh's
    variables (BERTH_SECURE_BOOT=1); drives: more raw virtio disks."""

    def __init__(self, build, name, disk, vars_path, env=None, drives=(), **kw):
        args = ["-action", "reboot=reset"]  # after harness's -no-reboot: reboots stay
        for d in drives:
            args += ["-drive", "file=%s,format=raw,if=virtio" % d]
        super().__init__(build, name, extra_args=args, workload=True, **kw)
        self.uefi_env = {"BERTH_UEFI": "1", "BERTH_DISK": disk, "BERTH_OVMF_VARS": vars_path}
        self.uefi_env.update(env or {})

    def start(self):
        saved = {k: os.environ.get(k) for k in self.uefi_env}
        os.environ.update(self.uefi_env)
        try:
            return super().start()
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


def copy_disk(src, dst):
    subprocess.run(["cp", "--sparse=always", src, dst], check=True)


def fresh_vars(dst, src=OVMF_VARS):
    shutil.copy(src, dst)
    return dst


def disk_sh(build, *args, env=None):
    """mk/disk.sh uki|bundle|image ... on build's artifacts; env adds to
    (or, with None values, removes from) the environment."""
    e = dict(os.environ, BERTH_BUILD=build)
    for k, v in (env or {}).items():
        if v is None:
            e.pop(k, None)
        else:
            e[k] = v
    r = subprocess.run(["bash", os.path.join(TOP, "mk", "disk.sh")] + list(args), env=e,
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise AssertionError("mk/disk.sh %s: %s%s" % (args[0], r.stdout, r.stderr))


class BundleServer:
    """http on the build host's loopback (10.0.2.2 in the guest) serving
    the bundles: /cut/NAME sends the headers of the whole file and half of
    it, then closes; anything missing is a 404."""

    def __init__(self, files):
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                cut = self.path.startswith("/cut/")
                path = os.path.join(files, os.path.basename(self.path))
                if not os.path.isfile(path):
                    self.send_error(404)
                    return
                with open(path, "rb") as f:
                    data = f.read()
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data[:len(data) // 2] if cut else data)
                self.close_connection = True

            def log_message(self, *a):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, name):
        return "http://10.0.2.2:%d/%s" % (self.port, name)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
