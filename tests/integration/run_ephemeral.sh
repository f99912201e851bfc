# osbox run --rm: the writable layer is thrown away at exit, so the overlay is
# mounted "volatile" (never synced); a kept container's is a normal one.

root_opts() { # the mount options of the container's / as it sees them
    "$OSBOX" run "$@" sh -c 'grep "^overlay / overlay " /proc/mounts'
}

test_rm_overlay_is_volatile_and_leaves_nothing() {
    make_busybox_rootfs "$T/rootfs"
    capture root_opts --rm --network none --rootfs "$T/rootfs"
    assert_eq 0 "$STATUS" "run --rm status ($OUT)"
    assert_contains "$OUT" "volatile"
    # Writes still work, and nothing of the layer stays behind.
    assert_status 0 "$OSBOX" run --rm --network none --rootfs "$T/rootfs" sh -c 'echo x > /f && sync && cat /f'
    left=$(ls -A "$OSBOX_ROOT/containers" "$OSBOX_RUN/containers" 2>/dev/null | grep -v ':$' | grep . || true)
    [ -z "$left" ] || fail "state left behind: $left"
    assert_no_leftovers
}

test_kept_container_overlay_is_synced() {
    make_busybox_rootfs "$T/rootfs"
    capture root_opts --name kept --network none --rootfs "$T/rootfs"
    assert_eq 0 "$STATUS" "run status ($OUT)"
    case $OUT in *volatile*) fail "a kept container's overlay is volatile: $OUT" ;; esac
    assert_status 0 "$OSBOX" rm kept
    assert_no_leftovers
}
