"""A compose file using every key behind berth run's HostConfig flags
(extra_hosts, dns, dns_search, dns_opt, tmpfs, ulimits, sysctls, devices,
init, stop_signal, stop_grace_period, logging with json-file options,
deploy.resources.limits and deploy.restart_policy), against `berth daemon
--root DIR`: the container has each of them, and a bad value is refused
with its file and line while the other services start."""
import json
import os
import subprocess
import time

from hostenv import busybox_daemon

COMPOSE = """\
services:
  app:
    image: busybox
    network_mode: none
    command: sh -c 'trap "echo got USR1; exit 0" USR1; while :; do sleep 0.1; done'
    extra_hosts: ["db:10.9.8.7"]
    dns: 10.0.0.53
    dns_search: [corp.example]
    dns_opt: ["ndots:3"]
    tmpfs: ["/cache:size=128k"]
    ulimits:
      nofile: {soft: 300, hard: 400}
    sysctls: {net.ipv4.ip_forward: 1}
    devices: ["/dev/null:/dev/nothing:rw"]
    init: true
    stop_signal: SIGUSR1
    stop_grace_period: 20s
    logging:
      driver: json-file
      options: {max-size: 2k, max-file: "3"}
    deploy:
      resources:
        limits: {memory: 64m, cpus: "0.5", pids: 40}
      restart_policy: {condition: on-failure, max_attempts: 2}
  broken:
    image: busybox
    network_mode: none
    ulimits: {nofile: {soft: 9, hard: 1}}
"""


def setup_module(build):
    return busybox_daemon(build)


def teardown_module(d):
    d.stop()


def compose(d, top, *args):
    p = subprocess.run([d.berth, "--root", d.root, "compose"] + list(args), cwd=top,
                       capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def test_every_hostconfig_key(d):
    top = os.path.join(d.root, "proj-hostcfg")
    os.makedirs(top)
    with open(os.path.join(top, "compose.yaml"), "w") as f:
        f.write(COMPOSE)
    rc, out, err = compose(d, top, "up", "-d")
    assert "compose.yaml:28: services.broken: ulimits: ulimit soft limit must be " \
        "less than or equal to hard limit: 9 > 1" in err, (rc, out, err)
    assert "proj-hostcfg-app-1  Started" in out, out
    name = "proj-hostcfg-app-1"
    j = json.loads(d.ok("inspect", name))[0]
    hc = j["HostConfig"]
    assert hc["ExtraHosts"] == ["db:10.9.8.7"] and hc["Dns"] == ["10.0.0.53"], hc
    assert hc["DnsSearch"] == ["corp.example"] and hc["DnsOptions"] == ["ndots:3"], hc
    assert hc["Tmpfs"] == {"/cache": "size=128k"}, hc
    assert hc["Ulimits"] == [{"Name": "nofile", "Soft": 300, "Hard": 400}], hc
    assert hc["Sysctls"] == {"net.ipv4.ip_forward": "1"} and hc["Init"] is True, hc
    assert hc["Devices"][0]["PathInContainer"] == "/dev/nothing", hc
    assert hc["LogConfig"]["Config"] == {"max-size": "2k", "max-file": "3"}, hc
    assert (hc["Memory"], hc["NanoCpus"], hc["PidsLimit"]) == (64 << 20, 500000000, 40), hc
    assert hc["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 2}, hc
    assert j["Config"]["StopSignal"] == "SIGUSR1", j["Config"]
    inside = d.ok("exec", name, "sh", "-c",
                  "ulimit -n; cat /proc/sys/net/ipv4/ip_forward; grep -c '10.9.8.7\tdb' "
                  "/etc/hosts; grep -c 'search corp.example' /etc/resolv.conf; "
                  "grep -c ' /cache tmpfs ' /proc/mounts; test -c /dev/nothing && echo dev; "
                  "tr '\\0' ' ' < /proc/1/cmdline")
    assert inside.split()[:7] == ["300", "1", "1", "1", "1", "dev", "/sbin/docker-init"], inside
    t0 = time.time()
    rc, out, err = compose(d, top, "stop")
    assert rc == 0, err
    assert time.time() - t0 < 10, "stop_signal did not stop it: it waited for SIGKILL"
    assert d.ok("logs", name).strip() == "got USR1"
    rc, out, err = compose(d, top, "down")
    assert rc == 0, err
