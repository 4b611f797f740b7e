"""`berth events` and depends_on conditions in the appliance: the boot
workload's web service waits (in the compose child, never in PID 1) for
its database to be healthy, which the event ring shows in order; a
follower on the console sees a restart-policy crash loop as it happens,
each death with its exit code, while PID 1 keeps answering."""
import re
import time

from harness import Appliance

COMPOSE = """\
services:
  web:
    image: busybox
    command: sleep 100000
    network_mode: none
    depends_on:
      db: {condition: service_healthy}
  db:
    image: busybox
    command: sh -c 'sleep 2; touch /tmp/ready; exec sleep 100000'
    network_mode: none
    healthcheck:
      test: test -f /tmp/ready
      interval: 500ms
      retries: 30
"""


def setup_module(build):
    vm = Appliance(build, "events", files={"/etc/berth/compose.yaml": COMPOSE}).start()
    vm.up_status = vm.wait_compose_up(120)
    return vm


def teardown_module(vm):
    vm.kill()


def test_boot_waits_for_a_healthy_dependency(vm):
    assert vm.up_status == b"0", vm.tail()
    out = vm.sh("berth events --since 0 --until 0s --filter type=container "
                "--filter event=start --filter event=health_status "
                "--format '{{.Action}} {{.Actor.Attributes.name}}'")
    assert out.splitlines() == ["start berth-db-1", "health_status: healthy berth-db-1",
                                "start berth-web-1"], out
    assert "Container berth-db-1  Healthy" in vm.sh("dmesg")


def test_events_follow_a_crash_loop(vm):
    vm.sh("berth events --filter container=loop > /tmp/ev 2>&1 & echo $! > /tmp/evpid")
    time.sleep(1)
    vm.sh("berth run -d --name loop --restart on-failure:3 busybox sh -c 'exit 7'")
    lines = []
    for _ in range(120):
        lines = vm.sh("cat /tmp/ev").splitlines()
        if sum(" container die " in l for l in lines) >= 4:
            break
        assert vm.sh("berth ping").strip() == "pong"
        time.sleep(0.5)
    # reaped in the same command: busybox ash ends when a background job
    # ends while it reads the next line
    vm.sh("kill $(cat /tmp/evpid); wait; true")
    actions = [re.match(r"^\S+ container (\w+) [0-9a-f]{64} \((.*)\)$", l) for l in lines]
    assert all(actions), lines
    assert [a.group(1) for a in actions] == ["create"] + ["start", "die"] * 4, lines
    for a in actions:
        if a.group(1) == "die":
            assert a.group(2) == "exitCode=7, image=busybox, name=loop", a.group(0)
    st = vm.sh("berth inspect -f '{{.State.Status}} {{.RestartCount}}' loop").strip()
    assert st == "exited 3", st
    vm.sh("berth rm loop")
