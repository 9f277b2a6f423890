#!/usr/bin/env bash
# Install the Debian packages sfwd needs to build, run and test, and enable
# source packages (for Kamailio's headers) from this machine's own apt
# sources. Idempotent; does nothing when everything is present.
set -euo pipefail

PKGS=(kamailio kamailio-postgres-modules kamailio-presence-modules
      kamailio-extra-modules kamailio-lua-modules kamailio-python3-modules
      sip-tester postgresql postgresql-client libpq-dev
      libjansson-dev libcurl4-openssl-dev libxml2-dev check pkg-config dpkg-dev gcc make bison flex
      clang libclang-rt-14-dev clang-format binutils iproute2 jq tshark sipsak
      linphone-cli sqlite3 exim4-daemon-light kannel kannel-extras
      gnuplot-nox debhelper lintian)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done

need_src=0
if [ -z "${KAMAILIO_SRC:-}" ]; then
	# deb-src entries: is there one already?
	if ! grep -rqsE '^(Types:.*deb-src|deb-src )' /etc/apt/sources.list \
		/etc/apt/sources.list.d/ 2>/dev/null; then
		need_src=1
	fi
fi

[ ${#missing[@]} -eq 0 ] && [ $need_src -eq 0 ] && exit 0

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo

if [ $need_src -eq 1 ]; then
	# Copy the machine's own Debian entries with the type changed to deb-src.
	out=/etc/apt/sources.list.d/sfwd-deb-src
	if [ -f /etc/apt/sources.list.d/debian.sources ]; then
		sed -E 's/^Types:.*/Types: deb-src/' \
			/etc/apt/sources.list.d/debian.sources |
			$SUDO tee "$out.sources" >/dev/null
	elif [ -f /etc/apt/sources.list ]; then
		sed -nE 's/^deb[[:space:]]+/deb-src /p' /etc/apt/sources.list |
			$SUDO tee "$out.list" >/dev/null
	else
		echo "deps: no Debian apt sources found to derive deb-src from" >&2
		exit 1
	fi
fi

export DEBIAN_FRONTEND=noninteractive
echo "deps: apt-get update" >&2
$SUDO apt-get update -qq >/dev/null
if [ ${#missing[@]} -gt 0 ]; then
	echo "deps: installing ${missing[*]}" >&2
	# tshark asks whether non-root users may capture; answer no.
	echo 'wireshark-common wireshark-common/install-setuid boolean false' |
		$SUDO debconf-set-selections
	# no service starts from a maintainer script (Kannel's would run
	# bearerbox and wapbox on all interfaces): a policy-rc.d of our own
	# for the install when the machine has none
	own_policy=0
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
		$SUDO chmod 755 /usr/sbin/policy-rc.d
		own_policy=1
	fi
	rc=0
	$SUDO apt-get install -y -qq --no-install-recommends \
		-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
		"${missing[@]}" >/dev/null || rc=$?
	[ $own_policy = 1 ] && $SUDO rm -f /usr/sbin/policy-rc.d
	[ $rc = 0 ] || exit $rc
fi
# The Debian kamailio package enables a system service; sfwd never uses it.
# Nor exim4's or Kannel's (the e-mail and SMS tests run private instances
# on their own ports). Kannel ships a SysV script only.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
	$SUDO systemctl disable --now kamailio >/dev/null 2>&1 || true
	$SUDO systemctl disable --now postgresql >/dev/null 2>&1 || true
	$SUDO systemctl disable --now exim4 >/dev/null 2>&1 || true
	$SUDO systemctl disable --now kannel >/dev/null 2>&1 || true
else
	for svc in exim4 kannel; do
		[ -x "/etc/init.d/$svc" ] || continue
		$SUDO "/etc/init.d/$svc" stop >/dev/null 2>&1 || true
		$SUDO update-rc.d "$svc" disable >/dev/null 2>&1 || true
	done
fi
