# shellcheck shell=bash
# `osbox vm run IMAGE CMD` (cli/cmd_vm_run.c) and `osbox bench`'s vm mode.
# Boots are expensive (seconds each on a software-assisted KVM), so each boot
# checks several things. Where /dev/kvm works the tests run directly, else one
# harness boot runs them all and each test replays its result.

vmrun_in_kvm() {
    [ -f "${OSBOX_GUEST_KERNEL:-$OSBOX_SRC/build/guest/osbox-kernel}" ] || fail "guest kernel missing: run 'make'"
    [ -d "$OSBOX_SRC/build/images/busybox.oci" ] || fail "busybox image missing: run 'make images'"
    kvm_or_harness tests/kvm/vm_run.sh "${FUNCNAME[1]}" \
        "${OSBOX_GUEST_KERNEL:-$OSBOX_SRC/build/guest/osbox-kernel}"
}

# vmrun ARGS...: osbox vm run with a time limit; sets $OUT (stdout+stderr) and $STATUS.
vmrun() {
    capture timeout -k 5 120 "$OSBOX" vm run --mem 128M "$@"
}

disk_of() { # the cached disk(s) of the store
    ls "$OSBOX_ROOT"/images/disks/*.ext2 2>/dev/null || true
}

# Boot 1: image env + -e, -w (created), exit status, a write in the guest.
# Boot 2: defaults (WorkingDir /, the image's PATH), the write is gone, the
# cached disk was reused and never modified.
test_vm_run_env_workdir_status_and_cached_disk() {
    vmrun_in_kvm
    load_busybox
    # shellcheck disable=SC2016 # expanded by the guest's shell
    vmrun -e FOO="bar baz" -w /srv/app busybox sh -c \
        'echo hello; echo foo=$FOO; pwd; echo guest-data > /etc/written; exit 7'
    assert_eq 7 "$STATUS" "exit status of the command: $OUT"
    assert_eq "hello
foo=bar baz
/srv/app" "$OUT" "output (no kernel messages, no \\r)"
    local disk sum1 st1
    disk=$(disk_of)
    if [ "$(printf '%s\n' "$disk" | wc -l)" != 1 ] || [ ! -f "$disk" ]; then fail "one cached disk: $disk"; fi
    sum1=$(md5sum <"$disk")
    st1=$(stat -c '%i %Y %s' "$disk")

    # shellcheck disable=SC2016
    vmrun busybox sh -c 'pwd; echo $PATH; cat /etc/written 2>/dev/null || echo absent'
    assert_eq 0 "$STATUS" "second run: $OUT"
    assert_eq "/
/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
absent" "$OUT" "defaults from the image; the first run's write is gone"
    assert_eq "$disk" "$(disk_of)" "the same cached disk"
    assert_eq "$st1" "$(stat -c '%i %Y %s' "$disk")" "cached disk reused, not rebuilt"
    assert_eq "$sum1" "$(md5sum <"$disk")" "cached disk unchanged by the guest's writes"
    [ -z "$(ls -A "$OSBOX_ROOT/images/tmp" 2>/dev/null)" ] || fail "leftovers in images/tmp"
}

# A changed image (same name, new content) gets a new disk; a missing command
# is 127 as with `osbox run`.
test_vm_run_changed_image_and_missing_command() {
    vmrun_in_kvm
    local rootfs=$T/rootfs
    make_busybox_rootfs "$rootfs"
    echo v1 >"$rootfs/version"
    tar -C "$rootfs" -cf "$T/v1.tar" .
    "$OSBOX" import "$T/v1.tar" mini >/dev/null
    vmrun mini /no/such/command
    assert_eq 127 "$STATUS" "missing command: $OUT"
    assert_contains "$OUT" "cannot run init /no/such/command"
    assert_eq 1 "$(disk_of | wc -l)" "disk built for v1"
    echo v2 >"$rootfs/version"
    tar -C "$rootfs" -cf "$T/v2.tar" .
    "$OSBOX" import "$T/v2.tar" mini >/dev/null
    vmrun mini cat /version
    assert_eq 0 "$STATUS" "v2: $OUT"
    assert_eq v2 "$OUT" "the guest sees the changed image"
    assert_eq 2 "$(disk_of | wc -l)" "a new disk for the new digest"
}

# --net bridge (inside a network namespace of our own): the ip= the network
# adds and the monitor's virtio_mmio.device= entries go before " -- ", so
# init's arguments are exactly CMD's, even words that look like them.
test_vm_run_bridge_keeps_args() {
    vmrun_in_kvm
    load_busybox
    command -v unshare >/dev/null || skip "no unshare"
    capture timeout -k 5 120 unshare -n sh -c \
        "ip link set lo up && exec '$OSBOX' vm run --mem 128M --net bridge busybox echo a -- \
         virtio_mmio.device=512@0xd0000800:9 ip=10.9.9.9/8::10.0.0.1 b"
    assert_eq 0 "$STATUS" "bridge: $OUT"
    assert_eq "a -- virtio_mmio.device=512@0xd0000800:9 ip=10.9.9.9/8::10.0.0.1 b" "$OUT" "arguments"
}

# Bad input that never boots.
test_vm_run_bad_input() {
    vmrun_in_kvm
    load_busybox
    capture "$OSBOX" vm run --help
    assert_eq 0 "$STATUS"
    assert_contains "$OUT" "Usage: osbox vm run"
    capture "$OSBOX" vm run
    assert_eq 2 "$STATUS" "no image"
    capture "$OSBOX" vm run -w relative busybox true
    assert_eq 2 "$STATUS" "relative -w"
    capture "$OSBOX" vm run --net bogus busybox true
    assert_eq 2 "$STATUS" "--net bogus"
    capture "$OSBOX" vm run --net none -p 8080:80 busybox true
    assert_eq 2 "$STATUS" "-p without bridge"
    capture "$OSBOX" vm run nosuchimage true
    assert_eq 125 "$STATUS" "unknown image"
    assert_contains "$OUT" "image 'nosuchimage' not found"
    capture "$OSBOX" vm run busybox echo 'say "hi"'
    assert_eq 125 "$STATUS" "a quote cannot reach the guest"
    assert_contains "$OUT" "cannot reach the guest"
    capture env OSBOX_GUEST_KERNEL="$T/none" "$OSBOX" vm run busybox true
    assert_eq 125 "$STATUS" "no guest kernel"
    assert_contains "$OUT" "no guest kernel at $T/none"
    # No /dev/kvm (a private mount namespace with an empty /dev).
    capture unshare -m --propagation private sh -c "mount -t tmpfs none /dev && exec '$OSBOX' vm run busybox true"
    assert_eq 125 "$STATUS" "no /dev/kvm"
    assert_contains "$OUT" "/dev/kvm does not exist"
    assert_contains "$OUT" "run-in-kvm-vm.sh"
    [ -z "$(disk_of)" ] || fail "no disk should be built for runs that cannot boot"
}

# One vm boot: the three modes side by side, the table and the JSON complete.
test_bench_three_modes() {
    vmrun_in_kvm
    load_busybox
    capture "$OSBOX" bench --modes host,container,vm --runs 1 --json "$T/b.json" syscall
    assert_eq 0 "$STATUS" "bench: $OUT"
    printf '%s\n' "$OUT" | grep -Eq '^syscall +getpid_ns +ns +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+x +[0-9.]+x$' ||
        fail "no complete syscall row with VM/HOST: $OUT"
    assert_contains "$OUT" "VM/HOST"
    printf '%s\n' "$OUT" | grep -Eq '^start-up .* ms +[0-9.]+ +[0-9.]+ +[0-9.]+' || fail "start-up row: $OUT"
    printf '%s\n' "$OUT" | grep -Eq '^memory .* MiB +[0-9.]+ +[0-9.]+ +[0-9.]+' || fail "memory row: $OUT"
    if [ -e /sys/module/kvm_pvm ]; then assert_contains "$OUT" "vm: /dev/kvm here is kvm-pvm"; fi
    python3 - "$T/b.json" <<'PY' || fail "bad bench JSON: $(head -c 2000 "$T/b.json")"
import json, math, sys
d = json.load(open(sys.argv[1]))
assert d["modes"] == ["host", "container", "vm"] and d["failures"] == 0, d
r = [x for x in d["results"] if x["workload"] == "syscall" and x["metric"] == "getpid_ns"][0]
for mode in d["modes"]:
    s = r["modes"][mode]
    assert s["n"] == 1 and math.isfinite(s["median"]) and s["median"] > 0, (mode, s)
    for key in ("startup_ms", "memory_kib"):
        assert d[key][mode]["n"] == 1 and d[key][mode]["median"] > 0, (key, mode, d[key])
assert r["ratios"]["vm/host"] > 0 and r["ratios"]["container/host"] > 0
assert any(n.startswith("VM: ") for n in d["notes"]), d["notes"]
PY
}
