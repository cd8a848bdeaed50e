#!/usr/bin/env python3
"""make check: every test of pyinternals and guidebook.

usage: check.py [--update] [-k PATTERN] [--suite compiler|book]

The compiler's tests live here, the book's (the guides as built) in
content.py, the runner and shared helpers in harness.py; tests/README.md
says how to add a case.  Each test prints "ok NAME" or "FAIL NAME" with
the reason; the last line is "N passed, N failed" and the exit status is
1 when anything failed.  A test that needs a tool which is not installed
prints "skip NAME (no TOOL)" and counts as neither: a package build
installs only its build dependencies.  CHECK_NO_SKIP=1 (CI) turns every
skip into a failure.  --update rewrites the golden files from the
current output (review the diff before committing).  -k runs only the
tests whose name holds PATTERN; --suite only one of the two suites.
"""

import os
import re
import shutil
import sys
import tempfile
import zipfile

import harness
from harness import (ASAN_GB, GB, ROOT, SDE, TESTS, Fail, Skip, build_book,
                     diff, env, epubcheck, golden, lint_man, need,
                     rel_stderr, run, test, xmllint_epub)


# ---------------------------------------------------------------------
# Golden tests: one Markdown file, both back ends, and its diagnostics.

GOLDEN = os.path.join(TESTS, "golden")


def golden_render(md):
    base = md[:-3]
    errs = b""
    for fmt, ext in (("xhtml", ".xhtml"), ("man", ".7")):
        r = run([GB, "render", "-t", fmt, os.path.relpath(md, ROOT)])
        if r.returncode != 0:
            raise Fail("render -t %s exited %d:\n%s" % (
                fmt, r.returncode, r.stderr.decode()))
        golden(base + ext, r.stdout)
        errs += b"-- " + fmt.encode() + b"\n" + r.stderr
    golden(base + ".err", errs)


for _md in sorted(os.listdir(GOLDEN)):
    if _md.endswith(".md"):
        def _t(md=os.path.join(GOLDEN, _md)):
            golden_render(md)
        _t.__name__ = "golden_" + _md[:-3]
        test(_t)


def stdin_render():
    """render reads standard input when no file is named."""
    with open(os.path.join(GOLDEN, "nesting.md"), "rb") as f:
        src = f.read()
    a = run([GB, "render", "-t", "man"], input=src, check=0).stdout
    b = run([GB, "render", "-t", "man", "tests/golden/nesting.md"],
            check=0).stdout
    if a != b:
        raise Fail(diff(b, a, "stdin render"))


test(stdin_render)


# ---------------------------------------------------------------------
# The test book: every feature, compared with golden files and linted.

BOOK = os.path.join(TESTS, "book", "README.md")
BOOK_GOLDEN = os.path.join(TESTS, "book-golden")



@test
def book_golden():
    with tempfile.TemporaryDirectory() as tmp:
        epub = build_book(os.path.relpath(BOOK, ROOT), tmp)
        with zipfile.ZipFile(epub) as z:
            for name in sorted(z.namelist()):
                if name.endswith((".xhtml", ".opf", ".ncx", ".xml",
                                  ".svg")):
                    golden(os.path.join(BOOK_GOLDEN, name), z.read(name))
        mandir = os.path.join(tmp, "man", "man7")
        for name in sorted(os.listdir(mandir)):
            with open(os.path.join(mandir, name), "rb") as f:
                golden(os.path.join(BOOK_GOLDEN, "man7", name), f.read())


@test
def book_validators():
    with tempfile.TemporaryDirectory() as tmp:
        epub = build_book(os.path.relpath(BOOK, ROOT), tmp)
        epubcheck(epub)
        xmllint_epub(epub)
        lint_man(os.path.join(tmp, "man"))


@test
def reproducible():
    """Two builds in different directories, zones, locales, umasks."""
    outs = []
    with tempfile.TemporaryDirectory() as a, \
            tempfile.TemporaryDirectory() as b:
        for tmp, tz, lc in ((a, "UTC", "C"), (b, "Asia/Tokyo", "C.UTF-8")):
            src = os.path.join(tmp, "src")
            shutil.copytree(os.path.join(TESTS, "book"), src)
            e = env(TZ=tz, LC_ALL=lc)
            build_book(os.path.join(src, "README.md"),
                       os.path.join(tmp, "out"), environ=e)
            outs.append(os.path.join(tmp, "out"))
        for dirpath, _, files in os.walk(outs[0]):
            for name in files:
                p = os.path.join(dirpath, name)
                q = os.path.join(outs[1], os.path.relpath(p, outs[0]))
                with open(p, "rb") as f, open(q, "rb") as g:
                    if f.read() != g.read():
                        raise Fail("%s differs between builds" %
                                   os.path.relpath(p, outs[0]))


# ---------------------------------------------------------------------
# Packaging: install, man(1) through the installed tree, uninstall;
# reproducible builds and tarball.

def source_files():
    """The release's files: a tarball lists them in .dist-files (and has
    no git), a clone asks git."""
    listed = os.path.join(ROOT, ".dist-files")
    if os.path.exists(listed):
        with open(listed, encoding="utf-8") as f:
            return f.read().splitlines()
    need("git", why="no git and no .dist-files")
    return run(["git", "ls-files"], check=0).stdout.decode().splitlines()


def copy_tree(dest):
    """The source files into dest, as a release tarball holds them."""
    names = [n for n in source_files() if n != ".source-date-epoch"]
    for name in names:
        src = os.path.join(ROOT, name)
        dst = os.path.join(dest, name)
        if os.path.isfile(src):
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copy2(src, dst)
    with open(os.path.join(dest, ".dist-files"), "w") as f:
        f.write("".join(n + "\n" for n in names))


@test
def install_and_uninstall():
    """make install into a DESTDIR: man finds every page and alias,
    mandb/whatis/apropos list them; uninstall leaves no file."""
    need("man", "mandb", "apropos", "whatis")
    with tempfile.TemporaryDirectory() as tmp:
        dest = os.path.join(tmp, "root")
        run(["make", "-s", "install", "DESTDIR=" + dest, "PREFIX=/usr"],
            check=0, timeout=600)
        mandir = os.path.join(dest, "usr", "share", "man")
        for path in ("usr/bin/guidebook", "usr/share/man/man1/guidebook.1",
                     "usr/share/doc/pyinternals/pyinternals.epub"):
            if not os.path.isfile(os.path.join(dest, path)):
                raise Fail("not installed: " + path)
        pages = sorted(n[:-2] for n in os.listdir(
            os.path.join(mandir, "man7")))
        r = run(["man", "-M", mandir, "-w", "pyinternals-gil"], check=0)
        if not r.stdout.strip().endswith(b"man7/pyinternals-gil.7"):
            raise Fail("man -w: %r" % r.stdout)
        r = run(["man", "-M", mandir, "pyinternals-threading"], check=0,
                environ=env(MANPAGER="cat", PAGER="cat", MANWIDTH="80"))
        if b"PYINTERNALS-GIL(7)" not in r.stdout:
            raise Fail("alias did not show the GIL page:\n%r" %
                       r.stdout[:300])
        run(["mandb", "-q", mandir], check=0)
        r = run(["apropos", "-M", mandir, "python"], check=0)
        listed = {line.split(" ", 1)[0] for line in
                  r.stdout.decode().splitlines()}
        missing = sorted(set(pages) - listed)
        if missing:
            raise Fail("apropos python misses: %s\n%s" % (
                missing, r.stdout.decode()))
        for page in pages:
            r = run(["whatis", "-M", mandir, page], check=0)
            if b" - " not in r.stdout:
                raise Fail("whatis %s: %r" % (page, r.stdout))
        run(["make", "-s", "uninstall", "DESTDIR=" + dest, "PREFIX=/usr"],
            check=0)
        left = [os.path.join(d, f) for d, _, fs in os.walk(dest)
                for f in fs if f not in ("index.db",)]
        if left:
            raise Fail("left after uninstall: %s" % left)


@test
def incremental_build():
    """Touching one guide rebuilds the EPUB, its own page and the pages
    that link to it, nothing else; a header, the objects that include
    it; make -j2 builds from scratch."""
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "src")
        copy_tree(src)
        e = env()
        e.pop("MAKEFLAGS", None)
        run(["make", "-s", "-j2", "all"], cwd=src, check=0, timeout=600,
            environ=e)
        r = run(["make", "-n", "all"], cwd=src, check=0, environ=e)
        if b"guidebook" in r.stdout:
            raise Fail("a second make still has work:\n" + r.stdout.decode())
        guide = os.path.join(src, "guides", "context-managers.md")
        os.utime(guide, None)
        os.utime(guide, (os.path.getmtime(guide) + 5,) * 2)
        r = run(["make", "-n", "all"], cwd=src, check=0, environ=e)
        out = r.stdout.decode()
        pages = sorted(re.findall(r"--only guides/(\S+)\.md", out))
        linking = sorted({os.path.basename(p)[:-3] for p in
                          glob_guides_linking(src, "context-managers.md")})
        want = sorted(set(linking) | {"context-managers", "README"})
        if pages != want or out.count(" epub ") != 1:
            raise Fail("rebuilt pages %s, expected %s\n%s" % (
                pages, want, out))
        # A header rebuilds every object that includes it.
        hdr = os.path.join(src, "src", "book.h")
        os.utime(hdr, None)
        os.utime(hdr, (os.path.getmtime(hdr) + 5,) * 2)
        out = run(["make", "-n", "guidebook"], cwd=src, check=0,
                  environ=e).stdout.decode()
        for c in ("book.c", "epub.c", "roff.c", "xhtml.c", "main.c"):
            if "src/" + c not in out:
                raise Fail("touching src/book.h does not rebuild %s:\n%s"
                           % (c, out))


def glob_guides_linking(src, target):
    """Guides whose text links to target."""
    found = []
    gdir = os.path.join(src, "guides")
    for name in os.listdir(gdir):
        if name.endswith(".md") and name != "README.md" and name != target:
            with open(os.path.join(gdir, name), encoding="utf-8") as f:
                if re.search(r"\]\(" + re.escape(target) + r"[#)]",
                             f.read()):
                    found.append(name)
    return found


@test
def reproducible_release():
    """Two source trees in different directories, built with different
    TZ, LC_ALL and umask at different times: the EPUB, every man page
    and the release tarball are byte-identical."""
    sde = os.environ.get("SOURCE_DATE_EPOCH") or SDE
    outs = []
    with tempfile.TemporaryDirectory() as a, \
            tempfile.TemporaryDirectory() as b:
        for tmp, tz, lc, mask in ((a, "UTC", "C", "022"),
                                  (b, "Pacific/Auckland", "C.UTF-8", "077")):
            src = os.path.join(tmp, "pyinternals-src")
            copy_tree(src)
            e = env(TZ=tz, LC_ALL=lc, SOURCE_DATE_EPOCH=sde)
            e.pop("MAKEFLAGS", None)
            e.pop("MFLAGS", None)
            run(["sh", "-c", "umask %s && make -s all dist" % mask],
                cwd=src, check=0, timeout=600, environ=e)
            outs.append(os.path.join(src, "dist"))
        names = []
        for dirpath, _, files in os.walk(outs[0]):
            for name in files:
                names.append(os.path.relpath(os.path.join(dirpath, name),
                                             outs[0]))
        if not any(n.endswith(".tar.gz") for n in names):
            raise Fail("no tarball built")
        for name in sorted(names):
            with open(os.path.join(outs[0], name), "rb") as f, \
                    open(os.path.join(outs[1], name), "rb") as g:
                if f.read() != g.read():
                    raise Fail("%s differs between the two builds" % name)


# ---------------------------------------------------------------------
# Diagnostics: exit status and exact messages.

ERRORS = os.path.join(TESTS, "errors")


def error_case(case):
    """tests/errors/CASE/cmd holds the arguments (one per line, {dir} is
    the case directory); expected holds the exit status on its first
    line and the exact standard error after it."""
    d = os.path.join(ERRORS, case)
    with open(os.path.join(d, "cmd"), encoding="utf-8") as f:
        args = [a.replace("{dir}", os.path.relpath(d, ROOT))
                for a in f.read().splitlines() if a]
    with tempfile.TemporaryDirectory() as tmp:
        args = [a.replace("{out}", tmp) for a in args]
        r = run([GB] + args)
        left = sorted(os.listdir(tmp))
    actual = ("%d\n" % r.returncode).encode() + rel_stderr(r.stderr)
    golden(os.path.join(d, "expected"), actual)
    if r.returncode != 0 and left:
        raise Fail("failed run left files behind: %s" % left)


if os.path.isdir(ERRORS):
    for _case in sorted(os.listdir(ERRORS)):
        def _e(case=_case):
            error_case(case)
        _e.__name__ = "error_" + _case
        test(_e)


@test
def index_can_be_turned_off():
    """--no-index: no index page, landmark or INDEX section."""
    with tempfile.TemporaryDirectory() as tmp:
        epub = build_book(os.path.relpath(BOOK, ROOT), tmp,
                          flags=("--strict", "--no-index"))
        with zipfile.ZipFile(epub) as z:
            names = z.namelist()
            nav = z.read("EPUB/nav.xhtml").decode()
            opf = z.read("EPUB/package.opf").decode()
        if "EPUB/index.xhtml" in names or "index.xhtml" in nav or \
                "index.xhtml" in opf:
            raise Fail("the index is still in the book")
        with open(os.path.join(tmp, "man", "man7", "testbook.7")) as f:
            if ".SH INDEX" in f.read():
                raise Fail("testbook(7) still has an INDEX section")
        epubcheck(epub)


@test
def guidebook_manual():
    """man/guidebook.1 is lint-clean and documents every option."""
    need("mandoc", "groff")
    page = os.path.join(ROOT, "man", "guidebook.1")
    for args in (["mandoc", "-Tlint", "-W", "warning", page],
                 ["groff", "-t", "-man", "-ww", "-z", page]):
        r = run(args)
        if r.stdout or r.stderr:
            raise Fail((r.stdout + r.stderr).decode())
    with open(page, encoding="utf-8") as f:
        text = f.read().replace("\\-", "-")
    helptext = run([GB, "--help"], check=0).stdout.decode()
    for opt in sorted(set(re.findall(r"--[a-z][a-z-]+", helptext))):
        if opt not in text:
            raise Fail("guidebook(1) does not document " + opt)


@test
def index_without_metadata():
    """An index with no front matter still makes a book: the title from
    its first heading, the language en, a man page named after it."""
    d = "tests/errors/no-metadata"
    with tempfile.TemporaryDirectory() as tmp:
        epub = build_book(d + "/README.md", tmp)
        with zipfile.ZipFile(epub) as z:
            opf = z.read("EPUB/package.opf").decode()
        for want in ('<dc:title id="title">Plain Book</dc:title>',
                     "<dc:language>en</dc:language>"):
            if want not in opf:
                raise Fail("package document lacks %r" % want)
        pages = sorted(os.listdir(os.path.join(tmp, "man", "man7")))
        if pages != ["plain-book-chapter.7", "plain-book.7"]:
            raise Fail("pages: %s" % pages)


@test
def usage_and_help():
    r = run([GB, "--help"], check=0)
    if b"usage: guidebook epub" not in r.stdout:
        raise Fail("--help does not show usage")
    r = run([GB, "--version"], check=0)
    if not r.stdout.startswith(b"guidebook "):
        raise Fail("--version: %r" % r.stdout)
    for args in ([], ["frobnicate"], ["epub"], ["render", "-t", "pdf"],
                 ["epub", "-o", "x", "--toc-depth", "9", "a.md"],
                 ["man", "--bogus", "-o", "x", "a.md"]):
        r = run([GB] + args)
        if r.returncode != 2 or not r.stderr.startswith(
                (b"usage", b"guidebook:")):
            raise Fail("%s: exit %d, stderr %r" % (args, r.returncode,
                                                   r.stderr))


@test
def jobs_do_not_change_output():
    """-j 1, 2 and 7: the same EPUB, man pages and messages, in order."""
    with tempfile.TemporaryDirectory() as tmp:
        chapters = {}
        for i in range(9):
            chapters["c%d.md" % i] = (
                "# Chapter %d\n\nSee [gone](gone%d.md), "
                "[js](javascript:alert(%d)) and <b>raw %d</b>.\n\n"
                "Bad byte: \xff.\n\n```python\nprint(%d)\n```\n"
                % (i, i, i, i, i)).encode("latin-1")
        index = small_book(tmp, chapters)
        seen = {}
        for jobs in ("1", "2", "7"):
            out = os.path.join(tmp, "j" + jobs)
            os.makedirs(out)
            msgs = b""
            for cmd, dest in (("epub", "b.epub"), ("man", "man"),
                              ("examples", "ex")):
                r = run([GB, cmd, "-j", jobs, "-o",
                         os.path.join(out, dest), index], check=0)
                msgs += r.stderr
            if msgs.count(b"warning") < 9 * 3:
                raise Fail("-j %s: too few warnings:\n%s" % (
                    jobs, msgs.decode("utf-8", "replace")))
            files = {}
            for dirpath, _, names in os.walk(out):
                for name in names:
                    p = os.path.join(dirpath, name)
                    with open(p, "rb") as f:
                        files[os.path.relpath(p, out)] = f.read()
            seen[jobs] = (msgs, files)
        for jobs in ("2", "7"):
            if seen[jobs][0] != seen["1"][0]:
                raise Fail(diff(seen["1"][0], seen[jobs][0],
                                "messages with -j " + jobs))
            if seen[jobs][1] != seen["1"][1]:
                raise Fail("-j %s: output differs from -j 1 in %s" % (
                    jobs, sorted(k for k in seen["1"][1] if
                                 seen["1"][1][k] != seen[jobs][1].get(k))))
        for bad in ("0", "65", "two", "", "3x"):
            r = run([GB, "epub", "-j", bad, "-o", tmp + "/x.epub", index])
            if r.returncode != 2 or b"--jobs" not in r.stderr:
                raise Fail("-j %r: exit %d, %r" % (bad, r.returncode,
                                                   r.stderr))
        r = run([GB, "render", "-t", "man", "-j", "2"], input=b"# T\n")
        if r.returncode != 2:
            raise Fail("render -j 2: exit %d" % r.returncode)


@test
def failed_build_keeps_previous_output():
    """A failing build leaves the previous EPUB intact, no temp files."""
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "src")
        shutil.copytree(os.path.join(TESTS, "book"), src)
        out = os.path.join(tmp, "out")
        os.mkdir(out)
        epub = os.path.join(out, "book.epub")
        run([GB, "epub", "--strict", "-o", epub,
             os.path.join(src, "README.md")], check=0)
        with open(epub, "rb") as f:
            before = f.read()
        with open(os.path.join(src, "alpha.md"), "a") as f:
            f.write("\n[broken](nowhere.md)\n")
        run([GB, "epub", "--strict", "-o", epub,
             os.path.join(src, "README.md")], check=1)
        with open(epub, "rb") as f:
            if f.read() != before:
                raise Fail("previous EPUB was changed")
        if os.listdir(out) != ["book.epub"]:
            raise Fail("left behind: %s" % os.listdir(out))


# ---------------------------------------------------------------------
# Hostile input: clear errors, exit status 1, no partial output.

def small_book(tmp, chapters, index_extra=""):
    """Write an index listing chapters {name: text}; returns its path."""
    lines = ["# Hostile", "", index_extra, ""]
    for name, text in chapters.items():
        path = os.path.join(tmp, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(text if isinstance(text, bytes) else text.encode())
        target = name.replace("%", "%25").replace(" ", "%20")
        lines.append("- [%s](%s)" % (name, target))
    index = os.path.join(tmp, "README.md")
    with open(index, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return index


def expect_error(args, needle, tmp):
    """guidebook exits 1 with needle in its message and writes nothing
    into tmp/out."""
    out = os.path.join(tmp, "out")
    os.makedirs(out, exist_ok=True)
    before = sorted(os.listdir(out))
    r = run([GB] + args, timeout=300)
    err = r.stderr.decode("utf-8", "replace")
    if r.returncode != 1 or needle not in err:
        raise Fail("%s: exit %d, stderr:\n%s" % (args, r.returncode,
                                                  err[-2000:]))
    if sorted(os.listdir(out)) != before:
        raise Fail("left in the output directory: %s" %
                   sorted(os.listdir(out)))


@test
def hostile_bytes():
    """Invalid UTF-8, NUL and control bytes: replaced, one warning with
    file:line:col; well-formed output; an error under --strict."""
    with tempfile.TemporaryDirectory() as tmp:
        index = small_book(tmp, {"bad.md": b"# Bad\n\nok \xff\xfe and "
                                 b"\x00 nul \x01 ctl \xed\xa0\x80.\n"})
        out = os.path.join(tmp, "b.epub")
        r = run([GB, "epub", "-o", out, index], check=0)
        if not re.search(rb"bad\.md:3:4: warning: invalid UTF-8",
                         r.stderr):
            raise Fail("no warning with position: %r" % r.stderr)
        xmllint_epub(out)
        expect_error(["epub", "--strict", "-o", tmp + "/out/b.epub",
                      index], "invalid UTF-8", tmp)


@test
def hostile_sizes():
    """An empty chapter builds; a 100 MB file is refused; a 10 MB line
    builds."""
    with tempfile.TemporaryDirectory() as tmp:
        index = small_book(tmp, {"empty.md": b"",
                                 "line.md": b"# Long\n\n" +
                                 b"word " * (2 * 1024 * 1024) + b"\n"})
        run([GB, "epub", "--strict", "-o", tmp + "/b.epub", index],
            check=0, timeout=300)
        run([GB, "man", "--strict", "-o", tmp + "/man", index], check=0,
            timeout=300)
        with open(os.path.join(tmp, "huge.md"), "wb") as f:
            f.write(b"x" * (100 * 1024 * 1024))
        with open(index, "a") as f:
            f.write("- [Huge](huge.md)\n")
        expect_error(["epub", "-o", tmp + "/out/b.epub", index],
                     "huge.md: error: file larger than 16 MB", tmp)


@test
def hostile_nesting():
    """10,000-deep block quotes or lists: an error with line and column,
    not a crash or a stack overflow."""
    with tempfile.TemporaryDirectory() as tmp:
        quotes = "> " * 10000 + "deep\n"
        lists = "- " * 5000 + "1. " * 5000 + "x\n"
        for name, text in (("quotes.md", quotes), ("lists.md", lists)):
            index = small_book(tmp, {name: text})
            expect_error(["epub", "-o", tmp + "/out/b.epub", index],
                         name + ":", tmp)
            expect_error(["man", "-o", tmp + "/out", index],
                         "nesting deeper than 1000 levels", tmp)


@test
def hostile_many_chapters():
    """A book of 10,000 chapters builds."""
    with tempfile.TemporaryDirectory() as tmp:
        chapters = {"c%05d.md" % i: "# C%d\n\nSee [next](c%05d.md).\n" % (
            i, (i + 1) % 10000) for i in range(10000)}
        index = small_book(tmp, chapters)
        run([GB, "epub", "--strict", "-o", tmp + "/b.epub", index],
            check=0, timeout=600)
        with zipfile.ZipFile(tmp + "/b.epub") as z:
            if len([n for n in z.namelist()
                    if re.fullmatch(r"EPUB/c\d{5}\.xhtml", n)]) != 10000:
                raise Fail("not every chapter is in the EPUB")


@test
def hostile_names_and_paths():
    """Spaces and non-ASCII in file names work; a link or chapter that
    leaves the book, a symlink out of it, a chapter that is a directory
    and a listed missing file are errors."""
    with tempfile.TemporaryDirectory() as tmp:
        index = small_book(tmp, {
            "my guide.md": "# Mine\n\n[other](caf%C3%A9.md#t%C3%AAte)\n",
            "café.md": "# Café\n\n## Tête\n\n[back](<my guide.md>)\n"})
        epub = os.path.join(tmp, "b.epub")
        run([GB, "epub", "--strict", "-o", epub, index], check=0)
        epubcheck(epub)
        run([GB, "man", "--strict", "-o", tmp + "/man", index], check=0)
        lint_man(tmp + "/man")
        outside = os.path.join(tmp, "outside.md")
        with open(outside, "w") as f:
            f.write("# Outside\n")
        book = os.path.join(tmp, "book")
        os.makedirs(os.path.join(book, "dir.md"))
        os.symlink(outside, os.path.join(book, "link.md"))
        for entry, needle in (("[l](link.md)", "resolves outside the book"),
                              ("[d](dir.md)", "is a directory"),
                              ("[x](../outside.md)", "outside the book"),
                              ("[m](missing.md)", "not found")):
            with open(os.path.join(book, "README.md"), "w") as f:
                f.write("# B\n\n- %s\n" % entry)
            expect_error(["epub", "-o", tmp + "/out/b.epub",
                          os.path.join(book, "README.md")], needle, tmp)


@test
def hostile_outputs():
    """A missing or unwritable output directory and a full disk are
    errors that leave the previous output intact and no temporary file."""
    book = os.path.relpath(BOOK, ROOT)
    with tempfile.TemporaryDirectory() as tmp:
        expect_error(["epub", "-o", tmp + "/no/such/dir/b.epub", book],
                     "cannot create", tmp)
        expect_error(["epub", "-o", "/proc/guidebook-test.epub", book],
                     "cannot create", tmp)
        with open(os.path.join(tmp, "file"), "w") as f:
            f.write("a file, not a directory\n")
        expect_error(["man", "-o", tmp + "/file/man", book],
                     "cannot create directory", tmp)
        out = os.path.join(tmp, "out")
        epub = os.path.join(out, "b.epub")
        run([GB, "epub", "-o", epub, book], check=0)
        with open(epub, "rb") as f:
            before = f.read()
        # A full disk: the file size limit stops the write half way.
        r = run(["sh", "-c", 'ulimit -f 16 && exec "$@"', "sh", GB, "epub",
                 "-o", epub, book])
        if r.returncode != 1 or b"cannot write" not in r.stderr:
            raise Fail("full disk: exit %d, %r" % (r.returncode, r.stderr))
        with open(epub, "rb") as f:
            if f.read() != before:
                raise Fail("the previous EPUB was damaged")
        if os.listdir(out) != ["b.epub"]:
            raise Fail("left behind: %s" % os.listdir(out))
        # A device or pipe is written into, never replaced.
        r = run([GB, "epub", "-o", "/dev/stdout", book], check=0)
        if not r.stdout.startswith(b"PK\x03\x04") or \
                not os.path.islink("/dev/stdout"):
            raise Fail("-o /dev/stdout did not write the EPUB to stdout")


# ---------------------------------------------------------------------
# Real-world Markdown: books shaped like an mdBook book, a GitHub docs
# folder and a book of images and tables (fixtures written for this
# project), built --strict, validated, and checked for lost text.

REALWORLD = os.path.join(TESTS, "realworld")
REALWORLD_BOOKS = ("mdbook/src/SUMMARY.md", "gfm-docs/docs/README.md",
                   "images-tables/README.md")


sys.path.insert(0, TESTS)
import realworld  # noqa: E402  (tests/realworld.py)


@test
def realworld_books():
    """Three books of other tools' styles build --strict, pass epubcheck
    and the man page linters, and lose no code line or table cell."""
    for rel in REALWORLD_BOOKS:
        index = os.path.join(REALWORLD, rel)
        with tempfile.TemporaryDirectory() as tmp:
            epub = build_book(index, tmp)
            epubcheck(epub)
            xmllint_epub(epub)
            lint_man(os.path.join(tmp, "man"))
            lost = realworld.lost_text(index, epub,
                                       os.path.join(tmp, "man"))
            if lost:
                raise Fail("%s:\n%s" % (rel, "\n".join(lost[:20])))
    return "%d books" % len(REALWORLD_BOOKS)


def zip_text(epub, name):
    with zipfile.ZipFile(epub) as z:
        return z.read(name).decode("utf-8")


@test
def realworld_structure():
    """mdBook's shape survives: prefix and suffix chapters, nested
    chapters in the contents and the part pages, .html links resolved;
    images packaged with their media types; footnotes as EPUB 3 notes;
    tables as tables in both back ends."""
    with tempfile.TemporaryDirectory() as tmp:
        epub = build_book(os.path.join(REALWORLD, REALWORLD_BOOKS[0]), tmp)
        nav = zip_text(epub, "EPUB/nav.xhtml")
        order = re.findall(r'<a href="([^"#]+)">([^<]+)</a>', nav)
        titles = [t for _, t in order]
        if titles.index("Introduction") > titles.index("Installation") \
                or titles.index("Contributors") < titles.index("Markdown"):
            raise Fail("prefix/suffix chapters out of place: %s" % titles)
        if not re.search(r"Theme</a><ol>\s*<li><a [^>]*>Colours</a>", nav):
            raise Fail("nested chapter not nested in nav.xhtml:\n" + nav)
        if "Draft" in nav:
            raise Fail("the draft chapter is in the contents")
        ncx = zip_text(epub, "EPUB/toc.ncx")
        if not re.search(r"<text>Theme</text>.*?<navPoint[^>]*>\s*"
                         r"<navLabel>\s*<text>Colours", ncx, re.S):
            raise Fail("nested chapter not nested in toc.ncx")
        part = zip_text(epub, "EPUB/part02.xhtml")
        if not re.search(r"Theme</a>\s*<ul>\s*<li><a [^>]*>Colours", part):
            raise Fail("nested chapter not nested on the part page")
        intro = zip_text(epub, "EPUB/ch001.xhtml")
        if 'href="installation.xhtml"' not in intro:
            raise Fail("the .html link was not resolved")
        notes = zip_text(epub, "EPUB/markdown.xhtml")
        for needle in ('epub:type="noteref"', 'role="doc-noteref"',
                       'epub:type="footnote"', 'role="doc-footnote"'):
            if needle not in notes:
                raise Fail("footnotes lack %s" % needle)
        with open(os.path.join(tmp, "man", "man7",
                               "widget-colours.7")) as f:
            page = f.read()
        if not page.startswith("'\\\" t\n") or ".TS" not in page:
            raise Fail("no tbl table in the man page")
    with tempfile.TemporaryDirectory() as tmp:
        epub = build_book(os.path.join(REALWORLD, REALWORLD_BOOKS[2]), tmp)
        opf = zip_text(epub, "EPUB/package.opf")
        for ext, mt in (("png", "image/png"), ("jpg", "image/jpeg"),
                        ("gif", "image/gif"), ("webp", "image/webp")):
            if not re.search(r'href="images/img/[a-z]+\.%s" '
                             r'media-type="%s"' % (ext, mt), opf):
                raise Fail("no %s image in the manifest" % ext)
        page = zip_text(epub, "EPUB/images.xhtml")
        if page.count("<img ") != 6 or 'alt="a black circle, once more"' \
                not in page:
            raise Fail("images missing from the page:\n" + page)


@test
def unreadable_inputs():
    """A missing index, a directory, a FIFO (index or chapter) and a
    chapter that is a directory: an error naming it, exit 1, no crash,
    no wait."""
    with tempfile.TemporaryDirectory() as tmp:
        fifo = os.path.join(tmp, "fifo.md")
        os.mkfifo(fifo)
        os.mkdir(os.path.join(tmp, "dir.md"))
        cases = [(os.path.join(tmp, "nope.md"), "cannot open"),
                 (tmp, "a directory, not a file"),
                 (fifo, "not a regular file")]
        for ch, needle in (("fifo.md", "is not a regular file"),
                           ("dir.md", "is a directory")):
            index = os.path.join(tmp, "index-%s" % ch)
            with open(index, "w") as f:
                f.write("# B\n\n- [C](%s)\n" % ch)
            cases.append((index, needle))
        for index, needle in cases:
            for cmd in (["epub", "-o", tmp + "/out/b.epub"],
                        ["man", "-o", tmp + "/out"],
                        ["examples", "-o", tmp + "/out/ex"]):
                expect_error(cmd + [index], needle, tmp)


@test
def outputs_never_replace_inputs():
    """An output path that is an input of the book (the index, a
    chapter, an image, the stylesheet, through another name too) is a
    usage error, exit 2, and the input is untouched."""
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "book")
        shutil.copytree(os.path.join(REALWORLD, "mdbook", "src"), src)
        index = os.path.join(src, "SUMMARY.md")
        os.symlink(index, os.path.join(tmp, "alias.md"))
        chapter = os.path.join(src, "guide", "reading.md")
        image = os.path.join(src, "images", "sidebar.png")
        css = os.path.join(tmp, "book.css")
        with open(css, "w") as f:
            f.write("p { margin: 0; }\n")
        before = {}
        for p in (index, chapter, image, css):
            with open(p, "rb") as f:
                before[p] = f.read()
        for args in (["epub", "-o", index, index],
                     ["epub", "-o", os.path.join(tmp, "alias.md"), index],
                     ["epub", "-o", chapter, index],
                     ["epub", "-o", image, index],
                     ["epub", "--depfile", chapter, "-o", tmp + "/b.epub",
                      index],
                     ["epub", "--stylesheet", css, "-o", css, index]):
            r = run([GB] + args)
            if r.returncode != 2 or b"an input of the book" not in \
                    r.stderr:
                raise Fail("%s: exit %d: %s" % (args, r.returncode,
                                                r.stderr.decode()))
        for p, data in before.items():
            with open(p, "rb") as f:
                if f.read() != data:
                    raise Fail("%s was changed" % p)


@test
def python_names_only_in_python_books():
    """The back-of-book index files len and __init__ as Python's only in
    a book with Python code, and never the examples' own modules."""
    with tempfile.TemporaryDirectory() as tmp:
        index = small_book(tmp, {"a.md": "# A\n\n## Calls\n\nCall `len` "
                                 "and `__init__` with `--verbose`.\n"})
        run([GB, "man", "-o", tmp + "/man", index], check=0)
        with open(os.path.join(tmp, "man", "man7", "hostile.7")) as f:
            page = f.read()
        if "len" in page.split(".SH INDEX")[-1] or "\\-\\-verbose" \
                not in page:
            raise Fail("a book without Python code got Python terms")
        with open(os.path.join(tmp, "a.md"), "a") as f:
            f.write("\n```python\nimport pathlib, mypkg\npathlib.Path("
                    "\"mypkg/__init__.py\")\nprint(len([]))\n```\n\n"
                    "See `mypkg.thing` and `pathlib.Path`.\n")
        run([GB, "man", "-o", tmp + "/man", index], check=0)
        with open(os.path.join(tmp, "man", "man7", "hostile.7")) as f:
            idx = f.read().split(".SH INDEX")[-1]
        if "len" not in idx or "pathlib.\\:Path" not in idx or \
                "mypkg" in idx:
            raise Fail("index of a Python book:\n" + idx)


@test
def man_names_fit():
    """Derived page names are unique and short, and every page's header
    line (NAME(7), the manual, NAME(7)) fits 78 columns whole."""
    with tempfile.TemporaryDirectory() as tmp:
        chapters = {"a/README.md": "# A\n", "b/README.md": "# B\n",
                    "a/getting-started-with-the-long-named-thing.md":
                    "# Long\n", "b/alias.md": "# Alias one\n",
                    "c/alias.md": "# Alias two\n"}
        index = small_book(tmp, chapters, index_extra="")
        with open(index, "r+") as f:
            text = f.read()
            f.seek(0)
            f.write("---\ntitle: The Very Long Name Of A Documentation "
                    "Set For Everyone\n---\n" + text)
        run([GB, "epub", "--strict", "-o", tmp + "/b.epub", index], check=0)
        run([GB, "man", "--strict", "-o", tmp + "/man", index], check=0)
        pages = sorted(os.listdir(os.path.join(tmp, "man", "man7")))
        if len(pages) != 6 or any(len(p) - 2 > 28 for p in pages):
            raise Fail("page names: %s" % pages)
        for p in pages:
            r = run(["groff", "-t", "-man", "-Tascii", "-P-cbou",
                     os.path.join(tmp, "man", "man7", p)], check=0)
            head = r.stdout.decode().splitlines()[0]
            name = p[:-2].upper() + "(7)"
            if len(head) > 80 or not head.startswith(name) or \
                    not head.endswith(name):
                raise Fail("%s: header %r" % (p, head))
        return ", ".join(p[:-2] for p in pages)


@test
def valgrind_clean():
    """valgrind --leak-check=full finds nothing over the test book, in
    the compiler as built and in the build with the distribution's
    flags (fortified string functions, as packages ship them)."""
    need("valgrind")
    fortified = os.path.join(ROOT, "build", "fortify", "guidebook")
    if not os.path.exists(fortified):
        raise Fail("build/fortify/guidebook missing (make check builds it)")
    book = os.path.relpath(BOOK, ROOT)
    with tempfile.TemporaryDirectory() as tmp:
        for gb, args in [(gb, args) for gb in (GB, fortified) for args in (
                ["epub", "-o", tmp + "/b.epub", book],
                ["man", "-o", tmp + "/man", book],
                ["examples", "-o", tmp + "/ex", book],
                ["render", "-t", "xhtml", "tests/golden/html-block.md"],
                ["render", "-t", "man", "tests/golden/escapes.md"])]:
            r = run(["valgrind", "-q", "--leak-check=full",
                     "--errors-for-leak-kinds=definite,indirect",
                     "--suppressions=" + os.path.join(TESTS, "valgrind.supp"),
                     "--error-exitcode=99", gb] + args, timeout=600)
            if r.returncode == 99 or b"==" in r.stderr:
                raise Fail("valgrind %s %s:\n%s" % (
                    os.path.relpath(gb, ROOT), " ".join(args),
                    r.stderr.decode()[-3000:]))


# ---------------------------------------------------------------------
# The example runner, on a fixture book whose outcomes are known.

@test
def example_runner_fixture():
    fixture = os.path.join("tests", "examples-fixture", "README.md")
    with tempfile.TemporaryDirectory() as tmp:
        run([GB, "examples", "-o", tmp, fixture], check=0)
        r = run([sys.executable, os.path.join(TESTS, "run-examples.py"),
                 "--timeout", "2", tmp], timeout=120)
        out = r.stdout.decode()
        want = "examples: 8 run, 3 passed, 5 failed, 1 skipped"
        if out.splitlines()[-1:] != [want] or r.returncode != 1:
            raise Fail("runner said (exit %d):\n%s" % (r.returncode, out))
        for needle in ("FAIL tests/examples-fixture/cases.md:",
                       "timed out after 2 seconds",
                       "-expected line", "+actual line",
                       "-old", "+new", "(output for >=3.11)",
                       "ZeroDivisionError", "Failed example"):
            if needle not in out:
                raise Fail("runner output lacks %r:\n%s" % (needle, out))


@test
def examples_manifest():
    """guidebook examples writes origin, kind and expected output."""
    fixture = os.path.join("tests", "examples-fixture", "README.md")
    with tempfile.TemporaryDirectory() as tmp:
        run([GB, "examples", "-o", tmp, fixture], check=0)
        with open(os.path.join(tmp, "examples.tsv"), encoding="utf-8") as f:
            rows = [line.rstrip("\n").split("\t") for line in f]
        kinds = [(r[1], r[2], r[3], r[4], r[6] != "-") for r in rows]
        golden(os.path.join(TESTS, "examples-fixture", "manifest"),
               "".join("%s %s %s %s %s\n" % k for k in kinds).encode())


# ---------------------------------------------------------------------
# Sanitizers: the same inputs through an ASan+UBSan build.

# make check builds the sanitizer binaries where cc can link them.
NO_ASAN = "no AddressSanitizer runtime for cc"


def sanitizer_env():
    return env(ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:exitcode=99",
               UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:"
                             "exitcode=98")


@test
def sanitizers():
    need(ASAN_GB, why=NO_ASAN)
    problems = []

    def chk(args, environ, stdin=None):
        r = run([ASAN_GB] + args, environ=environ, input=stdin)
        err = r.stderr.decode("utf-8", "replace")
        if r.returncode in (98, 99) or "Sanitizer" in err or \
                "runtime error" in err:
            problems.append("%s:\n%s" % (" ".join(args), err[-3000:]))

    e = sanitizer_env()
    for md in sorted(os.listdir(GOLDEN)):
        if md.endswith(".md"):
            for fmt in ("xhtml", "man"):
                chk(["render", "-t", fmt, "tests/golden/" + md], e)
    with tempfile.TemporaryDirectory() as tmp:
        for index in ("tests/book/README.md", "guides/README.md"):
            chk(["epub", "-o", tmp + "/b.epub", index], e)
            chk(["man", "-o", tmp + "/man", index], e)
            chk(["examples", "-o", tmp + "/ex", index], e)
        for case in sorted(os.listdir(ERRORS)):
            with open(os.path.join(ERRORS, case, "cmd")) as f:
                args = [a.replace("{dir}", "tests/errors/" + case)
                        .replace("{out}", tmp)
                        for a in f.read().splitlines() if a]
            chk(args, e)
    # The inputs the fuzzer found go through the fuzz harnesses, with
    # the same sanitizers: fuzz_harness_replay.
    chk(["render", "-t", "xhtml"], e, stdin=b"> " * 900 + b"deep\n" +
        b"*a **b " * 500 + b"\n" + b"\xff\x00bad bytes\n")
    if problems:
        raise Fail("\n".join(problems)[-6000:])


@test
def thread_sanitizer():
    """Chapters are parsed and pages built on threads: no data race."""
    tsan = os.path.join(ROOT, "build", "tsan", "guidebook")
    need(tsan, why="no clang with ThreadSanitizer")
    with tempfile.TemporaryDirectory() as tmp:
        for index in ("tests/book/README.md", "guides/README.md"):
            for cmd, out in (("epub", "b.epub"), ("man", "man")):
                r = run([tsan, cmd, "-j", "4", "-o",
                         os.path.join(tmp, out), index],
                        environ=env(TSAN_OPTIONS="halt_on_error=1:"
                                    "exitcode=97:suppressions=" +
                                    os.path.join(TESTS, "tsan.supp")))
                if r.returncode != 0 or b"ThreadSanitizer" in r.stderr:
                    raise Fail("%s %s:\n%s" % (cmd, index,
                               r.stderr.decode()[-3000:]))


@test
def fuzz_harness_replay():
    """The fuzz harnesses, built without libFuzzer, hold their properties
    (well-formed XML, our serialiser equal to libxml2's, only intended
    roff requests, a sound EPUB zip) on the regressions and the seeds."""
    regress = os.path.join(TESTS, "fuzz", "regress")
    names = sorted(n for n in os.listdir(regress) if not n.startswith("."))
    md = [os.path.join(regress, n) for n in names if not n.startswith("epub-")]
    md += [os.path.join(GOLDEN, n) for n in sorted(os.listdir(GOLDEN))
           if n.endswith(".md")]
    md += [os.path.join(ROOT, "guides", n)
           for n in sorted(os.listdir(os.path.join(ROOT, "guides")))
           if n.endswith(".md")]
    with tempfile.TemporaryDirectory() as seeds:
        run([sys.executable, os.path.join(TESTS, "fuzz", "make-seeds.py"),
             seeds], check=0)
        books = [os.path.join(regress, n) for n in names
                 if n.startswith("epub-")]
        books += [os.path.join(seeds, n) for n in sorted(os.listdir(seeds))]
        if len(books) < 5 or len(md) < 10:
            raise Fail("too few inputs: %d books, %d documents"
                       % (len(books), len(md)))
        for mode, inputs in (("xhtml", md), ("man", md), ("epub", books)):
            exe = os.path.join(ROOT, "build", "asan", "replay-" + mode)
            need(exe, why=NO_ASAN)
            r = run([exe] + inputs, environ=sanitizer_env(), timeout=600)
            if r.returncode != 0 or r.stderr:
                raise Fail("replay-%s exits %d:\n%s" % (
                    mode, r.returncode, r.stderr.decode("utf-8",
                                                        "replace")[-3000:]))
    return "%d documents, %d books" % (len(md), len(books))


def inlined(fn):
    """True when fn is defined in src/ but guidebook has no symbol of
    that name: an optimising build (Fedora's -flto) inlined or cloned
    it away."""
    if shutil.which("nm") is None:
        return False
    src = os.path.join(ROOT, "src")
    defined = any(re.search(r"^%s\(" % re.escape(fn), read_text(
        os.path.join(src, n)), re.M) for n in os.listdir(src)
        if n.endswith(".c"))
    syms = run(["nm", GB]).stdout.decode()
    return defined and not re.search(r" %s$" % re.escape(fn), syms, re.M)


def read_text(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


@test
def bench_breakdown():
    """make bench splits guidebook epub's instructions into stages by
    function name: every stage is still a function that runs, and the
    report parses callgrind_annotate.  (Counts, not times.)"""
    need("valgrind", "callgrind_annotate")
    sys.path.insert(0, TESTS)
    import bench
    with tempfile.TemporaryDirectory() as tmp:
        prof = os.path.join(tmp, "cg.out")
        r = run(["valgrind", "--tool=callgrind",
                 "--callgrind-out-file=" + prof, GB, "epub", "-o",
                 os.path.join(tmp, "b.epub"), "tests/book/README.md"],
                timeout=300)
        m = re.search(rb"I\s+refs:\s+([\d,]+)", r.stderr)
        if r.returncode != 0 or not m:
            raise Fail("callgrind: %s" % r.stderr.decode()[-2000:])
        total = int(m.group(1).replace(b",", b""))
        rows, heap = bench.stage_counts(prof)
        missing = [(label, fn) for (label, fn, _), (_, _, n) in
                   zip(bench.STAGES, rows) if n is None]
        if missing and all(inlined(fn) for _, fn in missing):
            raise Skip("this build's flags inline " +
                       ", ".join(fn for _, fn in missing))
        if missing:
            raise Fail("stages not in the profile: %s"
                       % [label for label, _ in missing])
        over = [label for label, _, n in rows if n > total]
        if over or not 0 < heap < total:
            raise Fail("counts above the total %d: %s, heap %d"
                       % (total, over, heap))
        md = "\n".join(bench.breakdown({"guidebook-epub": total,
                                        "cmark-html": total}, prof))
        if md.count("\n| ") != len(rows) + 2:
            raise Fail("breakdown table:\n" + md)
    return "%d stages, %s instructions" % (len(rows), "{:,}".format(total))


# ---------------------------------------------------------------------
# Diagrams: src/diagram.c alone, through tests/diagram/driver.c.  Each
# tests/diagram/NAME.txt is a drawing beside its NAME.svg and
# NAME.words (NAME.title, when there, is the SVG's title).

DIAGRAMS = os.path.join(TESTS, "diagram")
DIAGRAM_DRIVER = os.path.join(ROOT, "build", "diagram-driver")
ASAN_DIAGRAM_DRIVER = os.path.join(ROOT, "build", "asan", "diagram-driver")
DIAGRAM_BUILT = []
DIAGRAM_LOCK = __import__("threading").Lock()   # tests run on 4 threads


def diagram_build():
    """Both drivers, brought up to date by make (it knows CC and the
    flags), once, whichever diagram test asks first."""
    with DIAGRAM_LOCK:
        if not DIAGRAM_BUILT:
            run([os.environ.get("MAKE", "make"), "-s",
                 "build/diagram-driver", "build/asan/diagram-driver"],
                check=0, timeout=600)
            DIAGRAM_BUILT.append(True)


def diagram_cases():
    """(name, drawing bytes, driver arguments for the SVG) of each case."""
    cases = []
    for name in sorted(os.listdir(DIAGRAMS)):
        if not name.endswith(".txt"):
            continue
        base = os.path.join(DIAGRAMS, name[:-4])
        with open(base + ".txt", "rb") as f:
            data = f.read()
        args = ["-t", "svg"]
        if os.path.exists(base + ".title"):
            with open(base + ".title", encoding="utf-8") as f:
                args.append(f.read())
        cases.append((name[:-4], data, args))
    return cases


def diagram_check_svg(svg, label):
    """Well-formed (xmllint) and on the grid: width and height those of
    the viewBox, every text run as long as its cells (8.4 px each)."""
    import xml.etree.ElementTree as ET
    r = run(["xmllint", "--noout", "-"], input=svg)
    if r.returncode != 0 or r.stderr:
        raise Fail("%s: xmllint:\n%s" % (label, r.stderr.decode()[-2000:]))
    ns = "{http://www.w3.org/2000/svg}"
    root = ET.fromstring(svg)
    box = root.get("viewBox", "").split()
    if root.tag != ns + "svg" or root.get("version") != "1.1" or \
            box[:2] != ["0", "0"] or \
            box[2:] != [root.get("width"), root.get("height")]:
        raise Fail("%s: bad svg root %s %s" % (label, root.tag, root.attrib))
    for t in root.iter(ns + "text"):
        want = round(len(t.text) * 8.4, 1)
        if float(t.get("textLength")) != want or \
                t.get("lengthAdjust") != "spacingAndGlyphs":
            raise Fail("%s: text %r has textLength %s, not %s"
                       % (label, t.text, t.get("textLength"), want))


@test
def diagram_golden():
    """Every drawing's SVG and words equal the golden files, and the SVG
    is well-formed and on the cell grid."""
    diagram_build()
    cases = diagram_cases()
    if len(cases) < 15:
        raise Fail("only %d cases in tests/diagram" % len(cases))
    problems = []
    for name, data, args in cases:
        base = os.path.join(DIAGRAMS, name)
        try:
            svg = run([DIAGRAM_DRIVER] + args, input=data, check=0).stdout
            words = run([DIAGRAM_DRIVER, "-t", "words"], input=data,
                        check=0).stdout
            golden(base + ".svg", svg)
            golden(base + ".words", words)
            diagram_check_svg(svg, name)
        except Fail as e:
            problems.append(str(e))
    if problems:
        raise Fail("\n".join(problems)[-6000:])
    return "%d drawings" % len(cases)


def diagram_hostile():
    """Inputs no author writes: (label, bytes)."""
    import random
    rnd = random.Random(20260101)
    box = (b"+------+  +------+\n| box  |->| next |\n+------+  +------+\n"
           b"   |\n   v\n")
    art = b" -+|<>v^V=:x\t\x00\xff\xe2\x94\x80\xe2\x94\x82\xe2\x94\x8c\n"
    yield "5000 lines", box * 1000
    yield "100000 columns", (b"+-->|<--+ v ^ x-y " * 5556)[:100000] + \
        b"\n" + b"|" * 100000 + b"\n"
    yield "random bytes", bytes(rnd.randrange(256) for _ in range(100000))
    for seed in range(4):
        yield "random art %d" % seed, bytes(
            art[rnd.randrange(len(art))] for _ in range(40000))
    yield "NULs and controls", b"\x00" * 500 + b"\n\x01\x1b[31m\x7f\r\r\n"
    yield "tabs", b"\t" * 50000 + b"x\n" + b"x\t" * 20000 + b"\n"
    yield "no newline", b"+--+\n|  |\n+--"
    yield "truncated UTF-8", b"\xe2\x94\n\xf0\x9f\x90\n\xe2"


@test
def diagram_sanitizers():
    """The ASan+UBSan driver over every case and hostile inputs: no
    report, and the SVG still well-formed."""
    diagram_build()
    inputs = [(name, data) for name, data, _ in diagram_cases()]
    inputs += list(diagram_hostile())
    problems = []
    for label, data in inputs:
        for args in (["-t", "svg", "a <title> & \x01"], ["-t", "words"]):
            r = run([ASAN_DIAGRAM_DRIVER] + args, input=data,
                    environ=sanitizer_env(), timeout=300)
            if r.returncode != 0 or r.stderr:
                problems.append("%s %s: exit %d\n%s" % (
                    label, args[1], r.returncode,
                    r.stderr.decode("utf-8", "replace")[-3000:]))
            elif args[1] == "svg":
                try:
                    diagram_check_svg(r.stdout, label)
                except Fail as e:
                    problems.append(str(e))
    if problems:
        raise Fail("\n".join(problems)[-6000:])
    return "%d inputs" % len(inputs)


@test
def diagram_large():
    """Linear time: a 10,000-line drawing and a 200,000-column one take
    well under a second each (the limit is generous for slow machines)."""
    import time
    diagram_build()
    box = (b"+------+  +------+\n| box  |->| next |\n+------+  +------+\n"
           b"   |\n   v\n")
    notes = []
    for label, data in (("10000 lines", box * 2000),
                        ("200000 columns", b"-+ x |" * 40000 + b"\n")):
        start = time.monotonic()
        r = run([DIAGRAM_DRIVER, "-t", "svg"], input=data, check=0)
        took = time.monotonic() - start
        if took > 10:
            raise Fail("%s took %.1f s" % (label, took))
        diagram_check_svg(r.stdout, label)
        notes.append("%s %.2f s" % (label, took))
    return ", ".join(notes)


import content  # noqa: E402,F401  (the book's tests, tests/content.py)

if __name__ == "__main__":
    sys.exit(harness.main())
