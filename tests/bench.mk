# make bench: guidebook against pandoc, lowdown and cmark, on the real
# book, a 500-chapter book and a scaling series (tests/bench.py says how).
# Results: dist/bench.md, dist/bench-time.png, dist/bench-memory.png.
# A benchmark, not a test: make check never runs it, and it fails only
# when a tool fails, never because the machine is slow.
#
#   make bench                     the full run (tens of minutes: pandoc)
#   make bench-quick               harness smoke test: 1x and 4x, no pandoc
#   make bench BENCHFLAGS='--rounds 5 --pandoc-max 4'

BENCHFLAGS ?=

bench: guidebook
	$(PYTHON) tests/bench.py --guidebook $(GB) $(BENCHFLAGS)

bench-quick: guidebook
	$(PYTHON) tests/bench.py --guidebook $(GB) --quick $(BENCHFLAGS)

bench-clean:
	rm -rf build/bench dist/bench.md dist/bench-time.png \
	    dist/bench-memory.png

.PHONY: bench bench-quick bench-clean
