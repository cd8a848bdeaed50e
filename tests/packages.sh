#!/bin/sh
# make check-packages: build the Debian packages and the RPMs from the
# release tarball on this machine, as a distribution would, and lint
# them.  Needs dpkg-dev, debhelper, lintian and rpm (Debian's).
#
# Both builds run the test suite, as the distributions' builders do:
# the Debian one with this machine's dpkg-buildflags, the RPM one with
# Fedora's optimisation flags (below), so that %check meets what Koji's
# compiler makes of the code.  CHECK=no turns the tests off (nocheck,
# --nocheck).  make check-distros builds the Debian packages in clean
# chroots of each release instead.
set -eu
tarball=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0

# Fedora's %{optflags} and %{build_ldflags} (redhat-rpm-config), less
# the -specs= files that only Fedora's gcc has: LTO, _FORTIFY_SOURCE=3,
# libstdc++ assertions, stack protector and clash protection, and on
# x86-64 control-flow protection.
fedora_optflags="-O2 -flto=auto -ffat-lto-objects -fexceptions -g \
-grecord-gcc-switches -pipe -Wall -Werror=format-security \
-Wp,-U_FORTIFY_SOURCE,-D_FORTIFY_SOURCE=3 -Wp,-D_GLIBCXX_ASSERTIONS \
-fstack-protector-strong -fasynchronous-unwind-tables \
-fstack-clash-protection"
if [ "$(uname -m)" = x86_64 ]; then
	fedora_optflags="$fedora_optflags -fcf-protection"
fi
fedora_ldflags="-Wl,-z,relro -Wl,--as-needed -Wl,-z,now"

tar -xzf "$tarball" -C "$work"
src=$(ls -d "$work"/pyinternals-*)
opts=""
profiles=""
rpmopts=""
if [ "${CHECK:-yes}" = no ]; then
	opts="nocheck"
	profiles="nocheck"	# test-only build dependencies may be absent
	rpmopts="--nocheck"
fi

# make check's verdict in a build log, or why there is none.
verdict() {
	grep -E '^(skip |FAIL )|^[0-9]+ passed, [0-9]+ failed$' "$1" || \
	    echo "(tests not run)"
}

echo "== dpkg-buildpackage -us -uc${opts:+ (DEB_BUILD_OPTIONS=$opts)}"
if (cd "$src" && DEB_BUILD_OPTIONS="$opts" DEB_BUILD_PROFILES="$profiles" \
    dpkg-buildpackage -us -uc) \
    >"$work/deb.log" 2>&1; then
	verdict "$work/deb.log"
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

# As in Koji, a test may be skipped here even under CHECK_NO_SKIP:
# -flto inlines the functions bench_breakdown measures.
echo "== rpmbuild -bb with Fedora's flags${rpmopts:+ ($rpmopts)}"
mkdir -p "$work/rpm/SOURCES"
cp "$tarball" "$work/rpm/SOURCES/"
if env -u CHECK_NO_SKIP rpmbuild -bb --nodeps $rpmopts \
    --define "_topdir $work/rpm" \
    --define "optflags $fedora_optflags" \
    --define "build_ldflags $fedora_ldflags" \
    "$src/pyinternals.spec" >"$work/rpm.log" 2>&1; then
	grep -m1 -e '-flto=auto' "$work/rpm.log" >/dev/null || {
		echo "Fedora's flags did not reach the compiler"; fail=1; }
	verdict "$work/rpm.log"
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
