#!/usr/bin/env bash
# Where the osbox guest kernel spends its instructions, on a host whose KVM
# emulates guest-kernel code (kvm-pvm: every emulated instruction fires the
# kvm:kvm_emulate_insn tracepoint with the guest's RIP).  Samples every VM on
# the machine for SECONDS, then counts the RIPs per guest-kernel function.
#
#   scripts/guest-profile.sh [SECONDS=3] [TOP=25]     (as root, while a VM runs)
#
# Settings: GUEST_KERNEL (build/guest/osbox-kernel, for its symbols).
# On hardware KVM the guest kernel runs natively and the tracepoint stays
# quiet: the script then says it saw nothing.  Needs perf (linux-perf).
set -euo pipefail
case ${1:-} in -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
secs=${1:-3} top=${2:-25}
here=$(cd "$(dirname "$0")/.." && pwd)
kernel=${GUEST_KERNEL:-$here/build/guest/osbox-kernel}
[ -f "$kernel" ] || { echo "guest-profile: $kernel missing: run make" >&2; exit 1; }
command -v perf >/dev/null || { echo "guest-profile: perf missing (apt-get install linux-perf)" >&2; exit 1; }
work=$(mktemp -d /tmp/osbox-guest-profile.XXXXXX)
trap 'rm -rf "$work"' EXIT
perf record -q -e kvm:kvm_emulate_insn -a -o "$work/perf.data" sleep "$secs" >/dev/null 2>&1 ||
    { echo "guest-profile: perf record failed (root? a kernel with the kvm tracepoints?)" >&2; exit 1; }
perf script -i "$work/perf.data" -F trace 2>/dev/null | awk -F: '{ print $2 }' >"$work/rips"
nm -n "$kernel" | awk '$2 ~ /^[tTwW]$/ { print $1, $3 }' >"$work/syms"
python3 - "$work/rips" "$work/syms" "$top" <<'PY'
import bisect, collections, sys
rips, syms, top = sys.argv[1], sys.argv[2], int(sys.argv[3])
addr, name = [], []
for line in open(syms):
    a, n = line.split()
    addr.append(int(a, 16)); name.append(n)
count, total, user = collections.Counter(), 0, 0
for line in open(rips):
    line = line.strip()
    if not line:
        continue
    rip = int(line, 16)
    total += 1
    if rip < 0xffff800000000000:
        user += 1
        continue
    i = bisect.bisect_right(addr, rip) - 1
    count[name[i] if i >= 0 else "?"] += 1
if not total:
    sys.exit("guest-profile: no emulated instructions seen (hardware KVM, or no VM running)")
print("%d emulated instructions sampled (%d in user mode)" % (total, user))
for fn, c in count.most_common(top):
    print("%6.2f%% %9d  %s" % (100.0 * c / total, c, fn))
PY
