#!/usr/bin/env python3
"""Build, test and install pyinternals on Debian's releases, from scratch.

usage: distros.py packages|readme [--cache DIR] [--seed DIR] [-j N]
                  TARBALL [SUITE...]

packages (make check-distros): for each suite (bookworm, trixie and sid
unless named), in a clean debootstrap minbase chroot that has only
build-essential: build the source package from TARBALL, install its
Build-Depends with `apt-get build-dep` on the .dsc and nothing else,
build the source and binary packages as an unprivileged user with
Debian's default flags and the tests on (DEB_BUILD_OPTIONS unset), run
lintian on the .changes (an error or a warning fails), then install the
.debs and check `man pyinternals-gil`, `man pyinternals-threading`,
`apropos pyinternals` and `guidebook --version`.  When the tests fail,
the suite has failed, and a second build without them still runs the
lintian and install checks, so that one report shows everything.  Last,
the EPUB and the man pages built on every suite must be byte-identical.

readme (make check-readme): in a pristine copy of each suite's minbase
chroot, as root, the two commands at the top of the README, exactly as
they are written there, in the unpacked TARBALL (no git, no make, no
compiler, no sudo).  CHECK_NO_SKIP=1 is set: the first command must
install everything the second one uses.

Output: one line per suite (and one on reproducibility), then "N passed,
N failed"; exit status 1 when anything failed.  Logs and results go to
build/distros/.

Chroots are cached in --cache (default /var/cache/pyinternals/distros
when that is writable, else build/distros-cache):

    SUITE/minbase    debootstrap --variant=minbase (or a cp -a of
                     --seed/SUITE when that exists); never changed after
    SUITE/buildd     minbase with build-essential, brought up to date
                     (apt-get update, dist-upgrade) on every run
    SUITE/archives   the .debs apt downloaded, reused by later runs
    SUITE/work, SUITE/readme
                     a fresh copy per run, removed when it passes

Each chroot runs in a mount namespace of its own with /proc, /dev, a
tmpfs /dev/shm and the archives mounted.  The archive's Release files
may be past their Valid-Until date (a snapshot mirror): every chroot's
apt is told not to check it.  Needs root, unshare, chroot, debootstrap
(on the first run) and Debian's archive (DEBIAN_MIRROR).
"""

import argparse
import concurrent.futures
import fcntl
import hashlib
import os
import re
import shlex
import shutil
import subprocess
import sys
import tarfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
MIRROR = os.environ.get("DEBIAN_MIRROR", "http://deb.debian.org/debian")
SUITES = ("bookworm", "trixie", "sid")
DEFAULT_CACHE = "/var/cache/pyinternals/distros"
DEFAULT_SEED = "/var/cache/pyinternals/base"
LOGS = os.path.join(ROOT, "build", "distros")

# Every chroot: the Release file may be past Valid-Until.  A build
# chroot also installs no Recommends, as Debian's build daemons do not.
APT_CONF = 'Acquire::Check-Valid-Until "false";\n'
BUILDD_APT_CONF = APT_CONF + 'APT::Install-Recommends "false";\n'

# $1 the chroot, $2 the archives directory, $3... the command; the
# mounts vanish with the mount namespace (unshare -m).
CHROOT_SH = r'''
set -e
d=$1; archives=$2; shift 2
mount -t proc proc "$d/proc"
mount --rbind /dev "$d/dev"
mount -t tmpfs -o mode=1777 shm "$d/dev/shm"
mount --bind "$archives" "$d/var/cache/apt/archives"
exec chroot "$d" "$@"
'''
ROOT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
BUILDER = "builder"     # the unprivileged user who builds the packages


class Failed(Exception):
    """A step failed; the message says which and where the log is."""


class Chroots:
    """One suite's chroots in the cache, and a log of all that runs."""

    def __init__(self, suite, cache, seed, log):
        self.suite = suite
        self.dir = os.path.join(cache, suite)
        self.seed = os.path.join(seed, suite) if seed else None
        self.archives = os.path.join(self.dir, "archives")
        self.log = log
        os.makedirs(os.path.join(self.archives, "partial"), exist_ok=True)

    def say(self, text):
        print("%s: %s" % (self.suite, text), file=sys.stderr, flush=True)
        self.note(text)

    def note(self, text):
        self.log.write("\n=== %s %s\n" % (time.strftime("%H:%M:%S"), text))
        self.log.flush()

    def run(self, root, script, user=None, env=None, timeout=3600,
            check=True, what=None):
        """sh -c script in the chroot root, as root or user, with a clean
        environment; output to the log.  Returns the exit status, or
        raises Failed when check and it is not 0."""
        e = dict(env or {"PATH": ROOT_PATH, "LC_ALL": "C.UTF-8"})
        e["HOME"] = "/home/" + user if user else e.get("HOME", "/root")
        argv = ["env", "-i"] + ["%s=%s" % kv for kv in sorted(e.items())]
        if user is not None:
            argv = ["setpriv", "--reuid=" + user, "--regid=" + user,
                    "--init-groups"] + argv
        argv += ["sh", "-c", script]
        self.note("%s$ %s" % (user + " " if user else "", script))
        try:
            r = subprocess.run(
                ["unshare", "-m", "--propagation", "private", "sh", "-c",
                 CHROOT_SH, "sh", root, self.archives] + argv,
                stdin=subprocess.DEVNULL, stdout=self.log,
                stderr=subprocess.STDOUT, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise Failed("%s timed out after %d s (%s)" % (
                what or script.split()[0], timeout, self.log.name))
        if check and r.returncode != 0:
            raise Failed("%s exited %d (%s)" % (
                what or script.split()[0], r.returncode, self.log.name))
        return r.returncode

    def minbase(self):
        """The pristine minbase chroot, made once."""
        root = os.path.join(self.dir, "minbase")
        done = root + ".done"
        if os.path.exists(done):
            return root
        shutil.rmtree(root, ignore_errors=True)
        if self.seed and os.path.isdir(self.seed):
            self.say("copying the minbase chroot from %s (first run only)"
                     % self.seed)
            sh(["cp", "-a", self.seed, root], self.log)
        else:
            self.say("debootstrap --variant=minbase (first run only)")
            sh(["debootstrap", "--variant=minbase", self.suite, root,
                MIRROR], self.log, timeout=3600)
        open(done, "w").close()
        return root

    def copy(self, src, name):
        """A fresh copy of the chroot src, named name."""
        dst = os.path.join(self.dir, name)
        shutil.rmtree(dst, ignore_errors=True)
        sh(["cp", "-a", src, dst], self.log)
        return dst

    def buildd(self):
        """minbase with build-essential and a build user, up to date."""
        root = os.path.join(self.dir, "buildd")
        done = root + ".done"
        apt = ("apt-get -q update && apt-get -q -y dist-upgrade && "
               "apt-get -q -y install build-essential")
        if not os.path.exists(done):
            shutil.rmtree(root, ignore_errors=True)
            self.copy(self.minbase(), "buildd")
            write(os.path.join(root, "etc/apt/apt.conf.d/99pyinternals"),
                  BUILDD_APT_CONF)
            self.say("installing build-essential (first run only)")
            self.run(root, apt + " && useradd --create-home " + BUILDER,
                     env=apt_env(), what="apt-get")
            open(done, "w").close()
        else:
            self.say("updating the build chroot")
            self.run(root, apt, env=apt_env(), what="apt-get")
        return root


def apt_env():
    return {"PATH": ROOT_PATH, "HOME": "/root", "LC_ALL": "C.UTF-8",
            "DEBIAN_FRONTEND": "noninteractive"}


def sh(argv, log, timeout=1800):
    log.write("\n=== %s $ %s\n" % (time.strftime("%H:%M:%S"),
                                   " ".join(argv)))
    log.flush()
    r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=log,
                       stderr=subprocess.STDOUT, timeout=timeout)
    if r.returncode != 0:
        raise Failed("%s exited %d (%s)" % (argv[0], r.returncode, log.name))


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def read(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def check_summary(text):
    """make check's verdict in a log: "N passed, N failed", the failed
    and the skipped tests, of the last run in text."""
    runs = text.split("tests/check.py\n")
    last = runs[-1] if len(runs) > 1 else ""
    m = None
    for m in re.finditer(r"^(\d+) passed, (\d+) failed$", last, re.M):
        pass
    if m is None:
        return None
    failed = re.findall(r"^FAIL (\S+)", last, re.M)
    skipped = re.findall(r"^skip (\S+) \((.*)\)$", last, re.M)
    s = "%s passed, %s failed" % (m.group(1), m.group(2))
    if failed:
        s += " (%s)" % ", ".join(failed)
    if skipped:
        s += ", %d skipped (%s)" % (len(skipped), "; ".join(
            "%s: %s" % kv for kv in skipped))
    return s


def first_error(text):
    """": " and the first compiler or make error in text, or ""."""
    m = re.search(r"^.*\berror: .*$", text, re.M)
    return ": " + m.group(0).strip() if m else ""


def book_hashes(dist):
    """sha256 of the EPUB and of every man page under dist."""
    out = {}
    for dirpath, _, names in os.walk(dist):
        for name in names:
            if name.endswith((".epub", ".7")):
                p = os.path.join(dirpath, name)
                with open(p, "rb") as f:
                    out[os.path.relpath(p, dist)] = \
                        hashlib.sha256(f.read()).hexdigest()
    return out


# ---------------------------------------------------------------------
# make check-distros

def build_packages(c, tarball, version, results):
    """Source and binary packages of tarball in a fresh copy of the build
    chroot; returns (notes, problems, the book's hashes)."""
    notes, problems = [], []
    work = c.copy(c.buildd(), "work")
    os.makedirs(os.path.join(work, "build", "src"))
    shutil.copy(tarball, os.path.join(work, "build", "src"))
    name = os.path.basename(tarball)
    srcdir = "pyinternals-" + version
    dsc = "pyinternals_%s.dsc" % version
    c.run(work, "chown -R %s: /build" % BUILDER)

    c.say("source package")
    c.run(work, "cd /build/src && tar -xzf %s && dpkg-source -b %s"
          % (name, srcdir), user=BUILDER, what="dpkg-source -b")
    c.say("apt-get build-dep %s" % dsc)
    c.run(work, "cd /build/src && apt-get -q -y build-dep ./%s" % dsc,
          env=apt_env(),
          what="apt-get build-dep")
    # A build user's own working directory, as a build daemon's.
    c.run(work, "cd /build && mkdir out && dpkg-source -x src/%s out/%s"
          % (dsc, srcdir),
          user=BUILDER, what="dpkg-source -x")

    c.say("dpkg-buildpackage (tests on)")
    mark = os.path.getsize(c.log.name)
    status = c.run(work, "cd /build/out/%s && dpkg-buildpackage -us -uc"
                   % srcdir, user=BUILDER, check=False)
    text = read(c.log.name)[mark:]
    summary = check_summary(text)
    if status != 0 and summary is None:
        raise Failed("dpkg-buildpackage exited %d before make check%s (%s)"
                     % (status, first_error(text), c.log.name))
    notes.append("make check " + (summary or "did not run"))
    if status != 0:
        problems.append("dpkg-buildpackage exited %d" % status)
        c.say("the build failed; again without the tests, for lintian "
              "and the install checks")
        c.run(work, "cd /build/out/%s && DEB_BUILD_OPTIONS=nocheck "
              "dpkg-buildpackage -us -uc" % srcdir, user=BUILDER,
              what="dpkg-buildpackage (nocheck)")

    dist = os.path.join(work, "build", "out", srcdir, "dist")
    hashes = book_hashes(dist)
    shutil.rmtree(os.path.join(results, "book"), ignore_errors=True)
    if os.path.isdir(dist):
        shutil.copytree(dist, os.path.join(results, "book"),
                        ignore=shutil.ignore_patterns("*.tar.gz"))
    out = os.path.join(work, "build", "out")
    for f in sorted(os.listdir(out)):
        if f.endswith((".deb", ".changes", ".buildinfo", ".dsc", ".tar.xz")):
            shutil.copy(os.path.join(out, f), results)

    lintian(c, work, notes, problems)
    install_checks(c, work, version, srcdir, notes, problems)
    return notes, problems, hashes


def lintian(c, work, notes, problems):
    c.say("lintian")
    c.run(work, "apt-get -q -y install lintian", env=apt_env(),
          what="apt-get install lintian")
    report = "/build/lintian.txt"
    status = c.run(work, "lintian --pedantic -I --tag-display-limit 0 "
                   "/build/out/*.changes > %s 2>&1" % report, user=BUILDER,
                   check=False)
    text = read(work + report)
    shutil.copy(work + report, os.path.join(LOGS, c.suite, "lintian.txt"))
    bad = re.findall(r"^[EW]: .*$", text, re.M)
    other = sorted(set(re.findall(r"^([IP]): (\S+(?: source)?): (\S+)",
                                  text, re.M)))
    if bad:
        problems.append("lintian: " + "; ".join(bad[:6]))
    elif status not in (0, 1):
        problems.append("lintian exited %d: %s" % (status,
                                                   text.strip()[-300:]))
    else:
        notes.append("lintian: no error or warning" + (
            " (%s)" % ", ".join("%s: %s %s" % t for t in other)
            if other else ""))


def install_checks(c, work, version, srcdir, notes, problems):
    c.say("installing the packages")
    c.run(work, "cd /build/out && apt-get -q -y install man-db "
          "./pyinternals_%s_all.deb ./guidebook_%s_*.deb"
          % (version, version), env=apt_env(), what="apt-get install")
    c.run(work, "cd /tmp && "
          "MANPAGER=cat MANWIDTH=80 man pyinternals-gil > man-gil.txt; "
          "MANPAGER=cat MANWIDTH=80 man pyinternals-threading "
          "> man-threading.txt; "
          "apropos pyinternals > apropos.txt; "
          "guidebook --version > version.txt; true", user=BUILDER)
    tmp = os.path.join(work, "tmp")
    failed = []
    for f in ("man-gil.txt", "man-threading.txt"):
        if "PYINTERNALS-GIL(7)" not in read(os.path.join(tmp, f)):
            failed.append("man " + f[4:-4])
    mandir = os.path.join(work, "usr", "share", "man", "man7")
    pages = sorted(n.split(".")[0] for n in os.listdir(mandir)
                   if n.startswith("pyinternals"))
    listed = {line.split(" ")[0] for line in
              read(os.path.join(tmp, "apropos.txt")).splitlines()}
    if not pages or set(pages) - listed:
        failed.append("apropos pyinternals (misses %s)" % ", ".join(
            sorted(set(pages) - listed) or ["every page"]))
    if read(os.path.join(tmp, "version.txt")).strip() != \
            "guidebook " + version:
        failed.append("guidebook --version")
    shipped = os.path.join(work, "usr/share/doc/pyinternals/pyinternals.epub")
    built = os.path.join(work, "build/out", srcdir, "dist/pyinternals.epub")
    if not os.path.exists(shipped) or \
            book_hashes_of(shipped) != book_hashes_of(built):
        failed.append("the packaged EPUB is not the one built")
    if failed:
        problems.append("install checks failed: " + ", ".join(failed))
    else:
        notes.append("installed: man pyinternals-gil and "
                     "pyinternals-threading, apropos (%d pages), "
                     "guidebook --version ok" % len(pages))


def book_hashes_of(path):
    try:
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    except OSError:
        return None


def packages_suite(suite, args, version):
    os.makedirs(os.path.join(LOGS, suite), exist_ok=True)
    logpath = os.path.join(LOGS, suite + ".log")
    start = time.time()
    with open(logpath, "w") as log, locked(os.path.join(args.cache, suite)):
        c = Chroots(suite, args.cache, args.seed, log)
        try:
            notes, problems, hashes = build_packages(
                c, args.tarball, version, os.path.join(LOGS, suite))
        except (Failed, OSError, subprocess.SubprocessError) as e:
            return suite, False, "failed: %s" % e, None
    if not problems:
        shutil.rmtree(os.path.join(args.cache, suite, "work"),
                      ignore_errors=True)
    text = "; ".join(notes)
    took = " [%d min]" % round((time.time() - start) / 60)
    if problems:
        return suite, False, "failed: %s; %s%s" % (
            "; ".join(problems), text, took), hashes
    return suite, True, "passed: %s%s" % (text, took), hashes


def reproducible(results):
    """One line on whether every suite built the same book."""
    built = [(s, h) for s, ok, line, h in results if h]
    if len(built) < 2:
        return None
    first, ref = built[0]
    differ = []
    for suite, h in built[1:]:
        for name in sorted(set(ref) | set(h)):
            if ref.get(name) != h.get(name):
                differ.append("%s on %s" % (name, suite))
    suites = ", ".join(s for s, _ in built)
    npages = sum(1 for n in ref if n.endswith(".7"))
    if not ref or differ:
        return False, "reproducible: failed: %s differ%s from %s's" % (
            ", ".join(differ[:6]) or "no book was built",
            "s" if len(differ) == 1 else "", first)
    return True, ("reproducible: passed: pyinternals.epub and %d man pages "
                  "byte-identical on %s" % (npages, suites))


# ---------------------------------------------------------------------
# make check-readme

def readme_commands(path):
    """The two commands of the sh block the README starts with."""
    text = read(path)
    m = re.search(r"^```(\S*)\n(.*?)^```", text, re.M | re.S)
    if m is None or m.group(1) != "sh":
        raise Failed("README.md does not start with an sh block")
    cmds = [line for line in m.group(2).splitlines() if line.strip()]
    if len(cmds) != 2:
        raise Failed("README.md's first block holds %d commands, not 2"
                     % len(cmds))
    return cmds


def readme_suite(suite, args, version):
    os.makedirs(LOGS, exist_ok=True)
    logpath = os.path.join(LOGS, suite + "-readme.log")
    start = time.time()
    with open(logpath, "w") as log, locked(os.path.join(args.cache, suite)):
        c = Chroots(suite, args.cache, args.seed, log)
        try:
            root = c.copy(c.minbase(), "readme")
            write(os.path.join(root, "etc/apt/apt.conf.d/99pyinternals"),
                  APT_CONF)
            with tarfile.open(args.tarball) as t:
                t.extractall(os.path.join(root, "root"))
            src = "/root/pyinternals-" + version
            cmds = readme_commands(root + src + "/README.md")
            env = {"PATH": ROOT_PATH, "HOME": "/root", "TERM": "dumb",
                   "CHECK_NO_SKIP": "1"}
            summary = None
            for cmd in cmds:
                c.say("$ " + cmd)
                mark = os.path.getsize(logpath)
                status = c.run(root, "cd %s && %s" % (shlex.quote(src), cmd),
                               env=env, timeout=5400, check=False)
                text = read(logpath)[mark:]
                summary = check_summary(text) or summary
                if status != 0:
                    raise Failed("%s exited %d%s (%s)" % (
                        cmd, status, "" if summary else first_error(text),
                        logpath))
        except (Failed, OSError, subprocess.SubprocessError) as e:
            summary = check_summary(read(logpath))
            return suite, False, "failed: %s%s" % (
                e, "; make check " + summary if summary else ""), None
    shutil.rmtree(os.path.join(args.cache, suite, "readme"),
                  ignore_errors=True)
    return suite, True, "passed: the README's two commands (make check %s)" \
        " [%d min]" % (summary or "?", round((time.time() - start) / 60)), \
        None


# ---------------------------------------------------------------------

class locked:
    """An exclusive lock on a suite's cache: one run at a time."""

    def __init__(self, path):
        os.makedirs(path, exist_ok=True)
        self.path = os.path.join(path, ".lock")

    def __enter__(self):
        self.f = open(self.path, "w")
        fcntl.flock(self.f, fcntl.LOCK_EX)

    def __exit__(self, *exc):
        self.f.close()


def default_cache():
    try:
        os.makedirs(DEFAULT_CACHE, exist_ok=True)
        if os.access(DEFAULT_CACHE, os.W_OK):
            return DEFAULT_CACHE
    except OSError:
        pass
    return os.path.join(ROOT, "build", "distros-cache")


def cannot_run():
    if os.geteuid() != 0:
        return "needs root (debootstrap, mounts, chroot)"
    for tool in ("unshare", "chroot", "mount", "cp"):
        if shutil.which(tool) is None:
            return "no " + tool
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("mode", choices=("packages", "readme"))
    ap.add_argument("tarball")
    ap.add_argument("suites", nargs="*")
    ap.add_argument("--cache", default=os.environ.get("DISTROS_CACHE")
                    or None)
    ap.add_argument("--seed", default=os.environ.get("DISTROS_SEED",
                                                     DEFAULT_SEED))
    ap.add_argument("-j", "--jobs", type=int, default=1)
    args = ap.parse_args()
    args.tarball = os.path.abspath(args.tarball)
    args.cache = os.path.abspath(args.cache or default_cache())
    suites = args.suites or list(SUITES)
    m = re.fullmatch(r"pyinternals-(.+)\.tar\.gz",
                     os.path.basename(args.tarball))
    if m is None:
        ap.error("not a release tarball: " + args.tarball)
    version = m.group(1)
    why = cannot_run()
    bootstrap = [s for s in suites if not os.path.exists(
        os.path.join(args.cache, s, "minbase.done")) and not (
        args.seed and os.path.isdir(os.path.join(args.seed, s)))]
    if why is None and bootstrap and shutil.which("debootstrap") is None:
        why = "no debootstrap (for %s)" % ", ".join(bootstrap)
    if why is not None:
        for s in suites:
            print("%s: failed: %s" % (s, why))
        print("0 passed, %d failed" % len(suites))
        return 1
    os.makedirs(LOGS, exist_ok=True)
    print("check-%s: %s in %s, logs in %s" % (
        "distros" if args.mode == "packages" else "readme",
        "building the packages" if args.mode == "packages"
        else "the README's commands", args.cache,
        os.path.relpath(LOGS)), file=sys.stderr, flush=True)
    one = packages_suite if args.mode == "packages" else readme_suite
    with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as pool:
        results = list(pool.map(lambda s: one(s, args, version), suites))
    lines = [(ok, "%s: %s" % (s, line)) for s, ok, line, _ in results]
    if args.mode == "packages":
        r = reproducible(results)
        if r is not None:
            lines.append(r)
    for _, line in lines:
        print(line)
    passed = sum(1 for ok, _ in lines if ok)
    print("%d passed, %d failed" % (passed, len(lines) - passed))
    return 0 if passed == len(lines) else 1


if __name__ == "__main__":
    sys.exit(main())
