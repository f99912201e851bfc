# shellcheck shell=bash
# The guest kernel against Linux itself: the everyday shell commands of
# tests/guest/conform/commands run from one busybox rootfs in a container
# (host Linux, the oracle) and in one `osbox vm run` boot, outputs compared
# command by command (tests/guest/conform/compare.sh).  Every difference must
# be listed, with its reason, in tests/guest/conform/known-differences.

CONFORM=$OSBOX_SRC/tests/guest/conform

conform_in_kvm() {
    local kernel=${OSBOX_GUEST_KERNEL:-$OSBOX_SRC/build/guest/osbox-kernel}
    [ -f "$kernel" ] || fail "guest kernel missing: run 'make'"
    kvm_or_harness tests/kvm/guest_conform.sh "${FUNCNAME[1]}" "$kernel" \
        "$CONFORM/commands" "$CONFORM/run.sh" "$CONFORM/compare.sh" \
        "$CONFORM/normalise.sed" "$CONFORM/known-differences"
}

# The rootfs both sides run: busybox with every applet, the usual top-level
# directories, and the conformance scripts at /conform.
conform_image() {
    local rootfs=$T/rootfs
    make_busybox_rootfs "$rootfs"
    mkdir -p "$rootfs/proc" "$rootfs/sys" "$rootfs/dev" "$rootfs/conform"
    cp "$CONFORM/commands" "$CONFORM/run.sh" "$rootfs/conform/"
    tar -C "$rootfs" -cf "$T/conform.tar" .
    "$OSBOX" import "$T/conform.tar" conform >/dev/null
}

test_guest_conform_shell_commands() {
    conform_in_kvm
    conform_image
    # Root in the guest may read the kernel log (dmesg): so may the container
    # (CAP_SYSLOG). The oracle is Linux's own default for a new process tree (1024 soft,
    # 4096 hard open files), not whatever this shell inherited.
    (ulimit -Sn 1024 && ulimit -Hn 4096 &&
        timeout -k 5 120 "$OSBOX" run --rm --cap-add SYSLOG conform sh /conform/run.sh) >"$T/host.out" 2>&1 ||
        fail "container run failed: $(tail -n 20 "$T/host.out")"
    timeout -k 5 600 "$OSBOX" vm run --mem 128M conform sh /conform/run.sh >"$T/guest.out" 2>&1 ||
        fail "vm run failed (status $?): $(tail -n 20 "$T/guest.out")"
    capture "$CONFORM/compare.sh" "$T/host.out" "$T/guest.out"
    printf '%s\n' "$OUT"
    # the last table, for the README count (the harness's tree may be read-only)
    { printf '%s\n' "$OUT" >"$OSBOX_SRC/build/tests/guest-conform.txt"; } 2>/dev/null || true
    assert_eq 0 "$STATUS" "unexplained differences (or stale known-differences)"
}
