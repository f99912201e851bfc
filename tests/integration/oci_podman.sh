# podman + conmon driving osbox-oci as their OCI runtime, fully offline: a
# busybox rootfs tar imported as a local image (no registry), vfs storage and
# all podman state in the test's scratch dir, no network (--network none),
# cgroupfs manager (no systemd). Skips when podman/conmon are not installed.

podman_setup() {
    command -v podman >/dev/null || skip "podman not installed (Debian: podman conmon)"
    [ -x /usr/bin/conmon ] || [ -x /usr/libexec/podman/conmon ] || skip "conmon not installed"
    mkdir -p "$T/bin"
    ln -sf "$OSBOX" "$T/bin/osbox-oci"
    make_busybox_rootfs "$T/rootfs"
    tar -C "$T/rootfs" -cf "$T/rootfs.tar" .
    P="podman --root $T/storage --runroot $T/runroot --storage-driver vfs --cgroup-manager cgroupfs"
    P="$P --events-backend file --tmpdir $T/libpod --runtime $T/bin/osbox-oci"
    export CONTAINERS_CONF=$T/containers.conf   # ignore the machine's engine config
    : > "$CONTAINERS_CONF"
    trap podman_teardown EXIT
    timeout 60 $P import "$T/rootfs.tar" localhost/osbox-test:latest >/dev/null || fail "podman import"
}
podman_teardown() {
    timeout 60 $P rm -af -t 0 >/dev/null 2>&1 || true
    timeout 60 $P rmi -af >/dev/null 2>&1 || true
    # podman's cgroupsPath parents (libpod_parent) hold nothing of ours by now.
    find /sys/fs/cgroup -mindepth 1 -maxdepth 6 -depth -type d -name 'libpod-*' -empty 2>/dev/null |
        while read -r d; do [ -n "$(cat "$d/cgroup.procs" 2>/dev/null)" ] || rmdir "$d" 2>/dev/null || true; done
}
pm() { timeout 60 $P "$@"; }

test_podman_run_exec_stop_rm() {
    podman_setup
    capture pm run --rm --network none localhost/osbox-test:latest sh -c 'echo hello $(cat /proc/1/comm); exit 3'
    assert_eq 3 "$STATUS" "podman run exit status: $OUT"
    assert_contains "$OUT" "hello osbox-init"
    id=$(pm run -d --network none --name p1 localhost/osbox-test:latest sh -c 'echo logged; sleep 100') || fail "run -d"
    pm ps --format '{{.Names}} {{.Status}}' | grep -q '^p1 Up' || fail "ps: $(pm ps -a)"
    capture pm exec p1 sh -c 'echo exec-ok; exit 4'
    assert_eq 4 "$STATUS" "podman exec exit status: $OUT"
    assert_contains "$OUT" "exec-ok"
    capture pm exec p1 no-such-command
    assert_eq 127 "$STATUS" "podman exec of a missing command: $OUT"
    for i in $(seq 1 30); do pm logs p1 | grep -q logged && break; sleep 0.1; done
    assert_contains "$(pm logs p1)" "logged" "podman logs"
    pm stop -t 1 p1 >/dev/null || fail "stop"
    pm ps -a --format '{{.Names}} {{.Status}}' | grep -q '^p1 Exited' || fail "after stop: $(pm ps -a)"
    pm rm p1 >/dev/null || fail "rm"
    left=$(find /sys/fs/cgroup -mindepth 1 -maxdepth 6 -type d -name "libpod-$id" 2>/dev/null || true)
    [ -z "$left" ] || fail "cgroups of the podman container left: $left"
}

test_podman_tty() {
    podman_setup
    command -v script >/dev/null || skip "no script(1)"
    capture timeout 60 script -qec "$P run --rm -t --network none localhost/osbox-test:latest sh -c '[ -t 0 ] && echo is-a-tty'" /dev/null </dev/null
    assert_eq 0 "$STATUS" "podman run -t: $OUT"
    assert_contains "$OUT" "is-a-tty"
    pm run -d --network none --name pt localhost/osbox-test:latest sleep 100 >/dev/null || fail "run -d"
    capture timeout 60 script -qec "$P exec -t pt sh -c '[ -t 1 ] && echo exec-tty; exit 6'" /dev/null </dev/null
    assert_contains "$OUT" "exec-tty" "podman exec -t"
    pm rm -f -t 0 pt >/dev/null || fail "rm -f"
}

# podman -v and --mount through osbox-oci: binds (rw, ro), a podman named
# volume, a tmpfs; what the container writes lands on the host.
test_podman_volumes() {
    podman_setup
    mkdir -p "$T/pv"
    echo from-host > "$T/pv/in"
    capture pm run --rm --network none -v "$T/pv:/pv" localhost/osbox-test:latest sh -c 'cat /pv/in; echo from-ctr > /pv/out'
    assert_eq 0 "$STATUS" "podman run -v: $OUT"
    assert_contains "$OUT" "from-host"
    assert_eq from-ctr "$(cat "$T/pv/out")" "written through the bind"
    capture pm run --rm --network none -v "$T/pv:/pv:ro" localhost/osbox-test:latest sh -c 'echo x > /pv/out'
    assert_ne 0 "$STATUS" "a write through podman's :ro bind succeeded"
    assert_eq from-ctr "$(cat "$T/pv/out")" "the host file after the :ro run"
    pm run --rm --network none -v pvol:/data localhost/osbox-test:latest sh -c 'echo kept > /data/f' >/dev/null ||
        fail "podman named volume"
    capture pm run --rm --network none -v pvol:/data --mount type=tmpfs,destination=/t,tmpfs-size=1m \
        localhost/osbox-test:latest sh -c 'cat /data/f; grep " /t " /proc/self/mountinfo'
    assert_eq 0 "$STATUS" "$OUT"
    assert_contains "$OUT" "kept"
    assert_contains "$OUT" "tmpfs"
    pm volume rm -f pvol >/dev/null 2>&1 || true
}
