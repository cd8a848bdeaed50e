#!/bin/sh
# make check-packages: build the Debian packages and the RPMs from the
# release tarball, as a distribution would, and lint them.  Needs
# dpkg-dev, debhelper, lintian and rpm (Debian's).  Packaging runs the
# test suite itself unless told not to: CHECK=no (the default here,
# since make check has just run) passes nocheck to both.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
tarball=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0

tar -xzf "$tarball" -C "$work"
src=$(ls -d "$work"/pyinternals-*)
opts=""
profiles=""
rpmopts=""
if [ "${CHECK:-no}" = no ]; then
	opts="nocheck"
	profiles="nocheck"	# test-only build dependencies may be absent
	rpmopts="--nocheck"
fi

echo "== dpkg-buildpackage -us -uc -b"
if (cd "$src" && DEB_BUILD_OPTIONS="$opts" DEB_BUILD_PROFILES="$profiles" \
    dpkg-buildpackage -us -uc -b) \
    >"$work/deb.log" 2>&1; then
	ls "$work"/*.deb
else
	tail -30 "$work/deb.log"
	fail=1
fi

if [ $fail = 0 ]; then
	echo "== lintian (errors and warnings fail)"
	lintian --pedantic -I "$work"/*.changes >"$work/lintian.log" 2>&1 || :
	grep -v '^running with root' "$work/lintian.log" || :
	if grep -qE '^(E|W):' "$work/lintian.log"; then
		fail=1
	fi
fi

echo "== rpmbuild -bb (from the tarball)"
mkdir -p "$work/rpm/SOURCES"
cp "$tarball" "$work/rpm/SOURCES/"
if rpmbuild -bb --nodeps $rpmopts --define "_topdir $work/rpm" \
    "$src/pyinternals.spec" >"$work/rpm.log" 2>&1; then
	find "$work/rpm/RPMS" -name '*.rpm'
else
	tail -30 "$work/rpm.log"
	fail=1
fi

if [ $fail = 0 ]; then
	echo "packages: 3 passed, 0 failed"
else
	echo "packages: failed"
fi
exit $fail
