#!/bin/sh
# Install what building pyinternals and `make check` need, with apt-get
# (Debian, Ubuntu).  This is the one list of packages: the README's
# first command, `make deps` and CI all run this script.
#
#   sh tests/deps.sh [GROUP...]      install the build and test packages
#                                    and those of each GROUP named
#   sh tests/deps.sh -n [GROUP...]   print the package names, install
#                                    nothing
#
# GROUPs: ereader (make check-ereader), packages (make check-packages),
# distros (make check-distros, check-readme), bench (make bench).
#
# Root runs apt-get itself; anyone else goes through sudo when there is
# one.  A package the archive does not have (valgrind on some
# architectures, libclang-rt-dev on older releases) is left out with a
# warning, and make check skips the tests that need it.
set -eu

build="build-essential pkgconf libcmark-dev libxml2-dev libzip-dev"
check="python3 libxml2-utils mandoc groff man-db epubcheck valgrind
	iproute2 util-linux clang libclang-rt-dev"
ereader="chromium fonts-dejavu-core fonts-liberation librsvg2-bin
	calibre poppler-utils"
packages="dpkg-dev debhelper lintian rpm fakeroot git"
distros="debootstrap"
bench="hyperfine gnuplot-nox pandoc lowdown cmark time"

dry=no
if [ "${1:-}" = -n ]; then
	dry=yes
	shift
fi
pkgs="$build $check"
for group in "$@"; do
	case $group in
	ereader) pkgs="$pkgs $ereader" ;;
	packages) pkgs="$pkgs $packages" ;;
	distros) pkgs="$pkgs $distros" ;;
	bench) pkgs="$pkgs $bench" ;;
	*) echo "deps: unknown group '$group'" \
	    "(ereader, packages, distros, bench)" >&2; exit 2 ;;
	esac
done

if [ $dry = yes ]; then
	printf '%s\n' $pkgs
	exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
	echo "deps: no apt-get here; install the equivalents of:" $pkgs >&2
	exit 1
fi
if [ "$(id -u)" = 0 ]; then
	as_root=
elif command -v sudo >/dev/null 2>&1; then
	as_root=sudo
else
	echo "deps: run this as root (there is no sudo)" >&2
	exit 1
fi

$as_root apt-get update -q
have=
for p in $pkgs; do
	if LC_ALL=C apt-cache policy "$p" 2>/dev/null |
	    grep -q '^ *Candidate: [^(]'; then
		have="$have $p"
	else
		echo "deps: warning: no package $p here;" \
		    "make check skips what needs it" >&2
	fi
done
$as_root env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends $have
