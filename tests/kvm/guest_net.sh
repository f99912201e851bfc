# The guest kernel's TCP/IP stack under QEMU microvm (TCG), its virtio-net
# NIC on a TAP device that exists only in a network namespace this test
# makes (unshare -n): no frame can leave the machine.  One boot (2 vCPUs)
# runs the whole conversation; tests/kvm/guest_net_peer.py plays the host side.

NET_KERNEL=${OSBOX_SRC}/build/guest/osbox-kernel
NET_IMG=${OSBOX_SRC}/build/images/guest.img

# net_boot GUEST_SHELL_SCRIPT: boot with the disk in $T/disk.img, run the
# peer next to it; $OUT = console + peer lines.
net_boot() {
    command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 not installed"
    command -v python3 >/dev/null || skip "python3 not installed"
    [ -f "$NET_KERNEL" ] && [ -f "$NET_IMG" ] || fail "run make and make images first"
    cat >"$T/ns.sh" <<NS
set -u
ip link set lo up
ip tuntap add dev tap0 mode tap
ip addr add 10.0.2.1/24 dev tap0
ip link set tap0 up
sysctl -qw net.ipv4.tcp_no_metrics_save=1 || true    # this namespace only: no cached cwnd/rtt between steps
timeout 280 qemu-system-x86_64 -M microvm -accel tcg -cpu max -smp ${NET_SMP:-2} -m 256M -nodefaults -no-reboot \
    -display none -serial stdio -kernel "$NET_KERNEL" \
    -append 'ip=10.0.2.15/24::10.0.2.1 init=/bin/sh -- -c "$1"' \
    -device isa-debug-exit,iobase=0x501,iosize=1 -global virtio-mmio.force-legacy=false \
    -drive id=d0,file=$T/disk.img,format=raw,if=none -device virtio-blk-device,drive=d0 \
    -netdev tap,id=n0,ifname=tap0,script=no,downscript=no \
    -device virtio-net-device,netdev=n0,csum=off,guest_csum=off,mrg_rxbuf=off \
    </dev/null >"$T/console" 2>&1 &
qemu=\$!
PEER_BUDGET=240 timeout 260 python3 "$OSBOX_SRC/tests/kvm/guest_net_peer.py" >"$T/peer" 2>&1
wait \$qemu
NS
    unshare -n bash "$T/ns.sh" || true     # the namespace, tap0 and QEMU end here
    OUT="$(tr -d '\r' <"$T/console")
$(cat "$T/peer")"
}

test_guest_net_ping_tcp_udp_bulk_queues_epoll_malformed() {
    cp --sparse=always "$NET_IMG" "$T/disk.img"
    head -c 10485760 /dev/urandom >"$T/data.bin"
    local sum
    sum=$(sha256sum "$T/data.bin" | cut -d' ' -f1)
    debugfs -w -R "write $T/data.bin data.bin" "$T/disk.img" >/dev/null 2>&1 || fail "debugfs write"
    net_boot '/workloads/udp-rtt local 200; /workloads/tcp-rr local 200; /workloads/tcp-stream local 4m; /tests/netcheck api 10.0.2.1; echo guest-to-host | nc 10.0.2.1 5000; echo guest-listener-reply | nc -l -p 6000; /tests/netcheck udp 10.0.2.1 7000; /tests/netcheck udpserve 7001; nc 10.0.2.1 5001 < /data.bin; echo bulk-status=$?; nc -l -p 6001 </dev/null | sha256sum; /tests/netcheck timewait 10.0.2.1 5002; /tests/netcheck backlog 5003 6; /tests/epoll_echo 7777 50; /tests/netcheck waitudp 7002; echo guest-done'
    echo "$OUT" | grep -E "^peer:|netcheck:|epoll_echo:|workload" >&2 || true
    assert_contains "$OUT" "virtio-net: mac 52:54:00:12:34:56"
    # QEMU's NIC offers no offloads here, so the guest sums every checksum
    # itself (pkt_csum_finish); tests/kvm/vm_net.sh covers the offloads
    assert_not_contains "$(grep 'virtio-net: mac' <<<"$OUT")" "csum"
    assert_contains "$OUT" "net: 10.0.2.15/24 gateway 10.0.2.1"
    assert_contains "$OUT" "peer: ping ok"
    # loopback (127.0.0.1): the workloads' "local" mode, as osbox bench runs them
    assert_contains "$OUT" '{"workload":"udp-rtt","metric":"rtt_us"'
    assert_contains "$OUT" '{"workload":"tcp-rr","metric":"rr_us"'
    assert_contains "$OUT" '{"workload":"tcp-stream","metric":"stream_MBps"' 
    assert_contains "$OUT" "netcheck: "
    assert_contains "$OUT" "netcheck: 38 checks, 0 failed"
    assert_contains "$OUT" "peer: tcp from guest 'guest-to-host'"
    assert_contains "$OUT" "host-reply"
    assert_contains "$OUT" "host-to-guest"
    assert_contains "$OUT" "peer: tcp from guest listener 'guest-listener-reply'"
    assert_contains "$OUT" "peer: udp from guest 'udp-ping'"
    assert_contains "$OUT" "netcheck: udp reply 'udp-pong:udp-ping' from 10.0.2.1:7000"
    assert_contains "$OUT" "netcheck: udp got 'hello-udp'"
    assert_contains "$OUT" "peer: udp reply 'echo:hello-udp'"
    assert_contains "$OUT" "peer: bulk 10485760 bytes sha256 $sum"
    local sent
    sent=$(sed -n 's/^peer: sent 10485760 bytes sha256 \([0-9a-f]*\) .*/\1/p' <<<"$OUT")
    [ -n "$sent" ] || fail "the peer did not send its 10 MB: $OUT"
    assert_contains "$OUT" "$sent  -"
    assert_contains "$OUT" "peer: timewait peer got 'bye'"
    assert_contains "$OUT" "netcheck: timewait 5 checks, 0 failed"
    assert_contains "$OUT" "netcheck: backlog first=2 total=6"
    assert_contains "$OUT" "peer: backlog clients closed by guest: 6/6"
    assert_contains "$OUT" "peer: epoll clients ok=50/50"
    assert_contains "$OUT" "epoll_echo: accepted 50 closed 50"
    assert_contains "$OUT" "ping after: ok"
    assert_contains "$OUT" "netcheck: udp got 'done'"
    assert_contains "$OUT" "guest-done"
    assert_not_contains "$OUT" "KERNEL EXCEPTION"
}

# A bad ip= leaves the interface unconfigured and says why; the NIC is
# QEMU's user-mode network with restrict=on (nothing gets out), no disk.
test_guest_net_bad_ip_cmdline() {
    command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 not installed"
    [ -f "$NET_KERNEL" ] || fail "run make first"
    local a
    for a in 300.1.2.3/24 10.0.2.15/33 10.0.2 'garbage::'; do
        OUT=$(timeout 60 qemu-system-x86_64 -M microvm -accel tcg -cpu max -m 128M -nodefaults -no-reboot \
            -display none -serial stdio -kernel "$NET_KERNEL" -append "ip=$a" \
            -device isa-debug-exit,iobase=0x501,iosize=1 -global virtio-mmio.force-legacy=false \
            -netdev user,id=n0,restrict=on -device virtio-net-device,netdev=n0 </dev/null 2>&1 | tr -d '\r') || true
        assert_contains "$OUT" "virtio-net: mac"
        assert_contains "$OUT" "net: cannot parse ip=$a (want ADDR/PREFIX::GATEWAY)"
        assert_not_contains "$OUT" "KERNEL EXCEPTION"
    done
}
