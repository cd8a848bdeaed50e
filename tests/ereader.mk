# E-reader checks and the cover; included by the Makefile.
#
#   make cover          styles/cover.png from styles/cover.svg (commit both)
#   make node-deps      Ace by DAISY and playwright-core into build/node, at
#                       the versions of tests/package-lock.json (npm ci)
#   make check-a11y     Ace on dist/pyinternals.epub and on the test book
#                       (built with styles/pyinternals.css): fails on any
#                       violation; reports in build/ereader/ace/
#   make check-render   the stylesheet linted, then every page of both
#                       books in Chromium at 600x800 and 360x640: fails on
#                       anything wider than the screen; screenshots in
#                       dist/screenshots/
#   make check-ereader  both checks
#   make check-calibre  a second engine: both books through Calibre to
#                       AZW3 (its log must be clean) and to PDF at 90x120
#                       mm and at a phone's size: fails on wrapped code
#                       that continues at the left edge, text outside a
#                       page's box or a cut figure; PDFs and logs in
#                       build/ereader/calibre/, PNGs in dist/screenshots/
#
# Needs node and npm, Debian's chromium (and librsvg2-bin and
# fonts-dejavu-core for the cover); check-calibre needs Debian's calibre
# and poppler-utils.  Ace and render.js start chromium
# through tests/chromium.sh, headless and off the network; puppeteer
# never downloads a browser of its own.

CHROMIUM	?= /usr/bin/chromium
NODE		?= node
NPM		?= npm
RSVG_CONVERT	?= rsvg-convert

ER_NODE_DIR	 = build/node
ER_NODE_STAMP	 = $(ER_NODE_DIR)/.installed
ER_DIR		 = build/ereader
ER_TESTBOOK	 = $(ER_DIR)/testbook.epub
ER_CSS		 = styles/pyinternals.css
ER_ENV		 = CHROMIUM=$(CHROMIUM) PYTHON=$(PYTHON) \
		   PUPPETEER_SKIP_DOWNLOAD=1 \
		   PUPPETEER_EXECUTABLE_PATH=$(CURDIR)/tests/chromium.sh \
		   NODE_MODULES_DIR=$(CURDIR)/$(ER_NODE_DIR)/node_modules

# Long side 1600 px at most, 3:4 like most e-reader screens.  The
# background is painted in, so the PNG has no alpha channel.
cover:
	$(RSVG_CONVERT) --width 1200 --height 1600 \
	    --background-color '#16222e' -o styles/cover.png styles/cover.svg

$(ER_NODE_STAMP): tests/package.json tests/package-lock.json
	mkdir -p $(ER_NODE_DIR)
	cp tests/package.json tests/package-lock.json $(ER_NODE_DIR)/
	cd $(ER_NODE_DIR) && PUPPETEER_SKIP_DOWNLOAD=1 \
	    $(NPM) ci --no-audit --no-fund
	touch $@

node-deps: $(ER_NODE_STAMP)

# The test book uses every feature; here it is dressed in the book's
# own stylesheet rather than its minimal one.
$(ER_TESTBOOK): guidebook $(ER_CSS) $(wildcard tests/book/*.md \
    tests/book/*/*.md tests/book/*.png)
	mkdir -p $(ER_DIR)
	$(GB) epub --strict --stylesheet $(ER_CSS) -o $@ tests/book/README.md

check-a11y: $(EPUB) $(ER_TESTBOOK) $(ER_NODE_STAMP)
	$(ER_ENV) $(PYTHON) tests/a11y.py -o $(ER_DIR)/ace \
	    $(EPUB) $(ER_TESTBOOK)

check-render: $(EPUB) $(ER_TESTBOOK) $(ER_NODE_STAMP)
	$(PYTHON) tests/css-lint.py $(ER_CSS)
	$(ER_ENV) $(NODE) tests/render.js -o dist/screenshots \
	    $(EPUB) $(ER_TESTBOOK)

check-ereader: check-a11y check-render

check-calibre: $(EPUB) $(ER_TESTBOOK)
	$(PYTHON) tests/calibre.py -o dist/screenshots -w $(ER_DIR)/calibre \
	    $(EPUB) $(ER_TESTBOOK)

.PHONY: cover node-deps check-a11y check-render check-ereader check-calibre
