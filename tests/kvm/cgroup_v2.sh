# The pure cgroup v2 path, which a v1 or hybrid machine cannot exercise: in
# the nested-KVM harness (tests/kvm/run-in-kvm-vm.sh), where cgroup2 on
# /sys/fs/cgroup has every controller, all v2 checks in a row. The body runs
# inside the harness on every machine (the run's one boot: in_harness).

CGTEST=${CGTEST:-$OSBOX_SRC/${OSBOX_BUILD:-build}/tests/cgroups/cgtest}

test_cgroup_v2_in_harness_vm() {
    in_harness tests/kvm/cgroup_v2.sh "${FUNCNAME[0]}" "$CGTEST"
    [ -x "$CGTEST" ] || fail "$CGTEST missing: run 'make test-progs'"
    export CG_ROOTFS=$T/rootfs # for the `osbox run` part
    make_busybox_rootfs "$CG_ROOTFS"
    set +e
    (set -e; cgv2_inside) >"$T/cgv2.out" 2>&1
    STATUS=$?
    set -e
    OUT=$(cat "$T/cgv2.out")
    printf '%s\n' "$OUT"
    assert_eq 0 "$STATUS" "status of the v2 checks in the VM"
    assert_contains "$OUT" "cgroup-v2: all checks passed"
    # What the checks must have seen (so a silently skipped step fails here).
    assert_contains "$OUT" "memory.max = 33554432"
    assert_contains "$OUT" "cpu.max = 50000 100000"
    assert_contains "$OUT" "pids.max = 20"
    assert_contains "$OUT" "hog killed by SIGKILL"
    assert_contains "$OUT" "refused"
    assert_contains "$OUT" "clone3 CLONE_INTO_CGROUP"
    assert_contains "$OUT" "destroy ended the bomb"
    assert_contains "$OUT" "ok created /test.slice/osbox-svc1"
    # The `osbox run` limit tests ran on v2 too.
    assert_contains "$OUT" "ok osbox-run test_memory_limit_oom_kills_with_137"
    assert_contains "$OUT" "ok osbox-run test_cpus_throttles_busy_loop"
    assert_contains "$OUT" "ok osbox-run test_pids_limit_stops_fork_bomb"
    assert_contains "$OUT" "ok osbox-ops v2 pause/unpause"
    assert_contains "$OUT" "ok osbox-ops v2 update"
    assert_contains "$OUT" "ok osbox-ops v2 stats"
    assert_contains "$OUT" "ok osbox-run v2 devices"
}

# Runs inside the VM (pure v2, root cgroup, nothing enabled yet).
cgv2_inside() {
    local c left
    assert_eq v2 "$("$CGTEST" detect)" "cgroup mode in the VM"
    for c in limits oom pids cpu stale partial parent clone bomb; do
        echo "== cgtest $c (at ${SECONDS}s)"
        "$CGTEST" "$c" "v2$c" || fail "cgtest $c failed on pure v2"
    done
    # Like a systemd service: osbox runs in a cgroup that holds processes, so
    # v2 forbids enabling controllers below it; the container must still get
    # its limits (as a sibling under the enabled parent).
    echo "== cgtest limits inside a service cgroup"
    mkdir -p /sys/fs/cgroup/test.slice/svc.service
    for c in cpu memory pids; do echo "+$c" >/sys/fs/cgroup/cgroup.subtree_control; done
    for c in cpu memory pids; do echo "+$c" >/sys/fs/cgroup/test.slice/cgroup.subtree_control; done
    (echo "$BASHPID" >/sys/fs/cgroup/test.slice/svc.service/cgroup.procs && exec "$CGTEST" limits svc1) ||
        fail "cgtest limits in a service cgroup failed"
    cgv2_osbox_run
    left=$(find /sys/fs/cgroup -mindepth 1 -maxdepth 6 -type d -name 'osbox-*')
    [ -z "$left" ] || fail "cgroups left behind: $left"
    echo "cgroup-v2: all checks passed"
}

# The `osbox run` limit tests of tests/integration/cgroups.sh, here on pure v2,
# each in its own subshell with fresh state roots.
cgv2_osbox_run() {
    local t rc base
    source tests/integration/cgroups.sh
    # Each osbox run costs ~1 s under emulation: the checks whose cgroup side
    # differs on v2 (bad values fail before any cgroup exists).
    for t in test_memory_limit_oom_kills_with_137 test_pids_limit_stops_fork_bomb \
             test_cpus_throttles_busy_loop test_gc_removes_cgroup_of_killed_osbox; do
        echo "== osbox run: $t (at ${SECONDS}s)"
        base=$(mktemp -d /tmp/cgv2.XXXXXX)
        mkdir -p "$base/root" "$base/run" "$base/t"
        rc=0
        (OSBOX_ROOT=$base/root OSBOX_RUN=$base/run T=$base/t; set -eu; "$t") || rc=$?
        rm -rf "$base"
        case $rc in
            0) echo "ok osbox-run $t" ;;
            77) echo "skip osbox-run $t" ;;
            *) fail "$t failed on pure v2 (status $rc)" ;;
        esac
    done
    cgv2_ops
    cgv2_devices
}

# The device cgroup on v2 (a BPF program): on a tmpfs mounted inside (not
# nodev), a node of an allowed device (null) opens, one outside Docker's
# allow-list (c 10:229) is refused with EPERM; mknod itself is allowed.
cgv2_devices() {
    local base out
    base=$(mktemp -d /tmp/cgv2.XXXXXX)
    mkdir -p "$base/root" "$base/run"
    out=$(OSBOX_ROOT=$base/root OSBOX_RUN=$base/run "$OSBOX" run --rm --network none --cap-add SYS_ADMIN \
          --rootfs "$CG_ROOTFS" sh -c 'mount -t tmpfs t /tmp && mknod /tmp/null c 1 3 &&
          mknod /tmp/other c 10 229 && echo made; echo x > /tmp/null && echo null-ok
          (exec 3<>/tmp/other) && echo other-open' 2>&1) || true
    rm -rf "$base"
    echo "devices: $out"
    assert_contains "$out" "made"
    assert_contains "$out" "null-ok"
    assert_not_contains "$out" "other-open"
    assert_contains "$out" "Operation not permitted"
    echo "ok osbox-run v2 devices"
}

# Operating a running container on pure v2, in as few osbox calls as the
# emulated VM affords: pause (cgroup.freeze), update (memory.max, pids.max),
# stats (cpu.stat, memory.current, memory.max), one container.
cgv2_ops() {
    local base id rel out
    base=$(mktemp -d /tmp/cgv2.XXXXXX)
    mkdir -p "$base/root" "$base/run"
    (
        set -eu
        export OSBOX_ROOT=$base/root OSBOX_RUN=$base/run OSBOX_NETWORK=none
        trap '"$OSBOX" rm -f o1 >/dev/null 2>&1 || true' EXIT
        id=$("$OSBOX" run -d --name o1 -m 256m --rootfs "$CG_ROOTFS" sh -c 'head -c 20000000 /dev/zero >/dev/shm/x; touch /tmp/filled; while :; do :; done')
        # Under emulation head takes a while: stats below wants its 20 MB and 2 tasks.
        for _ in $(seq 1 300); do
            [ -e "$base/root/containers/$id/upper/tmp/filled" ] && break
            sleep 0.1
        done
        [ -e "$base/root/containers/$id/upper/tmp/filled" ] || fail "o1 did not fill /dev/shm in 30 s"
        pid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' "$base/run/containers/$id/state.json")
        rel=$(awk -F: '$1 == 0 {print $3}' /proc/"$pid"/cgroup)
        "$OSBOX" pause o1 >/dev/null
        assert_eq 1 "$(cat /sys/fs/cgroup"$rel"/cgroup.freeze)" "cgroup.freeze after pause"
        grep -qx 'frozen 1' /sys/fs/cgroup"$rel"/cgroup.events || fail "cgroup.events not frozen"
        "$OSBOX" ps | grep -q 'Up (Paused)' || fail "ps does not show paused"
        "$OSBOX" unpause o1 >/dev/null
        assert_eq 0 "$(cat /sys/fs/cgroup"$rel"/cgroup.freeze)" "cgroup.freeze after unpause"
        echo "ok osbox-ops v2 pause/unpause"
        "$OSBOX" update -m 128m --pids-limit 30 --cpus 0.5 --cpuset-cpus 0 o1 >/dev/null
        assert_eq 134217728 "$(cat /sys/fs/cgroup"$rel"/memory.max)" "memory.max after update"
        assert_eq 30 "$(cat /sys/fs/cgroup"$rel"/pids.max)" "pids.max after update"
        assert_eq "50000 100000" "$(cat /sys/fs/cgroup"$rel"/cpu.max)" "cpu.max after update"
        # run asked for no cpuset: update gets o1 one (the controller enabled above it if need be)
        assert_eq 0 "$(cat /sys/fs/cgroup"$rel"/cpuset.cpus)" "cpuset.cpus after update"
        assert_eq 0 "$(awk '/^Cpus_allowed_list/ {print $2}' /proc/"$pid"/status)" "the init on CPU 0"
        echo "ok osbox-ops v2 update"
        out=$("$OSBOX" stats --no-stream --format json o1)
        echo "stats: $out"
        python3 -c 'import json,sys; s=json.loads(sys.argv[1])[0]
assert s["mem_limit"] == 134217728, s
assert s["mem_usage"] > 19000000, s
assert s["pids"] == 2, s
assert 1 < s["cpu_percent"] <= 105, s' "$out" || fail "stats on v2: $out"
        echo "ok osbox-ops v2 stats"
    ) || fail "osbox ops on pure v2 failed"
    rm -rf "$base"
}
