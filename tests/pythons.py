#!/usr/bin/env python3
"""Run the book's examples under every CPython the book covers.

usage: pythons.py [--cache DIR] [--no-chroots] [--only NAME]
                  [--guide NAME] [-j N] DIR

DIR holds what `guidebook examples` wrote.  The interpreters are every
python3.11 to python3.15 on PATH (and python3) or in pyenv's versions
directory, and Debian's own, each in
a minimal chroot that this script builds with debootstrap and keeps in
the cache directory (default build/chroots):

    bookworm  python3 (3.11)
    trixie    python3 (3.13)
    sid       python3.13, python3.14, python3.15

Debian's interpreters come with Debian's sitecustomize, which the others
lack.  The chroots need root, debootstrap and Debian's archive
(DEBIAN_MIRROR, default http://deb.debian.org/debian); without them the
script says which interpreters it could not get and runs the rest.
Inside a chroot the examples keep their sandbox: tests/run-examples.py
runs each in a fresh process and an empty directory, with no network.

--only NAME runs only the interpreters whose name holds NAME
("sid", "3.14", "host"); --guide NAME only the examples of the guides
whose file name holds NAME.  The output is a table of guides against
interpreters (passed/failed/skipped), the failures, a line naming the
exact versions that passed (for the README and the book's About page),
and last "N passed, N failed" over every run.  Exit status 1 when an
example failed or no interpreter could be run.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
RUNNER = os.path.join(HERE, "run-examples.py")
VERSIONS = ("3.11", "3.12", "3.13", "3.14", "3.15")
MIRROR = os.environ.get("DEBIAN_MIRROR", "http://deb.debian.org/debian")

# suite, Debian release name, interpreters, packages to install
CHROOTS = (
    ("bookworm", "Debian 12", ("python3",), ("python3",)),
    ("trixie", "Debian 13", ("python3",), ("python3",)),
    ("sid", "Debian unstable", ("python3.13", "python3.14", "python3.15"),
     ("python3", "python3.13", "python3.14", "python3.15")),
)
# Every chroot: ip(8), so that the sandbox can bring up loopback.
COMMON_PACKAGES = ("iproute2",)

# Mount /proc, /dev and a private /dev/shm and /tmp, then chroot; the
# mounts vanish with the mount namespace.
CHROOT_SH = r'''
set -e
d=$1; ex=$2; shift 2
mount -t proc proc "$d/proc"
mount --rbind /dev "$d/dev"
mount -t tmpfs -o mode=1777 shm "$d/dev/shm"
mount -t tmpfs -o mode=1777 tmp "$d/tmp"
mkdir -p "$d/mnt/examples"
[ -z "$ex" ] || mount --bind "$ex" "$d/mnt/examples"
exec chroot "$d" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root LANG=C.UTF-8 "$@"
'''


class Interp:
    def __init__(self, name, argv_prefix, python, where, label):
        self.name = name            # column heading: "sid 3.14"
        self.prefix = argv_prefix   # how to run a command there
        self.python = python        # the interpreter's command
        self.where = where          # "host" or a chroot directory
        self.label = label          # for the verified-on line
        self.version = None         # "3.14"
        self.full = None            # "3.14.0"


def chroot_argv(root, exdir=""):
    return ["unshare", "-m", "--propagation", "private", "sh", "-c",
            CHROOT_SH, "sh", root, exdir]


def can_chroot():
    if os.geteuid() != 0:
        return "not root"
    for tool in ("debootstrap", "unshare", "chroot", "mount"):
        if shutil.which(tool) is None:
            return "no %s" % tool
    return None


def prepare_chroot(cache, suite, packages, log):
    """Build or update the chroot of suite; returns its path or raises."""
    root = os.path.join(cache, suite)
    want = " ".join(sorted(set(packages + COMMON_PACKAGES))) + "\n"
    stamp = os.path.join(root, ".pyinternals-ready")
    try:
        with open(stamp) as f:
            if f.read() == want:
                return root
    except OSError:
        pass
    if not os.path.exists(os.path.join(root, "usr", "bin", "apt-get")):
        shutil.rmtree(root, ignore_errors=True)
        os.makedirs(cache, exist_ok=True)
        print("pythons: debootstrap %s (first run only)" % suite,
              flush=True)
        subprocess.run(["debootstrap", "--variant=minbase", suite, root,
                        MIRROR], stdout=log, stderr=log, check=True)
    # sid's Release file on a snapshot archive may be past Valid-Until.
    apt = ("apt-get -o Acquire::Check-Valid-Until=false -q update && "
           "DEBIAN_FRONTEND=noninteractive apt-get install -q -y "
           "--no-install-recommends " + want.strip())
    subprocess.run(chroot_argv(root) + ["sh", "-c", apt], stdout=log,
                   stderr=log, check=True)
    with open(stamp, "w") as f:
        f.write(want)
    return root


def host_candidates():
    """(name, path) of every python3.X on PATH, python3, and pyenv's."""
    for cmd in ["python%s" % v for v in VERSIONS] + ["python3"]:
        path = shutil.which(cmd)
        if path is not None:
            yield cmd, path
    pyenv = os.environ.get("PYENV_ROOT",
                           os.path.expanduser("~/.pyenv"))
    versions = os.path.join(pyenv, "versions")
    if os.path.isdir(versions):
        for v in sorted(os.listdir(versions)):
            for cmd in ["python%s" % x for x in VERSIONS]:
                path = os.path.join(versions, v, "bin", cmd)
                if os.access(path, os.X_OK):
                    yield "pyenv " + v, path


def host_interpreters():
    found = []
    seen = set()
    for cmd, path in host_candidates():
        try:
            r = subprocess.run(
                [path, "-c", "import sys, platform; print(sys.executable);"
                 "print(platform.python_version())"],
                capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if r.returncode != 0:
            continue
        exe, full = r.stdout.split()
        key = (os.path.realpath(exe), full)
        if key in seen:
            continue
        seen.add(key)
        found.append(Interp("host " + cmd, [], path, "host",
                            "%s (%s)" % (full, exe)))
    return found


def chroot_interpreters(cache, only, missing, log):
    why = can_chroot()
    found = []
    for suite, release, pythons, packages in CHROOTS:
        names = ["%s %s" % (suite, p) for p in pythons]
        if only and not any(only in n for n in names):
            continue
        if why is not None:
            missing.extend("%s (%s)" % (n, why) for n in names)
            continue
        try:
            root = prepare_chroot(cache, suite, packages, log)
        except (OSError, subprocess.CalledProcessError) as e:
            missing.extend("%s (could not build the chroot: %s; see %s)" % (
                n, e, log.name) for n in names)
            continue
        for p in pythons:
            found.append(Interp("%s %s" % (suite, p), chroot_argv(root), p,
                                root, release + " " + p))
    return found


def run_interp(it, exdir, jobs, timeout):
    """Run the examples with one interpreter; returns the JSON report."""
    report = "report-%s.json" % it.name.replace(" ", "-")
    if it.where == "host":
        argv = [sys.executable, RUNNER, "-j", str(jobs), "--timeout",
                str(timeout), "--json", os.path.join(exdir, report), exdir]
        env = dict(os.environ, PYTHON=it.python)
    else:
        shutil.copy(RUNNER, os.path.join(exdir, "run-examples.py"))
        argv = chroot_argv(it.where, exdir) + [
            "PYTHON=" + it.python, "python3", "/mnt/examples/run-examples.py",
            "-j", str(jobs), "--timeout", str(timeout), "--json",
            "/mnt/examples/" + report, "/mnt/examples"]
        env = None
    r = subprocess.run(argv, capture_output=True, text=True, env=env)
    path = os.path.join(exdir, report)
    if not os.path.exists(path):
        raise RuntimeError("the runner wrote no report (exit %d):\n%s%s" % (
            r.returncode, r.stdout[-2000:], r.stderr[-2000:]))
    with open(path) as f:
        data = json.load(f)
    os.unlink(path)
    return data


def cell(c):
    if c is None:
        return "-"
    return "%d/%d/%d" % (c["passed"], c["failed"], c["skipped"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir")
    ap.add_argument("--cache", default=os.path.join(
        os.path.dirname(HERE), "build", "chroots"))
    ap.add_argument("--no-chroots", action="store_true")
    ap.add_argument("--only", default="")
    ap.add_argument("--guide", default="")
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--timeout", type=float, default=10.0)
    args = ap.parse_args()
    exdir = os.path.abspath(args.dir)
    if args.guide:
        tsv = os.path.join(exdir, "examples.tsv")
        with open(tsv, encoding="utf-8") as f:
            rows = [r for r in f
                    if args.guide in os.path.basename(r.split("\t")[0])]
        with open(tsv, "w", encoding="utf-8") as f:
            f.writelines(rows)

    missing = []
    interps = [i for i in host_interpreters() if args.only in i.name]
    if not args.no_chroots:
        os.makedirs(args.cache, exist_ok=True)
        with open(os.path.join(args.cache, "pythons.log"), "a") as log:
            interps += chroot_interpreters(args.cache, args.only, missing,
                                           log)
    reports = []
    for it in interps:
        print("pythons: %s (%s) ..." % (it.name, it.python), flush=True)
        try:
            data = run_interp(it, exdir, args.jobs, args.timeout)
        except (OSError, RuntimeError) as e:
            missing.append("%s (%s)" % (it.name, e))
            continue
        it.version, it.full = data["python"], data["full_version"]
        reports.append((it, data))

    guides = []
    for _, data in reports:
        for g in data["guides"]:
            if g not in guides:
                guides.append(g)
    names = ["%s %s" % (it.name.split()[0], it.full) for it, _ in reports]
    width = max([len(os.path.basename(g)) for g in guides] + [5])
    cw = max([len(n) for n in names] + [9])
    print()
    print("passed/failed/skipped".rjust(width + cw + 2))
    print("guide".ljust(width) + "".join("  " + n.rjust(cw) for n in names))
    for g in guides:
        print(os.path.basename(g).ljust(width) + "".join(
            "  " + cell(d["guides"].get(g)).rjust(cw) for _, d in reports))
    print("total".ljust(width) + "".join(
        "  " + cell(d["total"]).rjust(cw) for _, d in reports))

    passed = failed = 0
    for it, data in reports:
        passed += data["total"]["passed"]
        failed += data["total"]["failed"]
        for f in data["failures"]:
            print("\nFAIL [%s %s] %s:%d: %s example%s" % (
                it.name.split()[0], it.full, f["guide"], f["line"],
                f["kind"], "" if f["versions"] == "-" else
                " (output for %s)" % f["versions"]))
            for line in f["detail"].rstrip("\n").splitlines()[:40]:
                print("    " + line)
    for m in missing:
        print("could not run: " + m)
    good = sorted({it.full for it, d in reports if d["total"]["failed"] == 0},
                  key=lambda v: tuple(int(x) for x in v.split(".")
                                      if x.isdigit()))
    if good:
        print("\nverified on: CPython " + ", ".join(good))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed or not reports else 0


if __name__ == "__main__":
    sys.exit(main())
