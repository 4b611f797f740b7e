#!/usr/bin/env python3
"""Runs the host and appliance tests and prints the closing line
`N passed, N failed, N skipped` (unit-test counts from build.sh are added
in).

A test is a function named test_* in tests/host/test_*.py or
tests/appliance/test_*.py. A module may define setup_module(build) and
teardown_module(ctx); test functions that take one argument get ctx.

A test skips by raising harness.Skip("reason") (harness.skip(reason)), only
when the build host lacks something the test needs and Berth does not
provide, found out by the test itself, never by default. Raised in
setup_module, it skips every test of the module. A skip is printed with its
reason as it happens, listed again before the closing line, and counted.
"""
import argparse
import glob
import importlib.util
import inspect
import os
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "lib"))
import harness  # noqa: E402


def load(path):
    name = "t_" + os.path.basename(os.path.dirname(path)) + "_" + os.path.basename(path)[:-3]
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--unit-passed", type=int, default=0)
    ap.add_argument("--unit-failed", type=int, default=0)
    ap.add_argument("--unit-skipped", type=int, default=0)
    ap.add_argument("-k", dest="filter", default="",
                    help="run tests whose SUITE/MODULE::TEST name contains this")
    ap.add_argument("suites", nargs="*", default=["host", "appliance"])
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    passed, failed, failures = a.unit_passed, a.unit_failed, []
    skipped, skips = a.unit_skipped, []
    t0 = time.monotonic()
    for suite in a.suites:
        for path in sorted(glob.glob(os.path.join(HERE, suite, "test_*.py"))):
            mod = load(path)
            tests = [(n, f) for n, f in inspect.getmembers(mod, inspect.isfunction)
                     if n.startswith("test_") and f.__module__ == mod.__name__
                     and a.filter in "%s/%s::%s" % (suite, os.path.basename(path)[:-3], n)]
            tests.sort(key=lambda nf: nf[1].__code__.co_firstlineno)
            if not tests:
                continue
            ctx = None
            label = suite + "/" + os.path.basename(path)[:-3]
            try:
                if hasattr(mod, "setup_module"):
                    ctx = mod.setup_module(build)
            except harness.Skip as e:
                for n, _ in tests:
                    skipped += 1
                    print("[%6.1fs] skip %s::%s (%s)" % (time.monotonic() - t0, label, n,
                                                        e.reason))
                skips.append("%s, %d test%s (%s)" % (label, len(tests), "s"[len(tests) == 1:],
                                                    e.reason))
                sys.stdout.flush()
                harness.kill_all()
                continue
            except Exception as e:
                for n, _ in tests:
                    failed += 1
                    failures.append("%s::%s" % (label, n))
                    print("[%6.1fs] FAIL %s::%s (setup failed)" % (time.monotonic() - t0, label, n))
                print(indent(format_exc(e)))
                harness.kill_all()
                continue
            for n, f in tests:
                start = time.monotonic()
                try:
                    if len(inspect.signature(f).parameters) == 1:
                        f(ctx)
                    else:
                        f()
                    passed += 1
                    print("[%6.1fs] ok   %s::%s (%.1fs)" % (time.monotonic() - t0, label, n,
                                                         time.monotonic() - start))
                except harness.Skip as e:
                    skipped += 1
                    skips.append("%s::%s (%s)" % (label, n, e.reason))
                    print("[%6.1fs] skip %s::%s (%s)" % (time.monotonic() - t0, label, n,
                                                        e.reason))
                except Exception as e:
                    failed += 1
                    failures.append("%s::%s" % (label, n))
                    print("[%6.1fs] FAIL %s::%s (%.1fs)" % (time.monotonic() - t0, label, n,
                                                          time.monotonic() - start))
                    print(indent(format_exc(e)))
                sys.stdout.flush()
            if hasattr(mod, "teardown_module"):
                safe(mod.teardown_module, ctx)
            harness.kill_all()
    if skips:
        print("skipped:")
        for s in skips:
            print("  " + s)
    if failures:
        print("failed:")
        for f in failures:
            print("  " + f)
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if failed else 0


def safe(fn, ctx):
    try:
        fn(ctx)
    except (Exception, harness.Skip) as e:
        print(indent("teardown: " + format_exc(e)))


def format_exc(e):
    if isinstance(e, AssertionError) and type(e).__name__ == "TestFailure":
        return str(e)
    return "".join(traceback.format_exception(type(e), e, e.__traceback__)).rstrip()


def indent(text):
    return "\n".join("    " + line for line in text.splitlines())


if __name__ == "__main__":
    sys.exit(main())
