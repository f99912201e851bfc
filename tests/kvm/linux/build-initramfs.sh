#!/bin/sh
# Builds the initramfs the Linux-guest tests and bench/vm-boot.sh boot under
# osbox vm boot (and QEMU -M microvm): busybox-static, ./init, and the
# installed kernel's virtio modules (Debian builds them as modules: block,
# net and what virtio_net needs), as an
# uncompressed newc cpio. Nothing is downloaded.
#   build-initramfs.sh KVER OUTPUT.cpio
set -eu
kver=$1
out=$2
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../initramfs-lib.sh"
moddir=/lib/modules/$kver
# Load order matters: insmod does no dependency resolution.
MODULES="virtio_ring virtio virtio_mmio virtio_blk failover net_failover virtio_net"

die() { echo "linux guest initramfs: $*" >&2; exit 1; }
[ -f "$moddir/modules.dep" ] || die "no modules for kernel $kver in $moddir"
busybox=$(command -v busybox || true)
[ -n "$busybox" ] || die "busybox not found (Debian package busybox-static)"
! ldd "$busybox" >/dev/null 2>&1 || die "$busybox is not static (install busybox-static)"
command -v cpio >/dev/null || die "cpio not found"

stage=$(mktemp -d "${TMPDIR:-/tmp}/osbox-linux-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/dev" "$stage/proc" "$stage/sys" "$stage/modules"
cp "$busybox" "$stage/bin/busybox"
for a in $("$busybox" --list); do
    [ "$a" = busybox ] || ln -s busybox "$stage/bin/$a"
done
cp "$here/init" "$stage/init"
chmod 755 "$stage/init"
[ "$(id -u)" -eq 0 ] && mknod -m 600 "$stage/dev/console" c 5 1
initramfs_add_modules "$stage" "$moddir" "$kver" $MODULES
initramfs_pack "$stage" "$out"
