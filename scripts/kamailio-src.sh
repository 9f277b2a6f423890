#!/usr/bin/env bash
# Print the path of a configured Kamailio source tree ("COREPATH", the src/
# folder) whose version equals the installed kamailio binary.
#
# KAMAILIO_SRC=/path/to/kamailio  use that tree (top folder or its src/)
# otherwise Debian's source package of the installed version is fetched into
# var/kamailio-src/<debian version>/ (once) and configured as debian/rules
# configures it, so that the module's compile flags equal the core's.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
die() { echo "kamailio-src: $*" >&2; exit 1; }

command -v kamailio >/dev/null || die "kamailio is not installed (scripts/deps.sh)"
bin_ver=$(kamailio -v | sed -n 's/^version: kamailio \([0-9][0-9.]*\).*/\1/p')
[ -n "$bin_ver" ] || die "cannot read the version from 'kamailio -v'"

if [ -n "${KAMAILIO_SRC:-}" ]; then
	tree=$KAMAILIO_SRC
	[ -f "$tree/src/Makefile.defs" ] && tree=$tree/src
	[ -f "$tree/Makefile.defs" ] || die "$KAMAILIO_SRC is not a Kamailio source tree"
else
	deb_ver=$(dpkg-query -W -f='${Version}' kamailio 2>/dev/null) ||
		die "the kamailio Debian package is not installed"
	dir=$top/var/kamailio-src/$deb_ver
	if [ ! -f "$dir/tree/src/Makefile.defs" ]; then
		rm -rf "$dir"
		mkdir -p "$dir"
		echo "kamailio-src: fetching Debian source of kamailio $deb_ver" >&2
		(cd "$dir" && apt-get source --download-only -qq "kamailio=$deb_ver" \
			>/dev/null 2>"$dir/apt.log") ||
			die "apt-get source failed (deb-src enabled? see $dir/apt.log)"
		dsc=$(ls "$dir"/kamailio_*.dsc)
		(cd "$dir" && dpkg-source -x "$dsc" tree >"$dir/dpkg-source.log" 2>&1) ||
			die "dpkg-source -x failed"
	fi
	tree=$dir/tree/src
fi

v=$(sed -n 's/^VERSION *= *//p;s/^PATCHLEVEL *= *//p;s/^SUBLEVEL *= *//p' \
	"$tree/Makefile.defs" | tr -d ' ' | paste -sd.)
[ "$v" = "$bin_ver" ] ||
	die "source tree $tree is Kamailio $v but the installed kamailio is $bin_ver"

# Configure once, with the options of Debian's debian/rules.
if [ ! -f "$tree/config.mak" ] || [ ! -f "$tree/.sfwd-cfg-stamp" ]; then
	echo "kamailio-src: configuring $tree as Debian does" >&2
	cc_extra="$(dpkg-buildflags --get CPPFLAGS) $(dpkg-buildflags --get CFLAGS) -DVERSION_NODATE"
	ld_extra="$(dpkg-buildflags --get LDFLAGS)"
	make -C "$tree/.." cfg quiet=silent prefix=/usr cfg_target=/etc/kamailio/ \
		FLAVOUR=kamailio CC_EXTRA_OPTS="$cc_extra" LD_EXTRA_OPTS="$ld_extra" \
		group_include=kstandard >"$tree/.sfwd-cfg.log" 2>&1 ||
		die "make cfg failed, see $tree/.sfwd-cfg.log"
	touch "$tree/.sfwd-cfg-stamp"
fi
echo "$tree"
