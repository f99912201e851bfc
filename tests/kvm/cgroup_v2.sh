# The pure cgroup v2 path, which this hybrid machine cannot exercise: one boot
# of the nested-KVM harness (tests/kvm/run-in-kvm-vm.sh), where cgroup2 on
# /sys/fs/cgroup has every controller, runs all v2 checks in a row.

CGTEST=${CGTEST:-$OSBOX_SRC/${OSBOX_BUILD:-build}/tests/cgroups/cgtest}

test_cgroup_v2_in_harness_vm() {
    local harness=$OSBOX_SRC/tests/kvm/run-in-kvm-vm.sh
    [ -x "$harness" ] || skip "nested-KVM harness $harness not there yet"
    [ -x "$CGTEST" ] || fail "$CGTEST missing: run 'make test-progs'"
    # The busybox rootfs for the `osbox run` part, made here (fast) and shared
    # into the VM at the same path.
    export CG_ROOTFS=""
    if "$OSBOX" run --help >/dev/null 2>&1 && declare -F make_busybox_rootfs >/dev/null; then
        make_busybox_rootfs "$T/rootfs"
        CG_ROOTFS=$T/rootfs
    fi
    capture env HARNESS_TIMEOUT=${CGV2_TIMEOUT:-400} HARNESS_RESULTS="$T" HARNESS_ENV="CGTEST CG_ROOTFS" \
        "$harness" \
        bash -c 'set -eu; source tests/lib.sh; source tests/kvm/cgroup_v2.sh; cgv2_inside'
    printf '%s\n' "$OUT"
    [ "$STATUS" != 125 ] || skip "the harness could not boot a VM (status 125)"
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
    # Once `osbox run` exists, its limit tests must have run on v2 too.
    if [ -n "$CG_ROOTFS" ]; then
        assert_contains "$OUT" "ok osbox-run test_memory_limit_oom_kills_with_137"
        assert_contains "$OUT" "ok osbox-run test_cpus_throttles_busy_loop"
        assert_contains "$OUT" "ok osbox-run test_pids_limit_stops_fork_bomb"
    fi
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
    if [ -z "${CG_ROOTFS:-}" ]; then
        echo "cgroup-v2: osbox run not there yet, its checks skipped"
        return 0
    fi
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
}
