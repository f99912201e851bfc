# The osbox guest kernel under QEMU microvm in software emulation (no KVM
# needed).  Boots are batched: each TCG boot costs seconds.

GUEST_KERNEL=${OSBOX_SRC}/build/guest/osbox-kernel
GUEST_IMG=${OSBOX_SRC}/build/images/guest.img

# qemu_guest DISK|- CMDLINE: boot the kernel; $OUT = console, $STATUS = the
# guest's exit status: the "osbox-guest: exit N" line (isa-debug-exit's
# (v<<1)|1 process status only keeps 7 bits of it).
qemu_guest() {
    local disk=$1 cmdline=$2 rc=0
    command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 not installed"
    [ -f "$GUEST_KERNEL" ] || fail "$GUEST_KERNEL missing: run make"
    local args=(-M microvm -accel tcg -cpu max -m 256M -nodefaults -no-reboot
                -display none -serial stdio -kernel "$GUEST_KERNEL" -append "$cmdline"
                -device isa-debug-exit,iobase=0x501,iosize=4
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

test_guest_banner_and_kernel_fault() {
    qemu_guest - "osbox.test=kfault"
    assert_contains "$OUT" "osbox kernel 0.1 booting"
    assert_contains "$OUT" "KERNEL EXCEPTION 14 (page fault)"
    assert_contains "$OUT" "faulting address 0000600000000000"
    assert_contains "$OUT" "rip "
    assert_eq 142 "$STATUS" "exit status after a kernel page fault"
}
