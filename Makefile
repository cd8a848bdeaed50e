# pyinternals: the guides and guidebook, the compiler that ships them.
#
#   make                 build guidebook, dist/pyinternals.epub, dist/man/
#   make check           run every test; ends with "N passed, N failed"
#   make examples        run the guides' Python examples alone
#   make install         PREFIX, DESTDIR, BINDIR, MANDIR, DOCDIR honoured
#   make deps            install the build and test dependencies (root)
#
# CC, CFLAGS, CPPFLAGS, LDFLAGS and LDLIBS come from the environment or
# the command line; the libraries' flags come from pkg-config and are
# kept in variables of their own, so CFLAGS may be replaced freely.

VERSION	:= $(shell sed -n '2,/^---$$/s/^version: *//p' guides/README.md 2>/dev/null)

PREFIX	?= /usr/local
BINDIR	?= $(PREFIX)/bin
DATADIR	?= $(PREFIX)/share
MANDIR	?= $(DATADIR)/man
DOCDIR	?= $(DATADIR)/doc/pyinternals

CC	?= cc
CFLAGS	?= -O2 -g
PKG_CONFIG ?= pkg-config
PYTHON	?= python3
INSTALL	?= install

PKGS		 = libcmark libxml-2.0 libzip
PKG_CFLAGS	:= $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS	:= $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
STD_CFLAGS	 = -std=c99 -Wall -Wextra -Wpedantic -Wshadow \
		   -Wstrict-prototypes -Wmissing-prototypes
STD_CPPFLAGS	 = -D_XOPEN_SOURCE=700 -DGUIDEBOOK_VERSION='"$(VERSION)"'

# Reproducible output: the date of the last commit unless the caller or
# a release tarball (.source-date-epoch) says otherwise.
SOURCE_DATE_EPOCH ?= $(shell cat .source-date-epoch 2>/dev/null || \
	git log -1 --format=%ct 2>/dev/null)
ifneq ($(SOURCE_DATE_EPOCH),)
export SOURCE_DATE_EPOCH
endif

SRCS	 = src/book.c src/epub.c src/examples.c src/highlight.c \
	   src/main.c src/roff.c src/roff_escape.c src/util.c src/uuid.c \
	   src/xhtml.c src/index.c
OBJS	 = $(SRCS:src/%.c=build/%.o)

# The chapters: the .md targets of the index's list-item links.
GUIDES	:= $(shell sed -n 's/^ *[-*+] *\[[^]]*\](\([^):]*\.md\)[^a-z0-9_.-].*/guides\/\1/p' \
	guides/README.md 2>/dev/null)
INDEX	 = guides/README.md
EPUB	 = dist/pyinternals.epub
MANSTAMPS = $(patsubst guides/%.md,build/man/%.stamp,$(INDEX) $(GUIDES))
GB	 = ./guidebook
GBFLAGS	 = --strict

all: guidebook $(EPUB) $(MANSTAMPS)

guidebook: $(OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(OBJS) $(PKG_LIBS) $(LDLIBS)

build/%.o: src/%.c | build
	$(CC) $(STD_CPPFLAGS) $(PKG_CFLAGS) $(CPPFLAGS) $(STD_CFLAGS) \
	    $(CFLAGS) -MMD -MP -c -o $@ $<

build build/man dist:
	mkdir -p $@

$(EPUB): guidebook $(INDEX) | dist build
	$(GB) epub $(GBFLAGS) --depfile build/epub.d --deptarget $@ \
	    -o $@ $(INDEX)

# One stamp per document: a page is rebuilt when its guide, the index
# or a guide it links to changes (guidebook writes the dependencies).
build/man/%.stamp: guides/%.md guidebook | build/man
	$(GB) man $(GBFLAGS) --only $< --depfile $@.d --deptarget $@ \
	    -o dist/man $(INDEX)
	touch $@

-include $(OBJS:.o=.d) build/epub.d $(MANSTAMPS:=.d)

examples: guidebook
	rm -rf build/examples
	$(GB) examples $(GBFLAGS) -o build/examples $(INDEX)
	$(PYTHON) tests/run-examples.py build/examples

# The test build: the same sources under AddressSanitizer and
# UndefinedBehaviorSanitizer, with -Werror (never forced on packagers).
ASAN_CFLAGS = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
	      -fno-sanitize-recover=undefined -Werror
ASAN_OBJS = $(SRCS:src/%.c=build/asan/%.o)

build/asan:
	mkdir -p $@

build/asan/%.o: src/%.c | build/asan
	$(CC) $(STD_CPPFLAGS) $(PKG_CFLAGS) $(CPPFLAGS) $(STD_CFLAGS) \
	    $(ASAN_CFLAGS) -MMD -MP -c -o $@ $<

build/asan/guidebook: $(ASAN_OBJS)
	$(CC) $(ASAN_CFLAGS) $(LDFLAGS) -o $@ $(ASAN_OBJS) $(PKG_LIBS) $(LDLIBS)

-include $(ASAN_OBJS:.o=.d)

check: all build/asan/guidebook
	$(PYTHON) tests/check.py

clean:
	rm -rf build dist guidebook

deps:
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
	    build-essential pkg-config libcmark-dev libxml2-dev libzip-dev \
	    python3 libxml2-utils mandoc groff man-db epubcheck \
	    default-jre-headless clang libclang-rt-14-dev valgrind

# Benchmarks and e-reader checks live in tests/*.mk.
-include $(wildcard tests/*.mk)

.PHONY: all check clean deps examples
