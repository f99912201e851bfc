#!/bin/sh
# Build the built-in "busybox" image as an OCI image layout, from Debian's
# busybox-static. Two layers: the busybox binary with every applet link, then
# a minimal /etc and the usual top-level directories. The tars are
# reproducible (sorted, mtime 0, numeric owner 0), so the digests are stable
# for a given busybox build. Extra files given after OUT_DIR (the static
# workloads, build/workloads/*) go into layer 2 at /usr/local/bin, so
# `osbox run busybox syscall` and `osbox vm run busybox syscall` find them.
#   images/recipes/busybox.sh OUT_DIR [BINARY...]   (e.g. build/images/busybox.oci)
set -eu

out=${1:?usage: busybox.sh OUT_DIR [BINARY...]}
shift
bb=${BUSYBOX:-/bin/busybox}
[ -x "$bb" ] || { echo "busybox.sh: $bb missing (apt-get install busybox-static)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/osbox-busybox.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
umask 022

# ---- layer 1: /bin/busybox and its applet links ----
l1=$work/l1
mkdir -p "$l1/bin"
cp "$bb" "$l1/bin/busybox"
chmod 0755 "$l1/bin/busybox"
"$bb" --list-full | while read -r path; do
    case $path in bin/busybox|linuxrc|"") continue ;; esac
    mkdir -p "$l1/$(dirname "$path")"
    ln -sf /bin/busybox "$l1/$path"
done
for a in sh ls cat echo ps mount ip wget nc sleep true false env id hostname top kill mkdir \
         rm touch wc grep sed awk head tail printf test [ dd yes seq sync chmod ln df du free uname; do
    found=
    for d in bin sbin usr/bin usr/sbin; do [ -L "$l1/$d/$a" ] && found=1; done
    [ -n "$found" ] || { echo "busybox.sh: applet '$a' missing from $bb" >&2; exit 1; }
done

# ---- layer 2: /etc and the top-level directories ----
l2=$work/l2
mkdir -p "$l2/etc" "$l2/root" "$l2/home/user" "$l2/tmp" "$l2/var/tmp" "$l2/var/log" \
         "$l2/proc" "$l2/sys" "$l2/dev" "$l2/run" "$l2/mnt" "$l2/usr/local/bin"
chmod 0700 "$l2/root"
for b in "$@"; do
    [ -f "$b" ] || { echo "busybox.sh: $b missing (run 'make')" >&2; exit 1; }
    cp "$b" "$l2/usr/local/bin/$(basename "$b")"
    chmod 0755 "$l2/usr/local/bin/$(basename "$b")"
done
chmod 1777 "$l2/tmp" "$l2/var/tmp"
cat > "$l2/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
user:x:1000:1000:user:/home/user:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
P
cat > "$l2/etc/group" <<'G'
root:x:0:
daemon:x:1:
tty:x:5:
user:x:1000:
nogroup:x:65534:
G
cat > "$l2/etc/shadow" <<'S'
root:*:19000:0:99999:7:::
daemon:*:19000:0:99999:7:::
user:*:19000:0:99999:7:::
nobody:*:19000:0:99999:7:::
S
chmod 0640 "$l2/etc/shadow"
printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' > "$l2/etc/hosts"
printf '# replaced per container by osbox\n' > "$l2/etc/resolv.conf"
printf 'osbox\n' > "$l2/etc/hostname"
printf 'NAME="osbox busybox"\nID=osbox-busybox\n' > "$l2/etc/os-release"
# Owners: numeric, root everywhere but the user's home. Without root we cannot
# chown, so tar is told to record 0 for everything.
owner="--owner=0 --group=0"
if [ "$(id -u)" = 0 ]; then
    chown -R 0:0 "$l1" "$l2"
    chown 1000:1000 "$l2/home/user"
    owner=
fi

sha() { sha256sum "$1" | cut -d' ' -f1; }
size() { stat -c %s "$1"; }

blobs=$work/out/blobs/sha256
mkdir -p "$blobs"

# Layer 1 gzip-compressed, layer 2 plain: both media types get exercised.
(cd "$l1" && LC_ALL=C tar --sort=name --mtime=@0 --numeric-owner $owner --format=gnu -cf "$work/l1.tar" bin sbin usr)
(cd "$l2" && LC_ALL=C tar --sort=name --mtime=@0 --numeric-owner $owner --format=gnu -cf "$work/l2.tar" \
    dev etc home mnt proc root run sys tmp usr var)
gzip -n -9 -c "$work/l1.tar" > "$work/l1.tar.gz"
diff1=$(sha "$work/l1.tar"); diff2=$(sha "$work/l2.tar")
dig1=$(sha "$work/l1.tar.gz"); dig2=$diff2
cp "$work/l1.tar.gz" "$blobs/$dig1"
cp "$work/l2.tar" "$blobs/$dig2"

version=$("$bb" 2>&1 | head -n1 | sed 's/"/\\"/g')
printf '{"architecture":"amd64","os":"linux","created":"1970-01-01T00:00:00Z",'\
'"config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["sh"],"WorkingDir":"/"},'\
'"rootfs":{"type":"layers","diff_ids":["sha256:%s","sha256:%s"]},'\
'"history":[{"created":"1970-01-01T00:00:00Z","created_by":"osbox recipe: %s"},'\
'{"created":"1970-01-01T00:00:00Z","created_by":"osbox recipe: /etc and directories"}]}' \
    "$diff1" "$diff2" "$version" > "$work/config.json"
cfg=$(sha "$work/config.json")
cp "$work/config.json" "$blobs/$cfg"

printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",'\
'"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},'\
'"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s},'\
'{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' \
    "$cfg" "$(size "$work/config.json")" "$dig1" "$(size "$work/l1.tar.gz")" \
    "$dig2" "$(size "$work/l2.tar")" > "$work/manifest.json"
man=$(sha "$work/manifest.json")
cp "$work/manifest.json" "$blobs/$man"

printf '{"imageLayoutVersion":"1.0.0"}' > "$work/out/oci-layout"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":['\
'{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,'\
'"annotations":{"org.opencontainers.image.ref.name":"busybox:latest"}}]}' \
    "$man" "$(size "$work/manifest.json")" > "$work/out/index.json"

rm -rf "$out.tmp"
mkdir -p "$(dirname "$out")"
mv "$work/out" "$out.tmp"
rm -rf "$out"
mv "$out.tmp" "$out"
echo "busybox image: $out (manifest sha256:$man)"
