# shellcheck shell=bash
# sfwd - shell helpers for the container image (scripts/container-image.sh,
# `make image`) and its test (test/container/run.sh, `make test-container`):
# podman with the settings of etc/container/containers.conf, a Debian base
# image made by debootstrap from this machine's own apt sources (no image
# registry is needed), and the sfwd image built on it.
#
# Source it; it defines functions only (and CT_TOP, CT_CODENAME, CT_WORK,
# and CONTAINERS_CONF, exported).

CT_TOP=${CT_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
CT_CODENAME=${CT_CODENAME:-$(. /etc/os-release && echo "${VERSION_CODENAME:-}")}
# work folder: the root file system while it is made, the build context,
# debootstrap.log and build.log
CT_WORK=${CT_WORK:-$CT_TOP/var/container}
# our podman settings only (runc, cgroupfs, ulimits), not the system's
export CONTAINERS_CONF=${CONTAINERS_CONF:-$CT_TOP/etc/container/containers.conf}

ct_log() { echo "container: $*" >&2; }

ct_sudo() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	else
		sudo "$@"
	fi
}

# ct_deps: install podman (with runc) and debootstrap when missing, then
# check that podman runs here. Non-zero, with the reason on stderr, when
# either fails.
ct_deps() {
	local p out missing=()
	for p in podman runc debootstrap; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		ct_log "installing ${missing[*]}"
		ct_sudo apt-get update -qq >/dev/null 2>&1 || true
		if ! out=$(ct_sudo env DEBIAN_FRONTEND=noninteractive apt-get install \
			-y -qq --no-install-recommends "${missing[@]}" 2>&1); then
			ct_log "apt-get install ${missing[*]} failed: $(tail -n 3 <<<"$out")"
			return 1
		fi
	fi
	# podman's API socket is not needed; Debian enables it
	if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
		ct_sudo systemctl disable --now podman.socket >/dev/null 2>&1 || true
	fi
	if ! out=$(ct_sudo env CONTAINERS_CONF="$CONTAINERS_CONF" podman info \
		--format '{{.Host.OCIRuntime.Name}} {{.Store.GraphDriverName}}' 2>&1); then
		ct_log "podman does not work here: $(tail -n 3 <<<"$out")"
		return 1
	fi
	ct_log "podman $(podman --version | awk '{print $3}'), runtime and storage: $out"
}

# ct_debian_sources [FILE...]: this machine's Debian apt entries of its release, one
# "URI SUITE" a line (suites CODENAME, -updates, -security; component main),
# from deb822 (*.sources) and one-line (*.list) files. Other repositories
# (other suites or components) are left out.
ct_debian_sources() {
	local f files=()
	[ -n "$CT_CODENAME" ] || { ct_log "no VERSION_CODENAME in /etc/os-release"; return 1; }
	[ $# -gt 0 ] || set -- /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
		/etc/apt/sources.list.d/*.sources
	for f in "$@"; do
		[ -f "$f" ] && files+=("$f")
	done
	[ ${#files[@]} -gt 0 ] || return 1
	awk -v cn="$CT_CODENAME" '
	function ours(s) {
		return s == cn || s == cn "-updates" || s == cn "-security"
	}
	function emit(types, uris, suites, comps, enabled,   u, s, nu, ns, i, j) {
		if (enabled == "no" || (" " types " ") !~ / deb / ||
			(" " comps " ") !~ / main /)
			return
		nu = split(uris, u, " "); ns = split(suites, s, " ")
		for (i = 1; i <= nu; i++)
			for (j = 1; j <= ns; j++)
				if (ours(s[j]) && !((u[i] " " s[j]) in seen)) {
					seen[u[i] " " s[j]] = 1
					print u[i], s[j]
				}
	}
	function flush() {
		if (t != "") emit(t, us, ss, cs, en)
		t = us = ss = cs = en = ""
	}
	FNR == 1 { flush(); deb822 = (FILENAME ~ /\.sources$/) }
	/^[ \t]*#/ { next }
	deb822 && /^[ \t]*$/ { flush(); next }
	deb822 {
		k = tolower($1); v = $0; sub(/^[^:]*:[ \t]*/, "", v)
		if (k == "types:") t = v
		else if (k == "uris:") us = v
		else if (k == "suites:") ss = v
		else if (k == "components:") cs = v
		else if (k == "enabled:") en = tolower(v)
		next
	}
	$1 == "deb" {
		line = $0; sub(/^deb[ \t]+/, "", line)
		if (line ~ /^\[/) sub(/^\[[^]]*\][ \t]*/, "", line)
		n = split(line, w, /[ \t]+/)
		comps = ""
		for (i = 3; i <= n; i++) comps = comps " " w[i]
		emit("deb", w[1], w[2], comps, "")
	}
	END { flush() }' "${files[@]}"
}

# ct_base_image TAG: a minimal Debian image of this machine's release from
# its own mirror: debootstrap --variant=minbase, then podman import. The
# image's apt sources are this machine's Debian entries; services are never
# started by package scripts (policy-rc.d), recommends are not installed.
ct_base_image() {
	local tag=$1 work=$CT_WORK/rootfs srcs mirror proxy incl=
	srcs=$(ct_debian_sources) && [ -n "$srcs" ] ||
		{ ct_log "no Debian $CT_CODENAME entries in this machine's apt sources"; return 1; }
	mirror=$(awk -v cn="$CT_CODENAME" '$2 == cn { print $1; exit }' <<<"$srcs")
	[ -n "$mirror" ] || { ct_log "no apt entry for suite $CT_CODENAME"; return 1; }
	case "$mirror" in
	http://*) ;;
	https://*) incl=--include=ca-certificates ;;
	*) ct_log "debootstrap needs an http(s) mirror, the apt sources name $mirror"; return 1 ;;
	esac
	# an apt proxy of this machine is used by debootstrap and in the image
	proxy=$(apt-config dump 2>/dev/null |
		sed -n 's/^Acquire::http::Proxy "\(.*\)";$/\1/p' | head -n 1)
	rm -rf "$work"
	mkdir -p "$work"
	ct_log "debootstrap $CT_CODENAME (minbase) from this machine's Debian mirror"
	# shellcheck disable=SC2086
	if ! env ${proxy:+http_proxy="$proxy"} debootstrap --variant=minbase $incl \
		"$CT_CODENAME" "$work/root" "$mirror" >"$CT_WORK/debootstrap.log" 2>&1; then
		ct_log "debootstrap failed, last lines of $CT_WORK/debootstrap.log:"
		tail -n 15 "$CT_WORK/debootstrap.log" >&2
		rm -rf "$work"
		return 1
	fi
	awk '{ print "deb", $1, $2, "main" }' <<<"$srcs" >"$work/root/etc/apt/sources.list"
	if [ -n "$proxy" ]; then
		echo "Acquire::http::Proxy \"$proxy\";" \
			>"$work/root/etc/apt/apt.conf.d/01proxy"
	fi
	cat >"$work/root/etc/apt/apt.conf.d/90sfwd-container" <<-'EOF'
		APT::Install-Recommends "false";
		APT::Install-Suggests "false";
		Acquire::Languages "none";
	EOF
	printf '#!/bin/sh\nexit 101\n' >"$work/root/usr/sbin/policy-rc.d"
	chmod 755 "$work/root/usr/sbin/policy-rc.d"
	# no manuals, documentation (but copyrights) or translations, now and
	# in packages installed later
	cat >"$work/root/etc/dpkg/dpkg.cfg.d/90sfwd-container" <<-'EOF'
		path-exclude /usr/share/doc/*
		path-include /usr/share/doc/*/copyright
		path-exclude /usr/share/man/*
		path-exclude /usr/share/info/*
		path-exclude /usr/share/locale/*
	EOF
	find "$work/root/usr/share/doc" -type f ! -name copyright -delete
	rm -rf "$work/root/usr/share/man/"* "$work/root/usr/share/info/"* \
		"$work/root/usr/share/locale/"* "$work/root/var/cache/apt/archives/"*.deb \
		"$work/root/var/lib/apt/lists/"*
	tar -C "$work/root" --numeric-owner -c . |
		podman import -q --change 'CMD ["/bin/bash"]' - "$tag" >/dev/null ||
		{ ct_log "podman import failed"; rm -rf "$work"; return 1; }
	rm -rf "$work"
}

# ct_build_image TAG BASE: the sfwd image (etc/container/Containerfile) on
# the base image BASE, from the package `make deb` made (var/deb). The
# build context is a copy of only what the Containerfile uses
# ($CT_WORK/context).
ct_build_image() {
	local tag=$1 base=$2 ctx=$CT_WORK/context
	rm -rf "$ctx"
	mkdir -p "$ctx"
	mkdir -p "$ctx/deb"
	(cd "$CT_TOP" && cp --parents etc/container/entrypoint.sh \
		etc/container/Containerfile "$ctx/" &&
		cp var/deb/kamailio-sfwd-module_*.deb "$ctx/deb/") ||
		{ ct_log "cannot copy the build context (make deb first)"; return 1; }
	ct_log "building $tag on $base (etc/container/Containerfile)"
	# --network host: the build's apt reaches the mirror as this machine does
	podman build --network host --layers=false --force-rm --pull=never \
		--build-arg "BASE=$base" -f "$ctx/etc/container/Containerfile" \
		-t "$tag" "$ctx" >"$CT_WORK/build.log" 2>&1 || {
		ct_log "podman build failed, last lines of $CT_WORK/build.log:"
		tail -n 25 "$CT_WORK/build.log" >&2
		rm -rf "$ctx"
		return 1
	}
	rm -rf "$ctx"
}
