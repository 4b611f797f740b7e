"""The appliance's workload: /etc/berth/compose.yaml (appended to the
initramfs by the harness, so nothing is rebuilt) is started by PID 1 at
boot, in depends_on order, and answers through QEMU's hostfwd with nothing
typed on the console; `berth compose` works from the console; a file with
a broken service boots, names the problem by file:line, and starts the
good service."""
import re
import time

from harness import Appliance, free_port, http_get

COMPOSE = """\
services:
  probe:
    image: busybox
    command:
      - sh
      - -c
      - for i in $(seq 100); do wget -q -O /tmp/got http://127.0.0.1/hostname && break;
        sleep 0.1; done; exec sleep 100000
    network_mode: service:web
    depends_on:
      web:
        condition: service_started
  web:
    image: busybox
    command: httpd -f -p 80 -h /etc
    hostname: compose-web
    ports: ["80:80"]
    mem_limit: 32m
    restart: always
    environment:
      ROLE: frontend
"""

BROKEN = """\
services:
  bad:
    image: busybox
    command: sleep 1000
    prots: ["80:80"]
  good:
    image: busybox
    command: sleep 100000
    network_mode: none
"""






def setup_module(build):
    vm = Appliance(build, "compose", http_port=free_port(),
                   files={"/etc/berth/compose.yaml": COMPOSE}).start()
    # Nothing typed: the service answers by itself.
    vm.body = http_get(vm.http_port, "/hostname", 90)
    vm.up_status = vm.wait_compose_up(60)
    return vm


def teardown_module(vm):
    vm.kill()


def test_compose_service_answers_with_nothing_typed(vm):
    assert vm.body.strip() == "compose-web", vm.body


def test_compose_started_in_depends_on_order(vm):
    assert vm.up_status == b"0", vm.tail()
    log = vm.buf.decode("utf-8", "replace")
    web = log.index("berth compose: Container berth-web-1  Started")
    probe = log.index("berth compose: Container berth-probe-1  Started")
    assert web < probe, log
    # the same lines are in the kernel log
    dmesg = vm.sh("dmesg | grep 'berth compose:'")
    assert dmesg.index("berth-web-1  Started") < dmesg.index("berth-probe-1  Started"), dmesg
    # probe reached web through the bridge, so web was up before it ran
    got = vm.sh("berth exec berth-probe-1 cat /tmp/got")
    assert got.strip() == "compose-web", got


def test_compose_service_config(vm):
    fmt = "{{.HostConfig.Memory}} {{.HostConfig.RestartPolicy.Name}} {{json .Config.Labels}}"
    out = vm.sh("berth inspect -f '%s' berth-web-1" % fmt).strip()
    assert out.startswith("33554432 always {"), out
    assert '"com.docker.compose.project":"berth"' in out, out
    assert '"com.docker.compose.service":"web"' in out, out
    env = vm.sh("berth exec berth-web-1 sh -c 'echo $ROLE'").strip()
    assert env == "frontend", env
    assert vm.sh("berth port berth-web-1").strip() == "80/tcp -> 0.0.0.0:80"


def test_compose_boot_milestones(vm):
    out = vm.sh("berth boot")
    marks = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) >= 3 and re.fullmatch(r"[\d.]+", f[2]):
            marks[f[0]] = float(f[2])
    assert "compose" in marks and "first-container" in marks, out
    # compose reads its file while the network comes up
    assert marks["root"] <= marks["compose"] <= marks["network"], out
    assert marks["supervisor"] <= marks["first-container"], out
    print("PID 1 start to first service exec: %.1f ms" % marks["first-container"])


def test_compose_ps_from_console(vm):
    out = vm.sh("berth compose ps")
    lines = out.strip().splitlines()
    assert lines[0].split()[:4] == ["NAME", "IMAGE", "COMMAND", "SERVICE"], out
    rows = {l.split()[0]: l for l in lines[1:]}
    assert set(rows) == {"berth-web-1", "berth-probe-1"}, out
    assert " web " in rows["berth-web-1"] and "Up " in rows["berth-web-1"], out
    assert "0.0.0.0:80->80/tcp" in rows["berth-web-1"], out
    # dependencies first
    assert lines[1].startswith("berth-web-1"), out


def test_compose_up_again_leaves_running_services(vm):
    before = vm.sh("berth inspect -f '{{.Id}}' berth-web-1").strip()
    out = vm.sh("berth compose up -d")
    assert "Container berth-web-1  Running" in out, out
    assert "Container berth-probe-1  Running" in out, out
    assert vm.sh("berth inspect -f '{{.Id}}' berth-web-1").strip() == before


def test_compose_changed_config_recreates(vm):
    before = vm.sh("berth inspect -f '{{.Id}}' berth-web-1").strip()
    vm.sh("sed 's/ROLE: frontend/ROLE: changed/' /etc/berth/compose.yaml > /tmp/c.yaml")
    probe = vm.sh("berth inspect -f '{{.Id}}' berth-probe-1").strip()
    out = vm.sh("berth compose -f /tmp/c.yaml -p berth up -d web")
    assert "Container berth-web-1  Recreated" in out, out
    assert "Container berth-web-1  Started" in out, out
    # probe lives in web's network namespace: it follows web
    assert "Container berth-probe-1  Recreated" in out, out
    assert vm.sh("berth inspect -f '{{.Id}}' berth-probe-1").strip() != probe
    assert vm.sh("berth inspect -f '{{.Id}}' berth-web-1").strip() != before
    assert vm.sh("berth exec berth-web-1 sh -c 'echo $ROLE'").strip() == "changed"
    assert http_get(vm.http_port, "/hostname", 30).strip() == "compose-web"


def test_compose_restart_service(vm):
    pid = vm.sh("berth inspect -f '{{.State.Pid}}' berth-web-1").strip()
    probe = vm.sh("berth inspect -f '{{.State.Pid}}' berth-probe-1").strip()
    out = vm.sh("berth compose restart -t 1 web", timeout=60)
    # probe lives in web's network namespace: stopped first, started after web
    assert [l.strip() for l in out.strip().splitlines()] == [
        "Container berth-web-1  Started", "Container berth-probe-1  Started"], out
    assert vm.sh("berth inspect -f '{{.State.Pid}}' berth-web-1").strip() != pid
    assert vm.sh("berth inspect -f '{{.State.Pid}}' berth-probe-1").strip() != probe
    got = vm.sh("berth exec berth-probe-1 sh -c 'sleep 1; wget -q -O- http://127.0.0.1/hostname'")
    assert got.strip() == "compose-web", got
    assert http_get(vm.http_port, "/hostname", 30).strip() == "compose-web"


def test_compose_down_then_up(vm):
    out = vm.sh("berth compose down -t 1", timeout=60)
    assert out.index("berth-probe-1  Removed") < out.index("berth-web-1  Removed"), out
    assert vm.sh("berth ps -a -q").strip() == "", vm.sh("berth ps -a")
    assert vm.sh("berth compose ps").strip().splitlines()[1:] == []
    out = vm.sh("berth compose up -d", timeout=60)
    assert out.index("berth-web-1  Started") < out.index("berth-probe-1  Started"), out
    assert http_get(vm.http_port, "/hostname", 30).strip() == "compose-web"


def test_compose_broken_service_reported_good_one_runs(first):
    vm = Appliance(first.build, "compose-broken",
                   files={"/etc/berth/compose.yaml": BROKEN}).start()
    try:
        # the CLI's "berth: " error line, relayed by PID 1 under its own prefix only
        msg = (r"berth compose: /etc/berth/compose\.yaml:5: "
               r"services\.bad: unknown key 'prots'")
        vm.expect(msg.encode(), 90)
        assert vm.wait_compose_up(60) == b"1"
        assert re.search(msg, vm.sh("dmesg"))
        names = vm.sh("berth ps --format '{{.Names}}'").split()
        assert names == ["berth-good-1"], names
        out, rc = vm.run("berth compose config -q", check=False)
        assert rc == 1 and "compose.yaml:5: services.bad: unknown key 'prots'" in out, out
        vm.sh("berth ping")
    finally:
        vm.kill()
