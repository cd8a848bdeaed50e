#!/usr/bin/env python3
"""The test harness of make check: the registry and the runner, and the
helpers that the compiler's tests (check.py) and the book's (content.py)
share.  See tests/README.md.

A test is a function decorated with @test: it returns None or a short
note to print, raises Fail (the message says what broke) or Skip (a tool
is missing: need()).  Its suite is the file it lives in.
"""

import argparse
import concurrent.futures
import difflib
import html
import os
import re
import shutil
import subprocess
import tempfile
import traceback
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TESTS = os.path.join(ROOT, "tests")
GB = os.environ.get("GUIDEBOOK", os.path.join(ROOT, "guidebook"))
ASAN_GB = os.path.join(ROOT, "build", "asan", "guidebook")
SDE = "1767225600"          # 2026-01-01T00:00:00Z
EPUBCHECK = os.environ.get("EPUBCHECK", "/usr/share/java/epubcheck.jar")
PYTHON = os.environ.get("PYTHON") or "python3"

UPDATE = False
TESTS_RUN = []


class Fail(Exception):
    pass


class Skip(Exception):
    """The test needs something this system lacks (see need)."""


def need(*tools, why=None):
    """Skip the test unless every tool is on PATH (a command) or exists
    (a path); why replaces the reason "no TOOL"."""
    for tool in tools:
        if not (os.path.exists(tool) if os.sep in tool
                else shutil.which(tool)):
            raise Skip(why or "no " + tool)


def test(fn):
    TESTS_RUN.append(fn)
    return fn


# The suites, in the order they run and print: the file a test is in.
SUITES = {"check": "compiler", "__main__": "compiler", "content": "book"}


def env(**extra):
    e = dict(os.environ)
    e["SOURCE_DATE_EPOCH"] = SDE
    e.update(extra)
    return e


def run(args, cwd=ROOT, input=None, check=None, timeout=120, **kw):
    r = subprocess.run(args, cwd=cwd, input=input, capture_output=True,
                       timeout=timeout, env=kw.pop("environ", env()), **kw)
    if check is not None and r.returncode != check:
        raise Fail("%s exited %d, expected %d\n%s%s" % (
            " ".join(args), r.returncode, check,
            r.stdout.decode("utf-8", "replace")[-2000:],
            r.stderr.decode("utf-8", "replace")[-2000:]))
    return r


def diff(expected, actual, name):
    if isinstance(expected, bytes):
        expected = expected.decode("utf-8", "replace")
    if isinstance(actual, bytes):
        actual = actual.decode("utf-8", "replace")
    return "".join(difflib.unified_diff(
        expected.splitlines(True), actual.splitlines(True),
        name + " (expected)", name + " (actual)"))


def golden(path, actual):
    """Compare actual bytes with the golden file at path."""
    if UPDATE:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(actual)
        return
    try:
        with open(path, "rb") as f:
            expected = f.read()
    except FileNotFoundError:
        raise Fail("golden file %s is missing" % os.path.relpath(path, ROOT))
    if expected != actual:
        raise Fail(diff(expected, actual, os.path.relpath(path, ROOT)))


def rel_stderr(data):
    """Diagnostics with the temporary directories taken out."""
    text = data.decode("utf-8", "replace")
    return re.sub(r"/tmp/[^/\s:]+/", "TMP/", text).encode()



def build_book(index, outdir, gb=GB, flags=("--strict",), environ=None):
    """EPUB and man pages of a book into outdir; returns the epub path."""
    epub = os.path.join(outdir, "book.epub")
    os.makedirs(outdir, exist_ok=True)
    e = environ or env()
    run([gb, "epub"] + list(flags) + ["-o", epub, index], check=0,
        environ=e)
    run([gb, "man"] + list(flags) + ["-o", os.path.join(outdir, "man"),
        index], check=0, environ=e)
    return epub


def epubcheck(epub):
    need("java")
    need(EPUBCHECK, why="no epubcheck")
    r = run(["java", "-jar", EPUBCHECK, epub], timeout=300)
    out = (r.stdout + r.stderr).decode("utf-8", "replace")
    if r.returncode != 0 or "0 fatals / 0 errors / 0 warnings" not in out:
        raise Fail("epubcheck:\n" + out[-3000:])


def xmllint_epub(epub):
    need("xmllint")
    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(epub) as z:
            names = z.namelist()
            if names[0] != "mimetype":
                raise Fail("mimetype is not the first entry")
            info = z.getinfo("mimetype")
            if info.compress_type != zipfile.ZIP_STORED or info.extra:
                raise Fail("mimetype is compressed or has an extra field")
            z.extractall(tmp)
        xml = [os.path.join(tmp, n) for n in names
               if n.endswith((".xhtml", ".opf", ".ncx", ".xml"))]
        r = run(["xmllint", "--noout"] + xml)
        if r.returncode != 0 or r.stderr:
            raise Fail("xmllint:\n" + r.stderr.decode()[-3000:])


def lint_man(mandir):
    """mandoc and groff silent, pure ASCII, NAME readable by lexgrog.
    An alias page holds one .so line: its target must exist and lint
    clean (mandoc's only remark on .so itself is advice to use ln(1),
    which the issue's alias scheme deliberately does not follow)."""
    need("mandoc", "groff", "lexgrog")
    problems = []
    pages = sorted(os.listdir(os.path.join(mandir, "man7")))
    if not pages:
        raise Fail("no man pages in " + mandir)
    for name in pages:
        path = os.path.join("man7", name)
        with open(os.path.join(mandir, path), "rb") as f:
            data = f.read()
        if any(b > 0x7F for b in data):
            problems.append("%s: byte above 0x7F" % name)
        m = re.fullmatch(rb"\.so (man7/[^\s]+\.7)\n", data)
        if m:
            if not os.path.exists(os.path.join(mandir,
                                               m.group(1).decode())):
                problems.append("%s: .so target missing" % name)
            continue
        r = run(["mandoc", "-Tlint", "-W", "warning", path], cwd=mandir)
        if r.stdout or r.stderr:
            problems.append((r.stdout + r.stderr).decode())
        r = run(["groff", "-t", "-man", "-ww", "-z", path], cwd=mandir)
        if r.stdout or r.stderr:
            problems.append(r.stderr.decode())
        r = run(["lexgrog", path], cwd=mandir)
        if r.returncode != 0 or b"parse failed" in r.stdout:
            problems.append("%s: lexgrog: %s" % (name, r.stdout.decode()))
    if problems:
        raise Fail("\n".join(problems)[-4000:])


def cmark_code_blocks(markdown):
    """The text of each code block of a Markdown document as libcmark
    (not guidebook) reads it: (language, text) pairs, in order."""
    import ctypes
    import ctypes.util
    lib = ctypes.CDLL(ctypes.util.find_library("cmark") or "libcmark.so")
    libc = ctypes.CDLL(None)
    lib.cmark_markdown_to_html.restype = ctypes.c_void_p
    lib.cmark_markdown_to_html.argtypes = [ctypes.c_char_p, ctypes.c_size_t,
                                           ctypes.c_int]
    libc.free.argtypes = [ctypes.c_void_p]
    data = markdown.encode("utf-8")
    p = lib.cmark_markdown_to_html(data, len(data), 0)
    try:
        out = ctypes.string_at(p).decode("utf-8")
    finally:
        libc.free(p)
    return [(m.group(1) or "", html.unescape(m.group(2))) for m in
            re.finditer(r'<pre><code(?: class="language-([^"]*)")?>(.*?)'
                        r'</code></pre>', out, re.S)]


def main():
    global UPDATE
    ap = argparse.ArgumentParser()
    ap.add_argument("--update", action="store_true")
    ap.add_argument("-k", dest="pattern")
    ap.add_argument("--suite", choices=("compiler", "book"))
    args = ap.parse_args()
    UPDATE = args.update
    tests = [t for t in TESTS_RUN
             if (not args.pattern or args.pattern in t.__name__) and
             (not args.suite or SUITES[t.__module__] == args.suite)]

    def one(t):
        try:
            note = t()
            return t.__name__, (True, note)
        except Fail as e:
            return t.__name__, (False, str(e))
        except Skip as e:
            return t.__name__, (None, str(e))
        except Exception:
            return t.__name__, (False, traceback.format_exc())

    # The slow tests start first; results print in a fixed order.
    slow = ("guide_examples", "real_book_validators", "book_validators",
            "sanitizers")
    order = sorted(tests, key=lambda t: t.__name__ not in slow)
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        results = dict(pool.map(one, order))
    passed = failed = 0
    no_skip = os.environ.get("CHECK_NO_SKIP", "") not in ("", "0")
    suite = None
    for t in tests:
        if SUITES[t.__module__] != suite:
            suite = SUITES[t.__module__]
            print("-- %s" % ("the compiler (tests/check.py)"
                             if suite == "compiler" else
                             "the book's content (tests/content.py)"))
        ok, text = results[t.__name__]
        if ok is None and not no_skip:
            print("skip %s (%s)" % (t.__name__, text))
            continue
        if ok is None:
            ok, text = False, "skipped (%s) under CHECK_NO_SKIP" % text
        if ok:
            passed += 1
            print("ok   %s%s" % (t.__name__, " (%s)" % text if text else ""))
        else:
            failed += 1
            print("FAIL %s" % t.__name__)
            for line in text.rstrip("\n").splitlines():
                print("     " + line)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0
