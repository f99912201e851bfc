#!/usr/bin/env bash
# Container start-up: `/bin/true` in a fresh container, osbox against crun and
# runc running the same busybox rootfs with an equivalent OCI config (same
# namespaces; memory and pids limits), measured side by side with hyperfine,
# plus the floor: bare namespaces with `unshare -fpmuin /bin/true`.
#
#   bench/start.sh            (as root; see bench/README.md)
# Settings: BENCH_RUNS (100), BENCH_WARMUP (5), OSBOX (build/osbox),
#           BENCH_KEEP=1 keeps the work directory and hyperfine's logs.
# A benchmark, not a test: it always exits 0 and says what it could not measure.
set -u
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"

case ${1:-} in -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
[ "$(id -u)" -eq 0 ] || { bench_note "start.sh needs root (containers, cgroups)"; exit 0; }
bench_deps hyperfine crun runc || true
command -v hyperfine >/dev/null || { bench_note "hyperfine missing: nothing measured"; exit 0; }

OSBOX=${OSBOX:-$BENCH_SRC/build/osbox}
MEM=$((256 * 1024 * 1024)) PIDS=1024
work=$(mktemp -d /var/tmp/osbox-bench-start.XXXXXX)
export OSBOX_ROOT=$work/osbox-root OSBOX_RUN=$work/osbox-run
cleanup() {
    runc --root "$work/runc" delete -f bench-runc >/dev/null 2>&1
    # Unmount whatever a failed run left under the work dir, deepest first.
    grep -F " $work" /proc/self/mountinfo | awk '{print $5}' | sort -r | while read -r m; do
        umount -l "$m" 2>/dev/null
    done
    if [ "${BENCH_KEEP:-0}" = 1 ]; then bench_note "kept $work"; else rm -rf --one-file-system "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# One rootfs for everyone: the built-in busybox image, unpacked.
oci=$(bench_busybox_oci "$work") && bench_unpack_oci "$oci" "$work/bundle/rootfs" ||
    { bench_note "cannot prepare the busybox rootfs"; exit 0; }
bench_oci_config '["/bin/true"]' "$MEM" "$PIDS" >"$work/bundle/config.json"

measure() { # NAME CMD: one hyperfine each, so a failure costs only its row
    local csv=$work/row-$((++nrow)).csv
    if bench_hyperfine "$csv" "$1" "$2" >"$csv.log" 2>&1; then return 0; fi
    bench_note "measuring '$1' failed:"; tail -n 3 "$csv.log" | sed 's/^/    /' >&2
}
nrow=0

# osbox: through its image store (the figure issue 2 asks for) and, when
# `--rootfs` exists, on the very directory crun and runc use.
# A private copy: a rebuild of build/osbox during the run must not disturb it.
osbox_rows=()
if [ -x "$OSBOX" ] && cp "$OSBOX" "$work/osbox" && OSBOX=$work/osbox &&
   "$OSBOX" run --help 2>/dev/null | grep -q '^Usage:'; then
    if "$OSBOX" load --oci-dir "$oci" >/dev/null 2>&1; then
        # Like for like with the bundle (no seccomp there); osbox's default apart.
        osbox_rows+=("osbox run --rm busybox" "$OSBOX run --rm --network none --security-opt seccomp=unconfined -m 256m --pids-limit ${PIDS} busybox /bin/true")
        osbox_rows+=("osbox run --rm busybox (default seccomp)" "$OSBOX run --rm --network none -m 256m --pids-limit ${PIDS} busybox /bin/true")
    else
        bench_note "osbox load of the busybox image failed"
    fi
    if "$OSBOX" run --help 2>&1 | grep -q -- '--rootfs'; then
        osbox_rows+=("osbox run --rm --rootfs DIR" "$OSBOX run --rm --network none --security-opt seccomp=unconfined -m 256m --pids-limit ${PIDS} --rootfs $work/bundle/rootfs /bin/true")
    fi
else
    bench_note "no 'osbox run' in $OSBOX yet (make): osbox not measured"
fi

# Machine setup: hybrid cgroups (v1 controllers + a cgroup2 at /sys/fs/cgroup/unified)?
hybrid=0
grep -q ' /sys/fs/cgroup/unified cgroup2 ' /proc/self/mounts && grep -q ' cgroup ' /proc/self/mounts && hybrid=1

cd "$work/bundle" || exit 0
measure "floor: unshare -fpmuin /bin/true" "unshare -fpmuin /bin/true"
for ((i = 0; i < ${#osbox_rows[@]}; i += 2)); do measure "${osbox_rows[i]}" "${osbox_rows[i + 1]}"; done
measure "runc run" "runc --root $work/runc run bench-runc"

# crun 1.8 refuses hybrid cgroups. In a private mount namespace without the
# cgroup2 mount it sees plain v1 and applies the limits with cgroupfs; it is
# measured once more with --cgroup-manager=disabled (no cgroup at all).
crun_how="crun runs in the machine's mount namespace"
if [ "$hybrid" = 1 ]; then
    crun_how="crun 1.8 refuses this machine's hybrid cgroups: it runs in a private mount namespace with /sys/fs/cgroup/unified unmounted (cgroup v1 through cgroupfs, limits applied), and again with --cgroup-manager=disabled (no cgroup, no limits)"
    WORK=$work BENCH_LIB=$here/lib.sh unshare -m --propagation private bash -c '
        umount /sys/fs/cgroup/unified || exit 1
        source "$BENCH_LIB"
        bench_hyperfine "$WORK/crun-1.csv" "crun run" "crun --root $WORK/crun run bench-crun" >"$WORK/crun-1.csv.log" 2>&1
        bench_hyperfine "$WORK/crun-2.csv" "crun run --cgroup-manager=disabled" \
            "crun --root $WORK/crun --cgroup-manager=disabled run bench-crun" >"$WORK/crun-2.csv.log" 2>&1
        exit 0' || bench_note "cannot make crun's mount namespace"
    for f in "$work"/crun-1.csv "$work"/crun-2.csv; do
        [ -s "$f" ] || { bench_note "measuring crun failed:"; tail -n 3 "$f.log" 2>/dev/null | sed 's/^/    /' >&2; }
    done
else
    measure "crun run" "crun --root $work/crun run bench-crun"
fi
cd /

# ---- report ----
cat "$work"/*.csv >"$work/all" 2>/dev/null
mean_of() { bench_mean "$work/all" "$1"; }
col_of() { awk -F, -v n="$1" -v c="$2" '$1 == n { print $c; exit }' "$work/all"; }
echo "osbox start-up benchmark: /bin/true in a new container, hyperfine -N, ${BENCH_RUNS:-100} runs after ${BENCH_WARMUP:-5} warm-up"
echo "  same busybox rootfs; namespaces pid net ipc uts mount cgroup; limits memory 256 MiB, pids $PIDS"
echo "  note: $crun_how"
printf '  %-40s %10s %10s %10s\n' "command" "mean" "stddev" "min"
names=("floor: unshare -fpmuin /bin/true")
for ((i = 0; i < ${#osbox_rows[@]}; i += 2)); do names+=("${osbox_rows[i]}"); done
names+=("crun run" "crun run --cgroup-manager=disabled" "runc run")
for n in "${names[@]}"; do
    m=$(mean_of "$n")
    [ -n "$m" ] || { [ "$n" = "crun run --cgroup-manager=disabled" ] && [ "$hybrid" = 0 ] && continue
                    printf '  %-40s %10s\n' "$n" "not measured"; continue; }
    awk -v n="$n" -v m="$m" -v s="$(col_of "$n" 3)" -v lo="$(col_of "$n" 7)" \
        'BEGIN { printf "  %-40s %7.2f ms %7.2f ms %7.2f ms\n", n, m * 1000, s * 1000, lo * 1000 }'
done
o=$(mean_of "osbox run --rm busybox")
for peer in "crun run" "runc run"; do
    p=$(mean_of "$peer")
    if [ -n "$o" ] && [ -n "$p" ]; then
        awk -v o="$o" -v p="$p" -v n="${peer% run}" 'BEGIN { printf "  ratio osbox/%s: %.2f\n", n, o / p }'
    else
        echo "  ratio osbox/${peer% run}: n/a (not measured)"
    fi
done
echo "  (target: osbox/crun < 1.0 with the limits applied)"
exit 0
