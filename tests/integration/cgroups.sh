# Resource limits through `osbox run`: memory (OOM kill -> 137), pids (a fork
# bomb stops), cpus (a busy loop is throttled: read from the cgroup's own
# counters, not wall time), bad values, and no cgroup left behind.

# The busybox rootfs: $CG_ROOTFS when given (tests/kvm/cgroup_v2.sh builds it
# once on the host: making it under emulation takes a minute), else $T/rootfs.
cg_rootfs() {
    "$OSBOX" run --help >/dev/null 2>&1 || skip "osbox run is not there yet"
    CGR=${CG_ROOTFS:-$T/rootfs}
    [ -x "$CGR/bin/sh" ] && return 0
    declare -F make_busybox_rootfs >/dev/null || skip "tests/lib.sh has no make_busybox_rootfs yet"
    make_busybox_rootfs "$CGR"
}

cg_run() { # osbox run --rootfs ROOTFS ARGS...
    "$OSBOX" run --rootfs "$CGR" "$@"
}

# Directories of cgroups named osbox-ID (any hierarchy).
cg_dirs_of() { find /sys/fs/cgroup -mindepth 1 -maxdepth 8 -type d -name "osbox-$1" 2>/dev/null || true; }

# Every container this test made (ids from its own state root) has no cgroup left.
cg_assert_none_left() {
    local id left
    for id in $(ls "$OSBOX_ROOT/containers" 2>/dev/null); do
        left=$(cg_dirs_of "$id")
        [ -z "$left" ] || fail "cgroup of container $id left behind: $left"
    done
    left=$(grep -e "$OSBOX_ROOT" -e "$OSBOX_RUN" /proc/self/mountinfo || true)
    [ -z "$left" ] || fail "mounts left behind: $left"
}

test_memory_limit_oom_kills_with_137() {
    cg_rootfs
    # dd's block buffer is its allocation: 8 MiB fits, 100 MiB cannot.
    # (--memory-swap = --memory: no swap, so no slow paging on hosts with swap.)
    capture cg_run -m 32m --memory-swap 32m dd if=/dev/zero of=/dev/null bs=8M count=2
    assert_eq 0 "$STATUS" "status under the limit ($OUT)"
    assert_contains "$OUT" "2+0 records out"
    capture cg_run -m 32m --memory-swap 32m dd if=/dev/zero of=/dev/null bs=100M count=1
    assert_eq 137 "$STATUS" "status past the limit ($OUT)"
    assert_not_contains "$OUT" "records out"
    # The same past the limit when the hog is not the container's first process.
    capture cg_run -m 32m --memory-swap 32m sh -c 'dd if=/dev/zero of=/dev/null bs=100M count=1; echo "dd: $?"'
    assert_eq 0 "$STATUS" "status of the shell around the hog ($OUT)"
    assert_contains "$OUT" "dd: 137"
    # The host (and osbox itself, outside the container's cgroup) is fine.
    capture cg_run sh -c 'echo still-fine'
    assert_eq 0 "$STATUS" "a run after the OOM kill"
    assert_contains "$OUT" "still-fine"
    cg_assert_none_left
}

test_pids_limit_stops_fork_bomb() {
    cg_rootfs
    # Counted forks: with 20 pids (init and sh included) the 19th cannot start.
    capture timeout 60 "$OSBOX" run --rm --rootfs "$CGR" --pids-limit 20 sh -c \
        'i=0; while [ $i -lt 100 ]; do sleep 30 & i=$((i+1)); echo "forked $i"; done'
    assert_ne 0 "$STATUS" "status of the fork loop"
    assert_ne 124 "$STATUS" "the fork loop timed out"
    assert_contains "$OUT" "can't fork"
    assert_contains "$OUT" "forked 18"
    assert_not_contains "$OUT" "forked 20"
    # A real fork bomb; it ends when the command does (pid namespace), bounded by timeout.
    capture timeout 60 "$OSBOX" run --rm --rootfs "$CGR" --pids-limit 20 sh -c \
        'bomb() { bomb | bomb & }; bomb; i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; echo main-done'
    assert_ne 124 "$STATUS" "the fork bomb run timed out"
    assert_contains "$OUT" "can't fork"
    # Host is fine: it can still fork.
    assert_eq ok "$(sh -c 'echo ok')"
    cg_assert_none_left
}

# Sum a key of every cpu.stat under dirs (v1 cpu hierarchy or v2 tree).
cg_stat() { # KEY DIR...
    local key=$1 d v total=0 found=0
    shift
    for d in "$@"; do
        [ -f "$d/cpu.stat" ] || continue
        v=$(awk -v k="$key" '$1 == k { print $2 }' "$d/cpu.stat")
        [ -n "$v" ] || continue
        total=$((total + v)); found=1
    done
    [ "$found" = 1 ] && echo "$total"
}

# CPU time used by the container in us: v2 cpu.stat usage_usec, else v1 cpuacct.usage (ns).
cg_usage() { # DIR...
    local d
    cg_stat usage_usec "$@" && return 0
    for d in "$@"; do
        [ -f "$d/cpuacct.usage" ] && { echo $(( $(cat "$d/cpuacct.usage") / 1000 )); return 0; }
    done
    return 1
}

test_cpus_throttles_busy_loop() {
    cg_rootfs
    local dirs="" id="" i pid thr1 thr2 use1 use2 dthr duse t1 t2 dt
    # osbox in the background (not a subshell): SIGTERM to it ends the loop early.
    # Two spinning processes, and a large weight so that on a busy machine the
    # quota, not the competition, is what holds the container back.
    # (Not under a --cgroup-parent: a parent made on demand has the default
    # weight, which would cap the container's share of a busy host.)
    "$OSBOX" run --rm --rootfs "$CGR" --cpus 0.5 --cpu-shares 16384 \
        timeout -s KILL 20 sh -c 'while :; do :; done & while :; do :; done' >"$T/out" 2>&1 &
    pid=$!
    # On failure too: osbox forwards SIGTERM, the container ends, osbox cleans up.
    trap "kill -TERM $pid 2>/dev/null || true; wait $pid 2>/dev/null || true" EXIT
    # The container's id: the only one in this test's live state root.
    for i in $(seq 400); do
        id=$(ls "$OSBOX_RUN/containers" 2>/dev/null | grep -E '^[0-9a-f]{64}$' | head -1 || true)
        [ -n "$id" ] && dirs=$(cg_dirs_of "$id")
        [ -n "$dirs" ] && [ -n "$(cg_stat nr_throttled $dirs)" ] && break
        sleep 0.05
    done
    [ -n "$dirs" ] || fail "the container's cgroup never appeared (id '$id')"
    sleep 0.5
    # Windows of 2 s (20 CFS periods of 100 ms): a loop wanting two CPUs hits a
    # 50 ms quota in most of them. Only when the host itself cannot give it half
    # a CPU does the quota never bite: then look again, at most 3 times.
    for i in 1 2 3; do
        thr1=$(cg_stat nr_throttled $dirs) || fail "the container ended early: $(cat "$T/out")"
        use1=$(cg_usage $dirs) || fail "no CPU usage counter in $dirs"
        t1=$(date +%s%N)
        sleep 2
        use2=$(cg_usage $dirs)
        t2=$(date +%s%N)
        thr2=$(cg_stat nr_throttled $dirs) || fail "the container ended early: $(cat "$T/out")"
        # The window is what the clock says, not 2 s: under emulation the reads
        # around the sleep take long.
        dt=$(((t2 - t1) / 1000))
        dthr=$((thr2 - thr1)) duse=$((use2 - use1))
        echo "$((dt / 1000)) ms of busy loops at --cpus 0.5: throttled in $dthr periods, used $((duse / 1000)) ms of CPU"
        # Generous: a period may overshoot its quota a little (more so under emulation).
        [ "$duse" -le $((dt * 8 / 10)) ] || fail "used $duse us of CPU in $dt us at --cpus 0.5"
        [ "$dthr" -lt 5 ] || break
        [ "$duse" -lt $((dt * 45 / 100)) ] || fail "ran at $((duse * 100 / dt))% of a CPU yet throttled only $dthr times"
    done
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true # bounded: the loop ends within 20 s anyway
    [ -z "$(cg_dirs_of "$id")" ] || fail "cgroup left behind: $(cg_dirs_of "$id")"
    [ "$dthr" -ge 5 ] || skip "host too busy: the loops never got half a CPU to hit the quota"
}

test_bad_values_are_one_line_125_errors() {
    cg_rootfs
    local args
    while IFS='|' read -r args want; do
        # shellcheck disable=SC2086
        capture cg_run --rm $args true
        assert_eq 125 "$STATUS" "status of run $args"
        assert_eq 1 "$(printf '%s\n' "$OUT" | wc -l)" "lines of output for $args ($OUT)"
        assert_contains "$OUT" "osbox: $want"
    done <<'EOF'
-m 12XB|invalid --memory '12XB': unknown unit
-m 1k|invalid --memory '1k': minimum is 6m
--memory 32|invalid --memory '32': minimum is 6m
--cpus -1|invalid --cpus '-1'
--cpus 0|invalid --cpus '0'
--cpus lots|invalid --cpus 'lots'
--cpus 100000|invalid --cpus '100000'
--pids-limit 0|invalid --pids-limit '0'
--pids-limit -7|invalid --pids-limit '-7'
--cpu-shares 1|invalid --cpu-shares '1'
--cpu-weight 10001|invalid --cpu-weight '10001'
--memory-swap 64m|--memory-swap needs --memory
-m 32m --memory-swap 16m|invalid --memory-swap
--cgroup-parent ../up|invalid --cgroup-parent '../up'
EOF
    [ -z "$(ls -A "$OSBOX_ROOT/containers" 2>/dev/null)" ] || fail "state left: $(ls "$OSBOX_ROOT/containers")"
    [ -z "$(ls -A "$OSBOX_RUN/containers" 2>/dev/null)" ] || fail "live state left: $(ls "$OSBOX_RUN/containers")"
    cg_assert_none_left
}

test_no_cgroup_left_after_runs() {
    cg_rootfs
    local i n
    # 50 runs in all. Kept (no --rm), so the ids stay listed in this test's state root.
    for i in $(seq 48); do
        cg_run -m 64m --cpus 1 --cpu-shares 512 --pids-limit 50 sh -c 'sleep 30 & exit 3' ||
            [ $? = 3 ] || fail "run $i failed"
    done
    capture cg_run -m 32m dd if=/dev/zero of=/dev/null bs=100M count=1
    assert_eq 137 "$STATUS" "OOM run"
    capture cg_run --pids-limit 10 /no/such/command
    assert_eq 127 "$STATUS" "missing command"
    n=$(ls "$OSBOX_ROOT/containers" | wc -l)
    [ "$n" -ge 49 ] || fail "expected at least 49 containers in the state root, found $n"
    cg_assert_none_left
}

test_gc_removes_cgroup_of_killed_osbox() {
    cg_rootfs
    local pid id="" dirs="" i procs p
    # osbox itself in the background (not a subshell), so that kill -9 hits it.
    "$OSBOX" run --rootfs "$CGR" -m 64m --pids-limit 30 sh -c 'sleep 60 & sleep 60' >/dev/null 2>&1 &
    pid=$!
    # On failure too: no osbox, container or cgroup stays behind.
    trap "kill -9 $pid 2>/dev/null || true; '$OSBOX' gc >/dev/null 2>&1 || true" EXIT
    for i in $(seq 200); do
        id=$(ls "$OSBOX_ROOT/containers" 2>/dev/null | head -1)
        [ -n "$id" ] && dirs=$(cg_dirs_of "$id")
        [ -n "$dirs" ] && [ -n "$(cat $(printf '%s/cgroup.procs ' $dirs) 2>/dev/null)" ] && break
        sleep 0.05
    done
    [ -n "$dirs" ] || { kill -9 "$pid"; fail "the container's cgroup never appeared"; }
    sleep 0.3
    procs=$(cat $(printf '%s/cgroup.procs ' $dirs) 2>/dev/null | sort -u)
    kill -9 "$pid"
    wait "$pid" 2>/dev/null || true
    [ -n "$(cg_dirs_of "$id")" ] || fail "the cgroup vanished without gc (nothing to test)"
    capture "$OSBOX" gc
    assert_eq 0 "$STATUS" "osbox gc ($OUT)"
    [ -z "$(cg_dirs_of "$id")" ] || fail "gc left the cgroup: $(cg_dirs_of "$id")"
    for p in $procs; do
        for i in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
        ! kill -0 "$p" 2>/dev/null || fail "process $p of the container survived gc"
    done
    cg_assert_none_left
}
