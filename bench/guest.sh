#!/usr/bin/env bash
# The osbox guest kernel against the host kernel, measured by the same
# static workload binaries (build/workloads, JSON lines) in both worlds:
#
#   1. boot: monitor process start -> kernel entry -> init exec'd -> first
#      user instruction of init (the workload's startup_us, from the host's
#      clock passed in as OSBOX_BENCH_T0) -> VM gone; next to the host's own
#      fork+exec of the same binary (median of BENCH_RUNS=5);
#   2. getpid() round trip, fork+exit+wait, pipe ping-pong context switch,
#      page-fault cost: one guest boot runs syscall, fork, ctxswitch and
#      pagefault; the host runs the same binaries; printed side by side
#      with the ratio guest/host.
#
# Monitor: `osbox vm boot` where /dev/kvm is usable (which KVM is printed:
# on a kvm-pvm host the guest kernel's code is emulated by the hypervisor
# while user code runs natively, so kernel-heavy numbers are large); else
# QEMU microvm in software emulation (TCG), or with BENCH_HARNESS=1 the
# nested-KVM harness (tests/kvm/run-in-kvm-vm.sh). Never fails a build.
#   BENCH_RUNS=5  BENCH_GUEST_ARGS="syscall=2000 fork=20 ctxswitch=200 pagefault=200"
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/.." && pwd)
# shellcheck source=bench/lib.sh
. "$here/lib.sh"
cd "$src" || exit 0

OSBOX=$src/build/osbox
IMG=$src/build/images/guest.img
KERNEL=$src/build/guest/osbox-kernel
W=$src/build/workloads
RUNS=${BENCH_RUNS:-5}
declare -A N=([syscall]=2000 [fork]=20 [ctxswitch]=200 [pagefault]=200)
for kv in ${BENCH_GUEST_ARGS:-}; do N[${kv%%=*}]=${kv#*=}; done

for f in "$OSBOX" "$IMG" "$KERNEL" "$W/syscall" "$W/fork" "$W/ctxswitch" "$W/pagefault"; do
    [ -e "$f" ] || { bench_note "$f missing: run make && make images"; exit 0; }
done

if [ -w /dev/kvm ]; then
    MON=osbox
    if [ -d /sys/module/kvm_pvm ]; then
        ACCEL="kvm-pvm (software-assisted KVM: the guest kernel's instructions are emulated, user code runs natively)"
    elif [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; then
        ACCEL="KVM with hardware virtualization ($([ -d /sys/module/kvm_intel ] && echo kvm_intel || echo kvm_amd))"
    else
        ACCEL="KVM"
    fi
    [ -n "${OSBOX_HARNESS:-}" ] && ACCEL="$ACCEL, inside the nested-KVM harness (QEMU TCG underneath)"
elif [ -n "${BENCH_HARNESS:-}" ] && [ -z "${OSBOX_HARNESS:-}" ] && [ -x tests/kvm/run-in-kvm-vm.sh ]; then
    bench_note "no /dev/kvm: running inside the nested-KVM harness"
    HARNESS_ENV="BENCH_RUNS BENCH_GUEST_ARGS" tests/kvm/run-in-kvm-vm.sh bench/guest.sh
    exit 0
elif command -v qemu-system-x86_64 >/dev/null; then
    MON=qemu
    ACCEL="QEMU microvm, TCG software emulation of the whole guest (no /dev/kvm)"
else
    bench_note "neither /dev/kvm nor qemu-system-x86_64: nothing measured"
    exit 0
fi

work=$(mktemp -d /var/tmp/osbox-guest-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp --sparse=always "$IMG" "$work/disk.img"

# guest CMDLINE_TAIL : boot, console (without \r) on stdout, monitor notes
# in $work/stderr; $work/wall holds start-to-exit seconds.
guest() {
    local t0 t1
    t0=$(date +%s.%N)
    if [ $MON = osbox ]; then
        timeout 600 "$OSBOX" vm boot --net none --boot-time --mem 256M "$work/disk.img" \
            --cmdline "console=ttyS0 quiet osbox.rawcon $1" </dev/null 2>"$work/stderr"
    else
        timeout 600 qemu-system-x86_64 -M microvm -accel tcg -cpu max -m 256M -nodefaults -no-reboot \
            -display none -serial stdio -kernel "$KERNEL" -append "console=ttyS0 quiet osbox.rawcon $1" \
            -device isa-debug-exit,iobase=0x501,iosize=1 -global virtio-mmio.force-legacy=false \
            -drive "id=d0,file=$work/disk.img,format=raw,if=none" -device virtio-blk-device,drive=d0 \
            </dev/null 2>"$work/stderr"
    fi | tr -d '\r'
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }' >"$work/wall"
}

median() { sort -n | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)] }'; }
json_value() { # METRIC < JSON lines
    sed -n "s/.*\"metric\":\"$1\",\"value\":\([^,]*\),.*/\1/p" | head -n 1
}

echo "== osbox guest kernel vs host kernel, same binaries"
echo "monitor: $([ $MON = osbox ] && echo "osbox vm boot" || echo qemu-system-x86_64)   acceleration: $ACCEL"
echo "host: $(uname -sr), $(nproc) CPUs"
echo

echo "== 1. boot (median of $RUNS boots; init = /workloads/syscall 1)"
: >"$work/entry"; : >"$work/init"; : >"$work/first"; : >"$work/exit"
for _ in $(seq "$RUNS"); do
    t0=$(date +%s%N)
    out=$(guest "osbox.env=OSBOX_BENCH_T0=$t0 init=/workloads/syscall -- 1")
    cat "$work/wall" >>"$work/exit"
    sed -n 's/.*kernel entry \([0-9.]*\) ms.*/\1/p' "$work/stderr" >>"$work/entry"
    sed -n 's/.*, init \([0-9.]*\) ms.*/\1/p' "$work/stderr" >>"$work/init"
    v=$(json_value startup_us <<<"$out")
    # the guest's wall clock comes from kvmclock (host time); under QEMU it
    # is the CMOS clock, whole seconds: no first-instruction figure there
    [ $MON = osbox ] && [ -n "$v" ] && echo "$v" >>"$work/first"
done
: >"$work/hostfirst"
for _ in $(seq "$RUNS"); do
    OSBOX_BENCH_T0=$(date +%s%N) "$W/syscall" 1 | json_value startup_us >>"$work/hostfirst"
done
e=$(median <"$work/entry"); i=$(median <"$work/init"); f=$(median <"$work/first")
x=$(median <"$work/exit"); h=$(median <"$work/hostfirst")
fmt_ms() { [ -n "$1" ] && awk -v v="$1" -v s="$2" 'BEGIN { printf "%.1f ms", v * s }' || echo "n/a"; }
printf '  %-48s %s\n' "process start -> kernel entry" "$(fmt_ms "$e" 1)"
printf '  %-48s %s\n' "process start -> init exec'd (boot mark 2)" "$(fmt_ms "$i" 1)"
printf '  %-48s %s\n' "process start -> init's first user instruction" "$(fmt_ms "$f" 0.001)"
printf '  %-48s %s\n' "process start -> monitor exited" "$(fmt_ms "$x" 1000)"
printf '  %-48s %s\n' "host: fork+exec -> first user instruction" "$(fmt_ms "$h" 0.001)"
[ -n "$f" ] && [ -n "$h" ] && awk -v f="$f" -v h="$h" 'BEGIN { printf "  %-48s %.0fx\n", "ratio guest boot / host exec", f / h }'
echo

echo "== 2. the same workloads, guest (one boot) vs host"
n=("${N[syscall]}" "${N[fork]}" "${N[ctxswitch]}" "${N[pagefault]}")
guest "init=/bin/sh -- -c \"/workloads/syscall ${n[0]}; /workloads/fork ${n[1]} 64; /workloads/ctxswitch ${n[2]}; /workloads/pagefault ${n[3]}\"" \
    >"$work/guest.json"
grep -q '"workload"' "$work/guest.json" || bench_note "the guest printed no results: $(tail -5 "$work/guest.json" "$work/stderr")"
{ "$W/syscall"; "$W/fork" 2000 64; "$W/ctxswitch"; "$W/pagefault"; } >"$work/host.json" 2>/dev/null
python3 - "$work/guest.json" "$work/host.json" <<'PY'
import json, sys
def load(path):
    out = {}
    for line in open(path, errors="replace"):
        line = line.strip()
        if line.startswith("{") and '"metric"' in line:
            try:
                j = json.loads(line)
            except ValueError:
                continue
            out[(j["workload"], j["metric"])] = j
    return out
g, h = load(sys.argv[1]), load(sys.argv[2])
rows = [("syscall", "getpid_ns", "getpid() round trip"),
        ("fork", "fork_us", "fork+exit+wait"),
        ("fork", "fork_big_us", "fork+exit+wait, 64 pages touched"),
        ("fork", "cow_fault_ns", "copy-on-write fault"),
        ("ctxswitch", "pipe_switch_ns", "pipe ping-pong switch (processes)"),
        ("ctxswitch", "futex_switch_ns", "futex switch (threads)"),
        ("pagefault", "first_touch_ns", "page fault, first touch"),
        ("pagefault", "retouch_ns", "touch of a mapped page")]
print("  %-36s %14s %8s %14s %8s %10s" % ("metric", "guest", "n", "host", "n", "guest/host"))
for w, m, label in rows:
    a, b = g.get((w, m)), h.get((w, m))
    fa = "%.1f %s" % (a["value"], a["unit"]) if a and a["value"] is not None else "n/a"
    fb = "%.1f %s" % (b["value"], b["unit"]) if b and b["value"] is not None else "n/a"
    r = "%.1fx" % (a["value"] / b["value"]) if a and b and a["value"] and b["value"] else "n/a"
    print("  %-36s %14s %8s %14s %8s %10s" % (label, fa, a["n"] if a else "", fb, b["n"] if b else "", r))
PY
printf '  (guest boot for part 2: %s s wall)\n' "$(awk '{ printf "%.1f", $1 }' "$work/wall")"
exit 0
