#!/usr/bin/env bash
# What container security costs: start latency of `osbox run --rm /bin/true`
# with the defaults (Docker's capabilities, no_new_privs, the built-in seccomp
# profile, masked /proc and /sys paths) against --security-opt
# seccomp=unconfined, --privileged (no seccomp, no masks) and --userns=auto
# (idmapped layers), interleaved; then the cost of one getpid() inside a container with and
# without the seccomp filter (build/workloads/syscall).
#
#   bench/security.sh         (as root)
# Settings: BENCH_RUNS (100), BENCH_WARMUP (5), OSBOX (build/osbox).
# Target (issue 7): seccomp + caps add < 1 ms to the start.
# A benchmark, not a test: it always exits 0 and says what it could not measure.
set -u
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"

case ${1:-} in -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
[ "$(id -u)" -eq 0 ] || { bench_note "security.sh needs root (containers)"; exit 0; }
[ -x /bin/busybox ] || { bench_note "no /bin/busybox (busybox-static)"; exit 0; }

OSBOX=${OSBOX:-$BENCH_SRC/build/osbox}
SYSCALL=$BENCH_SRC/build/workloads/syscall
work=$(mktemp -d /var/tmp/osbox-bench-security.XXXXXX)
export OSBOX_ROOT=$work/root OSBOX_RUN=$work/run
cleanup() {
    bench_remove_workdir "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A private copy of osbox and a busybox rootfs.
cp "$OSBOX" "$work/osbox" && OSBOX=$work/osbox || { bench_note "no $OSBOX"; exit 0; }
rootfs=$work/rootfs
mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/tmp"
cp /bin/busybox "$rootfs/bin/busybox"
for a in sh true; do ln -s busybox "$rootfs/bin/$a"; done
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\n' >"$rootfs/etc/group"
[ -x "$SYSCALL" ] && cp "$SYSCALL" "$rootfs/bin/syscall"

run="$OSBOX run --rm --network none --rootfs $rootfs"
# Interleaved (A B C D A B C D ...), so load that drifts during the run (this
# machine is shared) hits every variant alike; median and min per variant.
names=(default seccomp-unconfined privileged userns-auto)
flags=("" "--security-opt seccomp=unconfined" "--privileged" "--userns auto")
runs=${BENCH_RUNS:-100}
times=$work/times
: >"$times"
for ((r = 0; r < ${BENCH_WARMUP:-5} + runs; r++)); do
    for i in "${!names[@]}"; do
        t0=$EPOCHREALTIME
        # shellcheck disable=SC2086
        $run ${flags[$i]} /bin/true >/dev/null 2>&1 || { bench_note "${names[$i]} failed"; continue; }
        t1=$EPOCHREALTIME
        [ "$r" -ge "${BENCH_WARMUP:-5}" ] && echo "${names[$i]} $(( (${t1/./} - ${t0/./}) ))" >>"$times"
    done
done
echo "start latency, osbox run --rm /bin/true ($runs interleaved runs each; microseconds -> ms):"
sort -k1,1 -k2,2n "$times" | awk '
    { v[$1, ++n[$1]] = $2 }
    END {
        split("default seccomp-unconfined privileged userns-auto", order, " ")
        for (k = 1; k <= 4; k++) {
            c = order[k]; if (!n[c]) continue
            med[c] = v[c, int((n[c] + 1) / 2)] / 1000; min[c] = v[c, 1] / 1000
            printf "  %-20s median %7.2f ms   min %7.2f ms\n", c, med[c], min[c]
        }
        printf "  seccomp adds %.2f ms (median) / %.2f ms (min); seccomp + caps + masks (vs privileged) %.2f / %.2f ms; target < 1 ms\n",
               med["default"] - med["seccomp-unconfined"], min["default"] - min["seccomp-unconfined"],
               med["default"] - med["privileged"], min["default"] - min["privileged"]
    }'

# The filter alone, in one process: build, kernel load, per-call cost.
if [ -x "$BENCH_SRC/build/tests/security/filter_cost" ]; then
    "$BENCH_SRC/build/tests/security/filter_cost" | sed 's/^/  /'
else
    bench_note "build/tests/security/filter_cost missing (make test-progs)"
fi

# getpid() with and without the filter: best of 5 runs of 2M calls each.
getpid_ns() { # FLAGS...
    local best="" v
    for _ in 1 2 3 4 5; do
        # shellcheck disable=SC2086
        v=$($run "$@" /bin/syscall 2000000 2>/dev/null | sed -n 's/.*"value":\([0-9.]*\).*/\1/p')
        [ -n "$v" ] || continue
        best=$(awk -v a="$best" -v b="$v" 'BEGIN { print (a == "" || b < a) ? b : a }')
    done
    echo "$best"
}
if [ -x "$rootfs/bin/syscall" ]; then
    f=$(getpid_ns)
    n=$(getpid_ns --security-opt seccomp=unconfined)
    h=$("$SYSCALL" 2000000 | sed -n 's/.*"value":\([0-9.]*\).*/\1/p')
    echo "getpid() cost (best of 5 x 2M calls):"
    awk -v f="$f" -v n="$n" -v h="$h" 'BEGIN {
        printf "  %-40s %8.1f ns\n", "host, no filter", h
        printf "  %-40s %8.1f ns\n", "container, seccomp=unconfined", n
        printf "  %-40s %8.1f ns\n", "container, default seccomp profile", f
        if (n > 0) printf "  the filter adds %.1f ns per system call (%.0f%%)\n", f - n, (f - n) / n * 100
    }'
else
    bench_note "build/workloads/syscall missing (make): getpid() not measured"
fi
exit 0
