#!/usr/bin/env bash
# Network cost of a VM against a container, same static binaries
# (build/workloads: udp-rtt, tcp-rr, tcp-stream) on both ends, over osbox0:
#   ctr<->ctr   server in container A (10.88.0.100 and up), client in container B;
#   VM client   the client in an `osbox vm boot --net bridge` VM (osbox guest
#               kernel, build/images/guest.img), the same servers in container A;
#   VM server   the servers in the VM, the client in a container (for
#               tcp-stream the container sends and the VM receives).
# Metrics: udp-rtt rtt_us (mean) and rtt_p99_us, tcp-rr rr_us, tcp-stream
# stream_MBps; the median of BENCH_RUNS runs each. Ratios say how many times
# worse the VM path is: VM/ctr for latencies, ctr/VM for throughput.
#
#   bench/vm-network.sh          (as root; ~3 min on a kvm-pvm host)
# Settings: BENCH_RUNS (3), OSBOX (build/osbox), BENCH_VM_REVERSE (1; 0 skips
#   the VM-server runs); per run, containers: BENCH_UDP_N (2000 datagrams),
#   BENCH_RR_N (2000), BENCH_TCP_SIZE (64m); the VM: BENCH_VM_UDP_N,
#   BENCH_VM_RR_N (300 each on kvm-pvm, else as the containers'),
#   BENCH_VM_TCP_SIZE (4m on kvm-pvm, else 16m); BENCH_VM_TIMEOUT (seconds
#   per VM run, default from the sizes: 130 s for 4m).
# Everything runs under `unshare -n -p` (osbox0, the TAP, the veths, NAT and
# ip_forward exist only there; no packet leaves it; nothing outlives it).
# Without /dev/kvm it says so and measures nothing. Always exits 0.
set -u
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib.sh
source "$here/lib.sh"

case ${1:-} in -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;; esac
[ "$(id -u)" -eq 0 ] || { bench_note "vm-network.sh needs root (namespaces, bridge, /dev/kvm)"; exit 0; }

OSBOX=${OSBOX:-$BENCH_SRC/build/osbox}
IMG=$BENCH_SRC/build/images/guest.img
WL=$BENCH_SRC/build/workloads
for f in "$OSBOX" "$IMG" "$WL/udp-rtt" "$WL/tcp-rr" "$WL/tcp-stream" /bin/busybox; do
    [ -e "$f" ] || { bench_note "$f missing: run make && make images (and install busybox-static)"; exit 0; }
done
if ! [ -w /dev/kvm ]; then
    bench_note "no usable /dev/kvm: the VM side cannot run, nothing measured"
    exit 0
fi

if [ "${OSBOX_BENCH_NETNS:-}" != 1 ]; then
    # A fresh network namespace, and a PID namespace whose init is this
    # script: when it ends, whatever it started ends with it. If unshare
    # dies first, the script gets SIGTERM and cleans up.
    exec env OSBOX_BENCH_NETNS=1 unshare -n -p -f --kill-child=SIGTERM --mount-proc "$0" "$@"
fi

# Which KVM: on kvm-pvm the guest kernel's code is emulated by the host
# (user code runs natively), so every packet through the guest stack is slow.
pvm=0
if [ -d /sys/module/kvm_pvm ] || dmesg 2>/dev/null | grep -q -m 1 kvm-pvm; then
    pvm=1
    kvm="kvm-pvm (software-assisted KVM: guest kernel code emulated, guest user code native)"
elif [ -d /sys/module/kvm_intel ]; then kvm="kvm_intel (hardware virtualization)"
elif [ -d /sys/module/kvm_amd ]; then kvm="kvm_amd (hardware virtualization)"
else kvm="KVM (module unknown)"
fi
[ -n "${OSBOX_HARNESS:-}" ] && kvm="$kvm, inside the nested-KVM harness"

RUNS=${BENCH_RUNS:-3}
UDP_N=${BENCH_UDP_N:-2000} RR_N=${BENCH_RR_N:-2000} TCP_SIZE=${BENCH_TCP_SIZE:-64m}
if [ $pvm = 1 ]; then d_n=300 d_size=4m; else d_n='' d_size=16m; fi
VM_UDP_N=${BENCH_VM_UDP_N:-${d_n:-$UDP_N}} VM_RR_N=${BENCH_VM_RR_N:-${d_n:-$RR_N}}
VM_TCP_SIZE=${BENCH_VM_TCP_SIZE:-$d_size}
REVERSE=${BENCH_VM_REVERSE:-1}

# mib SIZE: whole MiB in a size like 64m, 512k, 1g (at least 1).
mib() {
    local n=${1%[kKmMgG]} u=${1##*[0-9]}
    case $u in k|K) n=$((n / 1024)) ;; g|G) n=$((n * 1024)) ;; esac
    [ "$n" -ge 1 ] 2>/dev/null && echo "$n" || echo 1
}
# Time limits (BENCH_VM_TIMEOUT overrides the VM's): a VM boot with its
# clients, or a container client against the VM's servers, at >= ~70 KB/s
# over TCP and <= ~15 ms per datagram or transaction; a container client
# against containers at >= 10 MB/s.
VM_LIMIT=${BENCH_VM_TIMEOUT:-$((60 + $(mib "$VM_TCP_SIZE") * 15 + (VM_UDP_N + VM_RR_N) / 60))}
CTR_LIMIT=$((60 + $(mib "$TCP_SIZE") / 10 + (UDP_N + RR_N) / 100))

work=$(mktemp -d /var/tmp/osbox-bench-vmnet.XXXXXX)
export OSBOX_ROOT=$work/root OSBOX_RUN=$work/run
unset OSBOX_NETWORK OSBOX_SUBNET
srv='' vm='' cur=''
# stop PID: SIGTERM (osbox then tears down the container or VM), SIGKILL
# after 10 s.
stop() {
    local i
    [ -n "$1" ] || return 0
    kill -TERM "$1" 2>/dev/null
    for i in $(seq 1 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$1" 2>/dev/null
    wait "$1" 2>/dev/null
}
cleanup() {
    stop "$cur"; stop "$vm"; stop "$srv"
    "$OSBOX" gc >/dev/null 2>&1          # cgroups of anything that had to be killed
    "$OSBOX" network prune >/dev/null 2>&1
    bench_remove_workdir "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# waited CMD...: run CMD in the background and wait for it: a signal then
# reaches the trap at once (bash runs traps only between commands), and
# cleanup stops CMD ($cur; `timeout` passes SIGTERM on to osbox).
waited() {
    local rc
    "$@" &
    cur=$!
    wait "$cur"
    rc=$?
    cur=''
    return "$rc"
}
# why STATUS LIMIT: a failed step's status in words.
why() { case $1 in 124|137) echo "timed out (limit $2 s)" ;; *) echo "exit $1" ;; esac; }
ip link set lo up

# A busybox rootfs with the workloads in /workloads (as in the guest image).
R=$work/rootfs
mkdir -p "$R/bin" "$R/etc" "$R/tmp" "$R/workloads"
cp /bin/busybox "$R/bin/busybox"
for a in sh sleep cat; do ln -sf busybox "$R/bin/$a"; done
cp "$WL/udp-rtt" "$WL/tcp-rr" "$WL/tcp-stream" "$R/workloads/"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$R/etc/passwd"
printf 'root:x:0:\n' >"$R/etc/group"
cp --sparse=always "$IMG" "$work/disk.img"

# Ports: udp-rtt, tcp-stream, tcp-rr.
P_UDP=7000 P_STREAM=7001 P_RR=7002
SERVERS="/workloads/udp-rtt server $P_UDP & /workloads/tcp-stream server $P_STREAM &
 /workloads/tcp-rr server $P_RR & echo servers-up; wait"
# clients HOST UDP_N RR_N SIZE: the three clients, one after the other.
clients() {
    echo "/workloads/udp-rtt client $1 $P_UDP $2; /workloads/tcp-rr client $1 $P_RR $3;" \
         "/workloads/tcp-stream client $1 $P_STREAM $4"
}

# probe HOST SECONDS: wait until the three servers on HOST answer (TCP: a
# connection closed cleanly, the servers just serve it; UDP: one echo).
probe() {
    python3 - "$1" "$2" "$P_UDP" "$P_STREAM" "$P_RR" <<'PY'
import socket, sys, time
host, limit = sys.argv[1], float(sys.argv[2])
udp, tcps = int(sys.argv[3]), [int(p) for p in sys.argv[4:]]
end = time.time() + limit
def tcp_ok(port):
    try:
        s = socket.create_connection((host, port), 1)
        s.settimeout(5)
        s.shutdown(socket.SHUT_WR)
        while s.recv(64):
            pass
        s.close()
        return True
    except OSError:
        return False
def udp_ok():
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.settimeout(0.5)
    try:
        u.sendto(b"probe", (host, udp))
        return u.recv(64) == b"probe"
    except OSError:
        return False
for check in [udp_ok] + [lambda p=p: tcp_ok(p) for p in tcps]:
    while not check():
        if time.time() > end:
            sys.exit(1)
        time.sleep(0.1)
PY
}

# vm_boot OUT LIMIT SCRIPT: the osbox guest with `sh -c SCRIPT` as init,
# console (without \r) in OUT; quiet keeps kernel lines out of the JSON.
vm_boot() {
    local rc
    waited timeout -k 10 "$2" "$OSBOX" vm boot --net bridge --mem 256M "$work/disk.img" \
        --cmdline "console=ttyS0 quiet init=/bin/sh -- -c \"$3\"" </dev/null >"$1.raw" 2>&1
    rc=$?
    tr -d '\r' <"$1.raw" >"$1"
    return "$rc"
}

echo "== UDP/TCP over osbox0: container<->container vs VM<->container (same binaries)"
echo "kvm: /dev/kvm, $kvm"
[ $pvm = 1 ] && echo "caveat: kvm-pvm emulates the guest kernel, so the VM figures here are far slower than on hardware KVM"
echo "host: $(uname -sr), $(nproc) CPUs; $RUNS runs, medians"
echo "per run: containers udp-rtt $UDP_N, tcp-rr $RR_N, tcp-stream $TCP_SIZE;" \
     "VM udp-rtt $VM_UDP_N, tcp-rr $VM_RR_N, tcp-stream $VM_TCP_SIZE"

# servers_up: the servers in container A at $SRV_IP, fresh for each pair:
# the stream and rr servers serve one connection at a time, and a client that
# died mid-transfer (a VM stopped by its time limit sends no FIN or RST) would
# leave them blocked on it. A fresh address each time too (.100 and up, away
# from the pool's automatic ones): a stopped container's address stays taken
# until the kernel has torn down its network namespace, which takes a while
# when a connection was left hanging.
srv_n=0
servers_up() {
    stop "$srv"
    SRV_IP=10.88.0.$((100 + srv_n % 150)) srv_n=$((srv_n + 1))
    "$OSBOX" run --rm --network bridge --ip "$SRV_IP" --rootfs "$R" sh -c "$SERVERS" \
        >"$work/srv.out" 2>&1 &
    srv=$!
    probe "$SRV_IP" 30 && return 0
    bench_note "the servers in the container never answered: $(tail -3 "$work/srv.out")"
    return 1
}

: >"$work/results"
for i in $(seq 1 "$RUNS"); do
    echo "run $i/$RUNS" >&2
    # 1. container <-> container
    servers_up || break
    waited timeout -k 10 "$CTR_LIMIT" "$OSBOX" run --rm --network bridge --rootfs "$R" \
        sh -c "$(clients "$SRV_IP" "$UDP_N" "$RR_N" "$TCP_SIZE")" >"$work/ctr.$i" 2>&1 ||
        bench_note "ctr<->ctr run $i: $(why $? "$CTR_LIMIT") $(grep -v '^{' "$work/ctr.$i" | tail -2)"
    sed 's/^/ctr /' "$work/ctr.$i" >>"$work/results"

    # 2. VM client -> container servers
    servers_up || break
    t0=$(date +%s)
    vm_boot "$work/vmc.$i" "$VM_LIMIT" "$(clients "$SRV_IP" "$VM_UDP_N" "$VM_RR_N" "$VM_TCP_SIZE")" ||
        bench_note "VM-client run $i: $(why $? "$VM_LIMIT") after $(($(date +%s) - t0)) s: $(grep -v '^{' "$work/vmc.$i" | tail -2)"
    sed 's/^/vmc /' "$work/vmc.$i" >>"$work/results"
    stop "$srv"; srv=''

    # 3. container client -> VM servers
    [ "$REVERSE" = 1 ] || continue
    "$OSBOX" vm boot --net bridge --mem 256M "$work/disk.img" \
        --cmdline "console=ttyS0 quiet init=/bin/sh -- -c \"$SERVERS\"" </dev/null >"$work/vms.$i.console" 2>&1 &
    vm=$!
    ip=
    for _ in $(seq 1 100); do   # the VM's lease (osbox network inspect), 10 s at most
        ip=$("$OSBOX" network inspect 2>/dev/null | python3 -c 'import json, sys
try:
    print(next(l["ip"] for l in json.load(sys.stdin)["leases"] if l["kind"] == "vm" and l.get("alive", True)))
except Exception:
    pass')
        [ -n "$ip" ] && break
        sleep 0.1
    done
    if [ -n "$ip" ] && probe "$ip" 60; then
        waited timeout -k 10 "$VM_LIMIT" "$OSBOX" run --rm --network bridge --rootfs "$R" \
            sh -c "$(clients "$ip" "$VM_UDP_N" "$VM_RR_N" "$VM_TCP_SIZE")" >"$work/vms.$i" 2>&1 ||
            bench_note "VM-server run $i: $(why $? "$VM_LIMIT") $(grep -v '^{' "$work/vms.$i" | tail -2)"
        sed 's/^/vms /' "$work/vms.$i" >>"$work/results"
    else
        bench_note "VM-server run $i: the servers in the VM never answered: $(tr -d '\r' <"$work/vms.$i.console" | tail -2)"
    fi
    stop "$vm"; vm=
done

echo
python3 - "$work/results" "$RUNS" <<'PY'
import json, statistics, sys
vals = {}
lost = {}
for line in open(sys.argv[1], errors="replace"):
    pair, _, rest = line.strip().partition(" ")
    if not rest.startswith("{"):
        continue
    try:
        j = json.loads(rest)
    except ValueError:
        continue
    if j.get("value") is None:
        continue
    vals.setdefault((pair, j["metric"]), []).append(j["value"])
    if j["metric"] == "rtt_us":
        lost[pair] = lost.get(pair, 0) + j.get("lost", 0)
runs = int(sys.argv[2])
def med(pair, m):
    v = vals.get((pair, m))
    return (statistics.median(v), len(v)) if v else (None, 0)
def fmt(v, k):
    if v is None:
        return "n/a"
    s = "%.2f" % v if v < 10 else "%.1f" % v if v < 1000 else "%.0f" % v
    return s + ("" if k == runs else " (%d/%d)" % (k, runs))
def ratio(a, b, worse_is_bigger):
    if a is None or b is None or not a or not b:
        return "n/a"
    return "%.0fx" % (b / a if worse_is_bigger else a / b) if max(a / b, b / a) >= 100 else \
           "%.1fx" % (b / a if worse_is_bigger else a / b)
rows = [("rtt_us", "udp-rtt mean (us)", True), ("rtt_p99_us", "udp-rtt p99 (us)", True),
        ("rr_us", "tcp-rr mean (us)", True), ("stream_MBps", "tcp-stream (MB/s)", False)]
print("%-20s %12s %12s %10s %12s %10s" % ("metric", "ctr<->ctr", "VM client", "ratio", "VM server", "ratio"))
for m, label, lat in rows:
    c, kc = med("ctr", m)
    a, ka = med("vmc", m)
    b, kb = med("vms", m)
    print("%-20s %12s %12s %10s %12s %10s" % (label, fmt(c, kc), fmt(a, ka), ratio(c, a, lat),
                                               fmt(b, kb), ratio(c, b, lat)))
print("ratio: how many times worse the VM path is (latency VM/ctr, throughput ctr/VM)")
print("VM client: client in the VM, server in a container (tcp-stream: VM sends);")
print("VM server: server in the VM, client in a container (tcp-stream: VM receives)")
if any(lost.values()):
    print("udp datagrams lost (1 s without echo), all runs: " +
          ", ".join("%s %d" % (p, n) for p, n in sorted(lost.items())))
PY
[ "$REVERSE" = 1 ] || echo "(VM-server runs skipped: BENCH_VM_REVERSE=0)"
exit 0
