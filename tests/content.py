#!/usr/bin/env python3
"""The book's own tests: the guides as built (dist/), their examples
under CPython, their pages.  The compiler's tests are in check.py; both
run under make check (tests/check.py --suite book runs these alone).
A failure here is about what the guides say or how they are built, not
about guidebook on arbitrary input."""

import os
import re
import sys
import tempfile
import zipfile

from harness import (Fail, GB, PYTHON, ROOT, TESTS, cmark_code_blocks,
                     diff, env, epubcheck, lint_man, run, test,
                     xmllint_epub)

INDEX = "guides/README.md"


def chapters():
    """The guides, as guidebook reads the index (guidebook list): paths
    relative to guides/, in book order, the index left out."""
    r = run([GB, "list", INDEX], check=0)
    return [os.path.relpath(p, "guides")
            for p in r.stdout.decode().splitlines()[1:]]


@test
def real_book_validators():
    epub = os.path.join(ROOT, "dist", "pyinternals.epub")
    mandir = os.path.join(ROOT, "dist", "man")
    if not os.path.exists(epub):
        raise Fail("dist/pyinternals.epub is missing: run make first")
    epubcheck(epub)
    xmllint_epub(epub)
    lint_man(mandir)


@test
def code_lines_keep_source():
    """Each code block of the book is set one line to an element, and
    its text is still the source, byte for byte (as libcmark reads the
    guides): what a reader copies is what the guide says."""
    import xml.etree.ElementTree as ET
    xns = "{http://www.w3.org/1999/xhtml}"
    epub = os.path.join(ROOT, "dist", "pyinternals.epub")
    problems, blocks = [], 0
    with zipfile.ZipFile(epub) as z:
        for ch in chapters():
            with open(os.path.join(ROOT, "guides", ch), encoding="utf-8") as f:
                want = [t for lang, t in cmark_code_blocks(f.read())
                        if lang != "diagram"]
            page = "EPUB/" + os.path.basename(ch)[:-3] + ".xhtml"
            root = ET.fromstring(z.read(page))
            got = []
            for pre in root.iter(xns + "pre"):
                code = pre.find(xns + "code")
                lines = list(code)
                if code.text or any(
                        el.tag != xns + "span" or el.get("class", "").split()
                        [:1] != ["line"] or el.tail for el in lines):
                    problems.append("%s: a block with text outside its "
                                    "line elements" % page)
                for el in lines:
                    t = "".join(el.itertext())
                    if t.find("\n") != len(t) - 1:
                        problems.append("%s: a line element holding %r" %
                                        (page, t[:60]))
                got.append("".join(pre.itertext()))
            blocks += len(got)
            if got != want:
                bad = next((i for i, (a, b) in enumerate(zip(got, want))
                            if a != b), min(len(got), len(want)))
                problems.append("%s: %d blocks, %d in the source; block %d "
                                "differs:\n%s" % (
                                    page, len(got), len(want), bad + 1,
                                    diff(want[bad] if bad < len(want) else "",
                                         got[bad] if bad < len(got) else "",
                                         page)))
    if problems:
        raise Fail("\n".join(problems[:20]))
    if blocks < 100:
        raise Fail("only %d code blocks checked" % blocks)
    return "%d blocks" % blocks


@test
def real_book_pages_complete():
    """Every chapter of the index has its page and its aliases."""
    pages = set(os.listdir(os.path.join(ROOT, "dist", "man", "man7")))
    missing = []
    for ch in chapters():
        with open(os.path.join(ROOT, "guides", ch), encoding="utf-8") as f:
            head = f.read().split("\n---\n", 1)[0]
        for key in ("man", "aliases"):
            m = re.search(r"^%s: *(.*)$" % key, head, re.M)
            for name in (m.group(1).split(",") if m else []):
                if name.strip() + ".7" not in pages:
                    missing.append(name.strip())
    if "pyinternals.7" not in pages:
        missing.append("pyinternals")
    if missing:
        raise Fail("pages missing: " + ", ".join(missing))


@test
def guide_examples():
    """Every example in the guides runs and shows what CPython prints."""
    with tempfile.TemporaryDirectory() as tmp:
        run([GB, "examples", "--strict", "-o", tmp, "guides/README.md"],
            check=0)
        r = run([sys.executable, os.path.join(TESTS, "run-examples.py"),
                 tmp], timeout=900, environ=env(PYTHON=PYTHON))
        out = r.stdout.decode()
        if r.returncode != 0:
            raise Fail(out[-6000:])
        return out.rstrip("\n").splitlines()[-1]
