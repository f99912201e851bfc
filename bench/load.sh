#!/usr/bin/env bash
# Image load: `osbox load --oci-dir` of a ~200 MB, 4-layer image built here
# from Debian's own files (gzip layers), against the floor of doing the bare
# work with standard tools: `tar -xzf` of the same layers plus `sha256sum` of
# the blobs. Then a second load of the same image (every layer present).
# Targets (issue 5): first load within 1.3x of the floor; second load under 5%
# of the first.
#
#   bench/load.sh            (as root; see bench/README.md)
# Settings: BENCH_RUNS (5), BENCH_MB (200), OSBOX (build/osbox),
#           BENCH_KEEP=1 keeps the work directory.
# A benchmark, not a test: it always exits 0 and says what it could not measure.
set -u
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"

case ${1:-} in -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
[ "$(id -u)" -eq 0 ] || { bench_note "load.sh needs root (file ownership, overlay xattrs)"; exit 0; }
bench_deps hyperfine || true
command -v hyperfine >/dev/null || { bench_note "hyperfine missing: nothing measured"; exit 0; }

OSBOX=${OSBOX:-$BENCH_SRC/build/osbox}
RUNS=${BENCH_RUNS:-5}
MB=${BENCH_MB:-200}
[ -x "$OSBOX" ] || { bench_note "$OSBOX missing: run make"; exit 0; }
work=$(mktemp -d /var/tmp/osbox-bench-load.XXXXXX)
cleanup() {
    if [ "${BENCH_KEEP:-0}" = 1 ]; then bench_note "kept $work"; else rm -rf --one-file-system "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- the image: four layers of Debian files, about MB megabytes in all ----
oci=$work/big.oci
man=$(bench_big_oci "$oci" "$MB" "$work") || { bench_note "could not build the image"; exit 0; }
unpacked=$(for f in "$oci"/blobs/sha256/*; do gzip -dc "$f" 2>/dev/null | wc -c; done | awk '{s+=$1} END {printf "%.0f", s/1048576}')
blobs=$(du -sm "$oci/blobs" | cut -f1)
echo "image: 4 gzip layers, $unpacked MB unpacked, $blobs MB of blobs ($work)"

# ---- the floor: tar -x of each layer into its own dir, sha256sum of the blobs ----
cat > "$work/floor.sh" <<FLOOR
set -e
cd "$oci/blobs/sha256"
sha256sum * > /dev/null
n=0
for d in \$(sed 's/.*"layers"://' $man | grep -o '[0-9a-f]\{64\}'); do
    n=\$((n + 1)); mkdir -p "$work/floor/\$n"; tar -xzf \$d -C "$work/floor/\$n" --numeric-owner
done
FLOOR
export OSBOX_ROOT=$work/root
results=$work/results.json
hyperfine --style basic --runs "$RUNS" --export-json "$work/h1.json" \
    --prepare "rm -rf $work/floor; sync" -n "floor: tar -xzf + sha256sum" "bash $work/floor.sh" \
    --prepare "rm -rf $work/root; sync" -n "osbox load (first)" "$OSBOX load -q --oci-dir $oci" \
    >"$work/h1.log" 2>&1 || { bench_note "hyperfine failed: $(tail -3 "$work/h1.log")"; exit 0; }
"$OSBOX" load -q --oci-dir "$oci"
hyperfine --style basic --runs $((RUNS * 4)) --warmup 1 --export-json "$work/h2.json" \
    -n "osbox load (again)" "$OSBOX load -q --oci-dir $oci" >"$work/h2.log" 2>&1 ||
    { bench_note "hyperfine failed: $(tail -3 "$work/h2.log")"; exit 0; }

mean() { grep -o '"mean": *[0-9.e+-]*' "$1" | sed -n "${2}p" | awk '{print $2}'; }
floor=$(mean "$work/h1.json" 1); first=$(mean "$work/h1.json" 2); again=$(mean "$work/h2.json" 1)
awk -v f="$floor" -v a="$first" -v b="$again" 'BEGIN {
    printf "%-32s %10.3f s\n", "floor (tar -xzf + sha256sum)", f
    printf "%-32s %10.3f s   %.2fx the floor   (target <= 1.30x)\n", "osbox load, first", a, a / f
    printf "%-32s %10.3f s   %.1f%% of the first (target < 5%%)\n", "osbox load, layers present", b, 100 * b / a
}'
echo "(osbox verifies every blob digest and diff_id, stores the compressed blobs and fsyncs; the floor does neither)"
