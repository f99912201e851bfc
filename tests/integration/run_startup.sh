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
    # Two containers never share one.
    local first
    first=$(printf '%s\n' "$OUT" | sed -n 1p)
    capture "$OSBOX" run --rm --network none --rootfs "$T/rootfs" readlink /proc/self/ns/net
    assert_eq 0 "$STATUS" "second run ($OUT)"
    [ "$OUT" != "$first" ] || fail "two containers got the same netns $OUT"
    assert_no_leftovers
}
