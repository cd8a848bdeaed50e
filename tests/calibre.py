#!/usr/bin/env python3
"""A second engine for the e-reader checks: Calibre.

usage: calibre.py [-o SHOTDIR] [-w WORKDIR] BOOK.epub...

Each book goes through Calibre's ebook-convert to AZW3, the Kindle
format (its log must hold no warning and no error), and to PDF at two
page sizes: a 6-inch e-reader (90 x 120 mm, 14 mm margins) and a phone
(95 x 169 mm, 360 x 640 CSS pixels, 4 mm margins), both at 12 pt.  In
each PDF, read as words with their boxes (pdftotext -bbox):

- every line of every code block is found, row by row, and no row a
  line wraps onto starts at the block's left edge, where it would read
  as a new, dedented statement; neither may a line's first row, should
  a break after its indentation have left that row empty;
- no word lies outside the page's text box, and no document is
  printed smaller than the rest (Chromium shrinks a document that is
  wider than the page: its code columns come out narrower);
- every figure is whole: each word of its drawing on one page, its
  caption's or the one before (a caption that did not fit under its
  drawing is counted, not failed), inside the box.

PNGs of the first page with a wrapped code line and of the first figure
page (pdftoppm) go to SHOTDIR/BOOK/calibre-SIZE/.  Before the books, a
page built to fail (a code line that wraps to the left edge, a word
outside the box, a drawing cut across pages) goes through the same
check, which must find each fault, so the check cannot pass by checking
nothing.

Exit status: 0 no problem, 1 problems found, 2 bad usage or setup.
Environment: EBOOK_CONVERT, PDFTOTEXT, PDFTOPPM name the tools.
"""

import html
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import unicodedata
import xml.etree.ElementTree as ET
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EBOOK_CONVERT = os.environ.get("EBOOK_CONVERT", "ebook-convert")
PDFTOTEXT = os.environ.get("PDFTOTEXT", "pdftotext")
PDFTOPPM = os.environ.get("PDFTOPPM", "pdftoppm")

XHTML = "{http://www.w3.org/1999/xhtml}"
SVG = "{http://www.w3.org/2000/svg}"
PT_PER_MM = 72 / 25.4

# name, page width and height (mm), margin (mm)
SIZES = [
    ("90x120mm", 90, 120, 14),
    ("phone-95x169mm", 95, 169, 4),
]
BASE_FONT_PT = 12

# A word may reach this far (pt) past the text box: glyph boxes are the
# font's, a little taller than the ink.
BOX_SLACK = 1.5

# A log line of ebook-convert that is not progress.
LOG_PROBLEM = re.compile(r"warn|error|fail|invalid|could not|unable|"
                         r"traceback|exception|ignor|skipp|missing|"
                         r"not found|unknown|unsupported|unrecogni",
                         re.I)


class Fail(Exception):
    pass


def nows(s):
    """Text without white space, as compared with the PDF's words."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", s))


def indent_of(line, pycon):
    """Columns of indentation, a prompt counting (as in src/xhtml.c)."""
    i = cols = 0
    if pycon and re.match(r"(?:>>>|\.\.\.)(?: |$)", line):
        i = cols = 4 if line[3:4] == " " else 3
    while i < len(line) and line[i] in " \t":
        cols = cols + 1 if line[i] == " " else (cols // 8 + 1) * 8
        i += 1
    return cols


# The book: code blocks and figures of each document, in reading order.

def spine(z):
    container = ET.fromstring(z.read("META-INF/container.xml"))
    rootfile = container.find(".//{urn:oasis:names:tc:opendocument:xmlns:"
                              "container}rootfile")
    opf_name = rootfile.get("full-path")
    opf = ET.fromstring(z.read(opf_name))
    ns = "{http://www.idpf.org/2007/opf}"
    items = {i.get("id"): i.get("href") for i in opf.iter(ns + "item")}
    base = os.path.dirname(opf_name)
    return [os.path.normpath(os.path.join(base, items[r.get("idref")]))
            for r in opf.iter(ns + "itemref")]


def svg_words(data):
    """The texts of a drawing, one per text element."""
    root = ET.fromstring(data)
    return [t for t in (nows("".join(e.itertext()))
                        for e in root.iter(SVG + "text")) if t]


def doc_items(doc_name, data, read):
    """Code blocks and figures of one XHTML document, in order.
    read(name) gives the bytes of a file of the book."""
    root = ET.fromstring(data)
    out = []
    for el in root.iter():
        if el.tag == XHTML + "pre":
            pycon = "pycon" in (el.get("class") or "").split()
            text = "".join(el.itertext())
            lines = [(ln, indent_of(ln, pycon), nows(ln))
                     for ln in text.split("\n")]
            lines = [x for x in lines if x[2]]
            if lines:
                out.append({"kind": "code", "doc": doc_name,
                            "lines": lines})
        elif el.tag == XHTML + "figure":
            img = el.find(".//" + XHTML + "img")
            svg = el.find(".//" + SVG + "svg")
            cap = el.find(XHTML + "figcaption")
            if (img is None and svg is None) or cap is None:
                continue
            if img is None:		# a drawing in the page itself
                words = svg_words(ET.tostring(svg))
            else:
                src = os.path.normpath(os.path.join(
                    os.path.dirname(doc_name), img.get("src")))
                try:
                    words = svg_words(read(src)) if src.endswith(".svg") \
                        else []
                except (KeyError, OSError, ET.ParseError) as e:
                    raise Fail("%s: figure %s: %s" % (doc_name, src, e))
            out.append({"kind": "figure", "doc": doc_name,
                        "caption": nows("".join(cap.itertext())),
                        "label": " ".join("".join(cap.itertext()).split()),
                        "words": words})
    return out


def book_items(epub):
    with zipfile.ZipFile(epub) as z:
        out = []
        for name in spine(z):
            out += doc_items(name, z.read(name), z.read)
        return out


# The PDF: rows of words, page by page.

def pdf_rows(pdf):
    """(pages, rows): pages as (width, height); rows in reading order,
    each a dict with page, x0, x1, y0, y1, words and nows."""
    r = subprocess.run([PDFTOTEXT, "-bbox", pdf, "-"], capture_output=True)
    if r.returncode != 0:
        raise Fail("pdftotext failed on %s: %s" % (
            pdf, r.stderr.decode("utf-8", "replace")))
    text = r.stdout.decode("utf-8", "replace")
    pages, rows = [], []
    for pm in re.finditer(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)'
                          r"</page>", text, re.S):
        pno = len(pages)
        pages.append((float(pm.group(1)), float(pm.group(2))))
        words = []
        for wm in re.finditer(r'<word xMin="([\d.]+)" yMin="([\d.]+)" '
                              r'xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>',
                              pm.group(3)):
            x0, y0, x1, y1 = (float(wm.group(i)) for i in range(1, 5))
            words.append((y0, x0, x1, y1, html.unescape(wm.group(5))))
        words.sort()
        page_rows = []
        for y0, x0, x1, y1, w in words:
            row = page_rows[-1] if page_rows else None
            if row is not None and min(y1, row["y1"]) - max(y0, row["y0"]) \
                    > 0.5 * min(y1 - y0, row["y1"] - row["y0"]):
                row["words"].append((x0, x1, w))
                row["y0"], row["y1"] = min(row["y0"], y0), max(row["y1"], y1)
            else:
                page_rows.append({"page": pno, "y0": y0, "y1": y1,
                                  "words": [(x0, x1, w)]})
        for row in page_rows:
            row["words"].sort()
            row["x0"] = row["words"][0][0]
            row["x1"] = max(w[1] for w in row["words"])
            row["nows"] = nows("".join(w[2] for w in row["words"]))
        rows += page_rows
    return pages, rows


def consume(rows, i, want):
    """The rows from rows[i] whose text (blanks removed) is exactly
    want, and the index after them; None when they are not."""
    got, used = "", []
    while got != want:
        if i >= len(rows):
            return None
        cand = got + rows[i]["nows"]
        if not want.startswith(cand) or cand == got:
            return None
        got = cand
        used.append(rows[i])
        i += 1
    return used, i


def match_lines(rows, i, lines):
    """Rows of each line when the block starts at rows[i], or None."""
    out = []
    for _, _, want in lines:
        m = consume(rows, i, want)
        if m is None:
            return None
        used, i = m
        out.append(used)
    return out, i


def match_caption(rows, i, caption):
    m = consume(rows, i, caption)
    return None if m is None else m[1]


def check_code(item, found, report):
    """Each wrapped line continues past the block's left edge."""
    widths = [(x1 - x0) / len(w) for rows in found for r in rows
              for x0, x1, w in r["words"] if len(w) >= 2]
    report["lines"] += len(found)
    if not widths:
        return			# one character a line: nothing wraps
    cw = statistics.median(widths)
    report["columns"].setdefault(item["doc"], []).append(cw)
    left = statistics.median(rows[0]["x0"] - n * cw
                             for (_, n, _), rows in zip(item["lines"], found))
    for (line, n, _), rows in zip(item["lines"], found):
        first = (rows[0]["x0"] - left) / cw
        where = "%s p.%d: %r" % (item["doc"], rows[0]["page"] + 1,
                                 line.strip()[:40])
        if n > 0 and first < 0.5:
            report["problems"].append(
                "%s: the line's text starts at the left edge, not at its "
                "indentation (%d columns): a break after the indentation "
                "left its first row empty" % (where, n))
        if len(rows) < 2:
            continue
        report["wrapped"] += 1
        if report["code_page"] is None:
            report["code_page"] = rows[1]["page"]
        for r in rows[1:]:
            col = (r["x0"] - left) / cw
            report["continuations"] += 1
            if col < 0.5:
                report["problems"].append(
                    "%s: a wrapped part starts at the left edge (%r)" %
                    (where, r["nows"][:30]))
            elif col <= n:
                report["short"] += 1


def check_figure(item, rows, i, report):
    """The drawing is whole on one page: its caption's, or the page
    before when the caption did not fit under it."""
    page = rows[i]["page"]
    report["figures"] += 1
    missing = None
    for p in (page, page - 1):
        text = "".join(r["nows"] for r in rows[:i] if r["page"] == p)
        lost = [w for w in item["words"] if w not in text]
        if not lost:
            if p != page:
                report["apart"] += 1
            if report["figure_page"] is None:
                report["figure_page"] = p
            return
        if missing is None:
            missing = lost
    report["problems"].append(
        "%s p.%d: %s is cut: %d of its %d texts are not on one page with "
        "it (%s)" % (item["doc"], page + 1, item["label"][:40], len(missing),
                     len(item["words"]), ", ".join(missing[:3])))


def check_shrunk(report):
    """Chromium prints a document that is wider than the page smaller,
    all of it: its code comes out narrower than the other documents'."""
    per_doc = {d: statistics.median(v) for d, v in report["columns"].items()}
    if not per_doc:
        return
    usual = max(per_doc.values())
    for d, cw in per_doc.items():
        if cw < 0.97 * usual:
            report["problems"].append(
                "%s: printed at %d%% of the size of the rest: something in "
                "it is wider than the page" % (d, round(100 * cw / usual)))


def check_box(pages, rows, margin_pt, report):
    for r in rows:
        w, h = pages[r["page"]]
        lo, hix, hiy = margin_pt - BOX_SLACK, w - margin_pt + BOX_SLACK, \
            h - margin_pt + BOX_SLACK
        if r["x0"] < lo or r["x1"] > hix or r["y0"] < lo or r["y1"] > hiy:
            report["problems"].append(
                "p.%d: text outside the page's text box at x=%.0f..%.0f "
                "y=%.0f..%.0f (box %.0f..%.0f x %.0f..%.0f pt): %r" % (
                    r["page"] + 1, r["x0"], r["x1"], r["y0"], r["y1"],
                    margin_pt, w - margin_pt, margin_pt, h - margin_pt,
                    r["nows"][:30]))


def check_pdf(pdf, items, margin_pt):
    """Problems and counts of one PDF against the book's items."""
    pages, rows = pdf_rows(pdf)
    report = {"pages": len(pages), "blocks": 0, "lines": 0, "wrapped": 0,
              "continuations": 0, "short": 0, "figures": 0, "apart": 0,
              "problems": [], "code_page": None, "figure_page": None,
              "columns": {}}
    check_box(pages, rows, margin_pt, report)
    cur = 0
    for item in items:
        hit = None
        if item["kind"] == "code":
            first = item["lines"][0][2]
            for i in range(cur, len(rows)):
                if rows[i]["nows"] and first.startswith(rows[i]["nows"]):
                    m = match_lines(rows, i, item["lines"])
                    if m is not None:
                        hit = m
                        break
            if hit is None:
                report["problems"].append(
                    "%s: code block not found in the PDF: %r" % (
                        item["doc"], item["lines"][0][0].strip()[:40]))
                continue
            report["blocks"] += 1
            check_code(item, hit[0], report)
            cur = hit[1]
        else:
            for i in range(cur, len(rows)):
                if rows[i]["nows"] and \
                        item["caption"].startswith(rows[i]["nows"]):
                    end = match_caption(rows, i, item["caption"])
                    if end is not None:
                        hit = (i, end)
                        break
            if hit is None:
                report["problems"].append(
                    "%s: figure not found in the PDF: %s" % (
                        item["doc"], item["label"][:40]))
                continue
            check_figure(item, rows, hit[0], report)
            cur = hit[1]
    check_shrunk(report)
    return report


# Calibre.

def calibre_env(workdir):
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    # Calibre's renderer is Chromium (QtWebEngine): no sandbox as root.
    if os.geteuid() == 0:
        env.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")
    env["CALIBRE_CONFIG_DIRECTORY"] = os.path.join(workdir, "calibre-config")
    env["CALIBRE_TEMP_DIR"] = os.path.join(workdir, "calibre-tmp")
    os.makedirs(env["CALIBRE_TEMP_DIR"], exist_ok=True)
    return env


def convert(src, dest, args, env, log):
    r = subprocess.run([EBOOK_CONVERT, src, dest] + args, env=env,
                       capture_output=True, timeout=3600)
    text = (r.stdout + r.stderr).decode("utf-8", "replace")
    with open(log, "w", encoding="utf-8") as f:
        f.write(text)
    if r.returncode != 0 or not os.path.exists(dest):
        raise Fail("ebook-convert %s -> %s exited %d; log in %s:\n%s" % (
            src, dest, r.returncode, log, text[-2000:]))
    return text


def log_problems(text, src, dest):
    """Lines of a conversion log that are not progress."""
    out = []
    for line in text.splitlines():
        s = line.strip()
        if s == "" or s.startswith("on /") or src in s or dest in s:
            continue
        if LOG_PROBLEM.search(s):
            out.append(s)
    return out


def pdf_args(size):
    _, w, h, m = size
    pt = "%.2f" % (m * PT_PER_MM)
    return ["--custom-size", "%dx%d" % (w, h), "--unit", "millimeter",
            "--pdf-page-margin-left", pt, "--pdf-page-margin-right", pt,
            "--pdf-page-margin-top", pt, "--pdf-page-margin-bottom", pt,
            "--base-font-size", str(BASE_FONT_PT)]


def shot(pdf, page, path):
    subprocess.run([PDFTOPPM, "-r", "110", "-f", str(page + 1), "-l",
                    str(page + 1), "-singlefile", "-png", pdf,
                    path[:-len(".png")]], check=True)


def check_book(epub, shotdir, workdir, env, problems, summary):
    name = os.path.splitext(os.path.basename(epub))[0]
    items = book_items(epub)
    work = os.path.join(workdir, name)
    os.makedirs(work, exist_ok=True)

    azw3 = os.path.join(work, name + ".azw3")
    log = convert(epub, azw3, [], env, azw3 + ".log")
    for line in log_problems(log, epub, azw3):
        problems.append("%s azw3: %s" % (name, line))

    for size in SIZES:
        pdf = os.path.join(work, "%s-%s.pdf" % (name, size[0]))
        convert(epub, pdf, pdf_args(size), env, pdf + ".log")
        rep = check_pdf(pdf, items, size[3] * PT_PER_MM)
        for p in rep["problems"]:
            problems.append("%s %s %s" % (name, size[0], p))
        d = os.path.join(shotdir, name, "calibre-" + size[0])
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        for key, what in (("code_page", "code"), ("figure_page", "figure")):
            if rep[key] is not None:
                shot(pdf, rep[key], os.path.join(
                    d, "%s-p%04d.png" % (what, rep[key] + 1)))
        summary.append(
            "%s %s: %d pages, %d code blocks, %d lines, %d wrapped onto "
            "%d more rows (%d not past their own indentation), %d "
            "figures (%d with the caption on the next page)" % (
                name, size[0], rep["pages"], rep["blocks"], rep["lines"],
                rep["wrapped"], rep["continuations"], rep["short"],
                rep["figures"], rep["apart"]))


# The check checks itself on a page built to fail in every way it knows.

# A figure drawn in the page, too tall for one: Calibre scales an image
# to fit its page but cuts a drawing in the page across several.
SELF_TEST_PAGE = """<?xml version="1.0" encoding="UTF-8"?>
<html xmlns="http://www.w3.org/1999/xhtml"><head><title>t</title>
<style>pre { white-space: pre-wrap; }</style></head><body>
<pre><code>def f():
    value = some_function(first_argument, second_argument, third_argument)
</code></pre>
<p style="white-space: nowrap">averylongwordthatcannotwrap_\
averylongwordthatcannotwrap_averylongwordthatcannotwrap</p>
<figure><svg xmlns="http://www.w3.org/2000/svg" width="200" height="2400" \
viewBox="0 0 200 2400"><text x="10" y="20" font-size="14">topword</text>\
<text x="10" y="2390" font-size="14">bottomword</text></svg>
<figcaption>Figure 9.9: too tall</figcaption></figure>
</body></html>
"""


def self_test(workdir, env):
    d = os.path.join(workdir, "self-test")
    os.makedirs(d, exist_ok=True)
    page = os.path.join(d, "page.xhtml")
    with open(page, "w", encoding="utf-8") as f:
        f.write(SELF_TEST_PAGE)
    items = doc_items("page.xhtml", SELF_TEST_PAGE.encode("utf-8"), None)
    size = SIZES[0]
    pdf = os.path.join(d, "page.pdf")
    convert(page, pdf, pdf_args(size), env, pdf + ".log")
    found = check_pdf(pdf, items, size[3] * PT_PER_MM)["problems"]
    want = [r"wrapped part starts at the left edge", r"text outside the "
            r"page's text box", r"Figure 9\.9.* is cut"]
    missed = [w for w in want if not any(re.search(w, p) for p in found)]
    if missed:
        raise Fail("self-test: the check missed %s on a page built to "
                   "fail; it found:\n%s" % (", ".join(missed),
                                            "\n".join(found)))


def main(argv):
    shotdir = os.path.join(ROOT, "dist", "screenshots")
    workdir = None
    while argv and argv[0] in ("-o", "-w"):
        if len(argv) < 2:
            break
        if argv[0] == "-o":
            shotdir = os.path.abspath(argv[1])
        else:
            workdir = os.path.abspath(argv[1])
        argv = argv[2:]
    if not argv or any(a.startswith("-") for a in argv):
        sys.stderr.write("usage: calibre.py [-o SHOTDIR] [-w WORKDIR] "
                         "BOOK.epub...\n")
        return 2
    for tool in (EBOOK_CONVERT, PDFTOTEXT, PDFTOPPM):
        if shutil.which(tool) is None:
            sys.stderr.write("calibre: %s not found (Debian: calibre, "
                             "poppler-utils)\n" % tool)
            return 2
    tmp = None
    if workdir is None:
        workdir = tmp = tempfile.mkdtemp(prefix="calibre-check-")
    else:
        os.makedirs(workdir, exist_ok=True)
    problems, summary = [], []
    try:
        env = calibre_env(workdir)
        self_test(workdir, env)
        for epub in argv:
            check_book(os.path.abspath(epub), shotdir, workdir, env,
                       problems, summary)
    except Fail as e:
        sys.stdout.write("FAIL %s\n" % e)
        return 1
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    for p in problems:
        sys.stdout.write("FAIL %s\n" % p)
    for s in summary:
        sys.stdout.write("calibre: %s\n" % s)
    sys.stdout.write("calibre: %d book%s, %d problem%s; PNGs in %s\n" % (
        len(argv), "" if len(argv) == 1 else "s", len(problems),
        "" if len(problems) == 1 else "s",
        os.path.relpath(shotdir) if shotdir else "."))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
