# The CommonMark spec's examples through guidebook render -t xhtml,
# against cmark's own HTML (tests/spec.py says how they are compared).
# The spec comes from the npm package commonmark-spec (make node-deps);
# cmark from Debian's cmark.  Included by the Makefile.

SPEC_TXT = $(ER_NODE_DIR)/node_modules/commonmark-spec/spec.txt

check-spec: guidebook $(ER_NODE_STAMP)
	$(PYTHON) tests/spec.py --guidebook $(GB) $(SPEC_TXT)

.PHONY: check-spec
