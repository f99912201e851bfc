# The workloads (examples/workloads/): each prints one JSON line per metric,
# with the counts it was asked for, positive finite values, and rejects bad
# arguments with exit status 2. Network ones run over loopback in a private
# network namespace.

WL=${OSBOX_SRC}/build/workloads

# check_lines WORKLOAD "metric=n ..." : every stdout line of $OUT is a JSON
# object of the contract; exactly the metrics named appear, each with its n.
check_lines() {
    python3 - "$1" "$2" "$OUT" <<'PY' || fail "bad output of $1: $OUT"
import json, math, sys
wl, spec, out = sys.argv[1], sys.argv[2], sys.argv[3]
want = dict(kv.split("=") for kv in spec.split())
seen = {}
for line in out.splitlines():
    o = json.loads(line)
    assert o["workload"] == wl, o
    v = o["value"]
    assert isinstance(v, (int, float)) and math.isfinite(v) and v > 0, o
    assert isinstance(o["unit"], str) and o["unit"], o
    m = o["metric"]
    assert m in want, "unexpected metric %s" % m
    assert o["n"] == int(want[m]), (m, o["n"], want[m])
    assert m not in seen, "duplicate %s" % m
    seen[m] = o
missing = set(want) - set(seen)
assert not missing, "missing %s" % missing
PY
}

run_wl() { # NAME ARGS... : run a workload, capture stdout only, demand status 0
    local name=$1
    shift
    STATUS=0
    OUT=$(timeout 120 "$WL/$name" "$@" 2>"$T/stderr") || STATUS=$?
    [ "$STATUS" = 0 ] || fail "$name $* exited $STATUS: $(cat "$T/stderr")"
}

test_workloads_are_static() {
    local w
    for w in syscall ctxswitch fork pagefault memlat cpu fileio alloc udp-rtt tcp-stream tcp-rr; do
        [ -x "$WL/$w" ] || fail "$WL/$w missing: run make"
        # Static: no program interpreter (readelf comes with gcc's binutils).
        capture readelf -lW "$WL/$w"
        assert_eq 0 "$STATUS" "readelf $w"
        assert_not_contains "$OUT" "INTERP" "program headers of $w"
        assert_contains "$OUT" "LOAD" "program headers of $w"
        capture "$WL/$w" --help
        assert_eq 0 "$STATUS" "$w --help"
        assert_contains "$OUT" "Usage: $w"
    done
}

test_syscall() {
    run_wl syscall 1000
    check_lines syscall "getpid_ns=1000"
}

test_ctxswitch() {
    run_wl ctxswitch 200
    check_lines ctxswitch "pipe_switch_ns=200 futex_switch_ns=200"
}

test_fork_and_cow() {
    run_wl fork 20 64
    check_lines fork "fork_us=20 fork_big_us=20 cow_fault_ns=64"
}

test_pagefault() {
    run_wl pagefault 256
    check_lines pagefault "first_touch_ns=256 retouch_ns=256"
}

test_memlat_one_line_per_size() {
    run_wl memlat 64k 10000
    check_lines memlat "lat_4K_ns=10000 lat_8K_ns=10000 lat_16K_ns=10000 lat_32K_ns=10000 lat_64K_ns=10000"
    assert_contains "$OUT" '"bytes":65536'
}

test_cpu_digest_and_primes_are_right() {
    run_wl cpu 100003 1000
    check_lines cpu "sha256_MBps=100003 sieve_ms=1000"
    local want
    want=$(python3 -c 'import hashlib; print(hashlib.sha256(bytes((i*7+3)&255 for i in range(100003))).hexdigest())')
    assert_contains "$OUT" "\"sha256\":\"$want\"" "cpu digest"
    assert_contains "$OUT" '"primes":168' "primes below 1000"
}

test_fileio_cleans_up() {
    mkdir -p "$T/d"
    run_wl fileio 2m "$T/d"
    check_lines fileio "write_MBps=2097152 fsync_ms=1 read_cold_MBps=2097152 read_warm_MBps=2097152"
    assert_contains "$OUT" '"cold":"'
    assert_eq "" "$(ls -A "$T/d")" "files left in the directory"
    # A directory that does not exist: runtime error (1), not a usage error.
    capture "$WL/fileio" 1m "$T/nonexistent"
    assert_eq 1 "$STATUS" "fileio in a missing dir"
}

test_alloc() {
    run_wl alloc 5000 100
    check_lines alloc "malloc_free_ns=5000 recurse_first_ns=100 recurse_warm_ns=100"
}

# The network workloads' local mode, over loopback of a fresh network namespace.
test_network_local_modes() {
    OUT=$(unshare -n sh -c "ip link set lo up && '$WL/udp-rtt' local 200") || fail "udp-rtt: $OUT"
    check_lines udp-rtt "rtt_us=200 rtt_p99_us=200"
    OUT=$(unshare -n sh -c "ip link set lo up && '$WL/tcp-rr' local 200") || fail "tcp-rr: $OUT"
    check_lines tcp-rr "connect_us=1 rr_us=200 rr_p99_us=200"
    OUT=$(unshare -n sh -c "ip link set lo up && '$WL/tcp-stream' local 3m") || fail "tcp-stream: $OUT"
    check_lines tcp-stream "stream_MBps=3145728"
}

# Separate server and client processes, as across a network (still loopback
# of a private namespace). The client retries until the server listens.
client_server() { # NAME PORT N
    OUT=$(unshare -n sh -c "
        ip link set lo up
        '$WL/$1' server $2 & s=\$!
        i=0; ok=1
        while [ \$i -lt 50 ]; do
            if '$WL/$1' client 127.0.0.1 $2 $3 2>/dev/null; then ok=0; break; fi
            i=\$((i+1)); sleep 0.1
        done
        kill \$s; wait \$s 2>/dev/null; exit \$ok") || fail "$1 client/server: $OUT"
}

test_network_client_server() {
    client_server tcp-rr 5201 100
    check_lines tcp-rr "connect_us=1 rr_us=100 rr_p99_us=100"
    client_server tcp-stream 5202 1m
    check_lines tcp-stream "stream_MBps=1048576"
    client_server udp-rtt 5203 100
    check_lines udp-rtt "rtt_us=100 rtt_p99_us=100"
}

test_bad_arguments_exit_2() {
    local args
    while IFS= read -r args; do
        # shellcheck disable=SC2086
        capture $args
        assert_eq 2 "$STATUS" "'$args'"
        assert_eq 1 "$(printf '%s\n' "$OUT" | wc -l)" "one error line for '$args'"
        assert_contains "$OUT" ": "
    done <<EOF2
$WL/syscall abc
$WL/syscall 0
$WL/syscall -5
$WL/syscall 10 20
$WL/syscall --frob
$WL/ctxswitch 1x
$WL/fork 10 0
$WL/pagefault 99999999999
$WL/memlat 64k 100 1m
$WL/memlat 10q
$WL/cpu 0
$WL/fileio 12kq
$WL/alloc 10 999999999
$WL/udp-rtt
$WL/udp-rtt bounce
$WL/tcp-rr client 300.1.1.1 80
$WL/tcp-rr client 127.0.0.1 0
$WL/tcp-rr server
$WL/tcp-stream local 0
EOF2
}
