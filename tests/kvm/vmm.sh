# shellcheck shell=bash
# The KVM monitor (vmm/) and `osbox vm boot`, driven by our own test guests
# (tests/kvm/guests/: one program, linked with a PVH note and as plain ELF64).
# Each test runs directly where /dev/kvm works, else re-runs itself inside
# the nested-KVM harness (one boot runs the whole file: kvm_or_harness in tests/lib.sh).

GUEST_PVH=$OSBOX_SRC/build/tests/kvm/guest-pvh.elf
GUEST_ELF64=$OSBOX_SRC/build/tests/kvm/guest-elf64.elf

in_kvm() {
    [ -f "$GUEST_PVH" ] && [ -f "$GUEST_ELF64" ] || fail "test guests missing: run 'make test-progs'"
    # OSBOX_TEST_VIA_HARNESS=1 takes the harness path even where /dev/kvm works.
    kvm_or_harness tests/kvm/vmm.sh "${FUNCNAME[1]}" "$GUEST_PVH" "$GUEST_ELF64" \
        "$OSBOX_SRC/build/images/guest.img" "$(dirname "$OSBOX")/osbox-vmm"
}

# monitor_of PID: the osbox-vmm process `osbox vm boot` (PID) runs its VM in.
monitor_of() {
    local mon
    mon=$(cat /proc/"$1"/task/*/children 2>/dev/null | awk '{print $1}')
    [ -n "$mon" ] || fail "osbox (pid $1) has no monitor child"
    [ "$(cat /proc/$mon/comm)" = osbox-vmm ] || fail "child $mon of osbox is $(cat /proc/$mon/comm), not osbox-vmm"
    echo "$mon"
}

# boot GUEST ARGS... : osbox vm boot with a small VM; sets $OUT and $STATUS.
boot() {
    local guest=$1
    shift
    capture timeout -k 5 60 "$OSBOX" vm boot --mem 64M --kernel "$guest" "$@"
}

test_boot_exit_status_both_entry_paths() {
    in_kvm
    local g
    for g in "$GUEST_PVH" "$GUEST_ELF64"; do
        boot "$g" --cmdline "mode=hello status=7" --boot-time
        assert_eq 7 "$STATUS" "exit status through port 0x501 ($g)"
        assert_contains "$OUT" "hello from the osbox test guest"
        assert_contains "$OUT" "cmdline: mode=hello status=7"
        assert_contains "$OUT" "memmap entries: 3"
        assert_contains "$OUT" "boot-time: setup"
        assert_contains "$OUT" "kernel entry"
    done
    # A PVH module (--initrd) arrives through the start info's module list.
    printf 'OSBOXMOD and more' >"$T/mod"
    boot "$GUEST_ELF64" --initrd "$T/mod" --cmdline mode=hello
    assert_eq 0 "$STATUS" "boot with a module"
    assert_contains "$OUT" "module 0: 17 bytes at 0x"
    assert_contains "$OUT" ": OSBOXMOD"
    boot "$GUEST_PVH" --initrd "$T/missing" --cmdline mode=hello
    assert_eq 125 "$STATUS" "missing initrd"
    # The MP table lists every vCPU and the APs start on INIT/STARTUP IPIs.
    boot "$GUEST_PVH" --cmdline mode=smp --cpus 4 --mem 128M
    assert_eq 0 "$STATUS" "4 vCPUs: $OUT"
    assert_contains "$OUT" "mp table cpus: 4"
    assert_contains "$OUT" "cpuid: hypervisor=1 logical=4 apic id=0"
    assert_contains "$OUT" "aps started: 3, cpuid apic ids seen: 1 2 3"
    boot "$GUEST_PVH" --cmdline "mode=reset"
    assert_eq 0 "$STATUS" "i8042 reset without a status"
    assert_contains "$OUT" "resetting"
    # Serial input: a pipe on stdin reaches the guest's UART.
    STATUS=0
    OUT=$(echo "ping pong" | timeout 30 "$OSBOX" vm boot --mem 64M --kernel "$GUEST_PVH" \
          --cmdline mode=echo 2>&1) || STATUS=$?
    assert_eq 0 "$STATUS" "echo guest"
    assert_contains "$OUT" "echo: PING PONG"
}

test_timer_interrupts() {
    in_kvm
    boot "$GUEST_PVH" --cmdline mode=timer
    assert_eq 0 "$STATUS" "timer guest: $OUT"
    assert_contains "$OUT" "timer ok: lapic ticks 5, pit ticks 5"
}

test_virtio_blk_read_write_readonly() {
    in_kvm
    truncate -s 1M "$T/disk.img"
    printf 'OSBOX-DISK-SECTOR0' | dd of="$T/disk.img" conv=notrunc status=none
    truncate -s 64K "$T/ro.img"
    boot "$GUEST_ELF64" --disk "$T/disk.img" --disk "$T/ro.img,ro" --cmdline mode=blk
    assert_eq 0 "$STATUS" "blk guest: $OUT"
    assert_contains "$OUT" "disk id: disk.img"
    assert_contains "$OUT" "read-only disk refused the write"
    assert_contains "$OUT" "blk ok"
    assert_eq "GUEST-WROTE-SECTOR1" "$(dd if="$T/disk.img" bs=512 skip=1 count=1 status=none | tr -d '\0')" \
        "sector 1 on the host"
    assert_eq 0 "$(tr -d '\0' <"$T/ro.img" | wc -c)" "read-only disk untouched"
}

test_malicious_descriptors_monitor_survives() {
    in_kvm
    truncate -s 1M "$T/disk.img"
    boot "$GUEST_PVH" --disk "$T/disk.img" --cmdline mode=evil
    assert_eq 0 "$STATUS" "evil guest: $OUT"
    assert_contains "$OUT" "evil ok"
    assert_contains "$OUT" "virtio-blk0: descriptor buffer lies outside guest RAM; device needs reset"
    assert_contains "$OUT" "virtio-blk0: descriptor chain loops"
    assert_contains "$OUT" "virtio-blk0: available index moved by more than the queue size"
    assert_contains "$OUT" "virtio-blk0: queue ring lies outside guest RAM"
}

test_crashes_and_bad_input() {
    in_kvm
    boot "$GUEST_PVH" --cmdline mode=triple
    assert_eq 121 "$STATUS" "triple fault"
    assert_contains "$OUT" "guest triple fault (KVM_EXIT_SHUTDOWN)"
    assert_contains "$OUT" "rip "
    # Some KVMs (nested SVM) reset the vCPU before reporting the shutdown: the
    # dump then shows the reset vector, not the ud2 that started it.
    case $OUT in
        *"rip 000000000000fff0"*) ;;
        *) assert_contains "$OUT" "0f 0b" "the ud2 that started it, in the dump's code bytes" ;;
    esac
    echo "not an elf" >"$T/junk"
    boot "$T/junk"
    assert_eq 125 "$STATUS" "junk kernel"
    assert_contains "$OUT" "osbox: kernel is not an ELF file"
    head -c 100 "$GUEST_PVH" >"$T/short.elf"
    boot "$T/short.elf"
    assert_eq 125 "$STATUS" "truncated kernel"
    boot "$T/missing.elf"
    assert_eq 125 "$STATUS" "missing kernel"
    boot "$GUEST_PVH" --disk "$T/missing.img"
    assert_eq 125 "$STATUS" "missing disk"
    assert_contains "$OUT" "open disk $T/missing.img"
    capture "$OSBOX" vm boot --cpus 0 --kernel "$GUEST_PVH"
    assert_eq 2 "$STATUS" "--cpus 0"
    capture "$OSBOX" vm boot --net tap0 --kernel "$GUEST_PVH"
    assert_eq 2 "$STATUS" "--net tap0"
    capture "$OSBOX" vm boot --mem 1M --kernel "$GUEST_PVH"
    assert_eq 125 "$STATUS" "--mem 1M"
    capture "$OSBOX" vm frob
    assert_eq 2 "$STATUS" "unknown vm subcommand"
    truncate -s 8M "$T/noext2.img"
    capture "$OSBOX" vm boot "$T/noext2.img"
    assert_eq 125 "$STATUS" "image without ext2"
    assert_contains "$OUT" "is not an ext2 disk image"
}

test_kernel_from_ext2_image_seccomp_and_signal() {
    in_kvm
    command -v mke2fs >/dev/null || skip "mke2fs missing"
    mkdir -p "$T/root/boot"
    cp "$GUEST_PVH" "$T/root/boot/osbox-kernel"
    mke2fs -q -t ext2 -d "$T/root" "$T/guest.img" 8M
    capture timeout 60 "$OSBOX" vm boot --mem 64M --cmdline "mode=hello status=5" "$T/guest.img"
    assert_eq 5 "$STATUS" "kernel read from the image: $OUT"
    assert_contains "$OUT" "virtio_mmio.device=512@0xd0000000:5"

    # A hanging guest: every monitor thread runs under seccomp (mode 2);
    # SIGTERM stops the VM with status 130.
    local pid mode
    for mode in filter none; do
        local flag=
        [ $mode = none ] && flag=--no-seccomp
        "$OSBOX" vm boot --mem 64M $flag --kernel "$GUEST_PVH" --cmdline mode=hang >"$T/out" 2>&1 &
        pid=$!
        for _ in $(seq 100); do grep -q hanging "$T/out" && break; sleep 0.1; done
        grep -q hanging "$T/out" || { kill -9 $pid; fail "hang guest did not start"; }
        local modes mon
        mon=$(monitor_of $pid)
        modes=$(cat /proc/$mon/task/*/status | awk '/^Seccomp:/ {print $2}' | sort -u | tr '\n' ' ')
        kill -TERM $pid
        STATUS=0
        wait $pid || STATUS=$?
        assert_eq 130 "$STATUS" "SIGTERM to the monitor"
        if [ $mode = filter ]; then
            assert_eq "2 " "$modes" "seccomp mode of all monitor threads"
        else
            assert_eq "0 " "$modes" "seccomp mode with --no-seccomp"
        fi
    done
}

# On a terminal: raw mode for the guest, Ctrl-A x stops the VM (130), and the
# terminal's settings come back afterwards.
test_console_escape_on_a_terminal() {
    in_kvm
    command -v python3 >/dev/null || skip "python3 missing"
    capture python3 - "$OSBOX" vm boot --mem 64M --kernel "$GUEST_PVH" --cmdline mode=hang <<'PY'
import os, select, subprocess, sys, termios, time
master, slave = os.openpty()
before = termios.tcgetattr(slave)
p = subprocess.Popen(sys.argv[1:], stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
out, sent, raw_seen = b"", False, False
t0 = time.time()
while time.time() - t0 < 30 and p.poll() is None:
    if select.select([master], [], [], 0.1)[0]:
        out += os.read(master, 4096)
    if b"hanging" in out and not sent:
        raw_seen = not (termios.tcgetattr(slave)[3] & termios.ICANON)
        os.write(master, b"\x01x")
        sent = True
if p.poll() is None:
    p.kill()
p.wait()
while select.select([master], [], [], 0.1)[0]:
    try:
        out += os.read(master, 4096)
    except OSError:
        break
print(out.decode(errors="replace"))
print("raw while running:", raw_seen)
print("restored:", termios.tcgetattr(slave) == before)
sys.exit(p.returncode)
PY
    assert_eq 130 "$STATUS" "Ctrl-A x: $OUT"
    assert_contains "$OUT" "stopped from the console (Ctrl-A x)"
    assert_contains "$OUT" "raw while running: True"
    assert_contains "$OUT" "restored: True"
}

# The guest kernel (guest/, another part of osbox) from its image: what the
# monitor owes it is a PVH boot, its disk, the init marker and its status.
test_osbox_guest_image() {
    local img=$OSBOX_SRC/build/images/guest.img
    [ -f "$img" ] || skip "build/images/guest.img not built yet"
    in_kvm
    cp "$img" "$T/guest.img"
    # Its init is a shell on the console: script it through the UART.
    STATUS=0
    OUT=$(printf 'echo hi from the guest\nexit 3\n' |
          timeout 240 "$OSBOX" vm boot --mem 256M --boot-time "$T/guest.img" 2>&1) || STATUS=$?
    assert_contains "$OUT" "virtio_mmio.device=512@0xd0000000:5"
    assert_contains "$OUT" "virtio-blk"
    assert_contains "$OUT" ", init " "boot-time init mark"
    local said
    said=$(sed -n 's/.*osbox-guest: exit \([0-9]*\).*/\1/p' <<<"$OUT" | tail -1)
    [ -n "$said" ] || fail "the guest never reported its exit status: $OUT"
    assert_eq "$said" "$STATUS" "osbox exit status = the guest's"
    assert_contains "$OUT" "hi from the guest"
    assert_eq 3 "$STATUS" "status of the guest's shell"
    e2fsck -fn "$T/guest.img" >/dev/null 2>&1 || fail "guest left its image unclean"
}

# The monitor is its own program, build/osbox-vmm, next to osbox: a child
# process even without a NIC, with only the fds it needs (a stray fd of
# osbox's stays behind), the kernel's memfd closed once it is loaded, dying
# with osbox (PR_SET_PDEATHSIG).
test_monitor_is_a_separate_static_program() {
    in_kvm
    local pid mon fds
    truncate -s 1M "$T/disk.img"
    "$OSBOX" vm boot --net none --mem 64M --kernel "$GUEST_PVH" --disk "$T/disk.img" \
        --cmdline mode=hang >"$T/out" 2>&1 7>"$T/stray" &
    pid=$!
    for _ in $(seq 100); do grep -q hanging "$T/out" && break; sleep 0.1; done
    grep -q hanging "$T/out" || { kill -9 $pid; fail "hang guest did not start: $(cat "$T/out")"; }
    mon=$(monitor_of $pid)
    [ "$mon" != "$pid" ] || fail "the monitor runs in the osbox process"
    assert_eq "$(dirname "$(readlink -f "$OSBOX")")/osbox-vmm" "$(readlink /proc/$mon/exe)" "monitor binary"
    grep -q ' /usr/lib/.*\.so' /proc/$mon/maps && fail "shared libraries in the monitor: $(grep '\.so' /proc/$mon/maps)"
    fds=$(ls -l /proc/$mon/fd | awk 'NR > 1 {print $9, $11}')
    [ -e /proc/$pid/fd/7 ] || fail "osbox did not get the stray fd 7"
    assert_not_contains "$fds" "$T/stray" "osbox's stray fd in the monitor"
    assert_not_contains "$fds" "memfd:kernel" "kernel memfd after loading"
    assert_contains "$fds" "anon_inode:kvm-vm" "the VM fd"
    # osbox opened and locked the disk; the monitor's copy holds the lock.
    capture "$OSBOX" vm boot --net none --mem 64M --kernel "$GUEST_PVH" --disk "$T/disk.img" --cmdline mode=hello
    assert_eq 125 "$STATUS" "second VM on a disk in use"
    assert_eq "osbox: disk $T/disk.img is in use by another VM: Resource temporarily unavailable" "$OUT"
    kill -9 $pid
    wait $pid || true
    for _ in $(seq 50); do [ -d "/proc/$mon" ] || break; sleep 0.1; done
    [ ! -d "/proc/$mon" ] || { kill -9 "$mon"; fail "the monitor survived kill -9 of osbox"; }
    capture "$OSBOX" vm boot --net none --mem 64M --kernel "$GUEST_PVH" --disk "$T/disk.img" --cmdline mode=hello
    assert_eq 0 "$STATUS" "the disk is free once the monitor is gone: $OUT"
}

# Without osbox-vmm next to osbox (a copy of osbox alone), `vm boot` says
# which file it misses; one that is not a program is refused the same way.
test_monitor_missing_or_broken() {
    in_kvm
    mkdir -p "$T/bin"
    cp "$OSBOX" "$T/bin/osbox"
    capture "$T/bin/osbox" vm boot --net none --mem 64M --kernel "$GUEST_PVH" --cmdline mode=hello
    assert_eq 125 "$STATUS" "missing osbox-vmm"
    assert_eq "osbox: cannot run the VM monitor $T/bin/osbox-vmm: No such file or directory" "$OUT"
    printf 'not a program\n' >"$T/bin/osbox-vmm"
    chmod +x "$T/bin/osbox-vmm"
    capture "$T/bin/osbox" vm boot --net none --mem 64M --kernel "$GUEST_PVH" --cmdline mode=hello
    assert_eq 125 "$STATUS" "osbox-vmm not a program"
    assert_eq "osbox: cannot run the VM monitor $T/bin/osbox-vmm: Exec format error" "$OUT"
    cp "$(dirname "$OSBOX")/osbox-vmm" "$T/bin/osbox-vmm"
    capture "$T/bin/osbox" vm boot --net none --mem 64M --kernel "$GUEST_PVH" --cmdline "mode=hello status=3"
    assert_eq 3 "$STATUS" "the monitor next to the copy: $OUT"
}

# osbox-vmm run by hand: a bad or missing launch message is exit 125 with
# the reason on stderr (no KVM needed).
test_monitor_bad_launch_message() {
    local vmm
    vmm=$(dirname "$OSBOX")/osbox-vmm
    [ -x "$vmm" ] || fail "$vmm missing: run 'make'"
    capture "$vmm" --help
    assert_eq 0 "$STATUS" "--help"
    assert_contains "$OUT" "Usage: osbox-vmm"
    capture "$vmm" 3<&-
    assert_eq 125 "$STATUS" "no fd 3"
    assert_contains "$OUT" "osbox-vmm: read the launch message on fd 3: Bad file descriptor"
    capture "$vmm" 3</dev/null
    assert_eq 125 "$STATUS" "empty message"
    assert_contains "$OUT" "osbox-vmm: launch message of 0 bytes, shorter than its header"
    head -c 20000 /dev/zero >"$T/zeros"
    capture "$vmm" 3<"$T/zeros"
    assert_eq 125 "$STATUS" "zeros"
    assert_contains "$OUT" "osbox-vmm: launch message: bad magic 0x00000000"
}
