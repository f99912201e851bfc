#!/usr/bin/env bash
# Image pull: `osbox pull` of a ~200 MB, 4-layer image from a docker-registry
# started here on 127.0.0.1, against `skopeo copy docker://… oci:…` followed
# by `osbox load --oci-dir` (the way to get the image without `osbox pull`),
# against skopeo copy alone, and against `podman pull` into a throwaway store.
# Then a re-pull of the image already present (one manifest request).
# Targets (issue 16): osbox pull <= 0.8x skopeo+load; re-pull < 50 ms.
#
#   bench/pull.sh            (as root; see bench/README.md)
# Settings: BENCH_RUNS (3), BENCH_MB (200), OSBOX (build/osbox),
#           BENCH_KEEP=1 keeps the work directory.
# A benchmark, not a test: it always exits 0 and says what it could not measure.
set -u
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"

case ${1:-} in -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
[ "$(id -u)" -eq 0 ] || { bench_note "pull.sh needs root (file ownership, overlay xattrs)"; exit 0; }
bench_deps hyperfine || true
for c in hyperfine docker-registry skopeo; do
    command -v $c >/dev/null || { bench_note "$c missing: nothing measured (scripts/deps.sh, bench_deps)"; exit 0; }
done

OSBOX=${OSBOX:-$BENCH_SRC/build/osbox}
RUNS=${BENCH_RUNS:-3}
MB=${BENCH_MB:-200}
[ -x "$OSBOX" ] || { bench_note "$OSBOX missing: run make"; exit 0; }
work=$(mktemp -d /var/tmp/osbox-bench-pull.XXXXXX)
reg_pid=
cleanup() {
    [ -n "$reg_pid" ] && kill "$reg_pid" 2>/dev/null && wait "$reg_pid" 2>/dev/null
    if [ "${BENCH_KEEP:-0}" = 1 ]; then bench_note "kept $work"; else bench_remove_workdir "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- the image, in a registry of its own ----
oci=$work/big.oci
bench_big_oci "$oci" "$MB" "$work" >/dev/null || { bench_note "could not build the image"; exit 0; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
reg=127.0.0.1:$port
mkdir -p "$work/registry"
cat >"$work/registry.yml" <<EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $work/registry
http:
  addr: $reg
  secret: osbox-bench
EOF
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
reg_pid=$!
for _ in $(seq 100); do
    curl -s -o /dev/null "http://$reg/v2/" && break
    sleep 0.1
done
skopeo --insecure-policy copy -q --dest-tls-verify=false "oci:$oci:big:latest" "docker://$reg/big:1" ||
    { bench_note "skopeo could not push the image: $(tail -3 "$work/registry.log")"; exit 0; }
blobs=$(du -sm "$oci/blobs" | cut -f1)
echo "image: 4 gzip layers, $blobs MB of blobs, in docker-registry at $reg ($work)"

export OSBOX_ROOT=$work/root
sk="skopeo --insecure-policy copy -q --src-tls-verify=false docker://$reg/big:1 oci:$work/sk:big"
rows=(-n "osbox pull" --prepare "rm -rf $work/root; sync" "$OSBOX pull -q $reg/big:1"
      -n "skopeo copy + osbox load" --prepare "rm -rf $work/root $work/sk; sync"
      "$sk && $OSBOX load -q --oci-dir $work/sk"
      -n "skopeo copy (alone)" --prepare "rm -rf $work/sk; sync" "$sk")
if command -v podman >/dev/null; then
    pod="podman --root $work/podroot --runroot $work/podrun --storage-driver overlay"
    rows+=(-n "podman pull" --prepare "rm -rf $work/podroot $work/podrun; sync"
           "$pod pull -q --tls-verify=false $reg/big:1")
fi
hyperfine --style basic --runs "$RUNS" --export-json "$work/h1.json" "${rows[@]}" >"$work/h1.log" 2>&1 ||
    { bench_note "hyperfine failed: $(tail -3 "$work/h1.log")"; exit 0; }
if command -v podman >/dev/null; then
    $pod unshare true 2>/dev/null; umount -R "$work/podroot/overlay" 2>/dev/null || true
fi
"$OSBOX" pull -q "$reg/big:1" >/dev/null
hyperfine --style basic -N --runs $((RUNS * 10)) --warmup 2 --export-json "$work/h2.json" \
    -n "osbox pull (present)" "$OSBOX pull -q $reg/big:1" >"$work/h2.log" 2>&1 ||
    { bench_note "hyperfine failed: $(tail -3 "$work/h2.log")"; exit 0; }

mean() { grep -o '"mean": *[0-9.e+-]*' "$1" | sed -n "${2}p" | awk '{print $2}'; }
osbox=$(mean "$work/h1.json" 1); skl=$(mean "$work/h1.json" 2); sko=$(mean "$work/h1.json" 3)
podman=$(mean "$work/h1.json" 4); again=$(mean "$work/h2.json" 1)
awk -v o="$osbox" -v s="$skl" -v k="$sko" -v p="${podman:-0}" -v a="$again" 'BEGIN {
    printf "%-30s %9.3f s\n", "skopeo copy + osbox load", s
    printf "%-30s %9.3f s   %.2fx skopeo+load   (target <= 0.80x)\n", "osbox pull", o, o / s
    printf "%-30s %9.3f s   (download only: no unpacking)\n", "skopeo copy alone", k
    if (p > 0) printf "%-30s %9.3f s   osbox pull is %.2fx podman\n", "podman pull", p, o / p
    printf "%-30s %9.1f ms  (target < 50 ms)\n", "osbox pull, image present", a * 1000
}'
echo "(every row verifies each blob's sha256; osbox and podman also unpack the layers and fsync)"
