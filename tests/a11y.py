#!/usr/bin/env python3
"""Ace by DAISY on built EPUBs: fails on any violation.

usage: a11y.py [-o OUTDIR] BOOK.epub...

Each book is checked by ace-cli (the version of tests/package-lock.json,
run by make check-a11y with Debian's chromium).  Any failed assertion,
whatever its impact, is a violation: the book claims EPUB Accessibility
1.1 conformance (dcterms:conformsTo) and that claim stands only while
this passes.  The report must also show that every document of the
spine was checked and that Ace read the conformance claim and its
evaluator.  Before the books, a copy of the smallest one is broken on
purpose (no language, no alt text, no summary) and Ace must find each
fault, so the check cannot pass by checking nothing.  Reports go to
OUTDIR/NAME/report.html (default build/ereader/ace).
Exit status: 0 no violation, 1 violations or a failed check, 2 usage.
"""

import collections
import json
import os
import re
import subprocess
import sys
import tempfile
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NODE_MODULES = os.environ.get("NODE_MODULES_DIR",
                              os.path.join(ROOT, "build", "node",
                                           "node_modules"))
ACE = os.environ.get("ACE", os.path.join(NODE_MODULES, ".bin", "ace-cli"))

# What the broken copy must make Ace report.
SELF_TEST_RULES = {"html-has-lang", "image-alt",
                   "metadata-accessibilitysummary"}


class Fail(Exception):
    pass


def opf_name(z):
    container = z.read("META-INF/container.xml").decode("utf-8")
    m = re.search(r'full-path="([^"]+)"', container)
    if not m:
        raise Fail("no rootfile in META-INF/container.xml")
    return m.group(1)


def spine_docs(z):
    """Names (relative to the package document) of the spine's pages."""
    opf = z.read(opf_name(z)).decode("utf-8")
    items = {}
    for tag in re.findall(r"<item\b[^>]*>", opf):
        a = dict(re.findall(r'([\w:-]+)="([^"]*)"', tag))
        items[a.get("id")] = a.get("href")
    return [items[i] for i in re.findall(r'<itemref\b[^>]*idref="([^"]+)"',
                                         opf)]


def run_ace(epub, outdir):
    env = dict(os.environ)
    env.setdefault("PUPPETEER_SKIP_DOWNLOAD", "1")
    env.setdefault("PUPPETEER_EXECUTABLE_PATH",
                   os.path.join(ROOT, "tests", "chromium.sh"))
    if not os.path.exists(ACE):
        raise Fail("%s not found: run make node-deps" % ACE)
    r = subprocess.run([ACE, "--silent", "--force", "--outdir", outdir,
                        epub], env=env, capture_output=True, timeout=1800)
    report = os.path.join(outdir, "report.json")
    if r.returncode != 0 or not os.path.exists(report):
        raise Fail("ace exited %d on %s:\n%s" % (
            r.returncode, epub, (r.stdout + r.stderr).decode(
                "utf-8", "replace")[-3000:]))
    with open(report, encoding="utf-8") as f:
        return json.load(f)


def violations(report):
    """[(rule, impact, document, message)] of every failed assertion."""
    out = []
    for group in report.get("assertions", []):
        doc = group.get("earl:testSubject", {}).get("url", "?")
        for a in group.get("assertions", []):
            if a.get("earl:result", {}).get("earl:outcome") != "fail":
                continue
            test = a.get("earl:test", {})
            out.append((test.get("dct:title", "?"),
                        test.get("earl:impact", "?"), doc,
                        a["earl:result"].get("dct:description", "")))
    return out


def checked_docs(report):
    return {g.get("earl:testSubject", {}).get("url")
            for g in report.get("assertions", [])}


def check_book(epub, outdir):
    """Problems found in one book (strings); prints its summary."""
    name = os.path.splitext(os.path.basename(epub))[0]
    report = run_ace(epub, os.path.join(outdir, name))
    problems = []
    found = violations(report)
    by_rule = collections.Counter((v[0], v[1]) for v in found)
    for (rule, impact), n in sorted(by_rule.items()):
        problems.append("%s: %d x %s (%s)" % (name, n, rule, impact))
    for rule, impact, doc, msg in found[:30]:
        problems.append("%s: %s in %s: %s" % (name, rule, doc,
                                              " ".join(msg.split())[:200]))
    with zipfile.ZipFile(epub) as z:
        docs = spine_docs(z)
        opf = z.read(opf_name(z)).decode("utf-8")
    missed = [d for d in docs if d not in checked_docs(report)]
    if missed:
        problems.append("%s: Ace did not check %s" % (name,
                                                      ", ".join(missed)))
    if report.get("earl:result", {}).get("earl:outcome") != "pass" and \
            not found:
        problems.append("%s: Ace's outcome is not pass" % name)
    meta = report.get("a11y-metadata", {}).get("present", [])
    if 'property="dcterms:conformsTo"' in opf:
        for want in ("dcterms:conformsTo", "a11y:certifiedBy"):
            if want not in meta:
                problems.append("%s: Ace did not find %s" % (name, want))
    print("a11y: %s: %d documents checked, %d violations%s" % (
        name, len(docs), len(found),
        "" if found else ", conformance claim stands"
        if "dcterms:conformsTo" in meta else ""))
    return problems


def break_copy(epub, dest):
    """A copy of epub with faults Ace must find (SELF_TEST_RULES)."""
    with zipfile.ZipFile(epub) as z, zipfile.ZipFile(dest, "w") as out:
        base = os.path.dirname(opf_name(z))
        docs = [os.path.join(base, d) for d in spine_docs(z)]
        target = next((d for d in docs if b"<img" in z.read(d)), docs[0])
        for info in z.infolist():
            data = z.read(info.filename)
            if info.filename == target:
                data = re.sub(rb'\s(?:xml:)?lang="[^"]*"', b"", data)
                data = re.sub(rb'\salt="[^"]*"', b"", data)
                if b"<img" not in data:
                    data = data.replace(b"</body>", b'<p><img src="x.png"'
                                        b'/></p></body>')
            elif info.filename == opf_name(z):
                data = re.sub(rb'<meta property="schema:accessibility'
                              rb'Summary">[^<]*</meta>', b"", data)
            method = zipfile.ZIP_STORED if info.filename == "mimetype" \
                else zipfile.ZIP_DEFLATED
            out.writestr(info, data, compress_type=method)


def self_test(epub, outdir):
    with tempfile.TemporaryDirectory() as tmp:
        broken = os.path.join(tmp, "self-test.epub")
        break_copy(epub, broken)
        report = run_ace(broken, os.path.join(outdir, "self-test"))
    rules = {v[0] for v in violations(report)}
    missing = SELF_TEST_RULES - rules
    if missing:
        raise Fail("self-test: Ace missed %s in a broken copy of %s "
                   "(it found: %s)" % (", ".join(sorted(missing)), epub,
                                       ", ".join(sorted(rules)) or "nothing"))
    print("a11y: self-test: Ace found %s in a broken copy" %
          ", ".join(sorted(SELF_TEST_RULES)))


def main(argv):
    outdir = os.path.join(ROOT, "build", "ereader", "ace")
    if argv[:1] == ["-o"]:
        if len(argv) < 2:
            argv = []
        else:
            outdir, argv = argv[1], argv[2:]
    if not argv or any(a.startswith("-") for a in argv):
        sys.stderr.write("usage: a11y.py [-o OUTDIR] BOOK.epub...\n")
        return 2
    problems = []
    try:
        self_test(min(argv, key=os.path.getsize), outdir)
        for epub in argv:
            problems += check_book(epub, outdir)
    except Fail as e:
        problems.append(str(e))
    for p in problems:
        print("FAIL " + p)
    print("a11y: %d book%s, %s; reports in %s" % (
        len(argv), "" if len(argv) == 1 else "s",
        "%d problems" % len(problems) if problems else "no violation",
        os.path.relpath(outdir)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
