"""`berth events` against `berth daemon --root DIR`: a follower sees a
container's life (create, start, die with its exit code, destroy) as it
happens; --since/--until replay the kept events in Docker's text format;
--filter and --format (json, templates); image and volume events from the
CLI; a follower that stops reading is disconnected (and told) while the
daemon keeps answering."""
import json
import os
import re
import select
import subprocess
import time

from hostenv import busybox_daemon

LINE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z) (\w+) ([\w: ]+?) (\S+)(?: \((.*)\))?$")


def setup_module(build):
    return busybox_daemon(build)


def teardown_module(d):
    d.stop()


def follower(d, *args):
    p = subprocess.Popen([d.berth, "--root", d.root, "events"] + list(args),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(0.3)  # its request is in before what it should see
    return p


def read_until(p, pred, timeout=20):
    """Lines of p's stdout until pred(lines) holds (os.read: select
    must not miss what a buffered readline took in)."""
    lines, buf, end = [], b"", time.monotonic() + timeout
    fd = p.stdout.fileno()
    while not pred(lines):
        left = end - time.monotonic()
        assert left > 0, lines
        r, _, _ = select.select([fd], [], [], left)
        if r:
            chunk = os.read(fd, 65536)
            assert chunk, (lines, p.stderr.read() if p.poll() is not None else "")
            buf += chunk
            *done, buf = buf.split(b"\n")
            lines += [l.decode() for l in done]
    return lines


def stop(p):
    p.terminate()
    p.wait(10)


def test_follow_a_container_life(d):
    p = follower(d, "--format", "json", "--filter", "container=life")
    cid = d.ok("run", "-d", "--name", "life", "--network", "none", "busybox",
               "sh", "-c", "exit 3").strip()
    assert d.ok("wait", "life").strip() == "3"
    d.ok("rm", "life")
    lines = read_until(p, lambda l: any('"destroy"' in x for x in l))
    stop(p)
    evs = [json.loads(l) for l in lines]
    assert [e["Action"] for e in evs] == ["create", "start", "die", "destroy"], evs
    for e in evs:
        assert e["Type"] == "container" and e["Actor"]["ID"] == cid, e
        assert e["Actor"]["Attributes"]["name"] == "life", e
        assert e["Actor"]["Attributes"]["image"] == "busybox", e
        assert e["scope"] == "local" and e["timeNano"] // 10**9 == e["time"], e
    assert evs[2]["Actor"]["Attributes"]["exitCode"] == "3", evs[2]
    assert [e["timeNano"] for e in evs] == sorted(e["timeNano"] for e in evs)


def test_rename_and_update_are_events(d):
    p = follower(d, "--format", "json", "--filter", "type=container",
                 "--filter", "event=rename", "--filter", "event=update")
    d.ok("create", "--name", "before", "--network", "none", "busybox", "true")
    d.ok("rename", "before", "after")
    d.ok("update", "--restart", "on-failure:2", "after")
    lines = read_until(p, lambda l: any('"update"' in x for x in l))
    stop(p)
    d.ok("rm", "after")
    evs = [json.loads(l) for l in lines]
    assert [e["Action"] for e in evs] == ["rename", "update"], evs
    assert evs[0]["Actor"]["Attributes"]["name"] == "after", evs
    assert evs[0]["Actor"]["Attributes"]["oldName"] == "/before", evs
    assert evs[1]["Actor"]["Attributes"]["name"] == "after", evs


def test_since_until_replays_in_docker_text(d):
    t0 = time.time()
    d.ok("run", "-d", "--name", "past", "--network", "none", "--label", "tier=x",
         "busybox", "sleep", "1000")
    d.ok("kill", "past")
    d.ok("wait", "past")
    rc, out, err = d.cli("events", "--since", "%.3f" % (t0 - 0.5), "--until", "0s",
                         "--filter", "container=past")
    assert rc == 0, err
    lines = out.splitlines()
    parsed = [LINE.match(l) for l in lines]
    assert all(parsed), lines
    assert [m.group(3) for m in parsed] == ["create", "start", "kill", "die"], lines
    assert parsed[0].group(5) == "image=busybox, name=past, tier=x", lines[0]
    assert parsed[2].group(5) == "image=busybox, name=past, signal=9, tier=x", lines[2]
    assert "exitCode=137" in parsed[3].group(5), lines[3]
    # an RFC 3339 --since, and a window that closed before them: nothing
    since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t0 - 3600))
    rc, out, err = d.cli("events", "--since", since, "--until", since, "--filter",
                         "container=past")
    assert (rc, out) == (0, ""), (out, err)
    d.ok("rm", "past")


def test_filters_and_template(d):
    p = follower(d, "--filter", "type=volume", "--filter", "type=image",
                 "--filter", "event=create", "--filter", "event=destroy",
                 "--filter", "event=tag",
                 "--format", "{{.Type}} {{.Action}} {{.Actor.ID}}")
    d.ok("volume", "create", "evvol")
    d.ok("volume", "rm", "evvol")
    d.ok("tag", "busybox", "busybox:evtag")
    d.ok("rmi", "busybox:evtag")
    d.ok("run", "--rm", "--network", "none", "busybox", "true")  # filtered out
    lines = read_until(p, lambda l: len(l) >= 2 and l[-1].startswith("image"))
    stop(p)
    assert lines[:2] == ["volume create evvol", "volume destroy evvol"], lines
    assert re.match(r"^image tag sha256:[0-9a-f]{64}$", lines[2]), lines
    rc, out, err = d.cli("events", "--filter", "colour=red")
    assert (rc, err) == (1, "berth: invalid filter 'colour=red'\n"), err
    rc, out, err = d.cli("events", "--since", "yesterday-ish")
    assert rc == 125 and "invalid value for --since" in err, err


def test_slow_follower_is_disconnected(d):
    # a reader that never reads: its pipe, the FIFO, then its 256 KiB in
    # the daemon fill up; the daemon drops it and goes on answering
    p = follower(d, "--filter", "type=volume")
    pad = "x" * 1800  # an event line holds up to 2 KiB
    fd = os.open(d.control, os.O_WRONLY)
    try:
        for i in range(800):
            os.write(fd, ("event volume create slow%d pad=%s\n" % (i, pad)).encode())
    finally:
        os.close(fd)
    t0 = time.monotonic()
    assert d.ok("ping").strip() == "pong"
    assert time.monotonic() - t0 < 5
    deadline = time.monotonic() + 20
    while "fell behind" not in d.logtext():
        assert time.monotonic() < deadline, d.logtext()[-2000:]
        time.sleep(0.1)
    out, err = p.communicate(timeout=20)  # now read: the backlog, then the end
    out, err = out.decode(), err.decode()
    assert p.returncode == 1, (p.returncode, err)
    assert "berth: events: this reader fell behind (more than 256 KiB unread); the " \
           "supervisor disconnected it\n" in err, err
    assert out.count("volume create slow") < 800
    # a new follower is served
    q = follower(d, "--filter", "type=volume")
    d.ok("volume", "create", "after")
    assert read_until(q, lambda l: l)[0].split()[1:4] == ["volume", "create", "after"]
    stop(q)
    d.ok("volume", "rm", "after")
