#!/usr/bin/env bash
# Build the osbox guest disk: an ext2 image holding the guest kernel at
# /boot/osbox-kernel, static busybox with applet links, /init, the guest
# test programs and the workloads (256 MiB, sparse: room for the fileio workload).
#   guest-img.sh OUT KERNEL BUSYBOX [FILE:DEST]...
set -euo pipefail
out=$1 kernel=$2 busybox=$3
shift 3
stage=$(mktemp -d "${TMPDIR:-/tmp}/osbox-guest-img.XXXXXX")
trap 'rm -rf "$stage"' EXIT

mkdir -p "$stage"/{boot,bin,sbin,usr/bin,usr/sbin,dev,proc,tmp,root,etc,tests,workloads}
chmod 1777 "$stage/tmp"
install -m 0644 "$kernel" "$stage/boot/osbox-kernel"
install -m 0755 "$busybox" "$stage/bin/busybox"
for applet in $("$busybox" --list); do
    [ "$applet" = busybox ] && continue
    [ -e "$stage/bin/$applet" ] || ln -s busybox "$stage/bin/$applet"
done
for spec in "$@"; do
    install -D -m 0755 "${spec%%:*}" "$stage/${spec#*:}"
done
cat >"$stage/init" <<'INIT'
#!/bin/sh
# osbox guest init: greet, then an interactive shell on the console.
echo "osbox guest: init running ($(uname -sr))"
exec /bin/sh
INIT
chmod 0755 "$stage/init"
echo "osbox-guest" >"$stage/etc/hostname"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$stage/etc/passwd"
printf 'root:x:0:\n' >"$stage/etc/group"

rm -f "$out.tmp"
mke2fs -q -F -t ext2 -b 4096 -L osbox-guest -E root_owner=0:0 -d "$stage" "$out.tmp" 256M
mv "$out.tmp" "$out"
