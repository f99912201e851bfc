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
#      from the page cache.
#
# osbox's VMs run with --net none, as QEMU's with -nic none.
# Without /dev/kvm it re-runs itself inside the nested-KVM harness. Never
# fails: what cannot be measured is said and skipped.
#   BENCH_RUNS=20 BENCH_WARMUP=3
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/.." && pwd)
# shellcheck source=bench/lib.sh
. "$here/lib.sh"
cd "$src" || exit 0

if ! [ -w /dev/kvm ]; then
    if [ -z "${OSBOX_HARNESS:-}" ] && [ -x tests/kvm/run-in-kvm-vm.sh ]; then
        bench_note "no /dev/kvm: running inside the nested-KVM harness (software-emulated; expect large numbers)"
        HARNESS_ENV="BENCH_RUNS BENCH_WARMUP" tests/kvm/run-in-kvm-vm.sh bench/vm-boot.sh
        exit 0
    fi
    bench_note "no /dev/kvm: nothing measured"
    exit 0
fi

OSBOX=$src/build/osbox
GUEST=$src/build/tests/kvm/guest-pvh.elf
IMG=$src/build/images/guest.img
RUNS=${BENCH_RUNS:-20}
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
if command -v hyperfine >/dev/null; then
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
if [ -f "$IMG" ]; then
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

echo "== 4. virtio-blk sequential read, 64 MiB from the page cache (median of 5)"
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
exit 0
