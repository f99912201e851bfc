#!/usr/bin/env bash
# `osbox stats --no-stream` over N running containers (default 20), against
# the floor (one `cat` of every file stats reads for them: the cgroup files
# and /proc/<init>/net/dev) and `podman stats --no-stream` over N podman
# containers (podman with osbox-oci as its runtime, cgroupfs, offline),
# all measured in the same run with hyperfine.
#
#   bench/stats.sh            (as root; see bench/README.md)
# Settings: BENCH_N (20), BENCH_RUNS (30), BENCH_WARMUP (3), OSBOX (build/osbox),
#           BENCH_KEEP=1 keeps the work directory.
# A benchmark, not a test: it always exits 0 and says what it could not measure.
set -u
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"

case ${1:-} in -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
[ "$(id -u)" -eq 0 ] || { bench_note "stats.sh needs root (containers, cgroups)"; exit 0; }
command -v hyperfine >/dev/null || { bench_note "hyperfine missing: nothing measured"; exit 0; }
N=${BENCH_N:-20}
export BENCH_RUNS=${BENCH_RUNS:-30} BENCH_WARMUP=${BENCH_WARMUP:-3}
work=$(mktemp -d /var/tmp/osbox-bench-stats.XXXXXX)
export OSBOX_ROOT=$work/osbox-root OSBOX_RUN=$work/osbox-run OSBOX_NETWORK=none
P=""
cleanup() {
    local id
    for id in $("$OSBOX" ps -aq 2>/dev/null); do timeout 20 "$OSBOX" rm -f "$id" >/dev/null 2>&1; done
    [ -n "$P" ] && timeout 120 $P rm -af -t 0 >/dev/null 2>&1
    [ -n "$P" ] && timeout 60 $P rmi -af >/dev/null 2>&1
    find /sys/fs/cgroup -mindepth 1 -maxdepth 6 -depth -type d -name 'libpod-*' -empty 2>/dev/null |
        while read -r d; do [ -n "$(cat "$d/cgroup.procs" 2>/dev/null)" ] || rmdir "$d" 2>/dev/null; done
    if [ "${BENCH_KEEP:-0}" = 1 ]; then bench_note "kept $work"; else bench_remove_workdir "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A private copy: a rebuild of build/osbox during the run must not disturb it.
cp "${OSBOX:-$BENCH_SRC/build/osbox}" "$work/osbox" || { bench_note "no osbox binary"; exit 0; }
OSBOX=$work/osbox
oci=$(bench_busybox_oci "$work") && bench_unpack_oci "$oci" "$work/rootfs" ||
    { bench_note "cannot prepare the busybox rootfs"; exit 0; }

for i in $(seq 1 "$N"); do
    "$OSBOX" run -d --rootfs "$work/rootfs" sleep 100000 >/dev/null || { bench_note "osbox run -d failed"; exit 0; }
done
# The files `osbox stats` reads, for the floor.
files=()
for id in $("$OSBOX" ps -q); do
    pid=$("$OSBOX" inspect --type container "$id" | grep -o '"pid": [0-9]*' | head -1 | grep -o '[0-9]*$')
    while IFS=: read -r _ ctrls rel; do
        case $ctrls in *cpuacct*) files+=("/sys/fs/cgroup/$ctrls$rel/cpuacct.usage") ;;
            memory) files+=("/sys/fs/cgroup/memory$rel/"{memory.usage_in_bytes,memory.stat,memory.limit_in_bytes}) ;;
            pids) files+=("/sys/fs/cgroup/pids$rel/pids.current") ;;
            "") [ -f "/sys/fs/cgroup$rel/cpu.stat" ] &&
                    files+=("/sys/fs/cgroup$rel/"{cpu.stat,memory.current,memory.stat,memory.max,pids.current,io.stat}) ;;
        esac
    done <"/proc/$pid/cgroup"
    files+=("/proc/$pid/net/dev" "/proc/$pid/io")
done
rows=(-n "osbox stats --no-stream ($N containers)" "$OSBOX stats --no-stream"
      -n "cat of the ${#files[@]} files it reads" "cat ${files[*]}")

# podman over the same number of containers, with osbox-oci as its runtime.
if command -v podman >/dev/null && { [ -x /usr/bin/conmon ] || [ -x /usr/libexec/podman/conmon ]; }; then
    mkdir -p "$work/bin" && ln -sf "$OSBOX" "$work/bin/osbox-oci"
    export CONTAINERS_CONF=$work/containers.conf
    : >"$CONTAINERS_CONF"
    P="podman --root $work/storage --runroot $work/runroot --storage-driver vfs --cgroup-manager cgroupfs"
    P="$P --events-backend file --tmpdir $work/libpod --runtime $work/bin/osbox-oci"
    tar -C "$work/rootfs" -cf "$work/rootfs.tar" . && timeout 120 $P import "$work/rootfs.tar" localhost/bench:latest >/dev/null ||
        { bench_note "podman import failed"; P=""; }
    for i in $(seq 1 "$N"); do
        [ -n "$P" ] || break
        timeout 60 $P run -d --network none localhost/bench:latest sleep 100000 >/dev/null ||
            { bench_note "podman run -d failed"; P=""; }
    done
    if [ -n "$P" ] && timeout 60 $P stats --no-stream >/dev/null 2>&1; then
        rows+=(-n "podman stats --no-stream ($N containers)" "$P stats --no-stream")
    elif [ -n "$P" ]; then
        bench_note "podman stats --no-stream fails here: $(timeout 60 $P stats --no-stream 2>&1 | tail -1)"
    fi
else
    bench_note "podman/conmon not installed: no podman row"
fi

hyperfine -N --style basic --warmup "$BENCH_WARMUP" --runs "$BENCH_RUNS" --export-csv "$work/stats.csv" "${rows[@]}" |
    grep -E '^(Benchmark|  Time|Summary|  .* ran|    [0-9.]+ ± )' || bench_note "hyperfine failed"
osbox_ms=$(awk -F, 'NR == 2 { printf "%.1f", $2 * 1000 }' "$work/stats.csv")
echo "osbox stats --no-stream, $N containers: $osbox_ms ms (target < 100 ms)"
