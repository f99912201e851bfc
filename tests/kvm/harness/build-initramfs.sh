#!/bin/sh
# Builds the nested-KVM harness's initramfs (an uncompressed newc cpio):
# busybox-static, the /init script next to this file, and the installed
# kernel's modules that /init inserts, decompressed here because busybox
# insmod may not read .ko.xz/.ko.zst.
#   build-initramfs.sh KVER OUTPUT.cpio
set -eu

kver=$1
out=$2
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../initramfs-lib.sh"
moddir=/lib/modules/$kver

# Load order matters: insmod does no dependency resolution.
MODULES="irqbypass ccp kvm kvm-amd virtio_ring virtio virtio_pci_modern_dev
virtio_pci_legacy_dev virtio_pci netfs fscache 9pnet 9pnet_virtio 9p overlay"

die() { echo "harness initramfs: $*" >&2; exit 1; }
[ -f "$moddir/modules.dep" ] || die "no modules for kernel $kver in $moddir"
busybox=$(command -v busybox || true)
[ -n "$busybox" ] || die "busybox not found (Debian package busybox-static)"
# ldd succeeds only on dynamic executables; the initramfs has no libc.
! ldd "$busybox" >/dev/null 2>&1 || die "$busybox is not static (install busybox-static)"
command -v cpio >/dev/null || die "cpio not found"

stage=$(mktemp -d "${TMPDIR:-/tmp}/osbox-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/dev" "$stage/proc" "$stage/sys" "$stage/mnt" "$stage/modules"
cp "$busybox" "$stage/bin/busybox"
for a in sh mount umount mkdir insmod chroot chmod cat cp echo stty poweroff sync kill sleep ip hostname switch_root; do
    ln -s busybox "$stage/bin/$a"
done
cp "$here/init" "$stage/init"
cp "$here/systemd.sh" "$stage/systemd.sh"
chmod 755 "$stage/init"
# The kernel opens /dev/console for /init before /init can mount devtmpfs.
[ "$(id -u)" -eq 0 ] && mknod -m 600 "$stage/dev/console" c 5 1

initramfs_add_modules "$stage" "$moddir" "$kver" $MODULES
initramfs_pack "$stage" "$out"
