#!/usr/bin/env bash
# VM boot: osbox's KVM monitor against QEMU (-accel kvm -M microvm) booting
# the same PVH kernels, measured in the same run, one after the other.
#
#   1. a trivial PVH kernel (the VMM test guest: print a line, exit through
#      port 0x501): process start to process exit, hyperfine -N;
#   2. the osbox guest kernel from build/images/guest.img: process start to
#      the guest's init banner on the serial console ("init running");
#   3. monitor memory: RSS of the monitor process (osbox-vmm) minus the RSS
#      of its guest RAM mapping, while a guest idles (Firecracker states
#      < 5 MiB; osbox's target is < 2 MiB);
#   4. virtio-blk sequential read: the test guest reads 64 MiB in 64 KiB
#      requests (run time minus an idle boot) against dd on the host, both
#      from the page cache;
#   5. a stock Linux guest: the installed Debian kernel (bzImage) and the
#      initramfs of tests/kvm/linux/ (busybox + virtio modules), process
#      start to its /init's first line and to the line it prints just
#      before it runs the command, under osbox (Linux boot protocol, ACPI)
#      and QEMU -M microvm with the same kernel, initrd and command line;
#      target: osbox <= 0.5x QEMU to init. kvm-pvm cannot run Linux, so
#      there this part alone runs inside the nested-KVM harness.
#
# osbox's VMs run with --net none, as QEMU's with -nic none.
# Without /dev/kvm it re-runs itself inside the nested-KVM harness. Never
# fails: what cannot be measured is said and skipped.
#   BENCH_RUNS=20 BENCH_WARMUP=3 BENCH_LINUX_RUNS=3
#   BENCH_PARTS=12345 (the parts to run)
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/.." && pwd)
# shellcheck source=bench/lib.sh
. "$here/lib.sh"
cd "$src" || exit 0

if ! [ -w /dev/kvm ]; then
    if [ -z "${OSBOX_HARNESS:-}" ] && [ -x tests/kvm/run-in-kvm-vm.sh ]; then
        bench_note "no /dev/kvm: running inside the nested-KVM harness (software-emulated; expect large numbers)"
        HARNESS_ENV="BENCH_RUNS BENCH_WARMUP BENCH_LINUX_RUNS BENCH_PARTS" tests/kvm/run-in-kvm-vm.sh bench/vm-boot.sh
        exit 0
    fi
    bench_note "no /dev/kvm: nothing measured"
    exit 0
fi

OSBOX=$src/build/osbox
GUEST=$src/build/tests/kvm/guest-pvh.elf
IMG=$src/build/images/guest.img
RUNS=${BENCH_RUNS:-20}
PARTS=${BENCH_PARTS:-12345}
part() { case $PARTS in *"$1"*) return 0 ;; esac; return 1; }
WARMUP=${BENCH_WARMUP:-3}
[ -x "$OSBOX" ] && [ -f "$GUEST" ] || { bench_note "build first: make && make test-progs"; exit 0; }
bench_deps hyperfine qemu-system-x86 || true
work=$(mktemp -d /var/tmp/osbox-vm-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

# shellcheck disable=SC2054 # commas belong to QEMU options
QEMU=(qemu-system-x86_64 -M microvm -accel kvm -m 64M -no-user-config -display none
      -monitor none -nic none -no-reboot -device isa-debug-exit,iobase=0x501,iosize=1
      -global virtio-mmio.force-legacy=false)

echo "== 1. trivial PVH kernel, start to exit (mean of $RUNS runs)"
if ! part 1; then
    echo "(skipped)"
elif command -v hyperfine >/dev/null; then
    hyperfine -N -i --style basic --warmup "$WARMUP" --runs "$RUNS" --export-csv "$work/trivial.csv" \
        -n osbox "$OSBOX vm boot --net none --mem 64M --kernel $GUEST --cmdline mode=hello" \
        -n qemu-microvm "${QEMU[*]} -serial null -kernel $GUEST -append mode=hello" >"$work/trivial.log" 2>&1 ||
        bench_note "hyperfine failed: $(tail -3 "$work/trivial.log")"
    o=$(bench_mean "$work/trivial.csv" osbox)
    q=$(bench_mean "$work/trivial.csv" qemu-microvm)
    if [ -n "$o" ] && [ -n "$q" ]; then
        awk -v o="$o" -v q="$q" 'BEGIN { printf "osbox %.1f ms   qemu microvm %.1f ms   ratio %.2f (target <= 0.3)\n", o*1e3, q*1e3, o/q }'
    fi
else
    bench_note "hyperfine missing: part 1 skipped"
fi

# time_to PATTERN CMD... : seconds from start until PATTERN appears in the output
# (the process is then killed); empty when it never does within 120 s.
time_to() {
    python3 - "$@" <<'PY'
import os, re, signal, subprocess, sys, time
pat = re.compile(sys.argv[1].encode())
t0 = time.monotonic()
p = subprocess.Popen(sys.argv[2:], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                     stderr=subprocess.STDOUT, start_new_session=True)
buf = b""
found = None
while time.monotonic() - t0 < 120:
    chunk = p.stdout.read1(4096)
    if not chunk:
        break
    buf += chunk
    if pat.search(buf):
        found = time.monotonic() - t0
        break
try:
    os.killpg(p.pid, signal.SIGKILL)
except ProcessLookupError:
    pass
p.wait()
if found is not None:
    print("%.4f" % found)
PY
}

echo "== 2. osbox guest kernel, start to its init banner (median of 5 runs)"
if ! part 2; then
    echo "(skipped)"
elif [ -f "$IMG" ]; then
    for who in osbox qemu; do
        times=()
        for _ in 1 2 3 4 5; do
            cp "$IMG" "$work/guest.img"
            if [ $who = osbox ]; then
                t=$(time_to "init running" "$OSBOX" vm boot --net none --mem 256M "$work/guest.img")
            else
                kernel=$work/osbox-kernel
                [ -f "$kernel" ] || debugfs -R "dump /boot/osbox-kernel $kernel" "$IMG" >/dev/null 2>&1
                t=$(time_to "init running" "${QEMU[@]/64M/256M}" -serial stdio -kernel "$kernel" \
                    -append console=ttyS0 -drive "file=$work/guest.img,format=raw,if=none,id=d0" \
                    -device virtio-blk-device,drive=d0)
            fi
            [ -n "$t" ] && times+=("$t")
        done
        if [ ${#times[@]} -gt 0 ]; then
            printf '%s\n' "${times[@]}" | sort -n | awk -v w=$who '{ a[NR] = $1 } END { printf "%-6s %.1f ms (%d runs reached init)\n", w, a[int((NR + 1) / 2)] * 1e3, NR }'
        else
            echo "$who: never reached the init banner"
        fi
    done
else
    bench_note "build/images/guest.img missing (make images): part 2 skipped"
fi

echo "== 3. monitor memory while the guest idles (RSS minus guest RAM)"
if part 3; then
# rss_outside_ram PID MEM_KIB : KiB of RSS outside mappings at least as large as guest RAM.
rss_outside_ram() {
    python3 - "$@" <<'PY'
import re, sys
pid, ram = sys.argv[1], int(sys.argv[2])
mon = guest = anon = 0
big = False
for line in open("/proc/%s/smaps" % pid):
    m = re.match(r"([0-9a-f]+)-([0-9a-f]+) ", line)
    if m:
        big = (int(m.group(2), 16) - int(m.group(1), 16)) // 1024 >= ram
    elif line.startswith("Rss:"):
        kib = int(line.split()[1])
        if big:
            guest += kib
        else:
            mon += kib
    elif line.startswith("Anonymous:") and not big:
        anon += int(line.split()[1])
print("%d KiB, of which anonymous %d KiB (guest RAM touched: %d KiB)" % (mon, anon, guest))
PY
}
"$OSBOX" vm boot --net none --mem 64M --kernel "$GUEST" --cmdline mode=hang >/dev/null 2>&1 &
pid=$!
sleep 1
# The monitor is build/osbox-vmm, a child of osbox (which only waits for it
# and keeps the terminal); a build without it runs the VM in osbox itself.
mon=$(cat /proc/$pid/task/*/children 2>/dev/null | awk '{ print $1; exit }')
if [ -n "$mon" ] && [ -d /proc/$mon ]; then
    echo "osbox-vmm    $(rss_outside_ram $mon 65536)"
    [ -d /proc/$pid ] && echo "  (osbox CLI waiting for it: $(rss_outside_ram $pid 65536))"
else
    [ -d /proc/$pid ] && echo "osbox        $(rss_outside_ram $pid 65536)"
fi
kill $pid 2>/dev/null; wait $pid 2>/dev/null
"${QEMU[@]}" -serial null -kernel "$GUEST" -append mode=hang >/dev/null 2>&1 &
pid=$!
sleep 1
[ -d /proc/$pid ] && echo "qemu microvm $(rss_outside_ram $pid 65536)"
kill $pid 2>/dev/null; wait $pid 2>/dev/null
else
    echo "(skipped)"
fi

echo "== 4. virtio-blk sequential read, 64 MiB from the page cache (median of 5)"
if part 4; then
head -c 64M /dev/urandom >"$work/data.img"
cat "$work/data.img" >/dev/null
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
run_s() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N); awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }'; }
base=$(for _ in 1 2 3 4 5; do run_s "$OSBOX" vm boot --net none --mem 64M --kernel "$GUEST" --disk "$work/data.img,ro" --cmdline mode=hello; done | median)
read=$(for _ in 1 2 3 4 5; do run_s "$OSBOX" vm boot --net none --mem 64M --kernel "$GUEST" --disk "$work/data.img,ro" --cmdline "mode=blkread mib=64"; done | median)
host=$(for _ in 1 2 3 4 5; do run_s dd if="$work/data.img" of=/dev/null bs=64k; done | median)
awk -v b="$base" -v r="$read" -v h="$host" 'BEGIN {
    g = r - b; if (g <= 0) g = 1e-6
    printf "guest %.0f MB/s   host dd %.0f MB/s   ratio %.2f\n", 64 * 1.048576 / g, 64 * 1.048576 / h, h / g }'
else
    echo "(skipped)"
fi

echo "== 5. stock Linux guest (Debian's bzImage + initramfs): start to /init, to the command (median of ${BENCH_LINUX_RUNS:-3})"
linux_part() {
    local kernel kver initrd runs=${BENCH_LINUX_RUNS:-3} cmdline
    kernel=$(ls /boot/vmlinuz-* 2>/dev/null | sort -V -r | head -n 1)
    [ -n "$kernel" ] || { bench_note "no /boot/vmlinuz-*: part 5 skipped"; return; }
    kver=${kernel#/boot/vmlinuz-}
    initrd=$src/build/tests/kvm/linux/bench-initramfs-$kver.cpio
    if [ -z "${OSBOX_HARNESS:-}" ]; then
        mkdir -p "${initrd%/*}"
        tests/kvm/linux/build-initramfs.sh "$kver" "$initrd" || { bench_note "initramfs: part 5 skipped"; return; }
        if [ -e /sys/module/kvm_pvm ]; then
            bench_note "kvm-pvm cannot run Linux guests: part 5 runs inside the nested-KVM harness"
            HARNESS_ENV="BENCH_LINUX_RUNS" BENCH_PARTS=5 HARNESS_TIMEOUT=${HARNESS_TIMEOUT:-1500} \
                tests/kvm/run-in-kvm-vm.sh bench/vm-boot.sh |
                sed -u -n '/^== 5/,$p' | sed -u 1d
            return
        fi
    fi
    [ -s "$initrd" ] || { bench_note "no initramfs $initrd: part 5 skipped"; return; }
    cmdline='console=ttyS0 quiet panic=-1 reboot=k -- "true"'
    for who in osbox qemu; do
        local t_init=() t_cmd=() line
        for _ in $(seq "$runs"); do
            if [ $who = osbox ]; then
                line=$(time_to2 "osbox-linux-init: start" "osbox-linux-init: up" "$OSBOX" vm boot \
                    --net none --mem 256M --kernel "$kernel" --initrd "$initrd" --cmdline "$cmdline")
            else
                line=$(time_to2 "osbox-linux-init: start" "osbox-linux-init: up" "${QEMU[@]/64M/256M}" \
                    -serial stdio -kernel "$kernel" -initrd "$initrd" -append "$cmdline")
            fi
            [ -n "$line" ] || continue
            t_init+=("${line% *}")
            t_cmd+=("${line#* }")
        done
        if [ ${#t_init[@]} -gt 0 ]; then
            printf '%s %s\n' "$(printf '%s\n' "${t_init[@]}" | median)" "$(printf '%s\n' "${t_cmd[@]}" | median)" >"$work/linux-$who"
            awk -v w=$who -v n=${#t_init[@]} '{ printf "%-6s to /init %.0f ms, to the command %.0f ms (%d runs)\n", w, $1 * 1e3, $2 * 1e3, n }' "$work/linux-$who"
        else
            echo "$who: the Linux guest never reached /init"
        fi
    done
    if [ -s "$work/linux-osbox" ] && [ -s "$work/linux-qemu" ]; then
        paste -d' ' "$work/linux-osbox" "$work/linux-qemu" | awk '{ printf "ratio osbox/qemu: to /init %.2f (target <= 0.5), to the command %.2f\n", $1 / $3, $2 / $4 }'
    fi
}
# time_to2 PAT1 PAT2 CMD...: "T1 T2", seconds from start until each pattern
# appears in the output (then the process group is killed); empty if PAT2
# never does within 300 s.
time_to2() {
    python3 - "$@" <<'PY'
import os, re, select, signal, subprocess, sys, time
p1, p2 = re.compile(sys.argv[1].encode()), re.compile(sys.argv[2].encode())
t0 = time.monotonic()
p = subprocess.Popen(sys.argv[3:], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                     stderr=subprocess.STDOUT, start_new_session=True)
buf, t1, t2 = b"", None, None
while time.monotonic() - t0 < 300:
    # A guest that stalls silently must not block the read past the limit.
    if not select.select([p.stdout], [], [], 1)[0]:
        continue
    chunk = p.stdout.read1(4096)
    if not chunk:
        break
    buf += chunk
    if t1 is None and p1.search(buf):
        t1 = time.monotonic() - t0
    if p2.search(buf):
        t2 = time.monotonic() - t0
        break
try:
    os.killpg(p.pid, signal.SIGKILL)
except ProcessLookupError:
    pass
p.wait()
if t1 is not None and t2 is not None:
    print("%.4f %.4f" % (t1, t2))
PY
}
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
if part 5; then linux_part; else echo "(skipped)"; fi
exit 0
