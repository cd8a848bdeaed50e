#!/usr/bin/env python3
"""Run the code examples that `guidebook examples` wrote out.

usage: run-examples.py [-j N] [--timeout S] [--json FILE] DIR

DIR holds examples.tsv, one line per example and expected output, with
tab-separated fields:

    guide  line  kind  requires  versions  code-file  expected-file

kind is python or pycon; requires is X.Y or "-"; versions is "-" or the
versions the line applies to, comparisons joined by commas (">=3.14",
"<=3.13", ">=3.12,<=3.13"); expected-file is "-" when no output block
follows.  File names are relative to DIR.  A line whose versions do not
hold the interpreter's is not run and not counted (another line of the
same example applies); an example whose requires is above the
interpreter is skipped.

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


def full_version(python):
    """The interpreter's own version line ("3.14.0rc1", "3.11.2")."""
    out = subprocess.run(
        [python, "-c", "import platform; print(platform.python_version())"],
        stdin=subprocess.DEVNULL, capture_output=True, text=True)
    return out.stdout.strip() or "unknown"


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


def versions_hold(spec, version):
    """Does version (a tuple) satisfy spec ("-", ">=3.14", "<=3.13",
    ">=3.12,<=3.13")?"""
    if spec == "-":
        return True
    for cmp in spec.split(","):
        op = cmp[:2]
        want = version_tuple(cmp[2:])
        if op == ">=" and not version >= want:
            return False
        if op == "<=" and not version <= want:
            return False
        if op not in (">=", "<="):
            raise ValueError("bad versions field %r" % spec)
    return True


class Example:
    def __init__(self, root, fields):
        (self.guide, line, self.kind, requires, self.versions, code,
         expected) = fields
        self.line = int(line)
        self.requires = None if requires == "-" else version_tuple(requires)
        self.code = os.path.join(root, code)
        self.expected = None if expected == "-" else os.path.join(root,
                                                                  expected)
        versions_hold(self.versions, (3, 0))    # a bad field fails early

    def label(self):
        where = "" if self.versions == "-" else " (output for %s)" % (
            self.versions)
        return "%s:%d: %s example%s" % (self.guide, self.line, self.kind,
                                        where)


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
    ap.add_argument("--json", metavar="FILE",
                    help="also write the counts per guide and the "
                    "failures as JSON")
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

    # Of the lines of one example, only the one for this version counts;
    # an example skipped for its requires= counts once.
    results = {}
    todo = []
    seen_skip = set()
    applicable = []
    for ex in examples:
        if ex.requires is not None and version < ex.requires:
            if ex.code in seen_skip:
                continue
            seen_skip.add(ex.code)
            results[id(ex)] = ("skipped", "requires %d.%d" % ex.requires)
        elif not versions_hold(ex.versions, version):
            continue
        else:
            todo.append(ex)
        applicable.append(ex)
    examples = applicable
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

    failures = []
    for ex in examples:
        status, detail = results[id(ex)]
        if status == "failed":
            print("FAIL " + ex.label())
            for line in detail.rstrip("\n").splitlines():
                print("    " + line)
            failures.append({"guide": ex.guide, "line": ex.line,
                             "kind": ex.kind, "versions": ex.versions,
                             "detail": detail})
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
    if args.json:
        import json
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"python": "%d.%d" % version,
                       "full_version": full_version(python),
                       "guides": counts, "total": total,
                       "failures": failures}, f, indent=1)
    return 1 if total["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
