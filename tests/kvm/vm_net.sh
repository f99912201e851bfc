# shellcheck shell=bash
# virtio-net and `osbox vm boot --net bridge` (vmm/virtio_net.c, vmm/tap.c,
# cli/vm_net.c), driven by the test guest's mode=net / mode=netevil (a
# polled virtio-net driver that answers ARP, ICMP echo, UDP and raw frames).
#
# SAFETY: every osbox invocation runs inside a network namespace the test
# makes (unshare -n): osbox0, the TAP, the nftables table and ip_forward exist
# only there and vanish with it. No packet leaves the machine. Each test also
# checks that the host's namespace did not change.
#
# Runs directly where /dev/kvm works; elsewhere one nested-KVM harness boot
# runs every test of this file and each test replays its result
# (kvm_or_harness in tests/lib.sh).

GUEST_PVH=$OSBOX_SRC/build/tests/kvm/guest-pvh.elf

vmnet_setup() {
    [ -f "$GUEST_PVH" ] || fail "test guest missing: run 'make test-progs'"
    kvm_or_harness tests/kvm/vm_net.sh "${FUNCNAME[1]}" "$GUEST_PVH" "$OSBOX_SRC/build/images/guest.img"
    command -v unshare >/dev/null || skip "no unshare"
    command -v python3 >/dev/null || skip "no python3"
    [ -x /bin/busybox ] || skip "no /bin/busybox (busybox-static)"
    unshare -n sh -c 'ip link add osbprobe0 type bridge && ip tuntap add osbprobe1 mode tap' \
        2>/dev/null || skip "no bridge/tun support in this kernel"
    export O="$OSBOX" G="$GUEST_PVH"
    HOST_FWD=$(cat /proc/sys/net/ipv4/ip_forward)
    HOST_LINKS=$(host_links)
}

host_links() { find /sys/class/net -maxdepth 1 \( -name 'osb*' -o -name 'osv*' \) -printf '%f\n' | sort; }

assert_host_untouched() {
    assert_eq "$HOST_FWD" "$(cat /proc/sys/net/ipv4/ip_forward)" "host ip_forward"
    assert_eq "$HOST_LINKS" "$(host_links)" "host osb*/osv* links"
}

VMNET_LIB='
set -u
ip link set lo up
fail() { echo "FAIL: $*" >&2; exit 1; }
taps() { ip -o link | grep -o "osv[0-9a-f]\{12\}" || true; }
# No TAP, lease or NAT element is left in this namespace.
no_leftovers() {
    local l
    [ -z "$(taps)" ] || fail "TAP left: $(taps)"
    l=$("$O" network inspect)
    case $l in *"\"leases\": []"*) ;; *) fail "leases left: $l" ;; esac
    case $l in *"\"elements\": 0"*) ;; *) fail "NAT elements left: $l" ;; esac
}
'

# vmnet SCRIPT: run SCRIPT with bash in a fresh network namespace, time-
# bounded. Also a fresh PID namespace: when the time is up, unshare kills its
# bash (PID 1 there) and with it every VM, container and nc it started.
vmnet() {
    printf '%s\n%s\n' "$VMNET_LIB" "$1" > "$T/ns.sh"
    timeout -k 5 "${VMNET_TIMEOUT:-150}" unshare -n -p -f --kill-child --mount-proc bash "$T/ns.sh"
}

# The host side of the conversation with mode=net, on osbox0 with a packet
# socket: the guest's hello (guest -> host), a raw PING answered with PONG
# (host -> guest -> host), then ping, UDP through a published port, QUIT.
VMNET_TALK='
import socket, struct, subprocess, sys, time
def log(*a): print(*a, flush=True)
deadline = time.time() + 60
s = None
while time.time() < deadline:
    try:
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x88b5))
        s.bind(("osbox0", 0)); break
    except OSError:
        s = None; time.sleep(0.05)
if s is None: sys.exit("osbox0 never appeared")
s.settimeout(30)
f = s.recv(2048)
gmac = f[6:12]
log("hello:", f[14:31].decode(), "from", ":".join("%02x" % b for b in gmac))
me = s.getsockname()[4]
s.send(gmac + me + struct.pack("!H", 0x88b5) + b"PING-raw-0042".ljust(46, b"\0"))
while True:
    f = s.recv(2048)
    if f[14:18] == b"PONG": log("raw:", f[14:27].decode()); break
r = subprocess.run(["busybox", "ping", "-c", "3", "-W", "5", "10.88.0.2"], capture_output=True, text=True)
log("ping-status:", r.returncode, r.stdout.count("bytes from 10.88.0.2"))
for addr in ("127.0.0.1", "10.88.0.1"):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.settimeout(2)
    got = None
    for i in range(10):
        u.sendto(b"udp-via-" + addr.encode(), (addr, 5353))
        try: got = u.recv(100); break
        except socket.timeout: pass
    log("udp:", got.decode() if got else None)
insp = subprocess.run([sys.argv[1], "network", "inspect"], capture_output=True, text=True).stdout
log("inspect-running:", " ".join(insp.split()))
s.send(b"\xff" * 6 + me + struct.pack("!H", 0x88b5) + b"QUIT".ljust(46, b"\0"))
'

test_vm_net_frames_both_ways_ping_udp_publish_cleanup() {
    vmnet_setup
    printf '%s\n' "$VMNET_TALK" > "$T/talk.py"
    capture vmnet '
        "$O" vm boot --net bridge -p 5353:53/udp --kernel "$G" --mem 64M --cmdline "mode=net" \
            > '"$T"'/vm.out 2>&1 & vm=$!
        python3 '"$T"'/talk.py "$O" || echo talk-failed
        wait $vm; echo vm=$?
        cat '"$T"'/vm.out
        no_leftovers; echo clean'
    assert_eq 0 "$STATUS" "$OUT"
    # the lease's MAC, on the guest's frames
    assert_contains "$OUT" "hello: OSBOX-GUEST-HELLO from 02:42:0a:58:00:02"
    assert_contains "$OUT" "raw: PONG-raw-0042"
    assert_contains "$OUT" "ping-status: 0 3"
    assert_contains "$OUT" "udp: udp-via-127.0.0.1"
    assert_contains "$OUT" "udp: udp-via-10.88.0.1"
    assert_contains "$OUT" '"kind": "vm"'
    assert_contains "$OUT" '"link": "osv'
    assert_contains "$OUT" '"elements": 1'
    assert_contains "$OUT" "net: quit"
    assert_contains "$OUT" "vm=0"
    assert_contains "$OUT" "clean"
    assert_not_contains "$OUT" "talk-failed"
    assert_host_untouched
}

# A guest flooding junk frames and malformed chains: the device flags
# NEEDS_RESET each time, the monitor logs it and carries on, a reset brings
# the device back, and nothing is left afterwards.
test_vm_net_malformed_guest_does_not_disturb_monitor() {
    vmnet_setup
    capture vmnet '
        "$O" vm boot --net bridge --kernel "$G" --mem 64M --cmdline "mode=netevil"; echo vm=$?
        no_leftovers; echo clean'
    assert_eq 0 "$STATUS" "$OUT"
    assert_contains "$OUT" "sent 300 junk frames"
    assert_contains "$OUT" "virtio-net0: transmit chain has a device-writable buffer; device needs reset"
    assert_contains "$OUT" "virtio-net0: descriptor chain loops; device needs reset"
    assert_contains "$OUT" "virtio-net0: receive buffer smaller than 1526 bytes; device needs reset"
    assert_contains "$OUT" "netevil ok"
    assert_contains "$OUT" "vm=0"
    assert_contains "$OUT" "clean"
    assert_host_untouched
}

# kill -9 of osbox: the monitor (its child) dies with it, the TAP vanishes
# with the last fd, the lease stays until `osbox gc` reclaims it. SIGTERM
# stops the VM and releases everything at once.
test_vm_net_kill9_gc_and_sigterm() {
    vmnet_setup
    capture vmnet '
        wait_tap() { for i in $(seq 1 100); do [ -n "$(taps)" ] && return 0; sleep 0.05; done; fail "no TAP"; }
        "$O" vm boot --net bridge --kernel "$G" --mem 64M --cmdline "mode=hang" >/dev/null 2>&1 & vm=$!
        wait_tap
        kill -9 $vm; wait $vm || true
        for i in $(seq 1 50); do [ -z "$(taps)" ] && break; sleep 0.1; done
        [ -z "$(taps)" ] || fail "TAP survived kill -9: $(taps)"
        # The TAP goes when the dying monitor closes its files, a moment before
        # it is gone and reaped by bash, PID 1 here: wait, bounded.
        for i in $(seq 1 50); do pgrep -x osbox-vmm >/dev/null || break; sleep 0.1; done
        pgrep -x osbox-vmm && fail "monitor survived its parent" # (-x: by name; -f would read every cmdline, which blocks on a process stuck in exit)
        "$O" network inspect | grep -q "\"kind\": \"vm\"" && echo lease-kept-after-kill
        "$O" gc >/dev/null
        no_leftovers; echo gc-clean
        "$O" vm boot --net bridge --kernel "$G" --mem 64M --cmdline "mode=hang" >/dev/null 2>&1 & vm=$!
        wait_tap
        sleep 0.3
        kill -TERM $vm; wait $vm; echo term=$?
        no_leftovers; echo term-clean'
    assert_eq 0 "$STATUS" "$OUT"
    assert_contains "$OUT" "lease-kept-after-kill"
    assert_contains "$OUT" "gc-clean"
    assert_contains "$OUT" "term=130"
    assert_contains "$OUT" "term-clean"
    assert_host_untouched
}

# The default follows the containers' ($OSBOX_NETWORK, else none); the guest
# sees ip=ADDR/PREFIX::GATEWAY only with a NIC; bad options and a taken port
# fail before anything is set up, leaving nothing behind.
test_vm_net_default_cmdline_and_bad_options() {
    vmnet_setup
    capture vmnet '
        unset OSBOX_NETWORK
        "$O" vm boot --kernel "$G" --mem 64M --cmdline "mode=hello" | grep cmdline: | sed "s/^/default-/"
        OSBOX_NETWORK=bridge "$O" vm boot --kernel "$G" --mem 64M --cmdline "mode=hello" | grep cmdline: | sed "s/^/env-/"
        OSBOX_NETWORK=bridge "$O" vm boot --net none --kernel "$G" --mem 64M --cmdline "mode=hello" | grep cmdline: | sed "s/^/none-/"
        OSBOX_NETWORK=host "$O" vm boot --kernel "$G" --mem 64M --cmdline "mode=hello" | grep cmdline: | sed "s/^/host-env-/"
        "$O" vm boot --net host --kernel "$G" 2>&1; echo host=$?
        "$O" vm boot --net none -p 80:80 --kernel "$G" 2>&1; echo p-none=$?
        "$O" vm boot --net bridge -p 99999:80 --kernel "$G" 2>&1; echo p-bad=$?
        python3 -c "import socket,time; s=socket.socket(); s.bind((\"0.0.0.0\", 7777)); s.listen(); time.sleep(30)" & py=$!
        for i in $(seq 1 100); do ss -ltn | grep -q ":7777 " && break; sleep 0.05; done
        "$O" vm boot --net bridge -p 7777:80 --kernel "$G" --mem 64M --cmdline mode=hello 2>&1; echo p-taken=$?
        kill $py
        echo not-an-elf > '"$T"'/bad.elf
        "$O" vm boot --net bridge --kernel '"$T"'/bad.elf 2>&1; echo bad-kernel=$?
        no_leftovers; echo clean'
    assert_eq 0 "$STATUS" "$OUT"
    # As root the default is the bridge, as for containers.
    assert_contains "$(grep default-cmdline <<<"$OUT")" "ip=10.88.0."
    assert_contains "$(grep default-cmdline <<<"$OUT")" "virtio_mmio"
    assert_contains "$OUT" "env-cmdline: mode=hello ip=10.88.0.2/16::10.88.0.1 virtio_mmio.device=512@0xd0000000:5"
    assert_not_contains "$(grep none-cmdline <<<"$OUT")" "ip="
    assert_not_contains "$(grep host-env-cmdline <<<"$OUT")" "ip="
    assert_contains "$OUT" "host=2"
    assert_contains "$OUT" "p-none=2"
    assert_contains "$OUT" "p-bad=2"
    assert_contains "$OUT" "p-taken=125"
    # set up, then the monitor (a child) fails: its error, and nothing left
    assert_contains "$OUT" "bad-kernel=125"
    assert_contains "$OUT" "kernel is not an ELF file"
    assert_contains "$OUT" "clean"
    assert_host_untouched
}

# The osbox guest kernel's own stack (guest/net) on the bridge, one boot:
# ping from the test namespace; TCP with a container both ways (busybox nc);
# a published guest port from the namespace; an epoll echo server in the VM
# serving 50 concurrent clients from a container; 10 MB VM -> container
# (tests/guest/tcpput, 64 KiB writes; busybox nc moves 1 KiB per system
# call), checksum compared; UDP both ways with the udp-rtt workload (this
# busybox's nc has no -u). The NIC must have negotiated the offloads.
# Inside the nested-KVM harness (software emulation under the guest) the
# same steps in a smaller size: 10 clients, 1 MiB, 10 datagrams each way.
test_vm_net_osbox_guest_ping_nc_publish_epoll_bulk() {
    vmnet_setup
    local nc=50 bytes=10485760 nu=50
    if [ -n "${OSBOX_HARNESS:-}" ]; then nc=10 bytes=1048576 nu=10 VMNET_TIMEOUT=${VMNET_TIMEOUT:-270}; fi
    export NCLI=$nc NUDP=$nu
    local kernel_img=$OSBOX_SRC/build/images/guest.img
    [ -f "$kernel_img" ] || fail "build/images/guest.img missing: run 'make images'"
    command -v debugfs >/dev/null || skip "no debugfs (e2fsprogs)"
    make_busybox_rootfs "$T/rootfs"
    mkdir -p "$T/rootfs/w"
    cp "$OSBOX_SRC/build/workloads/udp-rtt" "$T/rootfs/w/"
    cp --sparse=always "$kernel_img" "$T/disk.img"
    head -c "$bytes" /dev/urandom > "$T/data.bin"
    local sum
    sum=$(sha256sum "$T/data.bin" | cut -d" " -f1)
    debugfs -w -R "write $T/data.bin data.bin" "$T/disk.img" >/dev/null 2>&1 || fail "debugfs write"
    export D="$T/disk.img" R="$T/rootfs"
    # shellcheck disable=SC2016
    export GS='echo guest-up; (echo from-vm-listener; sleep 2) | nc -l -p 6000; echo published-reply | nc -l -p 80;
        /tests/epoll_echo 7777 '"$nc"';
        /tests/tcpput 10.88.0.10 7001 /data.bin;
        /workloads/udp-rtt server 5301 & us=$!;
        /workloads/udp-rtt client 10.88.0.10 5300 '"$nu"';
        i=0; until echo vm-to-ctr | nc 10.88.0.10 7000; do i=$((i+1)); [ $i -lt 100 ] || break; sleep 0.1; done;
        nc -l -p 6001; kill $us;
        echo guest-done'
    capture vmnet '
        "$O" vm boot --net bridge -p 8080:80 "$D" --cmdline "console=ttyS0 init=/bin/sh -- -c \"$GS\"" \
            > '"$T"'/vm.out 2>&1 & vm=$!
        t0=$(date +%s%N)
        for i in $(seq 1 200); do
            busybox ping -c1 -W1 10.88.0.2 >/dev/null 2>&1 && { echo "pinged-after-ms $((($(date +%s%N) - t0) / 1000000))"; break; }
            sleep 0.1
        done
        busybox ping -c 3 -W 5 10.88.0.2 | grep -o "3 packets received"
        ( for i in $(seq 1 300); do
              out=$(echo | timeout 3 busybox nc 127.0.0.1 8080 2>/dev/null) && [ -n "$out" ] && { echo "published: $out"; break; }
              sleep 0.1
          done ) & pub=$!
        "$O" run --rm --network bridge --ip 10.88.0.10 -e NCLI -e NUDP --rootfs "$R" sh -c "
            # Both ends hold their write side open 2 s: a FIN sent at once could
            # make the other nc quit before it has sent its own line.
            i=0; until (echo ctr-to-vm; sleep 2) | nc 10.88.0.2 6000; do i=\$((i+1)); [ \$i -lt 150 ] || break; sleep 0.1; done
            for c in \$(seq 1 \$NCLI); do
                ( j=0; until (echo client-\$c; sleep 2) | nc 10.88.0.2 7777 > /tmp/r\$c 2>/dev/null && [ -s /tmp/r\$c ]; do
                      j=\$((j+1)); [ \$j -lt 150 ] || break; sleep 0.2; done ) &
            done
            wait
            echo epoll-echoed \$(cat /tmp/r* | grep -c ^client-)
            /w/udp-rtt server 5300 & us=\$!   # (after the wait above)
            t=\$(date +%s)
            # (nc quits at EOF on its stdin: a FIFO held open keeps it reading)
            mkfifo /tmp/hold; nc -l -p 7001 < /tmp/hold > /tmp/bulk & n=\$!; exec 3> /tmp/hold
            wait \$n; exec 3>&-
            echo bulk-got \$(wc -c < /tmp/bulk) \$(sha256sum /tmp/bulk | cut -d\" \" -f1) in \$((\$(date +%s) - t)) s
            sleep 3 | nc -l -p 7000
            /w/udp-rtt client 10.88.0.2 5301 \$NUDP | sed s/^/ctr-udp:/
            i=0; until echo udp-done | nc 10.88.0.2 6001; do i=\$((i+1)); [ \$i -lt 100 ] || break; sleep 0.1; done
            kill \$us"
        wait $pub
        wait $vm; echo vm=$?
        tr -d "\r" < '"$T"'/vm.out | grep -E "virtio-net|net:|guest-|ctr-to-vm|udp-done|tcpput|udp-rtt|epoll_echo|exit"
        no_leftovers; echo clean'
    assert_eq 0 "$STATUS" "$OUT"
    assert_contains "$OUT" "pinged-after-ms"
    assert_contains "$OUT" "3 packets received"
    assert_contains "$OUT" "virtio-net: mac 02:42:0a:58:00:02 (irq 6) csum tso rx-csum rx-tso"
    assert_contains "$OUT" "net: 10.88.0.2/16 gateway 10.88.0.1"
    assert_contains "$OUT" "from-vm-listener"      # VM -> container
    assert_contains "$OUT" "ctr-to-vm"             # container -> VM (guest console)
    assert_contains "$OUT" "published: published-reply"
    assert_contains "$OUT" "epoll-echoed $nc"
    assert_contains "$OUT" "epoll_echo: accepted $nc closed $nc"
    assert_contains "$OUT" "bulk-got $bytes $sum"
    assert_contains "$OUT" "tcpput: sent $bytes bytes"
    # UDP: the VM's client against the container's server, then the other way
    assert_contains "$(grep -v ctr-udp <<<"$OUT")" '"metric":"rtt_us"'
    assert_contains "$(grep -v ctr-udp <<<"$OUT")" "\"n\":$nu,\"lost\":0"
    assert_contains "$(grep ctr-udp <<<"$OUT")" "\"n\":$nu,\"lost\":0"
    assert_contains "$OUT" "udp-done"
    assert_contains "$OUT" "vm-to-ctr"
    assert_contains "$OUT" "guest-done"
    assert_contains "$OUT" "vm=0"
    assert_contains "$OUT" "clean"
    assert_host_untouched
}
