#!/usr/bin/env bash
# osbox build against podman build of the same two-stage Containerfile
# (tests/integration/build.sh's: a busybox rootfs imported in both, COPYs, a
# RUN, a static musl program copied into a scratch stage), same run, runs
# interleaved (osbox, podman, osbox, ...). Cold: no cache (osbox: a fresh
# store with only the base image; podman: --no-cache). Cached: the same build
# again, nothing changed (target: well under 1 s). podman runs offline with
# --pull=never --isolation chroot, vfs storage in the work dir.
#
#   bench/build.sh           (as root)
# Settings: BENCH_RUNS (5), OSBOX (build/osbox), BENCH_KEEP=1 keeps the work dir.
# A benchmark, not a test: it always exits 0 and says what it could not measure.
set -u
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"

case ${1:-} in -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
[ "$(id -u)" -eq 0 ] || { bench_note "build.sh needs root"; exit 0; }
OSBOX=${OSBOX:-$BENCH_SRC/build/osbox}
RUNS=${BENCH_RUNS:-5}
[ -x "$OSBOX" ] || { bench_note "$OSBOX missing: run make"; exit 0; }
command -v musl-gcc >/dev/null || { bench_note "musl-gcc missing (musl-tools)"; exit 0; }
command -v podman >/dev/null || { bench_note "podman missing: nothing to compare with"; exit 0; }
[ -x /bin/busybox ] || { bench_note "no /bin/busybox (busybox-static)"; exit 0; }
work=$(mktemp -d /var/tmp/osbox-bench-build.XXXXXX)
P="podman --root $work/p --runroot $work/pr --storage-driver vfs --cgroup-manager cgroupfs --events-backend file --tmpdir $work/libpod"
export CONTAINERS_CONF=$work/containers.conf
: > "$CONTAINERS_CONF"
cleanup() {
    timeout 60 $P rmi -af >/dev/null 2>&1 || true
    if [ "${BENCH_KEEP:-0}" = 1 ]; then bench_note "kept $work"; else bench_remove_workdir "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- the base rootfs and the context ----
r=$work/rootfs
mkdir -p "$r/bin" "$r/etc" "$r/tmp" "$r/root" "$r/var"
cp /bin/busybox "$r/bin/busybox"
for a in $("$r/bin/busybox" --list); do [ "$a" = busybox ] || ln -sf busybox "$r/bin/$a"; done
echo 'root:x:0:0:root:/root:/bin/sh' > "$r/etc/passwd"; echo 'root:x:0:' > "$r/etc/group"
tar -C "$r" -cf "$work/rootfs.tar" .
C=$work/ctx
mkdir -p "$C/src"
printf '#include <stdio.h>\nint main(void) { puts("hello"); return 0; }\n' > "$C/src/hello.c"
musl-gcc -static -O2 -o "$C/hello" "$C/src/hello.c"
cat > "$C/Containerfile" <<'CF'
FROM localhost/base AS build
ENV A=1
WORKDIR /work
COPY src/ ./src/
COPY hello /work/hello
RUN echo "built $A" > /work/msg && chmod 755 /work/hello
FROM scratch
COPY --from=build /work/hello /hello
COPY --from=build /work/msg /
CMD ["/hello"]
CF
timeout 60 $P import "$work/rootfs.tar" localhost/base:latest >/dev/null 2>&1 || { bench_note "podman import failed"; exit 0; }

ms() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1 || return 1; e=$(date +%s%N); echo $(((e - s) / 1000000)); }
osbox_cold() {
    rm -rf "$work/root"; mkdir -p "$work/root"
    OSBOX_ROOT=$work/root "$OSBOX" import "$work/rootfs.tar" localhost/base >/dev/null
    sync
    OSBOX_ROOT=$work/root ms "$OSBOX" build -q -t b:1 "$C"
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
: > "$work/oc"; : > "$work/pc"; : > "$work/oh"; : > "$work/ph"
for i in $(seq 1 "$RUNS"); do
    osbox_cold >> "$work/oc" || { bench_note "osbox build failed"; exit 0; }
    sync; ms timeout 300 $P build -q --pull=never --isolation chroot --no-cache -t b:1 "$C" >> "$work/pc" ||
        { bench_note "podman build failed"; exit 0; }
    OSBOX_ROOT=$work/root ms "$OSBOX" build -q -t b:1 "$C" >> "$work/oh"
    ms timeout 300 $P build -q --pull=never --isolation chroot -t b:1 "$C" >> "$work/ph"
done
oc=$(median < "$work/oc"); pc=$(median < "$work/pc"); oh=$(median < "$work/oh"); ph=$(median < "$work/ph")
awk -v oc="$oc" -v pc="$pc" -v oh="$oh" -v ph="$ph" -v n="$RUNS" 'BEGIN {
    printf "median of %d runs each, interleaved\n", n
    printf "%-28s %8d ms   podman %8d ms   osbox/podman %.2f\n", "cold build (no cache)", oc, pc, oc / pc
    printf "%-28s %8d ms   podman %8d ms   osbox/podman %.2f   (target: well under 1000 ms)\n", "cached rebuild", oh, ph, oh / ph
}'
