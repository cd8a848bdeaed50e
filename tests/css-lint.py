#!/usr/bin/env python3
"""Lint an EPUB stylesheet for e-ink readers, phones and old engines.

usage: css-lint.py FILE.css...

The rules of styles/pyinternals.css (its header says why): relative
units only, the reader's font, size and colours respected, nothing that
old engines choke on or that clips code.  Kobo's Adobe engine drops a
whole stylesheet over a syntax error, so the syntax is checked too.
Every finding prints as FILE:LINE: message; the exit status is 1 when
there is any, 2 on bad usage.  The linter tests itself first on a
stylesheet that breaks every rule, so it cannot silently pass.
"""

import re
import sys

ABSOLUTE = re.compile(r"(?<![\w.#-])[-+]?(?:\d+\.?\d*|\.\d+)"
                      r"(px|pt|pc|cm|mm|in|q|rem)\b", re.I)
COLOUR = re.compile(r"#[0-9a-f]{3,8}\b|\b(?:rgba?|hsla?|hwb|lab|lch|"
                    r"oklab|oklch|color)\(|\b(?:white|black|gr[ae]y|"
                    r"silver|red|green|blue|navy|yellow|orange|purple|"
                    r"maroon|teal|olive|aqua|fuchsia|lime|brown|pink)\b",
                    re.I)
VENDOR = re.compile(r"(?:^|[\s,(:])-(?:webkit|moz|ms|o|epub|apple|"
                    r"khtml|adobe)-", re.I)

# (property pattern, value pattern or None for any, message)
DECLARATION_RULES = [
    (r"display", r"\b(?:inline-)?(?:flex|grid)\b",
     "flexbox and grid are not for e-readers"),
    (r"(?:flex|grid)(?:-.*)?|gap|order|align-(?:items|content|self)|"
     r"justify-.*|place-.*", None, "flexbox and grid are not for e-readers"),
    (r"position", r"\b(?:fixed|sticky)\b",
     "positioning breaks paginated readers"),
    (r"columns|column-.*", None, "columns fight the reader's pagination"),
    (r"overflow(?:-[xy])?", r"\b(?:hidden|scroll|auto|clip)\b",
     "overflow that clips or scrolls: code must wrap, never clip"),
    (r"white-space", r"^(?:pre|nowrap)$", "text that cannot wrap"),
    (r"background(?:-.*)?", None,
     "a background: night modes and e-ink need none"),
    (r"color", r"^(?!(?:inherit|currentcolor|transparent)$).*",
     "a forced colour: the reader picks colours"),
    (r"font-family", r"^(?!(?:monospace\s*,\s*)?monospace$).*",
     "a font family other than monospace: the reader picks fonts"),
    (r"font|font-size|line-height", r"\b(?:x*-?small|x*-?large|medium|"
     r"larger|smaller)\b", "a keyword size: use em"),
    (r"--.*", None, "custom properties are not for e-readers"),
    (r"zoom|transform|filter|opacity-.*|mix-blend-mode", None,
     "not for e-readers"),
]
ROOT_SELECTOR = re.compile(r"^(?:html|body|:root|\*)$")

# Absolute positioning only for an empty box drawn inside its element (a
# mark or a rule made of borders): no text can end up out of the flow.
PSEUDO = re.compile(r":(?:before|after)$")
EMPTY_CONTENT = re.compile(r'^(?:none|""(?:\s*/\s*"")?)$')

# One exception each, to one rule in one place, and why.
ALLOWED = {
    ("pre .lead", "white-space"):
        "a code line's indentation and first character: 17 columns at "
        "most (guidebook's CODE_HANG_MAX + 1), kept on one row",
}


def strip_comments(text):
    """Comments out, newlines kept so line numbers stay right."""
    def blank(m):
        return re.sub(r"[^\n]", " ", m.group(0))
    if re.search(r"/\*(?:(?!\*/).)*$", text, re.S):
        return None
    return re.sub(r"/\*.*?\*/", blank, text, flags=re.S)


def check_rule(selector, body, at, name, lineno):
    """Findings for one rule; at is the offset of its body."""
    out = []
    decls = [d.split(":", 1) for d in body.split(";") if ":" in d]
    contents = [" ".join(v.split()) for p, v in decls
                if p.strip().lower() == "content"]
    empty_box = bool(PSEUDO.search(selector)) and bool(contents) and all(
        EMPTY_CONTENT.match(c) for c in contents)
    if not selector:
        out.append("%s:%d: rule without a selector" % (name, lineno(at)))
    if VENDOR.search(" " + selector):
        out.append("%s:%d: vendor-prefixed selector" % (name, lineno(at)))
    for m in re.finditer(r"[^;]+", body):
        decl = m.group(0)
        if not decl.strip():
            continue
        here = lineno(at + m.start() + len(decl) - len(decl.lstrip()))
        if ":" not in decl:
            out.append("%s:%d: not a declaration: %r" %
                       (name, here, decl.strip()[:40]))
            continue
        prop, value = (s.strip() for s in decl.split(":", 1))
        prop_l = prop.lower()
        value = " ".join(value.split())
        if not re.fullmatch(r"-?[a-z][a-z-]*|--[\w-]+", prop_l):
            out.append("%s:%d: bad property name %r" % (name, here, prop))
            continue
        if not value:
            out.append("%s:%d: %s has no value" % (name, here, prop))
        if VENDOR.search(" " + prop_l) or VENDOR.search(" " + value):
            out.append("%s:%d: vendor prefix in %s: %s" %
                       (name, here, prop, value))
        if "!important" in value.replace(" ", "").lower():
            out.append("%s:%d: !important overrides the reader" %
                       (name, here))
        if "var(" in value.lower() and not prop_l.startswith("--"):
            out.append("%s:%d: custom properties are not for "
                       "e-readers" % (name, here))
        u = ABSOLUTE.search(value)
        if u:
            out.append("%s:%d: %s: %s is not a relative unit (em, %%)" %
                       (name, here, prop, u.group(0)))
        if prop_l != "content" and COLOUR.search(value) and \
                not prop_l.startswith("background") and prop_l != "color":
            out.append("%s:%d: a colour in %s: borders and text take "
                       "the reader's colour" % (name, here, prop))
        if prop_l == "position" and re.search(r"\babsolute\b", value,
                                               re.I) and not empty_box:
            out.append("%s:%d: %s: %s (positioning breaks paginated "
                       "readers; only an empty :before or :after box may "
                       "be placed)" % (name, here, prop, value))
        for pp, vp, msg in DECLARATION_RULES:
            if (selector, prop_l) in ALLOWED:
                continue
            if re.fullmatch(pp, prop_l) and (
                    vp is None or re.search(vp, value, re.I)):
                out.append("%s:%d: %s: %s (%s)" %
                           (name, here, prop, value, msg))
        if prop_l in ("font-size", "font", "font-family") and any(
                ROOT_SELECTOR.match(s.strip()) for s in selector.split(",")):
            out.append("%s:%d: %s on %s: the reader sets the base "
                       "font" % (name, here, prop, selector))
    return out


def lint(text, name):
    """Findings for one stylesheet, as 'name:line: message'."""
    text = strip_comments(text)
    if text is None:
        return ["%s: unterminated comment" % name]

    def lineno(i):
        return text.count("\n", 0, i) + 1

    out = []
    pos, n = 0, len(text)
    while True:
        while pos < n and text[pos].isspace():
            pos += 1
        if pos >= n:
            break
        brace = text.find("{", pos)
        semi = text.find(";", pos)
        if text[pos] == "@":
            keyword = re.match(r"@[\w-]*", text[pos:]).group(0)
            out.append("%s:%d: at-rule %s: old engines drop the whole "
                       "stylesheet over some of them" %
                       (name, lineno(pos), keyword))
            if semi != -1 and (brace == -1 or semi < brace):
                pos = semi + 1
                continue
            if brace == -1:
                break
            depth, i = 0, brace
            while i < n:
                depth += {"{": 1, "}": -1}.get(text[i], 0)
                if depth == 0:
                    break
                i += 1
            if depth:
                out.append("%s:%d: unbalanced braces" % (name, lineno(brace)))
                break
            pos = i + 1
            continue
        close = text.find("}", pos)
        if brace == -1 or (close != -1 and close < brace):
            stop = close if close != -1 else n
            out.append("%s:%d: stray text or unbalanced braces: %r" %
                       (name, lineno(pos), text[pos:stop + 1].strip()[:40]))
            pos = stop + 1
            continue
        close = text.find("}", brace)
        nested = text.find("{", brace + 1)
        if close == -1 or (nested != -1 and nested < close):
            out.append("%s:%d: unbalanced braces" % (name, lineno(brace)))
            break
        selector = " ".join(text[pos:brace].split())
        out += check_rule(selector, text[brace + 1:close], brace + 1, name,
                          lineno)
        pos = close + 1
    return out


# Every line breaks one rule: the linter must report each of them.
BAD = """\
@import "other.css";
@media screen { p { margin: 0; } }
body { font-size: 12pt; font-family: Georgia, serif; }
pre { white-space: pre; overflow-x: auto; }
.a { display: flex; }
.b { display: grid; }
.c { --accent: 1em; margin: var(--accent); }
.d { position: fixed; }
.e { -webkit-hyphens: auto; }
.f { hyphens: auto !important; }
.g { background: white; }
.h { color: #333; }
.i { border: 0.1em solid gray; }
.j { margin: 1rem; }
.k { columns: 2; }
.l { font-size: small; }
.m { width: 10px; }
.n { margin 0; }
.o { margin: 0; }}
.p:after { content: "1"; position: absolute; }
"""
BAD_COUNT = 25
GOOD = """\
/* comment: { px } */
body { margin: 0 0.4em; line-height: 1.45; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; font-size: 0.8em; }
a { color: inherit; }
.x::before { content: "Output #1"; }
code { font-family: monospace, monospace; border: 0.1em solid; }
img { max-height: 100%; max-height: 97vh; }
.y:after { content: none; content: "" / ""; position: absolute; }
"""


def self_test():
    bad = lint(BAD, "bad.css")
    good = lint(GOOD, "good.css")
    lines = {int(f.split(":")[1]) for f in bad if f.count(":") >= 2 and
             f.split(":")[1].isdigit()}
    missing = set(range(1, BAD.count("\n") + 1)) - lines
    if good or len(bad) != BAD_COUNT or missing:
        sys.stdout.write("css-lint: self-test failed (%d findings, want %d;"
                         " lines not flagged: %s):\n%s\n" % (
                             len(bad), BAD_COUNT, sorted(missing),
                             "\n".join(bad + good)))
        return False
    return True


def main(argv):
    if not argv or any(a.startswith("-") for a in argv):
        sys.stderr.write("usage: css-lint.py FILE.css...\n")
        return 2
    if not self_test():
        return 1
    findings = []
    for path in argv:
        with open(path, encoding="utf-8") as f:
            findings += lint(f.read(), path)
    for f in findings:
        print(f)
    print("css-lint: %d file%s, %d finding%s" % (
        len(argv), "" if len(argv) == 1 else "s", len(findings),
        "" if len(findings) == 1 else "s"))
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
