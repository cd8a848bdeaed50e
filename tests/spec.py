#!/usr/bin/env python3
"""guidebook render -t xhtml against cmark on the CommonMark spec.

usage: spec.py [--guidebook PATH] [--cmark PATH] [-v] SPEC.txt

Every example of the spec (spec.txt of the npm package commonmark-spec)
goes through `guidebook render -t xhtml` and through cmark's own HTML
renderer.  Every output must be well-formed XML.  Outside the sections
on raw HTML, the two must agree once what is guidebook's on purpose is
set aside: ids and classes, XHTML spelling (<br/>), the document around
the body, and white space between blocks.  At least 99 in 100 must
agree.  -v prints each difference.

The last line is "N passed, N failed" (passed: the share was met and
every output was well-formed).
"""

import argparse
import html.parser
import os
import re
import subprocess
import sys
import xml.dom.minidom
from xml.parsers.expat import ExpatError

RAW_HTML_SECTIONS = {"HTML blocks", "Raw HTML"}
DROP_ATTRS = {"id", "class", "lang", "xml:lang"}
BLOCK = {"p", "pre", "blockquote", "ul", "ol", "li", "h1", "h2", "h3",
         "h4", "h5", "h6", "hr", "table", "thead", "tbody", "tr", "th",
         "td", "div", "section", "figure", "figcaption", "aside", "nav"}


def examples(path):
    """(number, section, markdown, html) for every example of spec.txt."""
    fence = "`" * 32
    section = ""
    out = []
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        m = re.match(r"#{1,6} +(.*)", line)
        if m:
            section = m.group(1).strip()
        if line.startswith(fence + " example"):
            md, html_ = [], []
            i += 1
            while lines[i] != ".":
                md.append(lines[i])
                i += 1
            i += 1
            while not lines[i].startswith(fence):
                html_.append(lines[i])
                i += 1
            text = lambda ls: ("\n".join(ls) + "\n" if ls else "").replace(
                "\u2192", "\t")
            out.append((len(out) + 1, section, text(md), text(html_)))
        i += 1
    return out


VOID = {"br", "hr", "img", "input", "wbr", "meta", "link"}


class Canon(html.parser.HTMLParser):
    """A canonical token list of an HTML fragment.  An inline element
    left open is closed where its block ends, as an HTML parser closes
    it (XHTML must spell that out)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tokens = []
        self.pre = 0
        self.open = []

    def handle_starttag(self, tag, attrs):
        if tag == "span":
            return                      # highlighting
        if tag == "pre":
            self.pre += 1
        kept = sorted((k, v or "") for k, v in attrs if k not in DROP_ATTRS
                      and not (k == "alt" and not v))
        self.tokens.append(("<", tag, tuple(kept)))
        if tag not in VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag != "span" and tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag == "span" or tag in VOID:
            return
        if tag == "pre":
            self.pre -= 1
        if tag in self.open:
            while self.open and self.open[-1] != tag:
                self.tokens.append((">", self.open.pop()))
            self.open.pop()
        self.tokens.append((">", tag))

    def handle_data(self, data):
        if not self.pre:
            data = re.sub(r"\s+", " ", data)
        if self.tokens and self.tokens[-1][0] == "t":
            self.tokens[-1] = ("t", self.tokens[-1][1] + data)
        else:
            self.tokens.append(("t", data))

    def result(self):
        # What is still open ends with the fragment.
        while self.open:
            self.tokens.append((">", self.open.pop()))
        # Blank text next to a block boundary is layout, not content;
        # so is blank text at the ends of a block's text.
        toks = self.tokens
        out = []
        for k, t in enumerate(toks):
            if t[0] == "t" and not self.in_pre(toks, k):
                prev = toks[k - 1] if k else None
                nxt = toks[k + 1] if k + 1 < len(toks) else None
                s = t[1]
                if prev is None or prev[1] in BLOCK:
                    s = s.lstrip()
                if nxt is None or nxt[1] in BLOCK:
                    s = s.rstrip()
                if s == "":
                    continue
                t = ("t", s)
            out.append(t)
        return out

    @staticmethod
    def in_pre(toks, k):
        depth = 0
        for t in toks[:k]:
            if t[1] == "pre":
                depth += 1 if t[0] == "<" else -1
        return depth > 0


def canon(fragment):
    p = Canon()
    p.feed(fragment)
    p.close()
    return p.result()


def body(xhtml):
    m = re.search(r"<body>(.*)</body>", xhtml, re.S)
    return m.group(1) if m else ""


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("spec")
    ap.add_argument("--guidebook", default=os.path.join(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
        "guidebook"))
    ap.add_argument("--cmark", default="cmark")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()

    exs = examples(args.spec)
    same = compared = 0
    malformed = []
    differ = []
    for num, section, md, _ in exs:
        r = subprocess.run([args.guidebook, "render", "-t", "xhtml"],
                           input=md.encode(), capture_output=True)
        if r.returncode not in (0, 1) or r.stdout == b"":
            malformed.append((num, "exit %d: %s" % (
                r.returncode, r.stderr.decode(errors="replace")[-300:])))
            continue
        out = r.stdout.decode("utf-8")
        try:
            xml.dom.minidom.parseString(r.stdout)
        except ExpatError as e:
            malformed.append((num, str(e)))
        if section in RAW_HTML_SECTIONS:
            continue
        ref = subprocess.run([args.cmark, "--unsafe", "--to", "html"],
                             input=md.encode(),
                             capture_output=True, check=True).stdout.decode()
        compared += 1
        a, b = canon(body(out)), canon(ref)
        if a == b:
            same += 1
        else:
            differ.append((num, section, md, ref, body(out)))
    for num, section, md, ref, ours in differ:
        print("differs: example %d (%s)" % (num, section))
        if args.verbose:
            print("  markdown: %r\n  cmark:    %r\n  ours:     %r" % (
                md, ref, ours.strip()))
    for num, why in malformed:
        print("not well-formed: example %d: %s" % (num, why))
    share = same / compared if compared else 0
    print("%d examples; %d of %d outside raw HTML render as cmark does "
          "(%.1f%%); %d well-formed" % (len(exs), same, compared,
                                        100 * share,
                                        len(exs) - len(malformed)))
    ok = share >= 0.99 and not malformed
    print("%d passed, %d failed" % (int(ok), int(not ok)))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
