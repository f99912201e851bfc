# What the fast start-up path of osbox run must not change: the command runs
# on every CPU osbox may use (the init is kept off osbox's CPU only during
# setup), and in a fresh network namespace of its own with lo up (made ahead
# on a thread).

cpus_in() { # ARGS...: Cpus_allowed_list of the container's command and of its init
    "$OSBOX" run --rm --network none --rootfs "$T/rootfs" "$@" sh -c \
        'grep Cpus_allowed_list /proc/self/status /proc/1/status | sed "s/.*:[[:space:]]*//"'
}

test_command_gets_the_callers_cpus() {
    make_busybox_rootfs "$T/rootfs"
    local mine
    mine=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/self/status)
    capture cpus_in
    assert_eq 0 "$STATUS" "run ($OUT)"
    assert_eq "$mine
$mine" "$OUT" "CPUs of the command and the init"
    # Started on one CPU only: still that one (nothing to move the init to).
    capture taskset -c 0 "$OSBOX" run --rm --network none --rootfs "$T/rootfs" sh -c \
        'sed -n "s/^Cpus_allowed_list:[[:space:]]*//p" /proc/self/status'
    assert_eq 0 "$STATUS" "taskset run ($OUT)"
    assert_eq 0 "$OUT" "CPUs under taskset -c 0"
    assert_no_leftovers
}

test_fresh_netns_with_lo_up() {
    make_busybox_rootfs "$T/rootfs"
    local host
    host=$(readlink /proc/self/ns/net)
    capture "$OSBOX" run --rm --network none --rootfs "$T/rootfs" sh -c \
        'readlink /proc/self/ns/net; ls /sys/class/net; cat /sys/class/net/lo/flags'
    assert_eq 0 "$STATUS" "run ($OUT)"
    assert_not_contains "$OUT" "$host"
    assert_eq "lo" "$(printf '%s\n' "$OUT" | sed -n 2p)" "interfaces"
    # IFF_UP (0x1) set on lo.
    [ $(( $(printf '%s\n' "$OUT" | sed -n 3p) & 1 )) = 1 ] || fail "lo is down: $OUT"
    # Two containers alive at the same time never share one. (Compared while
    # both exist: the kernel reuses a freed namespace's inode number, so two
    # runs one after the other may legitimately print the same one.)
    local first id i
    id=$(timeout 20 "$OSBOX" run -d --rootfs "$T/rootfs" sh -c 'readlink /proc/self/ns/net; exec sleep 300') ||
        fail "run -d failed"
    first=
    for i in $(seq 1 100); do
        first=$(timeout 10 "$OSBOX" logs "$id" 2>/dev/null) && [ -n "$first" ] && break
        sleep 0.1
    done
    [ -n "$first" ] || { timeout 20 "$OSBOX" rm -f "$id" >/dev/null 2>&1; fail "the detached container never printed its netns"; }
    capture "$OSBOX" run --rm --network none --rootfs "$T/rootfs" readlink /proc/self/ns/net
    local second=$OUT second_status=$STATUS alive
    # Still the same namespace in the detached one: it was alive all along.
    alive=$(timeout 20 "$OSBOX" exec "$id" readlink /proc/self/ns/net 2>&1) || alive="exec failed: $alive"
    timeout 30 "$OSBOX" rm -f "$id" >/dev/null || fail "rm -f $id failed"
    assert_eq 0 "$second_status" "second run ($second)"
    assert_eq "$first" "$alive" "netns of the detached container while the second ran"
    assert_ne "$first" "$second" "netns of two live containers"
    assert_not_contains "$second" "$host"
    assert_no_leftovers
}
