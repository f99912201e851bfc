# osbox bench: host mode (and container mode once `osbox run` exists), the
# table, the --json file, the --html report (rendered by headless Chromium).

# bench_json_check FILE MODES WORKLOAD METRICS RUNS [N_WORKLOADS]: the JSON file
# holds every metric of WORKLOAD with RUNS values per mode, and start-up/memory
# per mode for each invocation (RUNS x N_WORKLOADS).
bench_json_check() {
    python3 - "$@" <<'PY' || fail "bad bench JSON: $(head -c 2000 "$1")"
import json, math, sys
path, modes, wl, metrics, runs = sys.argv[1], sys.argv[2].split(","), sys.argv[3], sys.argv[4].split(","), int(sys.argv[5])
invocations = runs * int(sys.argv[6] if len(sys.argv) > 6 else 1)
d = json.load(open(path))
assert d["runs"] == runs and d["modes"] == modes, (d["runs"], d["modes"])
assert d["failures"] == 0
got = {(r["workload"], r["metric"]): r for r in d["results"]}
for m in metrics:
    r = got[(wl, m)]
    for mode in modes:
        s = r["modes"][mode]
        assert s["n"] == runs and len(s["values"]) == runs, (m, mode, s)
        assert all(math.isfinite(v) and v > 0 for v in s["values"]), s
        assert s["min"] <= s["median"] <= s["max"], s
    for mode in modes[1:]:
        assert r["ratios"][mode + "/host"] > 0
for key in ("startup_ms", "memory_kib"):
    for mode in modes:
        s = d[key][mode]
        assert s["n"] == invocations and s["median"] > 0, (key, mode, s)
PY
}

test_bench_host_table_and_json() {
    capture "$OSBOX" bench --modes host --runs 2 --json "$T/b.json" syscall:2000
    assert_eq 0 "$STATUS" "bench status: $OUT"
    assert_contains "$OUT" "WORKLOAD"
    assert_contains "$OUT" "HOST"
    assert_not_contains "$OUT" "CONTAINER"
    # One complete row per metric: a median for the host.
    printf '%s\n' "$OUT" | grep -Eq '^syscall +getpid_ns +ns +[0-9.]+ ±[0-9]+%$' \
        || fail "no complete syscall row: $OUT"
    printf '%s\n' "$OUT" | grep -Eq '^start-up .* ms +[0-9.]+' || fail "no start-up row: $OUT"
    printf '%s\n' "$OUT" | grep -Eq '^memory .* MiB +[0-9.]+' || fail "no memory row: $OUT"
    bench_json_check "$T/b.json" host syscall getpid_ns 2
}

test_bench_workload_arguments_and_several_metrics() {
    # tcp-rr talks over loopback: keep it inside a network namespace of our own.
    capture unshare -n sh -c "ip link set lo up &&
        '$OSBOX' bench -q --modes host --runs 1 --json '$T/b.json' memlat:16k,1000 tcp-rr:50"
    assert_eq 0 "$STATUS" "bench status: $OUT"
    bench_json_check "$T/b.json" host memlat lat_4K_ns,lat_8K_ns,lat_16K_ns 1 2
    bench_json_check "$T/b.json" host tcp-rr connect_us,rr_us,rr_p99_us 1 2
    assert_not_contains "$OUT" "lat_32K_ns" "sizes beyond the one asked for"
}

test_bench_usage_errors() {
    capture "$OSBOX" bench --help
    assert_eq 0 "$STATUS"
    assert_contains "$OUT" "Usage: osbox bench"
    capture "$OSBOX" bench --modes host nosuchload
    assert_eq 2 "$STATUS" "unknown workload"
    assert_contains "$OUT" "unknown workload 'nosuchload'"
    capture "$OSBOX" bench --modes host,jail syscall
    assert_eq 2 "$STATUS" "unknown mode"
    capture "$OSBOX" bench --runs 0 syscall
    assert_eq 2 "$STATUS" "--runs 0"
    capture "$OSBOX" bench --frobnicate
    assert_eq 2 "$STATUS" "unknown option"
    capture "$OSBOX" bench --modes host --workloads "$T/none" syscall
    assert_eq 125 "$STATUS" "missing workload dir"
    capture "$OSBOX" bench --modes host syscall:10 syscall:20
    assert_eq 2 "$STATUS" "workload twice"
    assert_contains "$OUT" "workload 'syscall' given twice"
}

# The vm mode itself is tested in tests/kvm/vm_run.sh; here: a missing image
# fails that mode with the image's name, and bench fails (no boot happens).
# Without /dev/kvm the vm mode cannot start at all: then in the harness.
test_bench_vm_mode_missing_image() {
    kvm_or_harness tests/integration/bench.sh "${FUNCNAME[0]}"
    capture "$OSBOX" bench --modes host,vm --runs 1 --image nosuchimage syscall:10
    assert_eq 125 "$STATUS" "bench: $OUT"
    assert_contains "$OUT" "image 'nosuchimage' not found"
    assert_contains "$OUT" "1 invocation failed"
}

# A workload that fails is reported with its own message, and bench fails.
test_bench_reports_failing_workload() {
    capture "$OSBOX" bench -q --modes host --runs 3 syscall:abc cpu:64k,100
    assert_eq 125 "$STATUS" "bench status"
    assert_contains "$OUT" "syscall (host) failed with status 2: syscall: bad N 'abc'"
    assert_contains "$OUT" "1 invocation failed" # not retried
    # The other workload still ran and is in the table.
    printf '%s\n' "$OUT" | grep -Eq '^cpu +sieve_ms +ms +[0-9.]+' || fail "cpu row missing: $OUT"
    capture "$OSBOX" bench -q --modes host --runs 1 --html /nonexistent/r.html syscall:10
    assert_eq 125 "$STATUS" "--html into a missing dir"
    assert_contains "$OUT" "osbox: bench: --html: "
}

test_bench_container_mode() {
    "$OSBOX" run --help >/dev/null 2>&1 || skip "osbox run not built yet"
    capture "$OSBOX" bench --modes host,container --runs 2 --json "$T/b.json" syscall:2000
    assert_eq 0 "$STATUS" "bench status: $OUT"
    assert_contains "$OUT" "CONTAINER/HOST"
    printf '%s\n' "$OUT" | grep -Eq '^syscall +getpid_ns +ns +[0-9.]+ ±[0-9]+% +[0-9.]+ ±[0-9]+% +[0-9.]+x$' \
        || fail "no complete syscall row: $OUT"
    bench_json_check "$T/b.json" host,container syscall getpid_ns 2
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["memory_overhead_mib"]["container"] > 0' \
        "$T/b.json" || fail "no container memory overhead in the JSON"
    assert_no_leftovers
    [ -z "$(ls -A "$OSBOX_RUN/bench" 2>/dev/null)" ] || fail "bench rootfs left in $OSBOX_RUN/bench"
}

test_bench_html_renders() {
    local chromium
    "$OSBOX" bench -q --modes host --runs 2 --html "$T/r.html" syscall:2000 cpu:64k,1000 >/dev/null \
        || fail "bench --html failed"
    # Self-contained: no scripts, nothing fetched.
    ! grep -Eiq '<script|<link|src=|url\(|@import' "$T/r.html" || fail "report references outside resources"
    chromium=$(command -v chromium || command -v chromium-browser || true)
    [ -n "$chromium" ] || skip "chromium not installed (scripts/deps.sh installs it)"
    local flags="--headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking
                 --disable-component-update --disable-sync --user-data-dir=$T/chrome --hide-scrollbars"
    # shellcheck disable=SC2086
    timeout 90 "$chromium" $flags --dump-dom "file://$T/r.html" >"$T/dom.html" 2>"$T/chrome.log" \
        || fail "chromium --dump-dom failed: $(tail -5 "$T/chrome.log")"
    # shellcheck disable=SC2086
    timeout 90 "$chromium" $flags --window-size=1200,2000 --screenshot="$T/shot.png" \
        "file://$T/r.html" >>"$T/chrome.log" 2>&1 || fail "chromium --screenshot failed: $(tail -5 "$T/chrome.log")"
    python3 - "$T/dom.html" "$T/shot.png" <<'PY' || fail "report DOM/screenshot check failed"
import re, sys
dom = open(sys.argv[1]).read()
# Rows: syscall getpid_ns, cpu sha256_MBps + sieve_ms, start-up, memory of
# syscall and of cpu: 6 charts, one host bar each.
charts = re.findall(r'<svg[^>]*class="chart"', dom)
assert len(charts) == 6, len(charts)
bars = re.findall(r'<rect[^>]*class="bar"[^>]*data-mode="host"', dom)
assert len(bars) == 6, len(bars)
assert all(float(w) > 0 for w in re.findall(r'<rect[^>]*class="bar"[^>]*width="([0-9.]+)"', dom))
for text in ("getpid_ns", "sha256_MBps", "sieve_ms", "mode switch", "to first instruction"):
    assert text in dom, text
png = open(sys.argv[2], "rb").read()
assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10000, len(png)
PY
}

# --image: the workloads come from an image (where the busybox image will carry
# them, /usr/local/bin); here a one-layer image imported from a tarball.
test_bench_container_mode_from_image() {
    "$OSBOX" run --help >/dev/null 2>&1 || skip "osbox run not built yet"
    mkdir -p "$T/rootfs/usr/local/bin" "$T/rootfs/tmp" "$T/rootfs/proc" "$T/rootfs/dev" "$T/rootfs/sys"
    cp "$OSBOX_SRC/build/workloads/syscall" "$T/rootfs/usr/local/bin/"
    tar -C "$T/rootfs" -cf "$T/wl.tar" .
    "$OSBOX" import "$T/wl.tar" wl:1 >/dev/null || fail "import"
    capture "$OSBOX" bench -q --modes host,container --runs 1 --image wl:1 --json "$T/b.json" syscall:1000
    assert_eq 0 "$STATUS" "bench --image: $OUT"
    bench_json_check "$T/b.json" host,container syscall getpid_ns 1
    # A workload the image lacks: the container run fails, bench says so.
    capture "$OSBOX" bench -q --modes container --runs 1 --image wl:1 cpu:1k,10
    assert_eq 125 "$STATUS" "workload missing from the image"
    assert_contains "$OUT" "cpu (container) failed with status 127"
    assert_no_leftovers
}

# --timeout stops the whole tree (a container too, cleanly) and bench says so.
test_bench_timeout_stops_the_run() {
    local modes=host
    "$OSBOX" run --help >/dev/null 2>&1 && modes=host,container
    capture timeout 60 "$OSBOX" bench -q --modes $modes --runs 1 --timeout 1 memlat:64m,1000m
    assert_eq 125 "$STATUS" "bench status: $OUT"
    assert_contains "$OUT" "memlat (host): timed out after 1 s"
    [ "$modes" = host ] || assert_contains "$OUT" "memlat (container): timed out after 1 s"
    # This test's memlat only (other runs on this machine may run the same
    # test): ours on the host, and in a container of this test's cgroups.
    local i
    for i in $(seq 1 50); do memlat_of_this_test >/dev/null || break; sleep 0.1; done
    ! memlat_of_this_test || fail "memlat still running 5 s after the timeout: $(memlat_of_this_test)"
    assert_no_leftovers
}

memlat_of_this_test() { # prints their pids; fails if there is none
    local d p found=1
    pgrep -f "$(dirname "$OSBOX")/workloads/memlat 64m" && found=0
    if [ -n "${OSBOX_TEST_CGROUPS:-}" ]; then
        for d in $OSBOX_TEST_CGROUPS; do
            for p in $(cat $(find "$d" -name cgroup.procs) 2>/dev/null); do
                [ "$(cat "/proc/$p/comm" 2>/dev/null)" != memlat ] || { echo "$p"; found=0; }
            done
        done
    else
        pgrep -f "/bench/memlat 64m" && found=0
    fi
    return "$found"
}

# No workload named: all of them, with bench's default arguments (which must
# be accepted by each workload). Host mode only, loopback in a namespace.
test_bench_all_workloads_with_defaults() {
    capture unshare -n sh -c "ip link set lo up && '$OSBOX' bench -q --modes host --runs 1 --json '$T/b.json'"
    assert_eq 0 "$STATUS" "bench status: $OUT"
    python3 - "$T/b.json" <<'PY' || fail "not every workload reported: $OUT"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["failures"] == 0
got = {r["workload"] for r in d["results"]}
want = {"syscall", "ctxswitch", "fork", "pagefault", "memlat", "cpu", "fileio", "alloc",
        "udp-rtt", "tcp-rr", "tcp-stream"}
assert got == want, got ^ want
assert d["startup_ms"]["host"]["n"] == len(want)
PY
}
