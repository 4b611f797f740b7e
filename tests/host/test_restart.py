"""Restart policies and health checks under `berth daemon` on the build
host: Docker's validation, restarts with backoff, manual stops that stay
stopped, RestartCount/Restarting in ps and inspect, a supervisor restarted
over the same root, and health checks (healthy, unhealthy, timeout)."""
import json
import os
import re
import signal
import time

from hostenv import Daemon, require_bridge_network, require_overlay


def setup_module(build):
    require_overlay()
    require_bridge_network()  # containers go on the default bridge
    d = Daemon(build)
    d.import_busybox()
    d.build = build
    return d


def teardown_module(d):
    d.stop()


def inspect(d, name, fmt):
    return d.ok("inspect", "-f", fmt, name).strip()


def wait_for(fn, timeout=15, step=0.05):
    end = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() > end:
            return v
        time.sleep(step)


def test_restart_flag_validation(d):
    cases = [
        (["--restart", "sometimes"], "invalid restart policy: unknown policy 'sometimes'"),
        (["--restart", "on-failure:x"], "maximum retry count must be an integer"),
        (["--restart", "on-failure:-1"], "maximum retry count cannot be negative"),
        (["--restart", "always:3"], "maximum retry count can only be used with 'on-failure'"),
        (["--rm", "--restart", "always"], "Conflicting options: --restart and --rm"),
        (["--health-interval", "5x"], 'invalid argument "5x" for "--health-interval" flag'),
        (["--health-timeout", "-1s"], "--health-timeout cannot be negative"),
        (["--health-retries", "-2"], "--health-retries cannot be negative"),
        (["--health-interval", "10us", "--health-cmd", "true"],
         "Interval in Healthcheck cannot be less than 1ms"),
        (["--no-healthcheck", "--health-cmd", "true"],
         "--no-healthcheck conflicts with --health-* options"),
    ]
    for flags, msg in cases:
        rc, out, err = d.cli("run", "-d", *flags, "busybox", "true")
        assert rc == 125 and msg in err, (flags, rc, out, err)
    assert d.ok("ps", "-aq") == ""


def test_inspect_shows_policy(d):
    d.ok("create", "--name", "pol", "--restart", "on-failure:4", "busybox", "true")
    assert inspect(d, "pol", "{{.HostConfig.RestartPolicy.Name}} "
                   "{{.HostConfig.RestartPolicy.MaximumRetryCount}} {{.RestartCount}} "
                   "{{.State.Restarting}}") == "on-failure 4 0 false"
    d.ok("create", "--name", "pol2", "busybox", "true")
    assert inspect(d, "pol2", "{{.HostConfig.RestartPolicy.Name}}") == "no"
    d.ok("rm", "pol", "pol2")


def test_killed_process_is_restarted(d):
    d.ok("run", "-d", "--name", "kr", "--restart", "always", "busybox", "sleep", "1000")
    pid = int(inspect(d, "kr", "{{.State.Pid}}"))
    os.kill(pid, signal.SIGKILL)
    new = wait_for(lambda: (lambda p: p if p not in ("0", str(pid)) else None)(
        inspect(d, "kr", "{{.State.Pid}}")))
    assert new, d.logtext()
    assert inspect(d, "kr", "{{.RestartCount}} {{.State.Status}}") == "1 running"
    assert os.path.exists("/proc/%s" % new)
    # a kill by the user is a manual stop: it stays down
    d.ok("kill", "kr")
    assert d.ok("wait", "kr").strip() == "137"
    time.sleep(1)
    assert inspect(d, "kr", "{{.State.Status}} {{.RestartCount}}") == "exited 1"
    # a start by the user counts from 0 again
    d.ok("start", "kr")
    assert inspect(d, "kr", "{{.State.Status}} {{.RestartCount}}") == "running 0"
    d.ok("stop", "-t", "1", "kr")
    assert d.ok("wait", "kr").strip() == "137"
    time.sleep(0.5)
    assert inspect(d, "kr", "{{.State.Status}}") == "exited"
    d.ok("rm", "kr")


def test_crash_loop_backs_off(d):
    d.ok("run", "-d", "--name", "loop", "--restart", "always", "busybox", "sh", "-c", "exit 3")
    t0 = time.monotonic()
    # schedule 100, 200, 400, 800, 1600, 3200 ms: about 6 restarts in 6.3 s
    samples = []
    while time.monotonic() - t0 < 4.0:
        samples.append((time.monotonic() - t0, int(inspect(d, "loop", "{{.RestartCount}}"))))
        time.sleep(0.1)
    # RestartCount goes up at each exit; exits come at 0, 0.1, 0.3, 0.7, 1.5,
    # 3.1 s (+ the runs themselves): never ahead of the schedule
    exits = [sum(0.1 * 2 ** j for j in range(k)) for k in range(12)]
    for t, c in samples:
        assert c <= sum(1 for e in exits if e <= t), (t, c, samples)
    assert 4 <= samples[-1][1] <= 6, samples
    ps = wait_for(lambda: (lambda o: o if "Restarting (3)" in o else None)(d.ok("ps")), 5)
    assert ps and re.search(r"Restarting \(3\) (Less than a second|\d+ seconds?) ago", ps), ps
    assert inspect(d, "loop", "{{.State.Restarting}}") in ("true", "false")
    # the supervisor answers at once while it loops
    t = time.monotonic()
    d.ok("ps")
    assert time.monotonic() - t < 2
    # stop cancels a pending restart
    d.ok("stop", "loop")
    n = int(inspect(d, "loop", "{{.RestartCount}}"))
    time.sleep(1.0)
    assert inspect(d, "loop", "{{.State.Status}} {{.RestartCount}}") == "exited %d" % n
    d.ok("rm", "loop")


def test_on_failure_counts_and_exit_0(d):
    d.ok("run", "-d", "--name", "of", "--restart", "on-failure:2", "busybox", "sh", "-c", "exit 1")
    done = wait_for(lambda: inspect(d, "of", "{{.State.Status}} {{.RestartCount}}") == "exited 2",
                    10)
    assert done, inspect(d, "of", "{{.State.Status}} {{.RestartCount}}")
    time.sleep(1)
    assert inspect(d, "of", "{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}") == "exited 2 1"
    d.ok("run", "-d", "--name", "of0", "--restart", "on-failure", "busybox", "true")
    assert d.ok("wait", "of0").strip() == "0"
    time.sleep(0.5)
    assert inspect(d, "of0", "{{.State.Status}} {{.RestartCount}}") == "exited 0"
    rc, out, err = d.cli("rm", "-f", "of", "of0")
    assert rc == 0, err


def test_unless_stopped_restarts_on_exit_0(d):
    d.ok("run", "-d", "--name", "us", "--restart", "unless-stopped", "busybox", "sh", "-c",
         "sleep 0.2")
    assert wait_for(lambda: int(inspect(d, "us", "{{.RestartCount}}")) >= 2, 10)
    d.ok("stop", "us")
    d.ok("rm", "us")


def test_rm_of_restarting_container(d):
    d.ok("run", "-d", "--name", "rr", "--restart", "always", "busybox", "sh", "-c", "exit 2")
    # after a few restarts the wait (>= 0.8 s) is long enough to catch it restarting
    assert wait_for(lambda: int(inspect(d, "rr", "{{.RestartCount}}")) >= 4, 10)
    assert wait_for(lambda: inspect(d, "rr", "{{.State.Status}}") == "restarting", 5)
    rc, out, err = d.cli("rm", "rr")
    assert rc != 0 and "cannot remove a restarting container" in err, (rc, err)
    assert d.ok("rm", "-f", "rr").strip() == "rr"


def test_supervisor_restart_starts_always_and_unless_stopped(d):
    d2 = Daemon(d.build)
    try:
        d2.import_busybox()
        for name, pol in (("aa", "always"), ("uu", "unless-stopped"), ("us", "unless-stopped"),
                          ("ff", "on-failure"), ("nn", "no")):
            # ends on SIGTERM, so the daemon's shutdown is quick
            d2.ok("run", "-d", "--name", name, "--restart", pol, "busybox", "sh", "-c",
                  "trap 'exit 0' TERM; while :; do sleep 0.1; done")
        d2.ok("run", "-d", "--name", "as", "--restart", "always", "busybox", "sh", "-c",
              "trap 'exit 0' TERM; while :; do sleep 0.1; done")
        for name in ("us", "as"):
            d2.ok("stop", name)
            assert d2.ok("wait", name).strip() == "0"
        root = d2.root
        d2.stop(remove=False)
        d2 = Daemon(d.build, root=root)
        got = {}
        for name in ("aa", "uu", "us", "ff", "nn", "as"):
            got[name] = wait_for(lambda: inspect(d2, name, "{{.State.Status}}") == "running",
                                 3 if name in ("aa", "uu", "as") else 1) and "running" or \
                inspect(d2, name, "{{.State.Status}}")
        assert got == {"aa": "running", "uu": "running", "us": "exited", "ff": "exited",
                       "nn": "exited", "as": "running"}, (got, d2.logtext())
        out = d2.ok("ps", "--format", "{{.Names}}")
        assert sorted(out.split()) == ["aa", "as", "uu"], out
        # a fresh count, and a process of this supervisor
        assert inspect(d2, "aa", "{{.RestartCount}}") == "0"
        pid = int(inspect(d2, "aa", "{{.State.Pid}}"))
        assert os.path.exists("/proc/%d" % pid)
    finally:
        d2.stop()


# ---- health checks ----

def health(d, name):
    return json.loads(d.ok("inspect", "-f", "{{json .State.Health}}", name))


def test_health_cmd_becomes_healthy(d):
    d.ok("run", "-d", "--name", "hok", "--hostname", "box7", "--health-cmd",
         "echo probe-on-$(hostname); test -e /proc/1/cmdline", "--health-interval", "300ms",
         "busybox", "sleep", "1000")
    assert "(health: starting)" in d.ok("ps"), d.ok("ps")
    assert wait_for(lambda: "(healthy)" in d.ok("ps"), 10), (d.ok("ps"), d.logtext())
    assert re.search(r"Up (Less than a second|\d+ seconds?) \(healthy\)", d.ok("ps"))
    h = health(d, "hok")
    assert h["Status"] == "healthy" and h["FailingStreak"] == 0, h
    # the check ran inside the container (its hostname)
    assert h["Log"][0]["ExitCode"] == 0 and h["Log"][0]["Output"] == "probe-on-box7\n", h
    assert re.match(r"\d{4}-\d\d-\d\dT", h["Log"][0]["Start"]), h
    hc = json.loads(d.ok("inspect", "-f", "{{json .Config.Healthcheck}}", "hok"))
    assert hc["Test"][0] == "CMD-SHELL" and hc["Interval"] == 300000000, hc
    # at most five results are kept
    assert wait_for(lambda: len(health(d, "hok")["Log"]) == 5, 10)
    time.sleep(0.8)
    assert len(health(d, "hok")["Log"]) == 5
    d.ok("rm", "-f", "hok")


def test_failing_health_cmd_is_unhealthy_and_restarted(d):
    d.ok("run", "-d", "--name", "hbad", "--health-cmd", "echo nope; exit 3",
         "--health-interval", "200ms", "--health-retries", "2", "busybox", "sleep", "1000")
    assert wait_for(lambda: "(unhealthy)" in d.ok("ps"), 10), d.ok("ps")
    h = health(d, "hbad")
    assert h["Status"] == "unhealthy" and h["FailingStreak"] >= 2, h
    assert h["Log"][-1]["ExitCode"] == 3 and h["Log"][-1]["Output"] == "nope\n", h
    # without a restart policy it just stays unhealthy
    time.sleep(0.5)
    assert inspect(d, "hbad", "{{.State.Status}} {{.RestartCount}}") == "running 0"
    d.ok("rm", "-f", "hbad")
    # with one, it is restarted (sleep ignores SIGTERM as PID 1: stop timeout 1 s)
    d.ok("run", "-d", "--name", "hbad2", "--restart", "always", "--stop-timeout", "1",
         "--health-cmd", "exit 1", "--health-interval", "200ms", "--health-retries", "1",
         "busybox", "sleep", "1000")
    pid = inspect(d, "hbad2", "{{.State.Pid}}")
    assert wait_for(lambda: int(inspect(d, "hbad2", "{{.RestartCount}}")) >= 1, 15), d.logtext()
    assert wait_for(lambda: inspect(d, "hbad2", "{{.State.Pid}}") not in ("0", pid), 5)
    d.ok("rm", "-f", "hbad2")


def test_health_output_not_utf8_is_kept(d):
    # a check printing bytes that are not UTF-8 keeps its log entry, each
    # bad byte U+FFFD as Docker shows it (the entry used to vanish)
    d.ok("run", "-d", "--name", "hbin", "--health-cmd", "printf 'ok\\377\\n'",
         "--health-interval", "200ms", "busybox", "sleep", "1000")
    assert wait_for(lambda: health(d, "hbin")["Log"], 10), (health(d, "hbin"), d.logtext())
    assert health(d, "hbin")["Log"][0]["Output"] == "ok\ufffd\n", health(d, "hbin")
    d.ok("rm", "-f", "hbin")


def test_health_timeout_counts_as_failure(d):
    d.ok("run", "-d", "--name", "hslow", "--health-cmd", "sleep 30", "--health-timeout", "300ms",
         "--health-interval", "200ms", "--health-retries", "1", "busybox", "sleep", "1000")
    assert wait_for(lambda: "(unhealthy)" in d.ok("ps"), 10), d.ok("ps")
    h = health(d, "hslow")
    assert h["Log"][0]["ExitCode"] == -1, h
    assert h["Log"][0]["Output"] == "Health check exceeded timeout (300ms)", h
    # each timed-out command is killed: after several timeouts at most the
    # current probe's `sleep 30` is there
    assert wait_for(lambda: len(health(d, "hslow")["Log"]) >= 4, 10)
    top = d.ok("top", "hslow")
    assert top.count("sleep 30") <= 1, top
    assert all(r["ExitCode"] == -1 for r in health(d, "hslow")["Log"])
    d.ok("rm", "-f", "hslow")


def test_no_healthcheck_and_missing_command(d):
    d.ok("run", "-d", "--name", "hnone", "--no-healthcheck", "busybox", "sleep", "1000")
    assert inspect(d, "hnone", "{{json .Config.Healthcheck.Test}}") == '["NONE"]'
    assert "(health" not in d.ok("ps")
    d.ok("rm", "-f", "hnone")
    d.ok("run", "-d", "--name", "hmiss", "--health-cmd", "/nonexistent", "--health-interval",
         "200ms", "--health-retries", "1", "busybox", "sleep", "1000")
    assert wait_for(lambda: "(unhealthy)" in d.ok("ps"), 10), d.ok("ps")
    assert health(d, "hmiss")["Log"][0]["ExitCode"] == 127
    d.ok("rm", "-f", "hmiss")


def load_image_with_healthcheck(d, ref, healthcheck):
    """An OCI layout holding busybox with a HEALTHCHECK in its config (as
    `berth build` writes it), loaded into the daemon's store."""
    import gzip
    import hashlib
    from hostenv import busybox_tar

    layout = os.path.join(d.root, "hc-layout")
    os.makedirs(os.path.join(layout, "blobs", "sha256"))

    def blob(data):
        h = hashlib.sha256(data).hexdigest()
        with open(os.path.join(layout, "blobs", "sha256", h), "wb") as f:
            f.write(data)
        return "sha256:" + h, len(data)

    tar = os.path.join(d.root, "hc-busybox.tar")
    busybox_tar(tar)
    raw = open(tar, "rb").read()
    layer, lsize = blob(gzip.compress(raw, mtime=0))
    cfg = json.dumps({"architecture": "amd64", "os": "linux",
                      "config": {"Cmd": ["sleep", "1000"], "Env": ["PATH=/bin"],
                                 "Healthcheck": healthcheck},
                      "rootfs": {"type": "layers",
                                 "diff_ids": ["sha256:" + hashlib.sha256(raw).hexdigest()]}
                      }).encode()
    cid, csize = blob(cfg)
    man, msize = blob(json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cid,
                   "size": csize},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": layer, "size": lsize}]}).encode())
    with open(os.path.join(layout, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    with open(os.path.join(layout, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": man,
             "size": msize, "annotations": {"org.opencontainers.image.ref.name": ref}}]}, f)
    d.ok("load", "-i", layout)


def test_image_healthcheck_merged_with_flags(d):
    load_image_with_healthcheck(d, "hcimg:1", {
        "Test": ["CMD-SHELL", "echo from-image"], "Interval": 200000000, "Retries": 5})
    d.ok("run", "-d", "--name", "himg", "--health-retries", "2", "hcimg:1")
    hc = json.loads(d.ok("inspect", "-f", "{{json .Config.Healthcheck}}", "himg"))
    assert hc["Test"] == ["CMD-SHELL", "echo from-image"], hc
    assert (hc["Interval"], hc["Retries"]) == (200000000, 2), hc
    assert wait_for(lambda: "(healthy)" in d.ok("ps"), 10), d.ok("ps")
    assert health(d, "himg")["Log"][0]["Output"] == "from-image\n"
    # --health-cmd replaces the image's command; --no-healthcheck turns it off
    d.ok("run", "-d", "--name", "himg2", "--health-cmd", "exit 1", "hcimg:1")
    hc = json.loads(d.ok("inspect", "-f", "{{json .Config.Healthcheck}}", "himg2"))
    assert hc["Test"] == ["CMD-SHELL", "exit 1"] and hc["Interval"] == 200000000, hc
    d.ok("run", "-d", "--name", "himg3", "--no-healthcheck", "hcimg:1")
    time.sleep(0.6)
    assert "(health" not in [l for l in d.ok("ps").splitlines() if "himg3" in l][0]
    d.cli("rm", "-f", "himg", "himg2", "himg3")


def test_flooding_health_output_is_bounded(d):
    d.ok("run", "-d", "--name", "hflood", "--health-cmd", "yes", "--health-timeout", "500ms",
         "--health-interval", "200ms", "--health-retries", "1", "busybox", "sleep", "1000")
    assert wait_for(lambda: "(unhealthy)" in d.ok("ps"), 10), d.ok("ps")
    t = time.monotonic()
    d.ok("ps")
    assert time.monotonic() - t < 1
    log = health(d, "hflood")["Log"]
    assert log[0]["ExitCode"] == -1, log
    d.ok("rm", "-f", "hflood")
