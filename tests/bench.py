#!/usr/bin/env python3
"""make bench: guidebook against pandoc, lowdown and cmark.

usage: bench.py [--quick] [--rounds N] [--scales 1,4,16,64] [--big N]
                [--pandoc-max N] [--no-callgrind] [--only-generate]
                [--guidebook PATH]

A benchmark, not a test: it never fails because the machine is slow.
It exits non-zero only when a tool fails or guidebook writes nothing.

Inputs (generated under build/bench/, never committed):
  real     guides/README.md and the ten guides, as they are;
  x1..x64  the guides repeated N times (the scaling series);
  big      the guides repeated --big times (50: 500 chapters).
A generated book is a real book: an index in guides/README.md format
whose parts list every repetition's ten chapters, each copy renamed
(r007-gil-and-threading.md), with a unique man name in its front matter
(pyinternals-gil-r007) and its links to other guides rewritten to the
copies of the same repetition, so that it builds with --strict.

The other tools read one file per book, all.md: the index and the
chapters concatenated in reading order, front matter removed (they
would render it as text).  They write to /dev/null, in one process;
guidebook writes the EPUB or one file per man page.  Both choices
favour the other tools.  pandoc (about a minute per copy of the guides)
runs on the real book only unless --pandoc-max says otherwise.

Each command: peak resident memory from /usr/bin/time -v (median of
several runs), then wall and CPU time from hyperfine in interleaved
rounds (every tool of a book once per round, so that load from other
jobs on the machine falls on all of them alike); the median wall time
of all runs and the mean CPU time (user+sys) over all runs are
reported.  Last, valgrind --tool=callgrind counts the
instructions of each tool but pandoc on the real book: the one number
here that does not depend on the load of the machine.  Results:
dist/bench.md, dist/bench-time.png, dist/bench-memory.png and
build/bench/results.json (the profiles: build/bench/callgrind.*.out).
"""

import argparse
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK = os.path.join(ROOT, "build", "bench")
DIST = os.path.join(ROOT, "dist")
GUIDES = os.path.join(ROOT, "guides")

MB = 1e6
MEM_JUDGED = 8 * MB     # books judged by the memory goal (see goals())

# Every tool measured, in table order, with its label.
TOOLS = [
    ("guidebook-epub", "guidebook epub"),
    ("guidebook-man", "guidebook man"),
    ("guidebook-epub-j1", "guidebook epub -j1"),
    ("guidebook-man-j1", "guidebook man -j1"),
    ("pandoc-epub", "pandoc -t epub"),
    ("pandoc-man", "pandoc -t man"),
    ("lowdown-man", "lowdown -Tman"),
    ("cmark-man", "cmark -t man"),
    ("cmark-html", "cmark (HTML)"),
]
LABEL = dict(TOOLS)

FM_RE = re.compile(r"\A---[ \t]*\n.*?\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)",
                   re.S)


def log(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


def die(msg):
    log("error: " + msg)
    sys.exit(1)


# ---------------------------------------------------------------- inputs

def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def split_fm(text):
    """(front matter lines as a list, body)."""
    m = FM_RE.match(text)
    if not m:
        return [], text
    lines = m.group(0).splitlines()[1:-1]
    return lines, text[m.end():]


def index_chapters(guidebook, index):
    """The chapter files the index lists, in order, relative to its
    directory, as guidebook reads them (guidebook list)."""
    r = subprocess.run([guidebook, "list", index], capture_output=True,
                       text=True)
    if r.returncode != 0:
        die("guidebook list %s: %s" % (index, r.stderr.strip()))
    return [os.path.relpath(p, os.path.dirname(index))
            for p in r.stdout.splitlines()[1:]]


def rewrite_links(text, names, prefix):
    """Links to any chapter in names go to the prefixed copy."""
    alt = "|".join(re.escape(n) for n in names)
    # Inline links and reference definitions: "](x.md", "]: x.md".
    text = re.sub(r"(\]\(\s*<?)(%s)(?=[#)>\s?])" % alt,
                  lambda m: m.group(1) + prefix + m.group(2), text)
    text = re.sub(r"^( {0,3}\[[^]]+\]:\s*<?)(%s)(?=[#>\s]|$)" % alt,
                  lambda m: m.group(1) + prefix + m.group(2), text,
                  flags=re.M)
    return text


def fm_rename(lines, suffix):
    """man and aliases get suffix, so every page name stays unique."""
    out = []
    for line in lines:
        m = re.match(r"(\s*)(man|aliases)(\s*:\s*)(.*)$", line)
        if m:
            vals = [v.strip() for v in m.group(4).split(",") if v.strip()]
            line = m.group(1) + m.group(2) + m.group(3) + ", ".join(
                v + suffix for v in vals)
        out.append(line)
    return out


def fm_text(lines):
    return "---\n" + "".join(l + "\n" for l in lines) + "---\n" if lines \
        else ""


def concat(index_body, chapter_bodies):
    """all.md: what the other tools read."""
    parts = [index_body.strip("\n")]
    parts += [b.strip("\n") for b in chapter_bodies]
    return "\n\n".join(parts) + "\n"


class Book:
    """One input: its index, all.md and size in bytes."""

    def __init__(self, name, index, allmd, nbytes, nchapters, reps,
                 title):
        self.name = name
        self.index = index
        self.allmd = allmd
        self.bytes = nbytes
        self.chapters = nchapters
        self.reps = reps
        self.title = title


def load_real(guidebook):
    index = os.path.join(GUIDES, "README.md")
    fm, body = split_fm(read(index))
    names = index_chapters(guidebook, index)
    bodies = [split_fm(read(os.path.join(GUIDES, n)))[1] for n in names]
    allmd = os.path.join(WORK, "real", "all.md")
    write(allmd, concat(body, bodies))
    nbytes = os.path.getsize(index) + sum(
        os.path.getsize(os.path.join(GUIDES, n)) for n in names)
    return Book("real", index, allmd, nbytes, len(names), 1,
                title_of(fm, body)), fm, body, names


def title_of(fm, body):
    for line in fm:
        m = re.match(r"\s*title\s*:\s*(.*)$", line)
        if m:
            return m.group(1).strip().strip("\"'")
    m = re.search(r"^# +(.*)$", body, re.M)
    return m.group(1).strip() if m else "Book"


def generate(name, reps, fm, body, names):
    """The guides repeated reps times, as a book under WORK/name."""
    d = os.path.join(WORK, name)
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    width = max(3, len(str(reps)))
    chapters = {n: read(os.path.join(GUIDES, n)) for n in names}

    # The index: its front matter (file paths fixed), the prose before
    # the first part once, then every part once per repetition.
    ifm = []
    for line in fm:
        m = re.match(r"(\s*(?:stylesheet|cover)\s*:\s*)(.*)$", line)
        if m:
            css = os.path.normpath(os.path.join(GUIDES, m.group(2).strip()))
            line = m.group(1) + os.path.relpath(css, d)
        ifm.append(line)
    lines = body.splitlines(True)
    first_item = next(i for i, l in enumerate(lines)
                      if re.match(r" *[-*+] *\[[^]]*\]\([^)]*\.md", l))
    start = max(i for i in range(first_item)
                if re.match(r"#{2,6} ", lines[i]))
    intro = "".join(lines[:start])
    partsrc = "".join(lines[start:])

    out_index = [fm_text(ifm), rewrite_links(intro, names,
                                             "r%0*d-" % (width, 1))]
    bodies = []
    files = [os.path.join(d, "README.md")]
    for r in range(1, reps + 1):
        prefix = "r%0*d-" % (width, r)
        part = rewrite_links(partsrc, names, prefix)
        part = re.sub(r"^(#{2,6} .*?)[ \t]*$", r"\1 (copy %d)" % r, part,
                      flags=re.M)
        out_index.append(part.rstrip("\n") + "\n\n")
        for n in names:
            cfm, cbody = split_fm(chapters[n])
            cbody = rewrite_links(cbody, names, prefix)
            path = os.path.join(d, prefix + n)
            write(path, fm_text(fm_rename(cfm, "-" + prefix[:-1])) + cbody)
            files.append(path)
            bodies.append(cbody)
    index_text = "".join(out_index)
    write(files[0], index_text)
    allmd = os.path.join(d, "all.md")
    write(allmd, concat(split_fm(index_text)[1], bodies))
    nbytes = sum(os.path.getsize(f) for f in files)
    return Book(name, files[0], allmd, nbytes, reps * len(names), reps,
                title_of(fm, body))


# ----------------------------------------------------------- measurement

def commands(book, gb, out):
    o = os.path.join(out, book.name)
    t = "title=" + book.title
    return {
        "guidebook-epub": [gb, "epub", "--strict", "-o", o + ".epub",
                           book.index],
        "guidebook-man": [gb, "man", "--strict", "-o", o + "-man",
                          book.index],
        "guidebook-epub-j1": [gb, "epub", "--strict", "-j1", "-o",
                              o + "-j1.epub", book.index],
        "guidebook-man-j1": [gb, "man", "--strict", "-j1", "-o",
                             o + "-j1-man", book.index],
        "pandoc-epub": ["pandoc", "-f", "commonmark", "--metadata", t,
                        "-o", o + "-pandoc.epub", book.allmd],
        "pandoc-man": ["pandoc", "-f", "commonmark", "-s", "-t", "man",
                       "--metadata", t, book.allmd],
        "lowdown-man": ["lowdown", "-s", "-Tman", book.allmd],
        "cmark-man": ["cmark", "-t", "man", book.allmd],
        "cmark-html": ["cmark", book.allmd],
    }


def time_v(cmd):
    """One run under /usr/bin/time -v: (wall s, user+sys s, peak RSS KB).

    The CPU time is the command's own (time(1) reads it from wait4(2)),
    in hundredths of a second: only good enough to plan the runs.
    """
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        r = subprocess.run(["/usr/bin/time", "-v", "-o", tf.name] + cmd,
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE)
        if r.returncode != 0:
            die("%s exited %d:\n%s" % (shlex.join(cmd), r.returncode,
                                       r.stderr.decode()[-2000:]))
        v = {}
        for line in tf.read().splitlines():
            key, _, val = line.strip().rpartition(": ")
            v[key] = val
    wall = 0.0
    for part in v["Elapsed (wall clock) time (h:mm:ss or m:ss)"].split(":"):
        wall = wall * 60 + float(part)
    cpu = float(v["User time (seconds)"]) + float(v["System time (seconds)"])
    return wall, cpu, int(v["Maximum resident set size (kbytes)"])


def hyperfine(cmd, runs, warmup, jsonpath):
    args = ["hyperfine", "-N", "--style", "none", "--runs", str(runs),
            "--warmup", str(warmup), "--export-json", jsonpath,
            shlex.join(cmd)]
    r = subprocess.run(args, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)
    if r.returncode != 0:
        die("hyperfine failed for %s:\n%s" % (shlex.join(cmd),
                                              r.stderr.decode()[-2000:]))
    with open(jsonpath) as f:
        res = json.load(f)["results"][0]
    if any(c != 0 for c in res.get("exit_codes", [])):
        die("%s failed under hyperfine" % shlex.join(cmd))
    # hyperfine reports the mean user and system time of the runs; it
    # reads them from getrusage(2) in microseconds, where time(1) has
    # hundredths of a second (0 for cmark on the real book).
    return res["times"], (res["user"] + res["system"]) * len(res["times"])


def callgrind(name, cmd):
    """Instructions executed by cmd (valgrind --tool=callgrind)."""
    out = os.path.join(WORK, "callgrind.%s.out" % name)
    r = subprocess.run(["valgrind", "--tool=callgrind",
                        "--callgrind-out-file=" + out] + cmd,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    m = re.search(r"I\s+refs:\s+([\d,]+)", r.stderr.decode())
    if r.returncode != 0 or not m:
        die("callgrind failed for %s:\n%s" % (shlex.join(cmd),
                                              r.stderr.decode()[-2000:]))
    return int(m.group(1).replace(",", ""))


def instructions(book, tools, gb):
    """{tool: instructions} on one book; pandoc is left out (hours)."""
    out = os.path.join(WORK, "out")
    os.makedirs(out, exist_ok=True)
    cmds = commands(book, gb, out)
    res = {}
    for t in tools:
        # -j1 runs the same instructions on one thread.
        if not t.startswith("pandoc") and not t.endswith("-j1"):
            res[t] = callgrind(t, cmds[t])
            log("  %-17s %15s instructions" % (t, "{:,}".format(res[t])))
    return res


def measure(book, tools, gb, args):
    """{tool: {wall: [...], cpu_sum: s, rss: [...]}} for one book."""
    out = os.path.join(WORK, "out")
    os.makedirs(out, exist_ok=True)
    cmds = commands(book, gb, out)
    res = {t: {"wall": [], "rss": [], "cmd": shlex.join(cmds[t])}
           for t in tools}
    # Memory.  The first run warms the caches and says how
    # long a run takes; it is dropped unless runs are slow.
    for t in tools:
        first = time_v(cmds[t])
        if first[0] > 5:
            # Slow: the first run counts, and one more.
            samples = [first, time_v(cmds[t])]
        else:
            samples = [time_v(cmds[t]) for _ in range(args.mem_runs)]
        res[t]["est"] = statistics.median(s[0] for s in samples)
        res[t]["cpu_sum"] = 0.0
        res[t]["rss"] = [s[2] for s in samples]
        log("  %-17s %8.3f s  %8.1f MB peak" % (
            t, res[t]["est"], statistics.median(res[t]["rss"]) * 1024 / MB))
    # Wall time: interleaved rounds, the order rotated each round.
    jp = os.path.join(WORK, "hyperfine.json")
    for rnd in range(args.rounds):
        order = tools[rnd % len(tools):] + tools[:rnd % len(tools)]
        for t in order:
            est = max(res[t]["est"], 1e-3)
            runs = int(min(args.max_runs, max(1, args.round_budget / est)))
            warm = 1 if est < 1 else 0
            times, cpu = hyperfine(cmds[t], runs, warm, jp)
            res[t]["wall"] += times
            res[t]["cpu_sum"] += cpu
    for t in tools:
        log("  %-17s %8.3f s  median of %d runs" % (
            t, statistics.median(res[t]["wall"]), len(res[t]["wall"])))
    return res


def check_output(book):
    """guidebook really wrote the book (a failed run is no result)."""
    out = os.path.join(WORK, "out", book.name)
    pages = os.path.join(out + "-man", "man7")
    if not os.path.getsize(out + ".epub") or len(os.listdir(pages)) \
            < book.chapters + 1:
        die("guidebook wrote no EPUB or too few man pages for " + book.name)
    if os.path.exists(out + "-j1.epub"):
        with open(out + ".epub", "rb") as a, open(out + "-j1.epub", "rb") as b:
            if a.read() != b.read():
                die("-j1 wrote another EPUB than -j%d for %s" % (
                    os.cpu_count() or 1, book.name))


# --------------------------------------------------------------- report

def med(xs):
    return statistics.median(xs) if xs else float("nan")


def div(a, b):
    """a / b, or NaN (printed "nan") when b is not a positive number."""
    return a / b if b > 0 else float("nan")


def summarize(book, res):
    rows = {}
    for t, r in res.items():
        wall = med(r["wall"])
        rows[t] = {
            "wall": wall,
            "wall_min": min(r["wall"]),
            "wall_max": max(r["wall"]),
            "runs": len(r["wall"]),
            "cpu": r["cpu_sum"] / len(r["wall"]),
            "rss_kb": med(r["rss"]),
            "mbps": book.bytes / MB / wall,
            "mbps_cpu": div(book.bytes / MB, r["cpu_sum"] / len(r["wall"])),
            "rss_ratio": med(r["rss"]) * 1024 / book.bytes,
            "cmd": r["cmd"],
        }
    return rows


def fmt_time(s):
    if s < 1:
        return "%.1f ms" % (s * 1e3)
    return "%.2f s" % s


def fmt_mb(kb):
    return "%.1f MB" % (kb * 1024 / MB)


def fmt_ratio(x):
    if x >= 100:
        return "%.0f" % x
    if x >= 10:
        return "%.1f" % x
    return "%.2f" % x


def table_book(book, rows):
    out = ["| tool | median wall | (min–max, runs) | CPU user+sys | "
           "peak RSS | RSS ÷ input | MB/s | MB/s of CPU |",
           "|---|--:|--:|--:|--:|--:|--:|--:|"]
    for t, _ in TOOLS:
        if t not in rows:
            continue
        r = rows[t]
        out.append("| %s | %s | %s–%s, %d | %s | %s | %.1f | %.1f | %.1f |"
                   % (LABEL[t], fmt_time(r["wall"]), fmt_time(r["wall_min"]),
                      fmt_time(r["wall_max"]), r["runs"], fmt_time(r["cpu"]),
                      fmt_mb(r["rss_kb"]), r["rss_ratio"], r["mbps"],
                      r["mbps_cpu"]))
    return "\n".join(out)


def table_ratio(rows, key, what):
    names = [t for t, _ in TOOLS if t in rows]
    out = ["%s: row ÷ column (below 1: the row tool is %s)." % (
        what, "faster" if key == "wall" else "smaller"), "",
        "| | " + " | ".join(LABEL[t] for t in names) + " |",
        "|---|" + "--:|" * len(names)]
    for a in names:
        cells = []
        for b in names:
            cells.append("—" if a == b else
                         fmt_ratio(rows[a][key] / rows[b][key]))
        out.append("| **%s** | " % LABEL[a] + " | ".join(cells) + " |")
    return "\n".join(out)


def goal(ok):
    return "**met**" if ok else "**missed**"


def goals(results, books, scales, insns, base_kb):
    out = []
    real = results["real"]

    def have(rows, *ts):
        return all(t in rows for t in ts)

    if have(real, "guidebook-epub", "pandoc-epub"):
        x = real["pandoc-epub"]["wall"] / real["guidebook-epub"]["wall"]
        c = div(real["pandoc-epub"]["cpu"], real["guidebook-epub"]["cpu"])
        out.append("- EPUB at least 50 times faster than pandoc's (real "
                   "book): %s, %.0f× (wall %s against %s; %.0f× in CPU "
                   "time)." % (goal(x >= 50), x,
                               fmt_time(real["guidebook-epub"]["wall"]),
                               fmt_time(real["pandoc-epub"]["wall"]), c))
    lines = []
    ok_all = True
    for name in books:
        rows = results[name]
        if have(rows, "guidebook-man", "lowdown-man"):
            x = rows["guidebook-man"]["wall"] / rows["lowdown-man"]["wall"]
            c = div(rows["guidebook-man"]["cpu"], rows["lowdown-man"]["cpu"])
            ok_all &= x <= 1
            lines.append("%s %.2f× (CPU %.2f×)" % (name, x, c))
    if lines:
        extra = ""
        if "guidebook-man" in insns and "lowdown-man" in insns:
            extra = " Instructions on the real book: %.2f×." % (
                insns["guidebook-man"] / insns["lowdown-man"])
        out.append("- man pages no slower than lowdown (guidebook ÷ "
                   "lowdown, wall): %s; %s.%s" % (goal(ok_all),
                                                  ", ".join(lines), extra))
    lines = []
    ok_all = True
    for name in books:
        rows = results[name]
        if have(rows, "guidebook-epub", "cmark-html"):
            x = rows["guidebook-epub"]["wall"] / rows["cmark-html"]["wall"]
            y = (rows["guidebook-epub"]["wall"] +
                 rows["guidebook-man"]["wall"]) / rows["cmark-html"]["wall"]
            c = div(rows["guidebook-epub"]["cpu"], rows["cmark-html"]["cpu"])
            ok_all &= x <= 2
            lines.append("%s %.2f× (CPU %.2f×; EPUB and man pages "
                         "together %.2f×)" % (name, x, c, y))
    if lines:
        extra = ""
        if "guidebook-epub" in insns and "cmark-html" in insns:
            extra = (" Instructions on the real book: %.2f×; where they "
                     "go is under Instruction counts." % (
                         insns["guidebook-epub"] / insns["cmark-html"]))
        out.append("- the whole book (the EPUB) within twice the "
                   "cmark-to-HTML floor (guidebook ÷ cmark, wall): %s; "
                   "%s.%s" % (goal(ok_all), ", ".join(lines), extra))
    lines = []
    for name in books:
        rows = results[name]
        for t in ("guidebook-epub", "guidebook-man"):
            if have(rows, t, t + "-j1"):
                lines.append("%s %s %.2f×" % (
                    name, t.split("-")[1],
                    rows[t + "-j1"]["wall"] / rows[t]["wall"]))
    if lines:
        out.append("- what the threads buy (wall time of `-j1` ÷ the "
                   "default `-j%d`; above 1: the threads pay): %s." % (
                       os.cpu_count() or 1, ", ".join(lines)))
    if len(scales) >= 2:
        lo, hi = "x%d" % scales[0], "x%d" % scales[-1]
        k = scales[-1] // scales[0]
        limit = 70 * k / 64
        size = books[hi].bytes / books[lo].bytes
        lines = []
        ok_all = True
        for t in ("guidebook-epub", "guidebook-man"):
            if not have(results[lo], t) or not have(results[hi], t):
                continue
            a, b = results[lo][t], results[hi][t]
            xt = b["wall"] / a["wall"]
            xc = div(b["cpu"], a["cpu"])
            xm = b["rss_kb"] / a["rss_kb"]
            ok_all &= xt <= limit and xm <= limit
            lines.append("%s: time %.1f× (CPU %.1f×), memory %.1f×"
                         % (LABEL[t], xt, xc, xm))
        ctx = []
        for t in ("cmark-html", "lowdown-man"):
            if have(results[lo], t) and have(results[hi], t):
                ctx.append("%s time %.1f×, memory %.1f×" % (
                    LABEL[t], results[hi][t]["wall"] / results[lo][t]["wall"],
                    results[hi][t]["rss_kb"] / results[lo][t]["rss_kb"]))
        out.append("- time and memory linear, %d× the input (%.1f× the "
                   "bytes) at most %.1f× the cost: %s; %s. For comparison, "
                   "on the same machine: %s." % (
                       k, size, limit, goal(ok_all), "; ".join(lines),
                       "; ".join(ctx)))
    # Below MEM_JUDGED the fixed costs dominate the ratio: the bare
    # process (base_kb) and one load window's trees (book.c keeps the
    # trees of about 1 MiB of Markdown at a time, some 7 MB).
    lines = []
    ok_all, judged = True, False
    for name in books:
        rows = results[name]
        for t in ("guidebook-epub", "guidebook-man"):
            if t in rows:
                x = rows[t]["rss_ratio"]
                if books[name].bytes >= MEM_JUDGED:
                    ok_all &= x < 5
                    judged = True
                lines.append("%s %s %.1f×" % (name, t.split("-")[1], x))
    if lines and not judged:
        out.append("- peak memory under 5 times the input: not judged, "
                   "no book of %d MB or more; %s." % (
                       MEM_JUDGED / MB, ", ".join(lines)))
    elif lines:
        out.append("- peak memory under 5 times the input (peak RSS ÷ "
                   "Markdown bytes; judged on books of %d MB and more, "
                   "since below that the %.1f MB a bare `guidebook "
                   "--version` takes and the trees of one 1 MiB load "
                   "window dominate): %s; %s." % (
                       MEM_JUDGED / MB, base_kb * 1024 / MB, goal(ok_all),
                       ", ".join(lines)))
    return "\n".join(out)


def plot(series, tools, scales, books):
    """bench-time.png and bench-memory.png with gnuplot."""
    dat = os.path.join(WORK, "scaling.dat")
    with open(dat, "w") as f:
        for t in tools:
            f.write("# %s\n" % t)
            for s in scales:
                r = series["x%d" % s].get(t)
                if r:
                    f.write("%.6f %.6f %.3f\n" % (
                        books["x%d" % s].bytes / MB, r["wall"],
                        r["rss_kb"] * 1024 / MB))
            f.write("\n\n")
    term = "pngcairo size 900,600 font ',10'"
    probe = subprocess.run(["gnuplot", "-e", "set terminal pngcairo"],
                           capture_output=True)
    if probe.returncode != 0 or probe.stderr:
        term = "png size 900,600"
    for what, col, ylabel, png in (
            ("time", 2, "median wall time (s)", "bench-time.png"),
            ("memory", 3, "peak resident memory (MB)", "bench-memory.png")):
        plots = ", ".join(
            "'%s' index %d using 1:%d with linespoints lw 2 title '%s'" % (
                dat, i, col, LABEL[t]) for i, t in enumerate(tools))
        if what == "memory":
            plots += ", 5 * x with lines dt 2 lc 'gray' title 'goal: 5 × input'"
        script = "\n".join([
            "set terminal %s" % term,
            "set output '%s'" % os.path.join(DIST, png),
            "set title 'guidebook and others: %s against input size'" % what,
            "set xlabel 'input (MB of Markdown)'",
            "set ylabel '%s'" % ylabel,
            "set logscale xy",
            "set key top left",
            "set grid",
            "plot " + plots, ""])
        r = subprocess.run(["gnuplot"], input=script.encode(),
                           capture_output=True)
        if r.returncode != 0:
            die("gnuplot: " + r.stderr.decode())


def machine():
    model = "unknown CPU"
    try:
        for line in read("/proc/cpuinfo").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return "%s, %d cores, %s" % (model, os.cpu_count() or 0,
                                 platform.platform())


def loadavg():
    try:
        return " ".join(read("/proc/loadavg").split()[:3])
    except OSError:
        return "?"


def version(cmd):
    try:
        r = subprocess.run(cmd, capture_output=True, text=True)
        return (r.stdout or r.stderr).strip().splitlines()[0]
    except (OSError, IndexError):
        return "not installed"


def dpkg_version(pkg):
    r = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", pkg],
                       capture_output=True, text=True)
    return r.stdout.strip() or "?"


# Stages of a guidebook epub run, as (label, function, depth): the
# inclusive instructions of the function, nested under the stage above
# it with a smaller depth.
STAGES = (
    ("reading the book (`book_load`)", "book_load", 0),
    ("parsing Markdown with libcmark (`tree_parse`)", "tree_parse", 1),
    ("the back-of-book index (`bookindex_chapter`)", "bookindex_chapter", 1),
    ("making and packing the pages (`pack_job`)", "pack_job", 0),
    ("building XHTML trees in libxml2 (`xhtml_render`)", "xhtml_render", 1),
    ("highlighting code (`highlight`)", "highlight", 2),
    ("writing XHTML text (`xhtml_serialize`)", "xhtml_serialize", 1),
    ("freeing the trees (`xmlFreeDoc`)", "xmlFreeDoc", 1),
    ("compressing with zlib (`deflate`)", "deflate", 1),
)
ANNOTATE_LINE = re.compile(r"^\s*([\d,]+) \(\s*[\d.]+%\)\s+(\S+)")


def annotate(path, inclusive):
    """{function: instructions} from callgrind_annotate; a function
    listed under several files keeps its largest count."""
    r = subprocess.run(["callgrind_annotate", "--threshold=100",
                        "--inclusive=" + ("yes" if inclusive else "no"),
                        path], capture_output=True, text=True)
    if r.returncode != 0:
        return {}
    counts = {}
    for line in r.stdout.splitlines():
        m = ANNOTATE_LINE.match(line)
        if not m or ":" not in m.group(2):
            continue
        where, fn = m.group(2).rsplit(":", 1)
        n = int(m.group(1).replace(",", ""))
        key = (fn, "malloc.c" in where)
        counts[key] = max(counts.get(key, 0), n)
    return counts


def stage_counts(path):
    """[(label, depth, instructions or None)] for STAGES, and glibc's
    malloc and free instructions, from one guidebook epub profile."""
    incl = annotate(path, True)
    excl = annotate(path, False)
    rows = []
    for label, fn, depth in STAGES:
        n = max(incl.get((fn, False), 0), incl.get((fn, True), 0))
        rows.append((label, depth, n or None))
    heap = sum(n for (fn, in_malloc), n in excl.items() if in_malloc)
    return rows, heap


def breakdown(insns, path=None):
    """Markdown lines: where guidebook epub's instructions go on the
    real book, from the profile callgrind left; [] without one."""
    path = path or os.path.join(WORK, "callgrind.guidebook-epub.out")
    if "guidebook-epub" not in insns or not os.path.exists(path):
        return []
    rows, heap = stage_counts(path)
    total = insns["guidebook-epub"]
    floor = insns.get("cmark-html")
    out = ["Where guidebook epub's instructions go on the real book "
           "(inclusive counts from the profile above; a stage marked ↳ "
           "is part of the nearest one above it with one ↳ fewer). For scale, cmark's whole "
           "HTML run is %s." % ("{:,}".format(floor) if floor else "—"), "",
           "| stage | instructions | share | ÷ cmark (HTML) |",
           "|---|--:|--:|--:|"]

    def row(label, n):
        if n is None:
            out.append("| %s | not in the profile | — | — |" % label)
            return
        out.append("| %s | %s | %.1f%% | %s |" % (
            label, "{:,}".format(n), 100.0 * n / total,
            fmt_ratio(n / floor) if floor else "—"))

    for label, depth, n in rows:
        row("↳" * depth + (" " if depth else "") + label, n)
    if heap:
        row("malloc and free, wherever called (glibc's own "
            "instructions)", heap)
    out.append("")
    return out


def report(results, books, meta):
    """dist/bench.md and the plots, from what measure() found."""
    order, scales = meta["order"], meta["scales"]
    insns, base_kb = meta["instructions"], meta["base_kb"]
    md = ["# guidebook benchmark", "",
          "Generated by `make bench` (tests/bench.py) on %s, in %.0f s." % (
              meta["date"], meta["seconds"]), "",
          "- Machine: %s." % meta["machine"],
          "- Load average (1, 5, 15 min) at the start %s, at the end %s. "
          "Other jobs share the machine, so wall times carry noise: the "
          "interleaved rounds spread it over every tool alike, and the "
          "CPU times and instruction counts below are the steadier "
          "numbers." % (meta["load_start"], meta["load_end"]),
          "- Tools: %s." % "; ".join(meta["versions"]),
          "- Wall time: median of all hyperfine runs over %d interleaved "
          "rounds (shell-less, `-N`, a warm-up run per round for commands "
          "under a second). CPU time: user + system, the mean over the "
          "same runs, as hyperfine reads it from getrusage(2); guidebook "
          "`epub` runs on one thread per processor, so its CPU time can "
          "exceed its wall time. Peak RSS: median of `/usr/bin/time -v` "
          "runs. MB/s: the book's "
          "Markdown bytes (index and chapters, 1 MB = 10^6 bytes) ÷ "
          "median wall time (or CPU time)." % meta["rounds"],
          "- guidebook builds with `--strict` and writes its real output "
          "(the EPUB, one file per man page); the others read the same "
          "chapters concatenated into one file (front matter removed) "
          "and write to /dev/null, one process each. pandoc reads "
          "`-f commonmark`.", "", "## Goals", "",
          goals(results, books, scales, insns, base_kb), ""]
    titles = {"real": "The real book",
              "big": "The large book"}
    for name in order:
        b = books[name]
        title = titles.get(name, "Scaling: %d×" % b.reps)
        md += ["## %s (%s)" % (title, name), "",
               "%d chapters, %s of Markdown (%s)." % (
                   b.chapters, "%.2f MB" % (b.bytes / MB),
                   os.path.relpath(b.index, ROOT)), "",
               table_book(b, results[name]), "",
               table_ratio(results[name], "wall", "Time"), "",
               table_ratio(results[name], "rss_kb", "Peak memory"), ""]
    if len(scales) >= 2:
        tools = [t for t, _ in TOOLS if all(
            t in results["x%d" % s] for s in scales)]
        md += ["## Scaling", "",
               "Median wall time and peak RSS against input size; each "
               "cell: time, memory (ratio to the %d× book)." % scales[0],
               "", "| tool | " + " | ".join(
                   "%d× (%.1f MB)" % (s, books["x%d" % s].bytes / MB)
                   for s in scales) + " |",
               "|---|" + "--:|" * len(scales)]
        for t in tools:
            base = results["x%d" % scales[0]][t]
            cells = []
            for s in scales:
                r = results["x%d" % s][t]
                cells.append("%s (%.1f×), %s (%.1f×)" % (
                    fmt_time(r["wall"]), r["wall"] / base["wall"],
                    fmt_mb(r["rss_kb"]), r["rss_kb"] / base["rss_kb"]))
            md.append("| %s | %s |" % (LABEL[t], " | ".join(cells)))
        md += ["", "![time against input size](bench-time.png)", "",
               "![memory against input size](bench-memory.png)", ""]
        plot(results, tools, scales, books)
    if insns:
        rb = books["real"].bytes
        md += ["## Instruction counts", "",
               "`valgrind --tool=callgrind` on the real book: the number "
               "of instructions each tool executes, start-up included. "
               "Unlike wall time it does not depend on the load of the "
               "machine, so it is the number to compare across commits. "
               "The profiles stay in build/bench/callgrind.*.out "
               "(`callgrind_annotate --inclusive=yes FILE`).", "",
               "| tool | instructions | per input byte | ÷ cmark (HTML) "
               "| ÷ lowdown |", "|---|--:|--:|--:|--:|"]
        for t, _ in TOOLS:
            if t in insns:
                md.append("| %s | %s | %.0f | %s | %s |" % (
                    LABEL[t], "{:,}".format(insns[t]), insns[t] / rb,
                    fmt_ratio(insns[t] / insns["cmark-html"])
                    if "cmark-html" in insns else "—",
                    fmt_ratio(insns[t] / insns["lowdown-man"])
                    if "lowdown-man" in insns else "—"))
        md.append("")
        md += breakdown(insns)
    md += ["## Commands", "", "For the real book:", ""]
    for t, _ in TOOLS:
        if t in results["real"]:
            md.append("    " + results["real"][t]["cmd"].replace(
                ROOT + "/", ""))
    md.append("")
    os.makedirs(DIST, exist_ok=True)
    write(os.path.join(DIST, "bench.md"), "\n".join(md))


# ----------------------------------------------------------------- main

def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--guidebook", default=os.path.join(ROOT, "guidebook"))
    p.add_argument("--scales", default="1,4,16,64")
    p.add_argument("--big", type=int, default=50,
                   help="repetitions of the large book (10 chapters each)")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--round-budget", type=float, default=2.0,
                   help="seconds of runs per command and round")
    p.add_argument("--max-runs", type=int, default=10)
    p.add_argument("--mem-runs", type=int, default=3)
    p.add_argument("--pandoc-max", type=int, default=0,
                   help="pandoc always runs on the real book; also on the "
                   "generated books of at most this many copies (it "
                   "takes about a minute a copy)")
    p.add_argument("--quick", action="store_true",
                   help="one round, scales 1 and 4, no large book, no "
                   "pandoc: a smoke test of the harness")
    p.add_argument("--no-callgrind", action="store_true",
                   help="skip the instruction counts")
    p.add_argument("--only-generate", action="store_true")
    p.add_argument("--report-only", action="store_true",
                   help="rewrite dist/bench.md and the plots from the "
                   "last run's build/bench/results.json")
    args = p.parse_args()
    if args.report_only:
        return report_only()
    if args.quick:
        args.scales, args.big, args.rounds = "1,4", 0, 1
        args.mem_runs, args.no_callgrind = 2, True
    scales = sorted(int(s) for s in args.scales.split(",") if s)
    args.guidebook = os.path.abspath(args.guidebook)

    for tool in ("hyperfine", "pandoc", "lowdown", "cmark", "gnuplot") + (
            () if args.no_callgrind else ("valgrind",)):
        if shutil.which(tool) is None:
            die("%s is not installed (make deps)" % tool)
    if not os.access("/usr/bin/time", os.X_OK):
        die("/usr/bin/time is not installed (make deps)")
    if not os.access(args.guidebook, os.X_OK):
        die("%s not built (make guidebook)" % args.guidebook)

    started, load0 = time.time(), loadavg()
    os.makedirs(WORK, exist_ok=True)
    shutil.rmtree(os.path.join(WORK, "out"), ignore_errors=True)
    real, fm, body, names = load_real(args.guidebook)
    books = {"real": real}
    order = ["real"]
    for s in scales:
        books["x%d" % s] = generate("x%d" % s, s, fm, body, names)
        order.append("x%d" % s)
    if args.big:
        books["big"] = generate("big", args.big, fm, body, names)
        order.append("big")
    for n in order:
        log("%s: %d chapters, %.2f MB" % (n, books[n].chapters,
                                          books[n].bytes / MB))
    if args.only_generate:
        return 0

    os.environ.setdefault("SOURCE_DATE_EPOCH", "1767225600")
    results, raw = {}, {}
    for n in order:
        tools = [t for t, _ in TOOLS
                 if not t.startswith("pandoc") or n == "real" or
                 books[n].reps <= args.pandoc_max]
        if args.quick:
            tools = [t for t in tools if not t.startswith("pandoc")]
        log("%s (%.2f MB):" % (n, books[n].bytes / MB))
        raw[n] = measure(books[n], tools, args.guidebook, args)
        check_output(books[n])
        results[n] = summarize(books[n], raw[n])
    base_kb = statistics.median(
        time_v([args.guidebook, "--version"])[2] for _ in range(3))
    insns = {}
    if not args.no_callgrind:
        log("real: instruction counts (callgrind):")
        insns = instructions(books["real"], [t for t, _ in TOOLS],
                             args.guidebook)
    meta = {
        "order": order, "scales": scales, "rounds": args.rounds,
        "instructions": insns, "base_kb": base_kb,
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "seconds": time.time() - started, "machine": machine(),
        "load_start": load0, "load_end": loadavg(),
        "versions": [
            version([args.guidebook, "--version"]),
            version(["pandoc", "--version"]),
            "lowdown " + dpkg_version("lowdown"),
            version(["cmark", "--version"]),
            version(["hyperfine", "--version"])],
    }
    with open(os.path.join(WORK, "results.json"), "w") as f:
        json.dump({"books": {n: vars(b) for n, b in books.items()},
                   "results": results, "meta": meta, "raw": raw}, f,
                  indent=1)
    report(results, books, meta)
    log("wrote dist/bench.md, dist/bench-time.png, dist/bench-memory.png")
    return 0


def report_only():
    """Write the report again from build/bench/results.json."""
    with open(os.path.join(WORK, "results.json")) as f:
        saved = json.load(f)
    books = {}
    for n, b in saved["books"].items():
        books[n] = Book(b["name"], b["index"], b["allmd"], b["bytes"],
                        b["chapters"], b["reps"], b["title"])
    report(saved["results"], books, saved["meta"])
    log("wrote dist/bench.md, dist/bench-time.png, dist/bench-memory.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
