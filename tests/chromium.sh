#!/bin/sh
# Debian's chromium as the e-reader checks run it: headless, no sandbox
# (CI runs as root), no GPU, and no network traffic of its own.  Ace
# (through puppeteer's PUPPETEER_EXECUTABLE_PATH) and tests/render.js
# (through playwright) both start the browser with this file, so every
# run gets the same flags.  Both pass a fresh --user-data-dir; one is
# made here only when none is given.  CHROMIUM names another binary.
flags="--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
--disable-background-networking --disable-component-update --disable-sync"
bin=${CHROMIUM:-/usr/bin/chromium}

case " $* " in
*" --user-data-dir="*)
	# shellcheck disable=SC2086
	exec "$bin" $flags "$@"
	;;
esac
dir=$(mktemp -d "${TMPDIR:-/tmp}/chromium-profile.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT
trap 'exit 1' HUP INT TERM
# shellcheck disable=SC2086
"$bin" $flags --user-data-dir="$dir" "$@"
