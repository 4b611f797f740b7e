"""`ps-rows` keeps each container's line until what it shows changes
(issue 14: a control storm rebuilt every row for every `berth ps`). What
`berth ps` prints must still follow each change at once: the seconds its
status counts, a stop, a rename, a start."""
import re
import time

from hostenv import busybox_daemon


def setup_module(build):
    return busybox_daemon(build)


def teardown_module(d):
    d.stop()


def status(d, name):
    for line in d.ok("ps", "-a", "--format", "{{.Names}}\t{{.Status}}").splitlines():
        n, s = line.split("\t")
        if n == name:
            return s
    return None


def test_the_seconds_of_the_status_advance(d):
    d.ok("run", "-d", "--name", "tick", "busybox", "sleep", "1000")
    first = status(d, "tick")  # its row is kept from here on
    assert first.startswith("Up "), first
    time.sleep(2.2)
    later = status(d, "tick")
    m = re.match(r"Up (\d+) seconds$", later)
    assert m and int(m.group(1)) >= 2, (first, later)


def test_a_stop_a_rename_and_a_start_show_at_once(d):
    d.ok("run", "-d", "--name", "row", "busybox", "sleep", "1000")
    assert status(d, "row").startswith("Up "), status(d, "row")
    d.ok("stop", "-t", "0", "row")
    assert status(d, "row").startswith("Exited (137) "), status(d, "row")
    d.ok("rename", "row", "row2")
    assert status(d, "row") is None, d.ok("ps", "-a")
    assert status(d, "row2").startswith("Exited (137) "), status(d, "row2")
    d.ok("start", "row2")
    assert status(d, "row2").startswith("Up "), status(d, "row2")
