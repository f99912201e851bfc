#!/usr/bin/env bash
# What mounts cost at start-up: `/bin/true` in a fresh container with no
# user mounts against the same with 3 read-only binds of host dirs and a
# tmpfs (osbox run -v ... --tmpfs), and crun with the same 4 mounts in its
# config.json, in the same run. Reports the time each mount adds (target
# for osbox: < 0.2 ms a mount) beside crun's.
#
#   bench/mounts.sh           (as root; see bench/README.md)
# Settings: BENCH_RUNS (100), BENCH_WARMUP (5), OSBOX (build/osbox).
# A benchmark, not a test: it always exits 0 and says what it could not measure.
set -u
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"

case ${1:-} in -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
[ "$(id -u)" -eq 0 ] || { bench_note "mounts.sh needs root (containers, cgroups)"; exit 0; }
bench_deps crun jq || true

OSBOX=${OSBOX:-$BENCH_SRC/build/osbox}
work=$(mktemp -d /var/tmp/osbox-bench-mounts.XXXXXX)
export OSBOX_ROOT=$work/osbox-root OSBOX_RUN=$work/osbox-run
trap 'bench_remove_workdir "$work"' EXIT
trap 'exit 130' INT TERM

oci=$(bench_busybox_oci "$work") && bench_unpack_oci "$oci" "$work/bundle/rootfs" ||
    { bench_note "cannot prepare the busybox rootfs"; exit 0; }
mkdir -p "$work/src1" "$work/src2" "$work/src3"
cp "$OSBOX" "$work/osbox" && OSBOX=$work/osbox   # a rebuild during the run must not disturb it
"$OSBOX" load --oci-dir "$oci" >/dev/null 2>&1 || { bench_note "osbox load failed"; exit 0; }
# On directories the image has (/mnt /home /usr/local /run): the mounts'
# own cost, not that of making (and, with --rm, removing) target dirs.
vflags="-v $work/src1:/mnt:ro -v $work/src2:/home:ro -v $work/src3:/usr/local:ro --tmpfs /run"
# And 16 binds + 4 tmpfs on new target dirs: five times the signal, and
# the cost of the 20 directories made in the writable layer on top.
many=""
for i in $(seq 1 16); do mkdir -p "$work/s$i"; many="$many -v $work/s$i:/n$i:ro"; done
for i in 1 2 3 4; do many="$many --tmpfs /t$i"; done
base="$OSBOX run --rm --network none --security-opt seccomp=unconfined busybox /bin/true"
with="$OSBOX run --rm --network none --security-opt seccomp=unconfined $vflags busybox /bin/true"
with20="$OSBOX run --rm --network none --security-opt seccomp=unconfined $many busybox /bin/true"

# crun: the bench's OCI config (no limits: crun on a hybrid host gets none
# either, see below), and the same plus the 4 mounts.
bench_oci_config '["/bin/true"]' 268435456 1024 | jq 'del(.linux.resources)' >"$work/bundle/config.json"
cp -r "$work/bundle" "$work/bundle-m" 2>/dev/null
jq --arg w "$work" '.mounts += [
    {destination: "/mnt", type: "bind", source: ($w + "/src1"), options: ["rbind", "ro"]},
    {destination: "/home", type: "bind", source: ($w + "/src2"), options: ["rbind", "ro"]},
    {destination: "/usr/local", type: "bind", source: ($w + "/src3"), options: ["rbind", "ro"]},
    {destination: "/run", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev", "noexec", "size=65536k"]}]' \
    "$work/bundle/config.json" >"$work/bundle-m/config.json"
rm -rf "$work/bundle-m/rootfs" && ln -s "$work/bundle/rootfs" "$work/bundle-m/rootfs"

# Interleaved pairs (A, B, A, B ...) instead of hyperfine's all-A-then-all-B:
# on a shared, busy machine load drifts over a run, and a pair sees the same
# load. The figure is the median of the pairs' differences. crun 1.8 refuses
# hybrid cgroups: on such a host it runs with no cgroup manager, in a
# private mount namespace without the cgroup2 mount.
runs=${BENCH_RUNS:-100} warm=${BENCH_WARMUP:-5}
"$OSBOX" run --rm --network none $vflags busybox /bin/true || bench_note "osbox run with the mounts failed"
crun_cmd="crun --root $work/crun"
grep -q ' /sys/fs/cgroup/unified cgroup2 ' /proc/self/mounts && crun_cmd="$crun_cmd --cgroup-manager=disabled"
pairs() { # OUT CMD_A CMD_B: "a_ms b_ms" lines
    local i t0 t1 t2
    for ((i = 0; i < warm + runs; i++)); do
        t0=$EPOCHREALTIME; $2 >/dev/null 2>&1; t1=$EPOCHREALTIME; $3 >/dev/null 2>&1; t2=$EPOCHREALTIME
        ((i < warm)) || echo "$t0 $t1 $t2" | awk '{ printf "%.4f %.4f\n", ($2 - $1) * 1000, ($3 - $2) * 1000 }' >>"$1"
    done
}
pairs "$work/osbox.pairs" "$base" "$with"
pairs "$work/osbox20.pairs" "$base" "$with20"
export -f pairs
WORK=$work CRUN="$crun_cmd" runs=$runs warm=$warm unshare -m --propagation private bash -c '
    umount /sys/fs/cgroup/unified 2>/dev/null
    pairs "$WORK/crun.pairs" "$CRUN run --bundle $WORK/bundle bench-a" "$CRUN run --bundle $WORK/bundle-m bench-b"' ||
    bench_note "cannot make crun's mount namespace"

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) printf "%.3f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo "mount cost at start-up: /bin/true, $runs interleaved pairs after $warm warm-up (medians)"
printf '  %-10s %12s %18s %14s\n' "runtime" "no mounts" "3 binds + tmpfs" "per mount"
for who in osbox crun osbox20; do
    f=$work/$who.pairs n=4
    [ "$who" = osbox20 ] && n=20 && printf '  %-10s %12s %18s\n' "" "" "16 binds + 4 tmpfs, new dirs"
    [ -s "$f" ] || { printf '  %-10s %12s\n' "$who" "not measured"; continue; }
    a=$(awk '{ print $1 }' "$f" | median) b=$(awk '{ print $2 }' "$f" | median)
    d=$(awk '{ print $2 - $1 }' "$f" | median)
    awk -v w="${who%20}" -v a="$a" -v b="$b" -v d="$d" -v n="$n" \
        'BEGIN { printf "  %-10s %9.2f ms %15.2f ms %11.3f ms\n", w, a, b, d / n }'
done
exit 0
