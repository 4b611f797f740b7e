"""The baked images in the appliance: busybox, httpd and hello were built
from images/*/Containerfile by build.sh; `berth images` lists them, httpd
serves its page through the forwarded port, hello behaves as its
Containerfile says, and `berth build` works on the console too."""

from harness import Appliance, free_port, http_get




def setup_module(build):
    vm = Appliance(build, "build", mem=512, http_port=free_port()).start()
    vm.wait_prompt(90)
    return vm


def teardown_module(vm):
    vm.kill()


def test_baked_images_are_listed(vm):
    out = vm.sh("berth images --format '{{.Repository}}:{{.Tag}}'")
    assert sorted(out.split()) == ["busybox:latest", "hello:latest", "httpd:latest"], out
    hist = vm.sh("berth history httpd")
    assert "HEALTHCHECK" in hist and "EXPOSE" in hist, hist


def test_httpd_serves_its_page_through_the_forwarded_port(vm):
    vm.sh("berth run -d --name web -p 80:80 httpd")
    body = http_get(vm.http_port, "/", 15)
    assert "Hello from Berth" in body, body
    vm.sh("berth rm -f web")


def test_hello_runs_as_its_containerfile_says(vm):
    out = vm.sh("berth run --rm hello")
    assert "Hello, world!" in out, out
    assert "user=app uid=1000 cwd=/home/app built with version 1.0" in out, out
    assert "volume data is writable" in out, out
    out = vm.sh("berth run --rm hello appliance")
    assert "Hello, appliance!" in out, out


def test_build_on_the_console(vm):
    vm.sh("mkdir -p /tmp/ctx && echo from-the-console > /tmp/ctx/msg")
    vm.sh("printf 'FROM busybox\\nARG WHO=console\\nCOPY msg /msg\\n"
          "RUN echo built-by-$WHO > /by\\nCMD cat /msg /by\\n' > /tmp/ctx/Containerfile")
    out = vm.sh("berth build -t tiny /tmp/ctx", timeout=60)
    assert "Step 5/5 : CMD cat /msg /by" in out and "Successfully tagged tiny:latest" in out, out
    out = vm.sh("berth run --rm tiny")
    assert "from-the-console\nbuilt-by-console" in out, out
    out = vm.sh("berth build -t tiny /tmp/ctx", timeout=60)
    assert out.count("Using cache") == 4, out
    out, rc = vm.run("printf 'FROM busybox\\nRUN exit 7\\n' > /tmp/ctx/Containerfile; "
                     "berth build -t tiny2 /tmp/ctx", check=False)
    assert rc == 1 and "Containerfile:2:" in out and "exit code 7" in out, out
    assert "tiny2" not in vm.sh("berth images")
