# The osbox guest kernel under QEMU microvm in software emulation (no KVM
# needed).  Boots are batched: each TCG boot costs seconds.

GUEST_KERNEL=${OSBOX_SRC}/build/guest/osbox-kernel
GUEST_IMG=${OSBOX_SRC}/build/images/guest.img

# qemu_guest DISK|- CMDLINE: boot the kernel; $OUT = console, $STATUS = the
# guest's exit status: the "osbox-guest: exit N" line, cross-checked with
# isa-debug-exit's process status ((v<<1)|1, which keeps only 7 bits).
qemu_guest() {
    local disk=$1 cmdline=$2 rc=0
    command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 not installed"
    [ -f "$GUEST_KERNEL" ] || fail "$GUEST_KERNEL missing: run make"
    local args=(-M microvm -accel tcg -cpu max -smp "${QEMU_SMP:-1}" -m 256M -nodefaults -no-reboot
                -display none -serial stdio -kernel "$GUEST_KERNEL" -append "$cmdline"
                -device isa-debug-exit,iobase=0x501,iosize=1
                -global virtio-mmio.force-legacy=false)
    if [ "$disk" != - ]; then
        args+=(-drive "id=d0,file=$disk,format=raw,if=none" -device virtio-blk-device,drive=d0)
    fi
    OUT=$(timeout 120 qemu-system-x86_64 "${args[@]}" <"${QEMU_STDIN:-/dev/null}" 2>&1) || rc=$?
    OUT=${OUT//$'\r'/}
    STATUS=$(sed -n 's/^osbox-guest: exit \([0-9]*\)$/\1/p' <<<"$OUT" | tail -n 1)
    if [ "$rc" -eq 124 ]; then STATUS=timeout
    elif [ -z "$STATUS" ] || [ $((rc & 1)) -ne 1 ] || [ $(((STATUS << 1 | 1) & 255)) -ne "$rc" ]; then
        STATUS="bad-exit(rc=$rc,status=$STATUS)"
    fi
}

guest_disk() { # a private copy of the guest image
    [ -f "$GUEST_IMG" ] || fail "$GUEST_IMG missing: run 'make images'"
    cp --sparse=always "$GUEST_IMG" "$T/disk.img"
    echo "$T/disk.img"
}

# Whole lines of $OUT in order: assert_order FIRST SECOND (prefix match;
# the banner line, which echoes the cmdline, is skipped)
assert_order() {
    local a b
    a=$(tail -n +2 <<<"$OUT" | grep -n -F -- "$1" | head -n 1 | cut -d: -f1)
    b=$(tail -n +2 <<<"$OUT" | grep -n -F -- "$2" | head -n 1 | cut -d: -f1)
    [ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt "$b" ] || fail "'$1' should come before '$2' in: $OUT"
}

test_guest_banner_and_kernel_fault() {
    qemu_guest - "osbox.test=kfault"
    assert_contains "$OUT" "osbox kernel 0.1 booting"
    assert_contains "$OUT" "KERNEL EXCEPTION 14 (page fault)"
    assert_contains "$OUT" "faulting address 0000600000000000"
    assert_contains "$OUT" "rip "
    assert_eq 142 "$STATUS" "exit status after a kernel page fault"
}

test_guest_missing_init_fails() {
    local disk
    disk=$(guest_disk)
    qemu_guest "$disk" "init=/no/such/init"
    assert_contains "$OUT" "cannot run init /no/such/init (-2)"
    assert_eq 127 "$STATUS" "exit status when init is missing (as a shell's)"
}

# One boot runs the bulk of the user-space checks; a second boot reads back
# what the first fsynced and checks that preemption lets a reader progress
# while a CPU hog runs, and that ps lists it (/proc directories).  Both
# boots have two CPUs (SMP).
test_guest_userspace_and_persistence() {
    local disk
    disk=$(guest_disk)
    export QEMU_SMP=2
    qemu_guest "$disk" 'init=/bin/sh -- -c "/tests/hello; echo files=$(ls / | wc -l); for i in 1 2 3; do echo n$i; done; /tests/threads; /tests/segv; echo segv-status=$?; /tests/sysck; grep ^Name: /proc/self/status; cat /proc/1/comm; cat /proc/9999/stat || echo no-such-pid; /tests/fsync_write /persist.txt persisted-42; exit 7"'
    assert_contains "$OUT" "osbox-guest: 2 CPUs online"
    assert_contains "$OUT" "hello from musl (argc=1 argv[0]=/tests/hello)"
    assert_contains "$OUT" "syscall 4242 -> -1 errno=38"
    assert_eq 1 "$(grep -c 'syscall 4242 not implemented' <<<"$OUT")" "unknown-syscall log lines"
    assert_contains "$OUT" "files=13"
    assert_contains "$OUT" $'n1\nn2\nn3'
    assert_contains "$OUT" "threads: counter=80000 expected=80000"
    assert_contains "$OUT" "segfault at 10"
    assert_contains "$OUT" "segv-status=139"
    assert_not_contains "$OUT" "still alive"
    assert_contains "$OUT" "sysck: 38 checks, 0 failed"
    assert_contains "$OUT" $'Name:\tgrep'
    assert_contains "$OUT" $'\nsh\n'
    assert_contains "$OUT" "no-such-pid"
    assert_contains "$OUT" "fsync_write: wrote 65549 bytes to /persist.txt"
    assert_eq 7 "$STATUS" "init's exit status"
    e2fsck -fn "$disk" >"$T/fsck1" 2>&1 || fail "e2fsck after boot 1: $(cat "$T/fsck1")"

    printf 'typed-line\n' >"$T/stdin"
    QEMU_STDIN=$T/stdin qemu_guest "$disk" 'init=/bin/sh -- -c "tail -c 13 /persist.txt; wc -c < /persist.txt; /tests/hog 4 & read line; echo got:$line; ps -o pid,ppid,comm | sed s/^/ps:/; echo /proc/1/*; wait; echo after-wait"'
    assert_contains "$OUT" "persisted-42"
    assert_contains "$OUT" "65549"
    assert_contains "$OUT" "got:typed-line"
    assert_contains "$OUT" "ps:PID   PPID  COMMAND"
    assert_contains "$OUT" "ps:    1     0 sh"
    assert_contains "$OUT" " 1 hog"
    assert_not_contains "$OUT" "ps:    0 "             # no pid 0, as on Linux
    assert_contains "$OUT" "/proc/1/cmdline /proc/1/comm /proc/1/cwd /proc/1/exe /proc/1/fd /proc/1/mounts /proc/1/stat /proc/1/status"
    assert_contains "$OUT" "hog: done"
    assert_order "got:typed-line" "hog: done"
    assert_order "hog: done" "after-wait"
    assert_eq 0 "$STATUS"
    e2fsck -fn "$disk" >"$T/fsck2" 2>&1 || fail "e2fsck after boot 2: $(cat "$T/fsck2")"
}
