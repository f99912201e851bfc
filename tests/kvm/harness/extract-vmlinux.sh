#!/bin/sh
# Unpacks the ELF vmlinux from a bzImage, so QEMU can boot it through PVH
# (its ELF note) and skip the real-mode setup and the in-guest decompression,
# which cost ~2 s under software emulation.
#   extract-vmlinux.sh BZIMAGE OUTPUT   (exit 1, no OUTPUT, if it cannot)
set -u
in=$1
out=$2
tmp=$out.tmp.$$
trap 'rm -f "$tmp"' EXIT

try() { # magic-as-grep-pattern decompress-command...
    pat=$1; shift
    for off in $(LC_ALL=C grep -obUaP "$pat" "$in" 2>/dev/null | cut -d: -f1 | head -n 5); do
        tail -c +$((off + 1)) "$in" | "$@" >"$tmp" 2>/dev/null
        # Trailing data after the stream makes some decompressors complain:
        # judge by the result, an ELF file.
        if [ "$(head -c 4 "$tmp" | od -An -c | tr -d ' ')" = '177ELF' ]; then
            mv -f "$tmp" "$out" && exit 0
        fi
    done
}
try '\xfd7zXZ\x00' xz -dc --single-stream
try '\x28\xb5\x2f\xfd' zstd -qdc
try '\x1f\x8b\x08' gzip -dc
exit 1
