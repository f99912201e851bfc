# The cgroup library on this host's real cgroup tree, without the container
# runtime: tests/cgroups/cgtest creates a container cgroup with limits, runs a
# child in it, checks the kernel's files and stats, destroys it.

CGTEST=${CGTEST:-$OSBOX_SRC/${OSBOX_BUILD:-build}/tests/cgroups/cgtest}

cg_run() { # SUBCOMMAND: run cgtest with an id unique to this test, then check nothing is left
    [ -x "$CGTEST" ] || fail "$CGTEST missing: run 'make test-progs'"
    local id="cgt$$" left rc=0
    "$CGTEST" "$1" "$id" || rc=$?
    left=$(cg_find "$id")
    cg_scrub "$id" # on failure too: nothing of this test stays on the machine
    [ "$rc" != 77 ] || skip "this host (cgroup mode $("$CGTEST" detect)) lacks what cgtest $1 needs"
    [ "$rc" = 0 ] || fail "cgtest $1 failed"
    [ -z "$left" ] || fail "cgroups left behind: $left"
}

cg_find() { # ID: this test's cgroup dirs, deepest first
    find /sys/fs/cgroup -mindepth 1 -maxdepth 8 -depth -type d \
        \( -name "osbox-$1" -o -path "*/osbox-test-parent-$1" -o -path "*/osbox-test-parent-$1/*" \) \
        2>/dev/null || true
}

cg_scrub() { # ID: kill what is in this test's cgroups and remove them (bounded)
    local d p i
    for i in 1 2 3 4 5; do
        [ -n "$(cg_find "$1")" ] || return 0
        for d in $(cg_find "$1"); do
            for p in $(cat "$d/cgroup.procs" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
            rmdir "$d" 2>/dev/null || true
        done
        sleep 0.1
    done
}

test_detect_matches_mountinfo() {
    [ -x "$CGTEST" ] || fail "$CGTEST missing: run 'make test-progs'"
    local want=v1
    if grep -q ' - cgroup2 ' /proc/self/mountinfo; then
        grep -q ' - cgroup ' /proc/self/mountinfo && want=hybrid || want=v2
    fi
    # A named-only v1 hierarchy (name=systemd) does not make a host v1.
    if [ "$want" = hybrid ] && ! grep ' - cgroup ' /proc/self/mountinfo | grep -Eq 'rw,(cpu|memory|pids)'; then
        want=v2
    fi
    assert_eq "$want" "$("$CGTEST" detect)" "detected cgroup mode"
}

test_limits_written_and_destroy_kills() { cg_run limits; }
test_oom_kill_at_32m() { cg_run oom; }
test_pids_limit_stops_forks() { cg_run pids; }
test_cpus_throttles_busy_loop() { cg_run cpu; }
test_remove_stale_after_killed_osbox() { cg_run stale; }
test_failed_create_leaves_nothing() { cg_run partial; }
test_cgroup_parent() { cg_run parent; }
# clone3(CLONE_INTO_CGROUP) needs pure v2: elsewhere this runs in the harness.
test_clone_into_cgroup() {
    v2_or_harness tests/integration/cgroups_direct.sh "${FUNCNAME[0]}" "$CGTEST"
    cg_run clone
}
test_destroy_ends_fork_bomb() { cg_run bomb; }

# Pure v1 (no unified tree at all): hide cgroup2 in a private mount namespace.
test_pure_v1_when_cgroup2_is_not_mounted() {
    [ -x "$CGTEST" ] || fail "$CGTEST missing: run 'make test-progs'"
    local v2mnt
    v2mnt=$(awk '$0 ~ / - cgroup2 / { print $5; exit }' /proc/self/mountinfo)
    [ -n "$v2mnt" ] || skip "no cgroup2 mount to hide"
    grep -q ' - cgroup .*rw,memory' /proc/self/mountinfo || skip "no v1 memory controller (pure v2 host)"
    local id="cgt$$" left rc=0
    unshare -m --propagation private sh -c '
        umount "$1" || exit 1
        [ "$("$2" detect)" = v1 ] || { echo "FAIL: not detected as v1"; exit 1; }
        "$2" limits "$3" && "$2" oom "$3" && "$2" stale "$3" && "$2" bomb "$3"' sh "$v2mnt" "$CGTEST" "$id" || rc=$?
    [ "$rc" = 0 ] || { cg_scrub "$id"; fail "cgtest on pure v1 failed"; }
    left=$(cg_find "$id")
    cg_scrub "$id"
    [ -z "$left" ] || fail "cgroups left behind: $left"
}
