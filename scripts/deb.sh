#!/usr/bin/env bash
# `make deb`: the Debian package kamailio-sfwd-module_<version>_<arch>.deb
# from debian/ with debhelper, built in a copy of the tracked files
# (var/deb/src) against the Kamailio source tree `make` configured (the
# installed kamailio's own version), then checked with lintian. Output in
# var/deb/.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
sf_die() { sf_log "$*"; exit 1; }

out=$SF_TOP/var/deb
rm -rf "$out"
mkdir -p "$out/src"
# the tracked files as they are in the work tree (uncommitted edits too)
(cd "$SF_TOP" && git ls-files -z --cached --others --exclude-standard |
	xargs -0 cp --parents -t "$out/src" 2>/dev/null) ||
	sf_die "cannot copy the sources to $out/src"
KAMAILIO_SRC=$("$SF_TOP/scripts/kamailio-src.sh")
export KAMAILIO_SRC
sf_log "deb: dpkg-buildpackage in $out/src (Kamailio source $KAMAILIO_SRC)"
(cd "$out/src" && dpkg-buildpackage -b -uc -us >"$out/build.log" 2>&1) ||
	{ tail -n 30 "$out/build.log" >&2; sf_die "dpkg-buildpackage failed (log: $out/build.log)"; }
deb=$(ls "$out"/kamailio-sfwd-module_*.deb)
sf_log "deb: $deb"
# lintian: errors fail the build; warnings and notes are shown
lintian --tag-display-limit 0 "$deb" >"$out/lintian.txt" 2>&1 || true
sed 's/^/  lintian: /' "$out/lintian.txt"
if grep -q '^E: ' "$out/lintian.txt"; then
	sf_die "lintian reports errors (above)"
fi
sf_log "deb: lintian: no errors ($(grep -c '^W: ' "$out/lintian.txt") warnings)"
