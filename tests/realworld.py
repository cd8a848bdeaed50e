#!/usr/bin/env python3
"""Check that a book of real-world Markdown survives guidebook whole.

usage: realworld.py [--guidebook PATH] INDEX.md...

For each book: `guidebook epub --strict` and `guidebook man --strict`
succeed; epubcheck reports nothing; every man page is silent under
`mandoc -Tlint -W warning` and `groff -t -man -ww -z`; and no text is
lost: every line of every code block, and every word of every table
cell, of every Markdown file under the index's directory appears in the
EPUB's text and in the man pages as mandoc renders them.  Last line:
"N passed, N failed" (one per book).  tests/check.py uses the same
functions on the fixtures in tests/realworld/.
"""

import argparse
import html
import os
import re
import subprocess
import sys
import tempfile
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EPUBCHECK = os.environ.get("EPUBCHECK", "/usr/share/java/epubcheck.jar")


def book_files(index, gb=None):
    """The Markdown files of a book, as `guidebook list` names them."""
    gb = gb or os.path.join(ROOT, "guidebook")
    r = subprocess.run([gb, "list", index], capture_output=True, text=True)
    return r.stdout.splitlines()


def markdown_texts(index):
    """Every code line and every table cell of a book's Markdown."""
    lines, cells = [], []
    for path in book_files(index):
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        fence = None
        for line in text.splitlines():
            m = re.match(r"\s*(```+|~~~+)", line)
            if m and fence is None:
                fence = m.group(1)
                continue
            if fence and line.strip().startswith(fence):
                fence = None
                continue
            if fence:
                if line.strip():
                    lines.append(line.strip())
                continue
            row = line.strip().lstrip(">").strip()
            if row.startswith("|") and not re.fullmatch(r"[|:\- ]+", row):
                for cell in re.split(r"(?<!\\)\|", row.strip("|")):
                    cell = cell.replace("\\|", "|").strip()
                    if cell:
                        cells.append(cell)
    return lines, cells


def words(text):
    """The words of Markdown text, its markup left out."""
    text = re.sub(r"\[([^]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"<[^>]*>", " ", text)        # raw HTML tags
    return [w for w in re.split(r"[^A-Za-z0-9_.#~/-]+", text) if w]


def epub_text(epub):
    out = []
    with zipfile.ZipFile(epub) as z:
        for n in z.namelist():
            if n.endswith(".xhtml"):
                x = z.read(n).decode("utf-8")
                out.append(html.unescape(re.sub(r"<[^>]+>", "", x)))
    return "\n".join(out)


def man_text(mandir):
    out = []
    for name in sorted(os.listdir(os.path.join(mandir, "man7"))):
        r = subprocess.run(["mandoc", "-Tutf8",
                            os.path.join(mandir, "man7", name)],
                           capture_output=True)
        out.append(re.sub(r".\x08", "", r.stdout.decode("utf-8")))
    return "\n".join(out)


def lost_text(index, epub, mandir):
    """What the book's Markdown holds and an output lacks, or []."""
    etext, mtext = epub_text(epub), man_text(mandir)
    code, cells = markdown_texts(index)
    lost = []
    for line in code:
        for where, text in (("EPUB", etext), ("man pages", mtext)):
            if line not in text:
                lost.append("code line lost in the %s: %r" % (where, line))
    for cell in cells:
        for w in words(cell):
            for where, text in (("EPUB", etext), ("man pages", mtext)):
                if w not in text:
                    lost.append("table cell %r lost in the %s (%r)" % (
                        cell, where, w))
    return lost


def lint_pages(mandir):
    """The linters' complaints about the man pages, or []."""
    problems = []
    for name in sorted(os.listdir(os.path.join(mandir, "man7"))):
        path = os.path.join("man7", name)
        with open(os.path.join(mandir, path), "rb") as f:
            if f.read(4) == b".so ":
                continue
        for cmd in (["mandoc", "-Tlint", "-W", "warning", path],
                    ["groff", "-t", "-man", "-ww", "-z", path]):
            r = subprocess.run(cmd, cwd=mandir, capture_output=True)
            if r.stdout or r.stderr:
                problems.append((r.stdout + r.stderr).decode())
    return problems


def check_book(gb, index):
    """Problems of one book, or []."""
    with tempfile.TemporaryDirectory() as tmp:
        epub = os.path.join(tmp, "book.epub")
        mandir = os.path.join(tmp, "man")
        for args in (["epub", "--strict", "-o", epub, index],
                     ["man", "--strict", "-o", mandir, index]):
            r = subprocess.run([gb] + args, capture_output=True)
            if r.returncode != 0:
                return ["guidebook %s: exit %d\n%s" % (
                    args[0], r.returncode, r.stderr.decode())]
        r = subprocess.run(["java", "-jar", EPUBCHECK, epub],
                           capture_output=True)
        out = (r.stdout + r.stderr).decode()
        if r.returncode != 0 or "0 fatals / 0 errors / 0 warnings" not in out:
            return ["epubcheck:\n" + out[-3000:]]
        return lint_pages(mandir) + lost_text(index, epub, mandir)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("index", nargs="+")
    ap.add_argument("--guidebook", default=os.path.join(ROOT, "guidebook"))
    args = ap.parse_args()
    passed = failed = 0
    for index in args.index:
        problems = check_book(args.guidebook, index)
        if problems:
            failed += 1
            print("FAIL %s" % index)
            for p in problems[:30]:
                print("    " + p.rstrip().replace("\n", "\n    "))
        else:
            passed += 1
            code, cells = markdown_texts(index)
            print("ok   %s (%d code lines, %d table cells)" % (
                index, len(code), len(cells)))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
