#!/usr/bin/env bash
# Container networking costs, measured in a throwaway network namespace:
#   1. start-up: `osbox run --rm ... /bin/true` with --network bridge against
#      --network none, runs interleaved (this machine's load drifts), medians
#      compared: the difference is what the lease, the veth pair and eth0's
#      configuration add (target: < 5 ms);
#   2. TCP throughput (iperf3, Debian's): container -> container over osbox0
#      against the same iperf3 over the host's loopback.
#
#   bench/network.sh          (as root)
# Settings: BENCH_RUNS (50 of each), BENCH_SECONDS (5, per iperf3 run),
#           OSBOX (build/osbox).
# Everything runs under `unshare -n`: osbox0, the nftables table, ip_forward
# and the veths exist only in that namespace and vanish with it; iperf3's
# traffic never leaves it. A benchmark, not a test: it always exits 0.
set -u
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"

case ${1:-} in -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
[ "$(id -u)" -eq 0 ] || { bench_note "network.sh needs root (namespaces, bridge)"; exit 0; }

if [ "${OSBOX_BENCH_NETNS:-}" != 1 ]; then
    # Packages first, while the machine's network is still reachable.
    bench_deps iperf3 busybox-static || true
    exec env OSBOX_BENCH_NETNS=1 unshare -n "$0" "$@"
fi

OSBOX=${OSBOX:-$BENCH_SRC/build/osbox}
RUNS=${BENCH_RUNS:-50} SECS=${BENCH_SECONDS:-5}
work=$(mktemp -d /var/tmp/osbox-bench-net.XXXXXX)
export OSBOX_ROOT=$work/root OSBOX_RUN=$work/run
unset OSBOX_NETWORK OSBOX_SUBNET
cleanup() {
    [ -n "${srv:-}" ] && kill "$srv" 2>/dev/null
    wait 2>/dev/null
    bench_remove_workdir "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ip link set lo up

# A busybox rootfs with iperf3 and the libraries it links.
R=$work/rootfs
mkdir -p "$R/bin" "$R/etc" "$R/tmp"
cp /bin/busybox "$R/bin/busybox"
for a in sh true sleep cat; do ln -sf busybox "$R/bin/$a"; done
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$R/etc/passwd"
printf 'root:x:0:\n' >"$R/etc/group"
have_iperf=0
if command -v iperf3 >/dev/null; then
    ipf=$(command -v iperf3)
    mkdir -p "$R$(dirname "$ipf")"
    cp "$ipf" "$R$ipf"
    for lib in $(ldd "$ipf" | grep -o '/[^ ]*'); do
        mkdir -p "$R$(dirname "$lib")"
        cp -L "$lib" "$R$lib"
    done
    have_iperf=1
else
    bench_note "iperf3 missing: throughput not measured"
fi

run() { "$OSBOX" run --rm --network bridge --rootfs "$R" "$@"; }
us() { # CMD...: wall time in microseconds
    local s e
    s=$(date +%s%N)
    "$@" >/dev/null 2>&1 || echo "bench: failed: $*" >&2
    e=$(date +%s%N)
    echo $(((e - s) / 1000))
}

echo "== start-up: osbox run --rm /bin/true, --network none vs bridge ($RUNS runs each, interleaved)"
run true || bench_note "bridge run failed"  # the bridge exists from here on (first use only)
for _ in 1 2 3; do us "$OSBOX" run --rm --network none --rootfs "$R" /bin/true >/dev/null; done
: >"$work/none.us"; : >"$work/bridge.us"
for i in $(seq 1 "$RUNS"); do
    if [ $((i % 2)) = 0 ]; then
        us "$OSBOX" run --rm --network none --rootfs "$R" /bin/true >>"$work/none.us"
        us run /bin/true >>"$work/bridge.us"
    else
        us run /bin/true >>"$work/bridge.us"
        us "$OSBOX" run --rm --network none --rootfs "$R" /bin/true >>"$work/none.us"
    fi
done
python3 - "$work/none.us" "$work/bridge.us" <<'PY'
import statistics as st, sys
def load(p): return sorted(int(x) / 1000 for x in open(p) if x.strip())
n, b = load(sys.argv[1]), load(sys.argv[2])
for name, v in (("--network none", n), ("--network bridge", b)):
    print("  %-20s median %7.2f ms  mean %7.2f  min %7.2f  p90 %7.2f" %
          (name, st.median(v), st.mean(v), v[0], v[int(len(v) * 0.9) - 1]))
d = st.median(b) - st.median(n)
print("  bridge adds %.2f ms (median), %.2f ms (min); ratio %.3f -- target < 5 ms: %s" %
      (d, b[0] - n[0], st.median(b) / st.median(n), "met" if d < 5 else "NOT met"))
PY

gbps() { # iperf3 -J output on stdin -> Gbit/s received
    python3 -c 'import json,sys
try:
    j=json.load(sys.stdin); print("%.2f" % (j["end"]["sum_received"]["bits_per_second"]/1e9))
except Exception:
    print("nan")'
}

if [ "$have_iperf" = 1 ]; then
    echo "== TCP throughput, iperf3 -t $SECS (one stream)"
    ipf=$(command -v iperf3)
    # Host loopback: both ends in this namespace.
    "$ipf" -s -1 >/dev/null 2>&1 &
    srv=$!
    lo=nan
    for _ in $(seq 1 20); do
        lo=$("$ipf" -c 127.0.0.1 -t "$SECS" -J 2>/dev/null | gbps)
        [ "$lo" != nan ] && break
        sleep 0.2
    done
    wait "$srv" 2>/dev/null; srv=
    # Container -> container over the bridge.
    run --ip 10.88.0.100 "$ipf" -s -1 >/dev/null 2>&1 &
    srv=$!
    br=nan
    for _ in $(seq 1 20); do
        br=$(run "$ipf" -c 10.88.0.100 -t "$SECS" -J 2>/dev/null | gbps)
        [ "$br" != nan ] && break
        sleep 0.2
    done
    wait "$srv" 2>/dev/null; srv=
    printf '  %-28s %8s Gbit/s\n' "host loopback" "$lo" "container->container bridge" "$br"
    python3 -c 'import sys
lo,br=sys.argv[1:]
try: print("  bridge/loopback ratio %.3f" % (float(br)/float(lo)))
except Exception: print("  ratio: not measured")' "$lo" "$br"
fi
"$OSBOX" network prune >/dev/null 2>&1 || true
exit 0
