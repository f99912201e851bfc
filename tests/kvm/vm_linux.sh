# shellcheck shell=bash
# Stock Linux guests under `osbox vm boot`: Debian's kernel (linux-image-amd64)
# as a bzImage through Linux's boot protocol and as its unpacked vmlinux
# through PVH, with a small initramfs the test builds itself (busybox-static,
# the kernel's virtio modules, tests/kvm/linux/init). The monitor's ACPI
# tables describe CPUs, virtio-mmio devices and power-off. A Linux boot costs
# minutes in the harness, so each test boots once and checks several things.
# kvm-pvm cannot run Linux at all (it fails to emulate cmpxchg16b and xrstor
# in guest kernel mode), so there these tests always take the harness.

linux_kernel() { # the newest installed kernel with its modules
    local k
    for k in $(ls /boot/vmlinuz-* 2>/dev/null | sort -V -r); do
        [ -f "/lib/modules/${k#/boot/vmlinuz-}/modules.dep" ] && { echo "$k"; return; }
    done
}

# Sets KERNEL, VMLINUX, INITRD (built once per kernel and init script in
# build/, outside the harness; the run's one harness boot may start before
# this test made them on the host: then the harness, whose build/ is
# read-only, makes its own in its /tmp).
linux_in_kvm() {
    KERNEL=$(linux_kernel)
    [ -n "$KERNEL" ] || skip "no /boot/vmlinuz-* with modules (linux-image-amd64)"
    local kver=${KERNEL#/boot/vmlinuz-} dir=$OSBOX_SRC/build/tests/kvm/linux sum ini vml
    sum=$(cat "$OSBOX_SRC/tests/kvm/linux/init" "$OSBOX_SRC/tests/kvm/linux/build-initramfs.sh" \
          "$OSBOX_SRC/tests/kvm/initramfs-lib.sh" \
          "/lib/modules/$kver/modules.dep" | md5sum | cut -c1-8)
    ini=initramfs-$kver-$sum.cpio
    vml=vmlinux-$kver-$(stat -c %s-%Y "$KERNEL" | md5sum | cut -c1-8)
    if [ -n "${OSBOX_HARNESS:-}" ] && { ! [ -s "$dir/$ini" ] || ! [ -s "$dir/$vml" ]; }; then
        dir=/tmp/osbox-linux-guest
    fi
    INITRD=$dir/$ini
    VMLINUX=$dir/$vml
    if [ -z "${OSBOX_HARNESS:-}" ] || [ "$dir" = /tmp/osbox-linux-guest ]; then
        mkdir -p "$dir"
        [ -s "$INITRD" ] || "$OSBOX_SRC/tests/kvm/linux/build-initramfs.sh" "$kver" "$INITRD" ||
            fail "cannot build the Linux guest's initramfs"
        [ -s "$VMLINUX" ] || "$OSBOX_SRC/tests/kvm/harness/extract-vmlinux.sh" "$KERNEL" "$VMLINUX" ||
            fail "cannot unpack the vmlinux of $KERNEL"
        [ -e /sys/module/kvm_pvm ] && [ -z "${OSBOX_HARNESS:-}" ] && export OSBOX_TEST_VIA_HARNESS=1
    fi
    kvm_or_harness tests/kvm/vm_linux.sh "${FUNCNAME[1]}" "$INITRD" "$KERNEL" \
        "$OSBOX_SRC/tests/kvm/linux/init" "$(dirname "$OSBOX")/osbox-vmm"
}

# linux_boot KERNEL CMD ARGS...: boot KERNEL with the initramfs; the guest's
# init runs CMD with sh -c. Sets $OUT and $STATUS.
linux_boot() {
    local kernel=$1 cmd=$2
    shift 2
    capture timeout -k 5 400 "$OSBOX" vm boot --net none --mem 256M --kernel "$kernel" \
        --initrd "$INITRD" --boot-time "$@" \
        --cmdline "console=ttyS0 quiet panic=-1 reboot=k -- \"$cmd\" end-of-args"
}

# The words init got after its command: exactly ours, so the monitor's
# virtio_mmio.device= entries (and osbox's ip=) went before " -- ".
assert_init_args() {
    assert_eq "more args: end-of-args" \
        "$(tr -d '\r' <<<"$OUT" | sed -n 's/^osbox-linux-init: \(more args:.*\)/\1/p')" \
        "init's arguments after its command: $OUT"
}

# bzImage through the boot protocol: 2 vCPUs (ACPI MADT), the console, two
# virtio-blk disks found in the ACPI DSDT (Debian's virtio_mmio ignores
# virtio_mmio.device=): a write with fsync (a flush) reaches the host's
# file, the read-only one refuses writes; the command's status comes back
# through the exit port.
test_linux_bzimage_smp_disks_exit_status() {
    linux_in_kvm
    truncate -s 4M "$T/rw.img" "$T/ro.img"
    printf 'SECTOR0' | dd of="$T/rw.img" conv=notrunc status=none
    printf 'READONLY' | dd of="$T/ro.img" conv=notrunc status=none
    linux_boot "$KERNEL" 'uname -r; echo disk0=$(head -c 7 /dev/vda); echo disk1=$(head -c 8 /dev/vdb);
        echo FROM-LINUX | dd of=/dev/vda bs=512 seek=1 conv=fsync 2>/dev/null && echo written;
        echo x | dd of=/dev/vdb conv=fsync 2>/dev/null || echo ro refused; exit 3' \
        --cpus 2 --disk "$T/rw.img" --disk "$T/ro.img,ro"
    assert_eq 3 "$STATUS" "exit status of the guest's command: $OUT"
    assert_contains "$OUT" "osbox-linux-init: up, 2 cpus"
    assert_contains "$OUT" "${KERNEL#/boot/vmlinuz-}"
    assert_contains "$OUT" "disk0=SECTOR0"
    assert_contains "$OUT" "disk1=READONLY"
    assert_contains "$OUT" "written"
    assert_contains "$OUT" "ro refused"
    assert_contains "$OUT" "boot-time: setup"
    assert_init_args
    assert_eq "FROM-LINUX" "$(dd if="$T/rw.img" bs=512 skip=1 count=1 status=none | head -c 10)" \
        "the guest's write on the host's disk"
    assert_eq "READONLY" "$(head -c 8 "$T/ro.img")" "read-only disk unchanged"
}

# The unpacked vmlinux through PVH; the command powers the VM off itself
# (poweroff -f: ACPI S5 through the FADT's sleep control register), which
# is a clean exit 0.
test_linux_vmlinux_pvh_acpi_poweroff() {
    linux_in_kvm
    linux_boot "$VMLINUX" 'echo pvh boot; poweroff -f; sleep 60'
    assert_eq 0 "$STATUS" "ACPI power-off from Linux: $OUT"
    assert_contains "$OUT" "pvh boot"
    assert_init_args
    assert_not_contains "$OUT" "osbox-linux-init: exit"
}

# virtio-net under Linux (--net bridge, in network and PID namespaces the test
# makes: osbox0, the TAP and the NAT table exist only there): Debian's
# virtio_net comes up on the TAP with the address osbox put in ip= (before
# " -- "; /proc/cmdline has it), pings the gateway and a container on the
# bridge, and talks TCP with a host process, which pings the guest back.
# Nothing is left in the namespace afterwards.
test_linux_virtio_net_bridge() {
    linux_in_kvm
    command -v unshare >/dev/null || skip "no unshare"
    command -v python3 >/dev/null || skip "no python3"
    load_busybox
    cp "$OSBOX_SRC/tests/kvm/linux/net-peer.py" "$T/"
    # Expanded by the guest's shell; no '"' (the kernel's quotes have no escapes).
    # shellcheck disable=SC2016
    export GUEST_CMD='for w in $(cat /proc/cmdline); do case $w in --) break;; ip=*) ip=${w#ip=};; esac; done;
        addr=${ip%%::*}; gw=${ip##*::};
        echo guest ip=$ip; ip link set eth0 up && ip addr add $addr dev eth0 &&
        ip route add default via $gw || exit 10;
        ping -c 2 -W 20 $gw >/dev/null && echo ping-gateway-ok;
        ping -c 2 -W 20 $CTR >/dev/null && echo ping-container-ok;
        echo hello-from-linux | nc -w 60 $gw 7777; exit 4'
    export KERNEL INITRD T
    capture timeout -k 5 450 unshare -n -p -f --kill-child --mount-proc bash -c '
        set -u
        ip link set lo up
        "$OSBOX" run -d --network bridge --name peer busybox sleep 600 >/dev/null || exit 90
        ctr=$("$OSBOX" inspect peer | sed -n "s/.*\"IPAddress\": \"\([0-9.]*\)\".*/\1/p" | head -n 1)
        echo "container ip=$ctr"
        python3 "$T/net-peer.py" & talk=$!
        timeout -k 5 400 "$OSBOX" vm boot --net bridge --mem 256M --kernel "$KERNEL" \
            --initrd "$INITRD" \
            --cmdline "console=ttyS0 quiet panic=-1 reboot=k -- \"CTR=$ctr; $GUEST_CMD\" end-of-args"
        st=$?
        kill $talk 2>/dev/null; wait $talk
        "$OSBOX" rm -f peer >/dev/null
        echo "taps: [$(ip -o link | grep -o "osv[0-9a-f]\{12\}" || true)]"
        "$OSBOX" network inspect | grep -E "\"leases\"|\"elements\""
        exit $st'
    assert_eq 4 "$STATUS" "the guest's command: $OUT"
    assert_contains "$OUT" "container ip=10."
    assert_contains "$OUT" "guest ip=10."
    assert_contains "$OUT" "ping-gateway-ok"
    assert_contains "$OUT" "ping-container-ok"
    assert_contains "$OUT" "host got hello-from-linux from 10."
    assert_contains "$OUT" "ping back 0"
    assert_contains "$OUT" "hello-from-host ping=0"
    assert_init_args
    assert_contains "$OUT" "taps: []"
    assert_contains "$OUT" '"leases": []'
    assert_contains "$OUT" '"elements": 0'
}
