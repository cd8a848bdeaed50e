#!/usr/bin/env python3
"""Run the code examples that `guidebook examples` wrote out.

usage: run-examples.py [-j N] [--timeout S] DIR

DIR holds examples.tsv, one example per line with tab-separated fields:

    guide  line  kind  requires  code-file  expected-file

kind is python, pycon or fragment; requires is X.Y or "-"; expected-file
is "-" when no output block follows.  File names are relative to DIR.

Each example runs with $PYTHON (default python3) in a fresh process and a
fresh temporary directory, standard input closed, proxies unset, with no
network where the platform allows it (a new network namespace through
`unshare`, with only loopback up), and a timeout.  The last line is

    examples: N run, N passed, N failed, N skipped

and the exit status is 1 when any example failed.
"""

import argparse
import concurrent.futures
import difflib
import os
import re
import shutil
import subprocess
import sys
import tempfile

PYCON_DRIVER = r"""
import doctest, sys
path = sys.argv[1]
with open(path, encoding="utf-8") as f:
    text = f.read()
parser = doctest.DocTestParser()
test = parser.get_doctest(text, {"__name__": "__main__"}, path, path, 0)
flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
runner = doctest.DocTestRunner(optionflags=flags)
runner.run(test, out=sys.stdout.write)
sys.exit(1 if runner.failures else 0)
"""

PROXY_VARS = ("http_proxy", "https_proxy", "ftp_proxy", "all_proxy",
              "no_proxy")


def clean_env():
    env = {k: v for k, v in os.environ.items()
           if k.lower() not in PROXY_VARS and not k.startswith("PYTHON")}
    env["PYTHONIOENCODING"] = "utf-8"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["LC_ALL"] = "C.UTF-8"
    return env


def netns_prefix():
    """A command prefix that runs its argument in a network namespace of
    its own (loopback up, nothing else reachable), or [] where the
    platform does not allow one."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return []
    lo_up = ["sh", "-c", 'ip link set lo up 2>/dev/null; exec "$@"', "sh"]
    for args in ([unshare, "-n"] + lo_up, [unshare, "-rn"] + lo_up):
        try:
            r = subprocess.run(args + ["true"], stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if r.returncode == 0:
            return args
    return []


def version_tuple(text):
    return tuple(int(x) for x in text.split("."))


def interpreter_version(python):
    out = subprocess.run(
        [python, "-c",
         "import sys; print('%d.%d' % sys.version_info[:2])"],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, check=True)
    return version_tuple(out.stdout.strip())


def output_matches(expected, actual):
    """True when actual lines match expected, where a line of just '...'
    in expected matches any number of lines (including none)."""
    exp = expected.splitlines()
    act = actual.splitlines()
    # ok[i][j]: exp[i:] matches act[j:]
    n, m = len(exp), len(act)
    ok = [[False] * (m + 1) for _ in range(n + 1)]
    ok[n][m] = True
    for i in range(n - 1, -1, -1):
        for j in range(m, -1, -1):
            if exp[i] == "...":
                ok[i][j] = ok[i + 1][j] or (j < m and ok[i][j + 1])
            else:
                ok[i][j] = j < m and exp[i] == act[j] and ok[i + 1][j + 1]
    return ok[0][0]


class Example:
    def __init__(self, root, fields):
        (self.guide, line, self.kind, requires, code, expected) = fields
        self.line = int(line)
        self.requires = None if requires == "-" else version_tuple(requires)
        self.code = os.path.join(root, code)
        self.expected = None if expected == "-" else os.path.join(root,
                                                                  expected)


def run_one(ex, python, prefix, timeout):
    """Return (status, detail): status is passed, failed or skipped."""
    code = os.path.abspath(ex.code)
    with tempfile.TemporaryDirectory(prefix="pyinternals-ex-") as tmp:
        if ex.kind == "pycon":
            driver = os.path.join(tmp, ".pycon_driver.py")
            with open(driver, "w", encoding="utf-8") as f:
                f.write(PYCON_DRIVER)
            argv = prefix + [python, driver, code]
        else:
            argv = prefix + [python, code]
        try:
            r = subprocess.run(argv, cwd=tmp, env=clean_env(),
                               stdin=subprocess.DEVNULL,
                               capture_output=True, timeout=timeout,
                               start_new_session=True)
        except subprocess.TimeoutExpired as e:
            return "failed", "timed out after %g seconds" % timeout
    out = r.stdout.decode("utf-8", "replace")
    err = r.stderr.decode("utf-8", "replace")
    if ex.kind == "pycon":
        if r.returncode != 0:
            return "failed", out + err
        return "passed", ""
    if r.returncode != 0:
        return "failed", ("exit status %d\n" % r.returncode) + err + (
            ("\nstandard output:\n" + out) if out else "")
    if ex.expected is not None:
        with open(ex.expected, encoding="utf-8") as f:
            want = f.read()
        if not output_matches(want, out):
            diff = difflib.unified_diff(
                want.splitlines(True), out.splitlines(True),
                "expected", "actual")
            return "failed", "".join(diff) + (("\n" + err) if err else "")
    return "passed", ""


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir")
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--timeout", type=float, default=10.0)
    args = ap.parse_args()

    python = os.environ.get("PYTHON") or "python3"
    manifest = os.path.join(args.dir, "examples.tsv")
    try:
        with open(manifest, encoding="utf-8") as f:
            examples = [Example(args.dir, line.rstrip("\n").split("\t"))
                        for line in f if line.strip()]
    except (OSError, ValueError) as e:
        print("run-examples: %s: %s" % (manifest, e), file=sys.stderr)
        return 2
    try:
        version = interpreter_version(python)
    except (OSError, subprocess.CalledProcessError) as e:
        print("run-examples: cannot run %s: %s" % (python, e), file=sys.stderr)
        return 2
    prefix = netns_prefix()

    results = {}
    todo = []
    for ex in examples:
        if ex.kind == "fragment":
            results[id(ex)] = ("skipped", "fragment")
        elif ex.requires is not None and version < ex.requires:
            results[id(ex)] = ("skipped", "requires %d.%d" % ex.requires)
        else:
            todo.append(ex)
    with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as pool:
        futures = {pool.submit(run_one, ex, python, prefix, args.timeout): ex
                   for ex in todo}
        for fut in futures:
            results[id(futures[fut])] = fut.result()

    guides = []
    counts = {}
    for ex in examples:
        if ex.guide not in counts:
            guides.append(ex.guide)
            counts[ex.guide] = {"passed": 0, "failed": 0, "skipped": 0}
        counts[ex.guide][results[id(ex)][0]] += 1

    for ex in examples:
        status, detail = results[id(ex)]
        if status == "failed":
            print("FAIL %s:%d: %s example" % (ex.guide, ex.line, ex.kind))
            for line in detail.rstrip("\n").splitlines():
                print("    " + line)
    total = {"passed": 0, "failed": 0, "skipped": 0}
    for g in guides:
        c = counts[g]
        for k in total:
            total[k] += c[k]
        print("%s: %d run, %d passed, %d failed, %d skipped" % (
            g, c["passed"] + c["failed"], c["passed"], c["failed"],
            c["skipped"]))
    print("examples: %d run, %d passed, %d failed, %d skipped" % (
        total["passed"] + total["failed"], total["passed"], total["failed"],
        total["skipped"]))
    return 1 if total["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
