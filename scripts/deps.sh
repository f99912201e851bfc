#!/bin/sh
# Install the Debian packages osbox needs to build, test and demo.
# Idempotent and quiet when everything is already present.
set -eu

PACKAGES="
gcc make pkg-config libc6-dev
libseccomp-dev libcap-dev libnl-3-dev libnl-route-3-dev libnftables-dev
libarchive-dev libssl-dev libjansson-dev libext2fs-dev liburing-dev
libcurl4-openssl-dev libcmocka-dev e2fsprogs musl-tools busybox-static
iproute2 util-linux procps kmod cpio uidmap
qemu-system-x86 linux-image-amd64
skopeo umoci docker-registry apache2-utils python3
podman conmon
chromium
"

missing=""
for p in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "osbox deps: missing Debian packages:$missing (run 'make deps' as root)" >&2
    exit 1
fi
echo "osbox deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
