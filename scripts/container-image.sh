#!/usr/bin/env bash
# The sfwd container image, from Debian packages only (no image registry):
# a Debian base image made by debootstrap from this machine's own apt
# sources, then etc/container/Containerfile on it. Installs podman, runc
# and debootstrap first when missing. Root (or sudo) is needed: debootstrap
# and podman run as root.
#
#   scripts/container-image.sh [build]  `make image`: both images; the base
#                                       is kept and reused when present
#   scripts/container-image.sh base     the base image only (made anew)
#   scripts/container-image.sh check    install podman if missing and check
#                                       that it runs here (CI uses this)
#
# Environment (defaults):
#   SFWD_IMAGE        localhost/sfwd:latest
#   SFWD_BASE_IMAGE   localhost/sfwd-base:<codename>
#   SFWD_BASE_REBUILD 1: make the base image anew (new packages)
set -euo pipefail

. "$(dirname "$0")/container-lib.sh"

if [ "$(id -u)" -ne 0 ]; then
	exec sudo -E "$0" "$@"
fi

IMAGE=${SFWD_IMAGE:-localhost/sfwd:latest}
BASE=${SFWD_BASE_IMAGE:-localhost/sfwd-base:$CT_CODENAME}
mkdir -p "$CT_WORK"

# the image TAG was before we replaced it: removed once replaced, unless
# a container still uses it
old_id() { podman image inspect --format '{{.Id}}' "$1" 2>/dev/null || true; }
drop_old() {
	[ -n "$2" ] && [ "$2" != "$(old_id "$1")" ] &&
		podman rmi "$2" >/dev/null 2>&1 && ct_log "removed the previous $1 ($(cut -c1-12 <<<"$2"))"
	return 0
}

case "${1:-build}" in
check)
	ct_deps
	;;
base)
	ct_deps
	start=$(date +%s)
	old_base=$(old_id "$BASE")
	ct_base_image "$BASE"
	drop_old "$BASE" "$old_base"
	ct_log "base image $BASE made in $(($(date +%s) - start)) s"
	;;
build)
	ct_deps
	start=$(date +%s)
	old_base=$(old_id "$BASE")
	old_image=$(old_id "$IMAGE")
	if [ "${SFWD_BASE_REBUILD:-0}" = 1 ] || [ -z "$old_base" ]; then
		ct_base_image "$BASE"
		ct_log "base image $BASE made in $(($(date +%s) - start)) s"
	else
		ct_log "reusing base image $BASE (SFWD_BASE_REBUILD=1 makes it anew)"
	fi
	ct_build_image "$IMAGE" "$BASE"
	drop_old "$IMAGE" "$old_image"
	drop_old "$BASE" "$old_base"
	size=$(podman image inspect --format '{{.Size}}' "$IMAGE")
	ct_log "image $IMAGE ($((size / 1000000)) MB) built in $(($(date +%s) - start)) s"
	cat <<-EOF

		Run it (PostgreSQL with sfwd's schema: podman run --rm $IMAGE schema):
		  podman run -d --name sfwd --network host \\
		    -e SFWD_DB_URL=postgres://sfwd:secret@127.0.0.1:5432/sfwd \\
		    -e SFWD_SIP_ADDR=127.0.0.1 $IMAGE
		  podman exec sfwd kamcmd sfwd.stats
		  podman stop sfwd
		See "Running in a container" in README.md.
	EOF
	;;
*)
	echo "usage: $0 [build|base|check]" >&2
	exit 2
	;;
esac
