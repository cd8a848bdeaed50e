#!/usr/bin/env python3
"""Seed inputs for the EPUB fuzz harness: small books written as one
file, the index first and each chapter after a line "%%"."""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def read(*parts):
    with open(os.path.join(ROOT, *parts), encoding="utf-8") as f:
        return f.read()


out = sys.argv[1]
os.makedirs(out, exist_ok=True)
book = os.path.join("tests", "book")
seeds = {
    "test-book": [read(book, "README.md"), read(book, "alpha.md"),
                  read(book, "beta.md"), read(book, "more", "gamma.md")],
    "links": ["# Book\n\n[c0](c0.md#x)\n",
              "# C0\n\n## X\n\n[c1](c1.md#y) [self](#x)\n",
              "# C1\n\n## Y\n\n[back](c0.md)\n"],
}
for name in sorted(os.listdir(os.path.join(ROOT, "tests", "golden"))):
    if name.endswith(".md"):
        seeds["golden-" + name[:-3]] = [
            "# Book\n", read("tests", "golden", name)]
for name, parts in seeds.items():
    with open(os.path.join(out, name), "w", encoding="utf-8") as f:
        f.write("\n%%\n".join(parts))
