# pyinternals: the guides and guidebook, the compiler that ships them.
#
#   make                 build guidebook, dist/pyinternals.epub, dist/man/
#   make check           run every test; ends with "N passed, N failed"
#   make examples        run the guides' Python examples alone
#   make install         PREFIX, DESTDIR, BINDIR, MANDIR, DOCDIR honoured
#   make deps            install the build and test dependencies
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
STD_CFLAGS	 = -std=c99 -pthread -Wall -Wextra -Wpedantic -Wshadow \
		   -Wstrict-prototypes -Wmissing-prototypes
STD_CPPFLAGS	 = -D_XOPEN_SOURCE=700 -DGUIDEBOOK_VERSION='"$(VERSION)"'

# Reproducible output: the date of the last commit unless the caller or
# a release tarball (.source-date-epoch) says otherwise.
SOURCE_DATE_EPOCH ?= $(shell cat .source-date-epoch 2>/dev/null || \
	git log -1 --format=%ct 2>/dev/null)
ifneq ($(SOURCE_DATE_EPOCH),)
export SOURCE_DATE_EPOCH
endif

SRCS	 = src/book.c src/scan.c src/frontmatter.c src/links.c src/summary.c src/epub.c src/examples.c src/highlight.c \
	   src/main.c src/roff.c src/roff_escape.c src/util.c src/uuid.c \
	   src/xhtml.c src/bookindex.c src/pool.c src/tree.c src/codeinfo.c \
	   src/diagram.c src/image.c src/html.c src/table.c src/footnote.c src/gfm.c \
	   src/archive.c
OBJS	 = $(SRCS:src/%.c=build/%.o)

INDEX	 = guides/README.md
EPUB	 = dist/pyinternals.epub
MANSTAMPS = $(patsubst guides/%.md,build/man/%.stamp,$(INDEX) $(GUIDES))

# The chapters (GUIDES), as guidebook itself reads the index: `guidebook
# list` writes build/chapters.mk, which make includes, and remakes (then
# restarts) when the index or guidebook changes; its rule is below.
# Goals that build nothing skip it, so that `make deps` and `make clean`
# need no compiler.
NOBUILD_GOALS = clean deps
ifneq ($(MAKECMDGOALS),)
ifeq ($(filter-out $(NOBUILD_GOALS),$(MAKECMDGOALS)),)
NO_CHAPTERS = 1
endif
endif
ifndef NO_CHAPTERS
-include build/chapters.mk
endif

GB	 = ./guidebook
GBFLAGS	 = --strict

all: guidebook $(EPUB) $(MANSTAMPS)

guidebook: $(OBJS)
	$(CC) -pthread $(CFLAGS) $(LDFLAGS) -o $@ $(OBJS) $(PKG_LIBS) $(LDLIBS)

# The chapter list (see GUIDES above).
build/chapters.mk: guidebook $(INDEX) | build
	$(GB) list $(INDEX) > $@.list
	{ echo '# Written by make from: guidebook list $(INDEX)'; \
	  echo 'GUIDES ='; \
	  tail -n +2 $@.list | while IFS= read -r f; do \
	      echo "GUIDES += $$f"; done; } > $@.tmp
	rm -f $@.list
	mv $@.tmp $@

build/%.o: src/%.c | build
	$(CC) $(STD_CPPFLAGS) $(PKG_CFLAGS) $(CPPFLAGS) $(STD_CFLAGS) \
	    $(CFLAGS) -MMD -MP -c -o $@ $<

build build/man:
	mkdir -p $@

# The book's depfile is not build/epub.d: that one is epub.o's.
$(EPUB): guidebook $(INDEX) | build
	@mkdir -p dist
	$(GB) epub $(GBFLAGS) --depfile build/book.epub.d --deptarget $@ \
	    -o $@ $(INDEX)

# One stamp per document: a page is rebuilt when its guide, the index
# or a guide it links to changes (guidebook writes the dependencies).
build/man/%.stamp: guides/%.md guidebook | build/man
	$(GB) man $(GBFLAGS) --only $< --depfile $@.d --deptarget $@ \
	    -o dist/man $(INDEX)
	touch $@

-include $(OBJS:.o=.d) build/book.epub.d $(MANSTAMPS:=.d)

examples: guidebook
	rm -rf build/examples
	$(GB) examples $(GBFLAGS) -o build/examples $(INDEX)
	$(PYTHON) tests/run-examples.py build/examples

# Every example under every CPython the book covers: python3.11 to
# python3.15 on PATH, and Debian's in chroots cached in CHROOT_CACHE
# (built with debootstrap on first use; root and Debian's archive).
# PYTHONS_FLAGS: --only sid, --guide gil, --no-chroots (tests/pythons.py).
CHROOT_CACHE ?= build/chroots
check-pythons: guidebook
	rm -rf build/examples-matrix
	$(GB) examples $(GBFLAGS) -o build/examples-matrix $(INDEX)
	$(PYTHON) tests/pythons.py --cache $(CHROOT_CACHE) $(PYTHONS_FLAGS) \
	    build/examples-matrix

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
	$(CC) -pthread $(ASAN_CFLAGS) $(LDFLAGS) -o $@ $(ASAN_OBJS) $(PKG_LIBS) $(LDLIBS)

-include $(ASAN_OBJS:.o=.d)

# The diagram module alone (tests/diagram/driver.c): a drawing on
# standard input, its SVG or its words on standard output; tests/check.py
# runs both builds over tests/diagram/*.txt.
DIAGRAM_DRIVER_DEPS = tests/diagram/driver.c src/diagram.h src/util.h

build/diagram-driver: $(DIAGRAM_DRIVER_DEPS) build/diagram.o build/util.o
	$(CC) $(STD_CPPFLAGS) -Isrc $(CPPFLAGS) $(STD_CFLAGS) $(CFLAGS) \
	    $(LDFLAGS) -o $@ tests/diagram/driver.c build/diagram.o \
	    build/util.o $(LDLIBS)

build/asan/diagram-driver: $(DIAGRAM_DRIVER_DEPS) build/asan/diagram.o \
	    build/asan/util.o
	$(CC) $(STD_CPPFLAGS) -Isrc $(CPPFLAGS) $(STD_CFLAGS) $(ASAN_CFLAGS) \
	    $(LDFLAGS) -o $@ tests/diagram/driver.c build/asan/diagram.o \
	    build/asan/util.o $(LDLIBS)

# The fuzz harnesses as plain programs (a main() instead of libFuzzer)
# on the same objects: make check replays tests/fuzz/regress with them.
REPLAYS = $(FUZZ_MODES:%=build/asan/replay-%)

build/asan/replay-%: tests/fuzz/fuzz.c $(filter-out build/asan/main.o,$(ASAN_OBJS))
	$(CC) $(STD_CPPFLAGS) -D_GNU_SOURCE -DFUZZ_REPLAY -DFUZZ_$* -Isrc \
	    $(PKG_CFLAGS) $(CPPFLAGS) $(STD_CFLAGS) $(ASAN_CFLAGS) -pthread \
	    $(LDFLAGS) -o $@ tests/fuzz/fuzz.c \
	    $(filter-out build/asan/main.o,$(ASAN_OBJS)) $(PKG_LIBS) $(LDLIBS)

# The test build with the distribution's own flags, which make check runs
# under valgrind: packages ship fortified code (__memcpy_chk and friends),
# not the plain -O2 -g of a developer's build.  Debian's flags come from
# dpkg-buildflags where it exists (-O2 -D_FORTIFY_SOURCE=2
# -fstack-protector-strong ...), else the same in substance.
FORTIFY_CFLAGS	 = $(or $(shell dpkg-buildflags --get CFLAGS 2>/dev/null), \
		   -O2 -g -fstack-protector-strong -Werror=format-security)
FORTIFY_CPPFLAGS = $(or $(shell dpkg-buildflags --get CPPFLAGS 2>/dev/null), \
		   -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=2)
FORTIFY_LDFLAGS	 = $(or $(shell dpkg-buildflags --get LDFLAGS 2>/dev/null), \
		   -Wl,-z,relro)

build/fortify/guidebook: $(SRCS) $(wildcard src/*.h)
	@mkdir -p build/fortify
	$(CC) $(STD_CPPFLAGS) $(PKG_CFLAGS) $(FORTIFY_CPPFLAGS) $(STD_CFLAGS) \
	    $(FORTIFY_CFLAGS) -Werror $(FORTIFY_LDFLAGS) -o $@ $(SRCS) \
	    $(PKG_LIBS)

# ThreadSanitizer for the EPUB writer's page thread (clang).
TSAN_CC	?= clang
build/tsan/guidebook: $(SRCS) $(wildcard src/*.h)
	@mkdir -p build/tsan
	$(TSAN_CC) $(STD_CPPFLAGS) $(PKG_CFLAGS) $(CPPFLAGS) $(CFLAGS) \
	    -g -O1 -pthread -fsanitize=thread $(LDFLAGS) -o $@ $(SRCS) \
	    $(PKG_LIBS) $(LDLIBS)

# Fuzzing (clang and its libFuzzer runtime): one harness per path, each
# run for FUZZ_SECONDS, seeded from the test inputs and the guides.
# New corpus entries stay in build/fuzz/; crashes land there too and
# belong in tests/fuzz/regress/ once fixed.
FUZZ_SECONDS ?= 60
FUZZ_CC	?= clang
FUZZ_CFLAGS = -g -O1 -pthread -fsanitize=fuzzer,address,undefined \
	      -fno-sanitize-recover=undefined -D_GNU_SOURCE
FUZZ_MODES = xhtml man epub
FUZZ_LIB_SRCS = $(filter-out src/main.c,$(SRCS))

build/fuzz:
	mkdir -p $@

build/fuzz/fuzz-%: tests/fuzz/fuzz.c $(FUZZ_LIB_SRCS) $(wildcard src/*.h) | build/fuzz
	$(FUZZ_CC) $(STD_CPPFLAGS) -DFUZZ_$* -Isrc $(PKG_CFLAGS) $(CPPFLAGS) \
	    $(CFLAGS) $(FUZZ_CFLAGS) $(LDFLAGS) -o $@ tests/fuzz/fuzz.c \
	    $(FUZZ_LIB_SRCS) $(PKG_LIBS) $(LDLIBS)

build/fuzz/seed-epub: tests/fuzz/make-seeds.py | build/fuzz
	$(PYTHON) tests/fuzz/make-seeds.py $@

fuzz: $(FUZZ_MODES:%=build/fuzz/fuzz-%) build/fuzz/seed-epub
	@for m in $(FUZZ_MODES); do \
	    mkdir -p build/fuzz/corpus-$$m; \
	    if [ $$m = epub ]; then seeds=build/fuzz/seed-epub; \
	    else seeds="tests/golden tests/book guides tests/fuzz/regress"; fi; \
	    echo "fuzz-$$m: $(FUZZ_SECONDS) s"; \
	    build/fuzz/fuzz-$$m -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
	        -rss_limit_mb=2048 -max_len=200000 -print_final_stats=1 \
	        -artifact_prefix=build/fuzz/crash-$$m- \
	        build/fuzz/corpus-$$m $$seeds 2>build/fuzz/fuzz-$$m.log \
	        || { tail -40 build/fuzz/fuzz-$$m.log; exit 1; }; \
	    grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb)|cov:' \
	        build/fuzz/fuzz-$$m.log | tail -3; \
	done

# The sanitizer builds are made where their compiler can link them (a
# package build need not have clang); tests/check.py skips a test whose
# build is missing and says why, or fails it under CHECK_NO_SKIP=1.
ifneq ($(filter check,$(MAKECMDGOALS)),)
cc_links = $(shell d=$$(mktemp -d) && printf 'int main(void){return 0;}\n' | \
	$(1) $(2) -x c -o $$d/a.out - >/dev/null 2>&1 && echo yes; rm -rf $$d)
ASAN_PROBE = -fsanitize=address,undefined
HAVE_ASAN := $(call cc_links,$(CC),$(ASAN_PROBE))
HAVE_TSAN := $(call cc_links,$(TSAN_CC),$(CFLAGS) -fsanitize=thread $(LDFLAGS))
endif

check: all build/fortify/guidebook build/diagram-driver \
    $(if $(HAVE_ASAN),build/asan/guidebook $(REPLAYS) build/asan/diagram-driver) \
    $(if $(HAVE_TSAN),build/tsan/guidebook)
	$(PYTHON) tests/check.py

clean:
	rm -rf build dist guidebook

# What make check uses, from the one list in tests/deps.sh (the README's
# first command runs it too); DEPS names extra groups: ereader,
# packages, distros, bench.
DEPS	?=
deps:
	sh tests/deps.sh $(DEPS)

# Installation, for packagers: the documents and the compiler can be
# installed apart (split packages); uninstall removes exactly the files
# install wrote, named from the same lists.
install: install-docs install-bin

install-docs: all
	$(INSTALL) -d $(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(DOCDIR)
	$(INSTALL) -m 644 dist/man/man7/*.7 $(DESTDIR)$(MANDIR)/man7/
	$(INSTALL) -m 644 $(EPUB) $(DESTDIR)$(DOCDIR)/pyinternals.epub

install-bin: guidebook
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	$(INSTALL) -m 755 guidebook $(DESTDIR)$(BINDIR)/guidebook
	$(INSTALL) -m 644 man/guidebook.1 $(DESTDIR)$(MANDIR)/man1/guidebook.1

uninstall: uninstall-docs uninstall-bin

uninstall-docs: $(MANSTAMPS)
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man7/,$(notdir $(wildcard dist/man/man7/*.7)))
	rm -f $(DESTDIR)$(DOCDIR)/pyinternals.epub
	-rmdir $(DESTDIR)$(DOCDIR) 2>/dev/null

uninstall-bin:
	rm -f $(DESTDIR)$(BINDIR)/guidebook $(DESTDIR)$(MANDIR)/man1/guidebook.1

# A reproducible source tarball: the committed files, sorted, owned by
# root, dated SOURCE_DATE_EPOCH, gzip without a name or time stamp.  It
# carries .source-date-epoch so that builds from it date themselves alike.
DISTNAME = pyinternals-$(VERSION)
TARBALL	 = dist/$(DISTNAME).tar.gz

dist: $(TARBALL)

$(TARBALL): FORCE
	@mkdir -p dist
	@test -n "$(SOURCE_DATE_EPOCH)" || \
	    { echo "make dist: no SOURCE_DATE_EPOCH and no git history"; exit 1; }
	rm -rf build/dist && mkdir -p build/dist/$(DISTNAME)
	{ cat .dist-files 2>/dev/null || git ls-files; } | \
	    grep -v '^\.source-date-epoch$$' > build/dist/files
	tar -cf - -T build/dist/files | tar -xf - -C build/dist/$(DISTNAME)
	echo $(SOURCE_DATE_EPOCH) > build/dist/$(DISTNAME)/.source-date-epoch
	cp build/dist/files build/dist/$(DISTNAME)/.dist-files
	cd build/dist && LC_ALL=C tar --sort=name --format=gnu \
	    --owner=0 --group=0 --numeric-owner --mode='a+rX,u+w,go-w' \
	    --mtime=@$(SOURCE_DATE_EPOCH) -cf - $(DISTNAME) | \
	    gzip -n -9 > ../../$@.tmp
	mv $@.tmp $@

# Unpack the tarball elsewhere, build, test, install, uninstall: fails if
# anything needed is missing from it or anything is left installed.
distcheck: $(TARBALL)
	rm -rf build/distcheck && mkdir -p build/distcheck
	tar -xzf $(TARBALL) -C build/distcheck
	cd build/distcheck/$(DISTNAME) && $(MAKE) && $(MAKE) check && \
	    $(MAKE) install DESTDIR=$$PWD/../inst PREFIX=/usr && \
	    $(MAKE) uninstall DESTDIR=$$PWD/../inst PREFIX=/usr
	@left=$$(find build/distcheck/inst -type f); \
	if [ -n "$$left" ]; then echo "left installed:"; echo "$$left"; exit 1; fi
	@echo "$(TARBALL) is ready for distribution"

# Build and lint the distribution packages from the tarball.
check-packages: $(TARBALL)
	sh tests/packages.sh $(TARBALL)

# Debian's releases, each from scratch (tests/distros.py; root and
# Debian's archive).  check-distros builds the source and binary packages
# of the tarball in clean chroots with only the Build-Depends, Debian's
# flags and the tests on, runs lintian, installs the packages and tries
# man, apropos and guidebook; the book must come out byte-identical on
# every release.  check-readme types the README's two commands into
# pristine minbase chroots.  DISTROS_CACHE keeps the chroots (default
# /var/cache/pyinternals/distros when writable, else build/distros-cache);
# DISTROS_SEED holds pristine minbase chroots to copy rather than
# debootstrap (empty: always debootstrap); DISTROS_JOBS suites at once.
DISTROS		?= bookworm trixie sid
DISTROS_SEED	?= /var/cache/pyinternals/base
DISTROS_JOBS	?= 1
DISTROS_ARGS	 = -j $(DISTROS_JOBS) --seed '$(DISTROS_SEED)' \
		   $(if $(DISTROS_CACHE),--cache '$(DISTROS_CACHE)')

check-distros: $(TARBALL)
	$(PYTHON) tests/distros.py packages $(DISTROS_ARGS) $(TARBALL) $(DISTROS)

check-readme: $(TARBALL)
	$(PYTHON) tests/distros.py readme $(DISTROS_ARGS) $(TARBALL) $(DISTROS)

FORCE:

# Benchmarks and e-reader checks live in tests/*.mk.
-include $(wildcard tests/*.mk)

.PHONY: all check check-pythons clean deps dist distcheck examples fuzz install \
	install-bin install-docs uninstall uninstall-bin uninstall-docs FORCE \
	check-packages check-distros check-readme
