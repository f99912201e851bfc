# Container networking: the bridge osbox0, veth pairs, leases, NAT and
# published ports, --network none|container:NAME, --ip/--mac-address/--dns/
# --add-host, cleanup and gc.
#
# SAFETY: every osbox invocation here runs inside a network namespace the
# test makes (unshare -n): osbox0, the nftables table, ip_forward (a per-
# namespace sysctl, written by osbox from inside) and every veth exist only
# there and vanish with it. No packet leaves the machine. Each test also
# checks that the host's namespace did not change (no osb* link, same
# ip_forward).

net_setup() {
    command -v unshare >/dev/null || skip "no unshare"
    command -v ip >/dev/null || skip "no ip (iproute2)"
    # The kernel must offer bridges and veths (modules bridge, veth), in a throwaway namespace.
    unshare -n sh -c 'ip link add osbprobe0 type bridge && ip link add osbprobe1 type veth peer name osbprobe2' \
        2>/dev/null || skip "no bridge/veth support in this kernel (modules bridge, veth)"
    make_busybox_rootfs "$T/rootfs"
    export O="$OSBOX" R="$T/rootfs" OSBOX_NETWORK=bridge
    HOST_FWD=$(cat /proc/sys/net/ipv4/ip_forward)
    HOST_OSB=$(host_osb_links)
}

# osb* links (osbox0, container veths) in the machine's own namespace.
host_osb_links() { find /sys/class/net -maxdepth 1 -name 'osb*' -printf '%f\n' | sort; }

# The host's namespace is as it was.
assert_host_untouched() {
    assert_eq "$HOST_FWD" "$(cat /proc/sys/net/ipv4/ip_forward)" "host ip_forward"
    assert_eq "$HOST_OSB" "$(host_osb_links)" "host osb* links"
}

# Helpers the scripts below use inside the namespace.
NETNS_LIB='
set -u
ip link set lo up
fail() { echo "FAIL: $*" >&2; exit 1; }
run() { "$O" run --rm --rootfs "$R" "$@"; }
# No veth, lease or NAT element of any container is left in this namespace.
# (An exited container'"'"'s veth goes with its namespace, which the kernel
# frees asynchronously: give it up to 5 s.)
no_leftovers() {
    local l i
    for i in $(seq 1 50); do
        l=$(ip -o link | grep -o "osb[0-9a-f]\{12\}" || true)
        [ -z "$l" ] && break
        sleep 0.1
    done
    [ -z "$l" ] || fail "veths left: $l"
    l=$("$O" network inspect)
    case $l in *"\"leases\": []"*) ;; *) fail "leases left: $l" ;; esac
    case $l in *"\"elements\": 0"*) ;; *) fail "NAT elements left: $l" ;; esac
}
'

# netns SCRIPT: run SCRIPT with bash in a fresh network namespace (time-bounded).
netns() {
    printf '%s\n%s\n' "$NETNS_LIB" "$1" > "$T/ns.sh"
    timeout -k 5 120 unshare -n bash "$T/ns.sh"
}

test_two_containers_ping_and_tcp() {
    net_setup
    capture netns '
        run --name alpha --ip 10.88.0.10 sh -c "
            cat /etc/hosts; grep -q nameserver.127 /etc/resolv.conf && echo LOOPBACK-DNS
            ip -o -4 addr show eth0; ip route | grep default
            i=0; until ping -c1 -W1 10.88.0.11 >/dev/null 2>&1; do
                i=\$((i+1)); [ \$i -lt 40 ] || { echo alpha-ping-failed; exit 1; }; sleep 0.1; done
            echo alpha-pinged-beta
            # (stdin kept open: busybox nc quits at EOF on either side)
            sleep 2 | nc -l -p 5000 > /tmp/got; echo \"alpha-got: \$(cat /tmp/got)\"" > "$T/alpha.out" 2>&1 &
        a=$!
        run --name beta --ip 10.88.0.11 sh -c "
            i=0; until ping -c1 -W1 10.88.0.10 >/dev/null 2>&1; do
                i=\$((i+1)); [ \$i -lt 40 ] || { echo beta-ping-failed; exit 1; }; sleep 0.1; done
            echo beta-pinged-alpha
            i=0; until echo tcp-payload-42 | nc 10.88.0.10 5000 2>/dev/null; do
                i=\$((i+1)); [ \$i -lt 50 ] || { echo beta-connect-failed; exit 1; }; sleep 0.1; done"
        echo beta=$?
        wait $a; echo alpha=$?
        cat "$T/alpha.out"
        no_leftovers; echo clean'
    assert_eq 0 "$STATUS" "$OUT"
    assert_contains "$OUT" "beta-pinged-alpha"
    assert_contains "$OUT" "alpha-pinged-beta"
    assert_contains "$OUT" "alpha-got: tcp-payload-42"
    assert_contains "$OUT" "beta=0"
    assert_contains "$OUT" "alpha=0"
    assert_contains "$OUT" "inet 10.88.0.10/16"
    assert_contains "$OUT" "default via 10.88.0.1 dev eth0"
    printf '%s\n' "$OUT" | grep -Eq '^10\.88\.0\.10[[:space:]].*alpha' || fail "hosts has no address line: $OUT"
    assert_not_contains "$OUT" "LOOPBACK-DNS"
    assert_contains "$OUT" "clean"
    assert_host_untouched
}

test_published_port_from_host_and_outside() {
    net_setup
    # A UDP echo server (busybox nc has no -u): the static udp-rtt workload.
    [ -x "$OSBOX_SRC/build/workloads/udp-rtt" ] || skip "build/workloads/udp-rtt missing (make)"
    cp "$OSBOX_SRC/build/workloads/udp-rtt" "$R/udp-rtt"
    capture netns '
        # An "outside" namespace joined to ours by a veth, as a LAN client would be.
        unshare -n sleep 60 & outside=$!
        sleep 0.2
        ip link add vout0 type veth peer name vout1
        ip link set vout1 netns $outside
        ip addr add 192.168.77.1/24 dev vout0; ip link set vout0 up
        nsenter -t $outside -n sh -c "ip addr add 192.168.77.2/24 dev vout1; ip link set vout1 up; ip link set lo up"
        run -p 8080:80 -p 5353:53/udp sh -c "
            /udp-rtt server 53 & u=\$!
            for i in 1 2 3 4; do nc -l -p 80 -e echo pong-\$i; done; kill \$u" &
        c=$!
        get() { # HOST: connect until answered (bounded)
            local i out
            for i in $(seq 1 50); do
                out=$(echo ping | timeout 2 busybox nc "$@" 2>/dev/null || true)
                [ -n "$out" ] && { echo "$out"; return 0; }
                sleep 0.1
            done
            return 1
        }
        # UDP first: the container stops its UDP server after the last TCP client.
        for i in $(seq 1 20); do
            timeout 5 "$R/udp-rtt" client 127.0.0.1 5353 3 >/dev/null 2>&1 && { echo udp-echoed; break; }
            sleep 0.2
        done
        echo "loopback: $(get 127.0.0.1 8080)"
        echo "gateway: $(get 10.88.0.1 8080)"
        echo "outside: $(nsenter -t $outside -n sh -c "$(declare -f get); get 192.168.77.1 8080")"
        # Hairpin: another container through the host port.
        echo "hairpin: $(run sh -c "echo | nc -w 3 10.88.0.1 8080")"
        wait $c; echo ctr=$?
        # Outbound: the outside namespace has no route to 10.88.0.0/16, so an
        # answer proves the masquerade (and forwarding) of the container.
        nsenter -t $outside -n busybox nc -l -p 9999 -e echo from-outside & o=$!
        sleep 0.3
        run sh -c "echo | nc -w 3 192.168.77.2 9999"
        wait $o
        kill $outside; wait $outside 2>/dev/null || true
        no_leftovers; echo clean'
    assert_eq 0 "$STATUS" "$OUT"
    assert_contains "$OUT" "loopback: pong-1"
    assert_contains "$OUT" "gateway: pong-2"
    assert_contains "$OUT" "outside: pong-3"
    assert_contains "$OUT" "hairpin: pong-4"
    assert_contains "$OUT" "udp-echoed"
    assert_contains "$OUT" "ctr=0"
    assert_contains "$OUT" "from-outside"
    assert_contains "$OUT" "clean"
    assert_host_untouched
}

test_port_conflicts_refused() {
    net_setup
    capture netns '
        run -p 8080:80 sleep 3 & c=$!
        for i in $(seq 1 50); do "$O" network inspect | grep -q 8080 && break; sleep 0.1; done
        run -p 8080:81 true; echo dup=$?
        run -p 8080:81/udp true; echo udp-same-port=$?
        busybox nc -l -p 8090 >/dev/null & h=$!
        sleep 0.2
        run -p 8090:80 true; echo host-busy=$?
        kill $h; wait $h 2>/dev/null || true
        wait $c
        run -p 8080:80 true; echo again=$?
        no_leftovers; echo clean' 
    assert_eq 0 "$STATUS" "$OUT"
    assert_contains "$OUT" "dup=125"
    assert_contains "$OUT" "osbox: -p 8080/tcp: the port is already published by container"
    assert_contains "$OUT" "udp-same-port=0"
    assert_contains "$OUT" "host-busy=125"
    assert_contains "$OUT" "the port is already in use on the host"
    assert_contains "$OUT" "again=0"
    assert_contains "$OUT" "clean"
    assert_host_untouched
}

test_twenty_parallel_distinct_addresses() {
    net_setup
    capture netns '
        for i in $(seq 1 20); do
            run sh -c "ip -o -4 addr show eth0 | awk \"{print \\\$4}\"
                ping -c1 -W3 10.88.0.1 >/dev/null && echo gw-ok; sleep 2" > "$T/par.$i" 2>&1 &
        done
        fails=0
        for j in $(jobs -p); do wait $j || fails=$((fails+1)); done
        echo fails=$fails
        echo distinct=$(cat "$T"/par.* | grep /16 | sort -u | wc -l)
        echo gw=$(cat "$T"/par.* | grep -c gw-ok)
        no_leftovers; echo clean'
    assert_eq 0 "$STATUS" "$OUT"
    assert_contains "$OUT" "fails=0"
    assert_contains "$OUT" "distinct=20"
    assert_contains "$OUT" "gw=20"
    assert_contains "$OUT" "clean"
    assert_eq "" "$(grep -e "$OSBOX_ROOT" -e "$OSBOX_RUN" /proc/self/mountinfo || true)" "mounts left"
    assert_host_untouched
}

test_network_none_cannot_reach_others() {
    net_setup
    capture netns '
        run --ip 10.88.0.20 sh -c "nc -l -p 6000 -e echo reached & sleep 4" & a=$!
        sleep 0.5
        run --network none sh -c "ls /sys/class/net | tr \"\n\" \" \"; echo
            ping -c1 -W1 10.88.0.20 >/dev/null 2>&1 && echo PING-REACHED
            echo x | nc -w 1 10.88.0.20 6000 2>/dev/null && echo TCP-REACHED; cat /etc/resolv.conf; true"
        run sh -c "echo x | nc -w 2 10.88.0.20 6000"
        wait $a
        no_leftovers; echo clean'
    assert_eq 0 "$STATUS" "$OUT"
    assert_contains "$OUT" "lo "
    assert_not_contains "$OUT" "eth0"
    assert_not_contains "$OUT" "PING-REACHED"
    assert_not_contains "$OUT" "TCP-REACHED"
    assert_contains "$OUT" "--network none, no name servers"
    assert_contains "$OUT" "reached" "a bridge container reaches it (control)"
    assert_contains "$OUT" "clean"
    assert_host_untouched
}

test_bad_addresses_and_flags_125() {
    net_setup
    capture netns '
        r() { local s=0; run "$@" true 2>&1 || s=$?; echo "status=$s"; }
        ip link add osbox0 type veth peer name notabr0   # a stranger holds the name
        r
        ip link del osbox0
        r --ip 10.99.0.5
        r --ip 10.88.0.1
        r --ip 10.88.255.255
        r --ip not-an-ip
        run --ip 10.88.0.30 sleep 2 & c=$!
        for i in $(seq 1 50); do "$O" network inspect | grep -q 10.88.0.30 && break; sleep 0.1; done
        r --ip 10.88.0.30
        wait $c
        r -p 99999:80
        r -p 8080
        r -p 8080:80/sctp
        r --mac-address zz:zz
        r --mac-address 01:00:5e:00:00:01
        r --network none -p 8080:80
        r --network container:nosuch
        r --network bogus
        r --add-host nocolon
        r --dns 300.1.1.1
        ls "$OSBOX_ROOT/containers" | wc -l | sed "s/^/containers=/"
        no_leftovers; echo clean'
    assert_eq 0 "$STATUS" "$OUT"
    assert_eq 0 "$(printf '%s\n' "$OUT" | grep '^status=' | grep -vc 'status=125')" "all 125: $OUT"
    assert_eq 16 "$(printf '%s\n' "$OUT" | grep -c '^status=125')" "count: $OUT"
    assert_contains "$OUT" "osbox: an interface named osbox0 exists and is not a bridge"
    assert_contains "$OUT" "osbox: --ip 10.99.0.5 is outside the network 10.88.0.0/16"
    assert_contains "$OUT" "osbox: --ip 10.88.0.1 is reserved"
    assert_contains "$OUT" "osbox: --ip 10.88.0.30 is already in use by another container"
    assert_contains "$OUT" "-p needs --network bridge (not none)"
    assert_contains "$OUT" "--network container:nosuch: no such container"
    assert_contains "$OUT" "containers=0"
    assert_contains "$OUT" "clean"
    assert_host_untouched
}

test_join_another_containers_network() {
    net_setup
    # Every hand-over below is a connection, not a sleep, so load cannot reorder it.
    capture netns '
        # Its lease shows before its live state does: wait for "running".
        wait_running() { for i in $(seq 1 200); do
            "$O" inspect "$1" 2>/dev/null | grep -q "\"status\": \"running\"" && return; sleep 0.1; done; }
        run --name web sh -c "nc -l -p 7000 -e echo shared-ns; sleep 0.5" & a=$!
        wait_running web
        run --network container:web sh -c "ip -o -4 addr show eth0 | awk \"{print \\\$4}\"
            i=0; until echo | nc 127.0.0.1 7000 2>/dev/null; do
                i=\$((i+1)); [ \$i -lt 200 ] || exit 1; sleep 0.1; done"
        echo joiner=$?
        wait $a
        run --network container:web true 2>&1 || echo after-exit=$?
        # The first container exits while a joiner still uses its namespace:
        # its address must not be handed to the next container. web2 ends when
        # the joiner has joined (it connects to web2), and the joiner holds the
        # namespace until the next container has its address (it connects back).
        run --name web2 nc -l -p 7001 -e true & a=$!
        wait_running web2
        run --network container:web2 sh -c "i=0; until echo | nc 127.0.0.1 7001 2>/dev/null; do
                i=\$((i+1)); [ \$i -lt 200 ] || exit 1; sleep 0.1; done
            echo joiner2-\$(ip -o -4 addr show eth0 | awk \"{print \\\$4}\")
            timeout 60 nc -l -p 7002 -e true" & b=$!
        wait $a
        run sh -c "echo next-\$(ip -o -4 addr show eth0 | awk \"{print \\\$4}\")
            i=0; until echo | nc 10.88.0.2 7002 2>/dev/null; do
                i=\$((i+1)); [ \$i -lt 200 ] || exit 1; sleep 0.1; done"
        wait $b; echo joiner2-status=$?
        no_leftovers; echo clean'
    assert_eq 0 "$STATUS" "$OUT"
    assert_contains "$OUT" "joiner2-10.88.0.2/16"
    assert_contains "$OUT" "next-10.88.0.3/16"
    assert_contains "$OUT" "joiner2-status=0"
    assert_contains "$OUT" "10.88.0.2/16"
    assert_contains "$OUT" "shared-ns"
    assert_contains "$OUT" "joiner=0"
    assert_contains "$OUT" "after-exit=125"
    assert_contains "$OUT" "clean"
    assert_host_untouched
}

test_mac_dns_add_host_and_resolv_filter() {
    net_setup
    printf 'nameserver 127.0.0.53\nnameserver 10.1.2.3\nsearch example.test\n' > "$T/resolv.conf"
    # A private mount namespace shows osbox a host resolv.conf with a loopback server.
    printf '%s\n%s\n' "$NETNS_LIB" '
        run --name h1 sh -c "cat /etc/resolv.conf"
        # $OSBOX_NETWORK picks the default mode when no --network is given.
        OSBOX_NETWORK=bridge "$O" run --rm --rootfs "$R" sh -c "echo env-ifs: \$(ls /sys/class/net)"
        run --mac-address 02:11:22:33:44:55 --dns 10.9.9.9 --add-host db.local:10.88.7.7 sh -c "
            cat /sys/class/net/eth0/address; cat /etc/resolv.conf; grep db.local /etc/hosts"
        no_leftovers; echo clean' > "$T/ns.sh"
    capture timeout -k 5 60 unshare -m sh -c \
        "mount --bind '$T/resolv.conf' /etc/resolv.conf && unshare -n bash '$T/ns.sh'"
    assert_eq 0 "$STATUS" "$OUT"
    assert_contains "$OUT" "nameserver 10.1.2.3"
    assert_contains "$OUT" "search example.test"
    assert_not_contains "$OUT" "127.0.0.53"
    assert_contains "$OUT" "env-ifs: eth0 lo"
    assert_contains "$OUT" "02:11:22:33:44:55"
    assert_contains "$OUT" "nameserver 10.9.9.9"
    printf '%s\n' "$OUT" | grep -Eq '^10\.88\.7\.7[[:space:]]+db\.local$' || fail "no add-host line: $OUT"
    assert_contains "$OUT" "clean"
    assert_host_untouched
}

test_gc_after_kill9_then_prune() {
    net_setup
    capture netns '
        # A new namespace inherits the host'"'"'s ip_forward (devconf_inherit_init_net=0),
        # so start from "off" here to see osbox turn it on and restore it.
        echo 0 > /proc/sys/net/ipv4/ip_forward
        # SIGTERM to osbox: forwarded, the container exits, osbox cleans up itself.
        "$O" run --rm --rootfs "$R" -p 9090:80 sleep 30 & p=$!
        for i in $(seq 1 50); do "$O" network inspect | grep -q 9090 && break; sleep 0.1; done
        kill -TERM $p; wait $p; echo term=$?
        no_leftovers; echo term-clean
        "$O" run --rm --rootfs "$R" -p 9090:80 sleep 30 & p=$!
        for i in $(seq 1 50); do "$O" network inspect | grep -q 9090 && break; sleep 0.1; done
        echo fwd-while-up=$(cat /proc/sys/net/ipv4/ip_forward)
        kill -9 $p; wait $p 2>/dev/null || true
        sleep 0.3
        "$O" network inspect | grep -c "\"alive\": false" | sed "s/^/dead=/"
        "$O" gc
        no_leftovers; echo gc-clean
        run -p 9090:80 true; echo republish=$?
        "$O" network ls
        "$O" network prune
        ip link show osbox0 2>/dev/null && echo BRIDGE-LEFT
        "$O" network inspect | grep -q "\"table\": false" && echo table-gone
        echo fwd-after=$(cat /proc/sys/net/ipv4/ip_forward)
        "$O" network prune
        # Another subnet once the bridge is gone; a mismatch while it exists is refused.
        OSBOX_SUBNET=10.123.0.0/24 run sh -c "ip -o -4 addr show eth0; ip route | grep default"
        run true; echo mismatch=$?
        OSBOX_SUBNET=10.123.0.0/24 "$O" network prune'
    assert_eq 0 "$STATUS" "$OUT"
    assert_contains "$OUT" "term=143"
    assert_contains "$OUT" "term-clean"
    assert_contains "$OUT" "fwd-while-up=1"
    assert_contains "$OUT" "dead=1"
    assert_contains "$OUT" "gc-clean"
    assert_contains "$OUT" "republish=0"
    printf '%s\n' "$OUT" | grep -Eq '^bridge +bridge +10\.88\.0\.0/16 +osbox0 +yes +0$' || fail "ls: $OUT"
    assert_contains "$OUT" "removed bridge osbox0"
    assert_not_contains "$OUT" "BRIDGE-LEFT"
    assert_contains "$OUT" "table-gone"
    assert_contains "$OUT" "fwd-after=0"
    assert_contains "$OUT" "nothing to remove"
    assert_contains "$OUT" "inet 10.123.0.2/24"
    assert_contains "$OUT" "default via 10.123.0.1"
    assert_contains "$OUT" "mismatch=125"
    assert_contains "$OUT" "network osbox0 uses 10.123.0.0/24, not 10.88.0.0/16"
    assert_host_untouched
}

test_network_usage() {
    capture "$OSBOX" network --help
    assert_eq 0 "$STATUS"
    assert_contains "$OUT" "Usage: osbox network"
    capture "$OSBOX" network frob
    assert_eq 2 "$STATUS"
    capture "$OSBOX" network
    assert_eq 2 "$STATUS"
    capture "$OSBOX" network inspect nosuch
    assert_eq 125 "$STATUS"
}

test_detached_container_lease_follows_its_lifecycle() {
    net_setup
    "$OSBOX" run --help | grep -q -- '-d, --detach' || skip "no osbox run -d"
    capture netns '
        "$O" run -d --name web -p 8080:80 --rootfs "$R" sh -c "while true; do nc -l -p 80 -e echo detached-ok; done" >/dev/null
        get() { for i in $(seq 1 50); do out=$(echo | timeout 2 busybox nc 127.0.0.1 8080 2>/dev/null) && [ -n "$out" ] && { echo "$out"; return; }; sleep 0.1; done; }
        echo "up: $(get)"
        "$O" exec web sh -c "ip -o -4 addr show eth0" | grep -o "inet [0-9./]*"
        "$O" stop web >/dev/null
        no_leftovers; echo stopped-clean
        "$O" start web >/dev/null
        echo "again: $(get)"
        "$O" stop web >/dev/null; "$O" rm web >/dev/null
        no_leftovers; echo clean'
    assert_eq 0 "$STATUS" "$OUT"
    assert_contains "$OUT" "up: detached-ok"
    assert_contains "$OUT" "inet 10.88.0.2/16"
    assert_contains "$OUT" "stopped-clean"
    assert_contains "$OUT" "again: detached-ok"
    assert_contains "$OUT" "clean"
    assert_host_untouched
}

# inspect's NetworkSettings and osbox port tell where to connect.
test_inspect_network_settings_and_port() {
    net_setup
    capture netns '
        "$O" run -d --name web -p 8080:80 -p 127.0.0.1:5353:53/udp --mac-address 02:42:aa:bb:cc:dd --rootfs "$R" sleep 100 >/dev/null
        "$O" inspect web | python3 -c "import json,sys; n=json.load(sys.stdin)[0][\"NetworkSettings\"]
print(\"ip\", n[\"IPAddress\"], n[\"IPPrefixLen\"], \"gw\", n[\"Gateway\"], \"mac\", n[\"MacAddress\"])
print(\"ports\", json.dumps(n[\"Ports\"], sort_keys=True))
print(\"bridge\", n[\"Networks\"][\"bridge\"][\"IPAddress\"])"
        "$O" port web | sort
        echo "one: $("$O" port web 80)"
        "$O" ps | grep " web$"
        "$O" port web 81 || echo "port81=$?"
        "$O" stop web >/dev/null
        "$O" inspect web | python3 -c "import json,sys; n=json.load(sys.stdin)[0][\"NetworkSettings\"]; print(\"stopped\", repr(n[\"IPAddress\"]), n[\"Ports\"])"
        "$O" rm web >/dev/null
        "$O" run -d --name quiet --network none --rootfs "$R" sleep 100 >/dev/null
        echo "none: $("$O" port quiet | wc -l) $("$O" inspect quiet | grep -c "\"IPAddress\": \"\"")"
        "$O" rm -f quiet >/dev/null
        no_leftovers; echo clean'
    assert_eq 0 "$STATUS" "$OUT"
    assert_contains "$OUT" "ip 10.88.0.2 16 gw 10.88.0.1 mac 02:42:aa:bb:cc:dd"
    assert_contains "$OUT" 'ports {"53/udp": [{"HostIp": "127.0.0.1", "HostPort": "5353"}], "80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}]}'
    assert_contains "$OUT" "bridge 10.88.0.2"
    assert_contains "$OUT" "53/udp -> 127.0.0.1:5353
80/tcp -> 0.0.0.0:8080"
    assert_contains "$OUT" "one: 0.0.0.0:8080"
    assert_contains "$OUT" "0.0.0.0:8080->80/tcp" "ps PORTS"
    assert_contains "$OUT" "127.0.0.1:5353->53/udp" "ps PORTS"
    assert_contains "$OUT" "port81=125"
    assert_contains "$OUT" "stopped '' {}"
    assert_contains "$OUT" "none: 0 1"
    assert_contains "$OUT" "clean"
    assert_host_untouched
}
