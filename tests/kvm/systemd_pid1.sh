# osbox under a real systemd as PID 1 on pure cgroup v2: the harness boots the
# shared root's systemd (HARNESS_INIT=systemd, tests/lib.sh
# HARNESS_SYSTEMD_FILES; one boot for this file) and these tests run as its
# harness-command.service. examples/systemd/osbox@.service is installed as
# is, but for osbox's path and a drop-in naming this test's state roots.

SDP_UNIT=osbox@web.service

sdp_setup() { # CMD_SCRIPT [OSBOX_OPTS...]: the unit, /etc/osbox/web.env, a rootfs with /web.sh
    local script=$1
    shift
    [ "$(cat /proc/1/comm)" = systemd ] || fail "PID 1 is $(cat /proc/1/comm), not systemd"
    make_busybox_rootfs "$T/rootfs"
    printf '%s\n' "$script" >"$T/rootfs/web.sh"
    trap sdp_cleanup EXIT
    sed "s|/usr/local/bin/osbox|$OSBOX|g" "$OSBOX_SRC/examples/systemd/osbox@.service" \
        >/etc/systemd/system/osbox@.service
    mkdir -p /etc/systemd/system/osbox@.service.d /etc/osbox
    printf '[Service]\nEnvironment=OSBOX_ROOT=%s OSBOX_RUN=%s OSBOX_NETWORK=%s OSBOX_PULL=never\n' \
        "$OSBOX_ROOT" "$OSBOX_RUN" "${SDP_NETWORK:-none}" >/etc/systemd/system/osbox@.service.d/test.conf
    # systemd splits $OSBOX_OPTS and $CMD at spaces, without quotes: hence the script.
    printf 'IMAGE=\nCMD=/bin/sh /web.sh\nOSBOX_OPTS=--rootfs %s %s\n' "$T/rootfs" "$*" >/etc/osbox/web.env
    systemctl daemon-reload
}
# An EXIT trap runs under the test's set -e: a failing step here (reset-failed
# of a unit that has not failed) would turn a passed test into status 1.
sdp_cleanup() {
    systemctl stop "$SDP_UNIT" 2>/dev/null || true
    systemctl reset-failed "$SDP_UNIT" 2>/dev/null || true
    rm -rf /etc/systemd/system/osbox@.service /etc/systemd/system/osbox@.service.d /etc/osbox || true
    systemctl daemon-reload || true
}
sdp_prop() { systemctl show -P "$1" "$SDP_UNIT"; }
# The container's cgroup: the one osbox-* directory below the unit's.
sdp_container_cgroup() {
    find "/sys/fs/cgroup$(sdp_prop ControlGroup)" -mindepth 1 -maxdepth 3 -type d -name 'osbox-*'
}
sdp_wait_journal() { # TEXT: in the unit's journal within 10 s
    local i
    for i in $(seq 1 100); do
        journalctl -q --no-pager -u "$SDP_UNIT" 2>/dev/null | grep -q -- "$1" && return 0
        sleep 0.1
    done
    fail "no '$1' in journalctl -u $SDP_UNIT: $(journalctl -q --no-pager -u "$SDP_UNIT" 2>&1 | tail -n 20)"
}

SDP_WEB='trap "echo web-stopping; exit 143" TERM
echo hello-from-web
dd if=/dev/zero of=/tmp/fill bs=1M count=48 2>/dev/null && echo filled-48m
sleep 1000 & wait'

# Type=notify: active only once osbox says READY=1; the container's cgroup is
# inside the unit's (osbox moved itself into <unit>/supervisor), with the
# limit, and its memory counts in the unit's; its output is in the journal.
test_start_ready_cgroup_memory_journal() {
    in_harness tests/kvm/systemd_pid1.sh "${FUNCNAME[0]}"
    sdp_setup "$SDP_WEB" --memory 256m
    local cg unit pid cur mem
    timeout 60 systemctl start "$SDP_UNIT" || fail "systemctl start: $(systemctl status "$SDP_UNIT" 2>&1 | tail -n 20)"
    # start returned: the container runs already, no wait needed.
    assert_eq "active running" "$(sdp_prop ActiveState) $(sdp_prop SubState)" "state after start"
    cg=$(sdp_container_cgroup)
    unit=/sys/fs/cgroup$(sdp_prop ControlGroup)
    [ -n "$cg" ] || fail "no container cgroup below $unit: $(find "$unit" -type d)"
    echo "unit cgroup $unit, container cgroup $cg"
    pid=$(sdp_prop MainPID)
    grep -qx "$pid" "$unit/supervisor/cgroup.procs" || fail "osbox ($pid) is not in $unit/supervisor: $(cat /proc/"$pid"/cgroup)"
    assert_eq "" "$(cat "$unit/cgroup.procs")" "processes left in the unit's own cgroup"
    assert_eq 268435456 "$(cat "$cg/memory.max")" "the container's memory.max"
    sdp_wait_journal filled-48m
    cur=$(sdp_prop MemoryCurrent)
    mem=$(cat "$cg/memory.current")
    echo "MemoryCurrent=$cur container memory.current=$mem"
    [ "$mem" -ge $((40 << 20)) ] || fail "container memory.current $mem < 40 MiB after writing 48 MiB"
    [ "$cur" -ge "$mem" ] || fail "MemoryCurrent $cur does not count the container's $mem"
    sdp_wait_journal hello-from-web
    return 0
}

# With --sdnotify=container the container says READY=1 itself, 3 s late:
# until then the unit is "activating", after it "active".
test_active_only_after_ready() {
    in_harness tests/kvm/systemd_pid1.sh "${FUNCNAME[0]}"
    command -v musl-gcc >/dev/null || skip "musl-gcc missing"
    sdp_setup 'echo not-ready-yet; sleep 3; exec /bin/sd-ready /bin/sh -c "echo now-ready; trap \"exit 0\" TERM; sleep 1000 & wait"' \
        --sdnotify=container
    musl-gcc -static -O2 -o "$T/rootfs/bin/sd-ready" "$OSBOX_SRC/examples/systemd/sd-ready.c"
    # READY=1 comes from a container process, not the main one.
    printf '[Service]\nNotifyAccess=all\n' >/etc/systemd/system/osbox@.service.d/notify.conf
    systemctl daemon-reload
    systemctl start --no-block "$SDP_UNIT"
    sdp_wait_journal not-ready-yet
    assert_eq activating "$(sdp_prop ActiveState)" "state while the container has not said READY=1"
    local i
    for i in $(seq 1 100); do [ "$(sdp_prop ActiveState)" = active ] && break; sleep 0.1; done
    assert_eq active "$(sdp_prop ActiveState)" "state after READY=1"
    sdp_wait_journal now-ready
    return 0
}

# systemctl stop: SIGTERM reaches the command (it exits 143: a success for
# the unit), nothing is left: no container cgroup, mount, veth or record.
test_stop_leaves_nothing() {
    in_harness tests/kvm/systemd_pid1.sh "${FUNCNAME[0]}"
    SDP_NETWORK=bridge sdp_setup "$SDP_WEB"
    local cg m
    timeout 60 systemctl start "$SDP_UNIT" || fail "systemctl start: $(systemctl status "$SDP_UNIT" 2>&1 | tail -n 20)"
    cg=$(sdp_container_cgroup)
    [ -n "$cg" ] || fail "no container cgroup"
    [ -n "$(ip -o link show type veth)" ] || fail "no veth while the container runs (--network bridge)"
    timeout 60 systemctl stop "$SDP_UNIT"
    assert_eq inactive "$(sdp_prop ActiveState)" "state after stop (exit 143 is a success)"
    sdp_wait_journal web-stopping
    [ ! -d "$cg" ] || fail "container cgroup $cg left"
    [ ! -d "/sys/fs/cgroup/system.slice/system-osbox.slice/$SDP_UNIT" ] || fail "the unit's cgroup is left"
    m=$(grep -e "$OSBOX_ROOT" -e "$OSBOX_RUN" /proc/self/mountinfo || true)
    assert_eq "" "$m" "mounts left"
    assert_eq "" "$(ip -o link show type veth)" "veths left"
    assert_eq "" "$(OSBOX_ROOT=$OSBOX_ROOT OSBOX_RUN=$OSBOX_RUN "$OSBOX" ps -aq)" "containers left"
    return 0
}

# Restart=on-failure: a command that exits 1 is started again (NRestarts grows).
test_restart_on_failure() {
    in_harness tests/kvm/systemd_pid1.sh "${FUNCNAME[0]}"
    sdp_setup 'echo crashing; exit 1'
    local i n=0
    systemctl start "$SDP_UNIT" || true # it may have failed already when start returns
    for i in $(seq 1 200); do
        n=$(sdp_prop NRestarts)
        [ "$n" -ge 2 ] && break
        sleep 0.1
    done
    [ "$n" -ge 2 ] || fail "NRestarts $n after 20 s (RestartSec=2): $(systemctl status "$SDP_UNIT" 2>&1 | tail -n 20)"
    sdp_wait_journal crashing
    systemctl stop "$SDP_UNIT"
    assert_eq "" "$(OSBOX_ROOT=$OSBOX_ROOT OSBOX_RUN=$OSBOX_RUN "$OSBOX" ps -aq)" "containers left"
    return 0
}

# run -d in a Delegate=yes unit: the monitor stays behind in the unit, which
# the supervisor leaf takes with the CLI, and the container nests inside.
test_detached_run_nests_in_a_delegated_unit() {
    in_harness tests/kvm/systemd_pid1.sh "${FUNCNAME[0]}"
    make_busybox_rootfs "$T/rootfs"
    local unit=sdp-detach.service dir cg mon
    trap 'systemctl stop '$unit' 2>/dev/null || true; systemctl reset-failed '$unit' 2>/dev/null || true' EXIT
    timeout 60 systemd-run -q --unit=$unit -p Delegate=yes -p Type=oneshot -p RemainAfterExit=yes \
        -E OSBOX_ROOT="$OSBOX_ROOT" -E OSBOX_RUN="$OSBOX_RUN" -E OSBOX_NETWORK=none \
        "$OSBOX" run -d --name det -m 64m --rootfs "$T/rootfs" sleep 1000 >/dev/null
    dir=/sys/fs/cgroup$(systemctl show -P ControlGroup $unit)
    cg=$(find "$dir" -mindepth 1 -maxdepth 2 -type d -name 'osbox-*')
    [ -n "$cg" ] || fail "no container cgroup inside $dir: $(find "$dir" -type d)"
    assert_eq 67108864 "$(cat "$cg/memory.max")" "memory.max of the detached container"
    mon=$("$OSBOX" inspect det | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["state"]["monitor_pid"])')
    grep -qx "$mon" "$dir/supervisor/cgroup.procs" || fail "the monitor $mon is not in $dir/supervisor: $(cat /proc/"$mon"/cgroup)"
    "$OSBOX" rm -f det >/dev/null
    [ ! -d "$cg" ] || fail "container cgroup $cg left after rm -f"
    return 0
}
