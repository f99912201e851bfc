# systemd integration without systemd: a python3 unix datagram listener
# stands in for the manager's notify socket (it records each message and the
# sender's pid from SCM_CREDENTIALS). Also: SIGTERM (systemctl stop) reaches
# the command, and the container's cgroup nests inside the caller's
# (Delegate=yes).

sd_setup() {
    make_busybox_rootfs "$T/rootfs"
    trap sd_cleanup EXIT
    trap 'exit 143' TERM INT # a killed test cleans up too (bash runs EXIT traps on exit)
}
sd_cleanup() {
    local id
    [ -n "${LISTENER:-}" ] && kill "$LISTENER" 2>/dev/null
    for id in $(timeout 10 "$OSBOX" ps -aq 2>/dev/null); do
        timeout 20 "$OSBOX" rm -f "$id" >/dev/null 2>&1 || true
    done
    [ -n "${DELEG:-}" ] && [ -d "$DELEG" ] && { rmdir "$DELEG" 2>/dev/null || sleep 1; rmdir "$DELEG" 2>/dev/null; }
    true
}
# A notify socket at $T/notify.sock; messages go to $T/notify.log as
# "pid=<sender> <message with newlines as |>". Ends by itself after 30 s.
start_listener() {
    python3 - "$T/notify.sock" "$T/notify.log" <<'PY' &
import socket, struct, sys, time
path, log = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
open(log, "w").close()
end = time.time() + 30
while time.time() < end:
    s.settimeout(max(0.1, end - time.time()))
    try:
        msg, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(12))
    except socket.timeout:
        break
    pid = 0
    for level, typ, data in anc:
        if level == socket.SOL_SOCKET and typ == socket.SCM_CREDENTIALS:
            pid = struct.unpack("iII", data[:12])[0]
    with open(log, "a") as f:
        f.write("pid=%d %s\n" % (pid, msg.decode().replace("\n", "|")))
PY
    LISTENER=$!
    local i
    for i in $(seq 1 50); do [ -S "$T/notify.sock" ] && return 0; sleep 0.1; done
    fail "listener did not start"
}
wait_log() { # pattern
    local i
    for i in $(seq 1 100); do grep -q -- "$1" "$T/notify.log" 2>/dev/null && return 0; sleep 0.1; done
    fail "no '$1' from osbox; got: $(cat "$T/notify.log" 2>/dev/null)"
}

test_notify_ready_and_mainpid_foreground() {
    sd_setup
    start_listener
    local st=0 p
    NOTIFY_SOCKET=$T/notify.sock timeout 20 "$OSBOX" run --rm --rootfs "$T/rootfs" \
        sh -c 'echo started > /dev/null; sleep 0.5; exit 4' &
    p=$!
    wait_log "READY=1"
    wait "$p" || st=$?
    assert_eq 4 "$st" "osbox's exit code under a notify unit"
    # osbox itself (timeout's child) is the main pid it reports, and it sent the message.
    local line mp sender
    line=$(grep READY=1 "$T/notify.log")
    mp=$(echo "$line" | sed -n 's/.*MAINPID=\([0-9]*\).*/\1/p')
    sender=$(echo "$line" | sed -n 's/^pid=\([0-9]*\) .*/\1/p')
    [ -n "$mp" ] || fail "no MAINPID: $line"
    assert_eq "$mp" "$sender" "MAINPID is the sender (osbox)"
    assert_eq 1 "$(grep -c READY=1 "$T/notify.log")" "READY messages"
    # Without NOTIFY_SOCKET nothing is sent and nothing fails.
    assert_status 0 "$OSBOX" run --rm --rootfs "$T/rootfs" true
}

test_notify_detached_reports_the_monitor() {
    sd_setup
    start_listener
    local id mp mon
    id=$(NOTIFY_SOCKET=$T/notify.sock timeout 20 "$OSBOX" run -d --rootfs "$T/rootfs" sh -c 'while :; do sleep 0.1; done')
    wait_log "READY=1"
    mp=$(sed -n 's/.*MAINPID=\([0-9]*\).*/\1/p' "$T/notify.log")
    mon=$("$OSBOX" inspect "$id" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["state"]["monitor_pid"])')
    assert_eq "$mon" "$mp" "MAINPID of a detached container is its monitor"
    kill -0 "$mp" || fail "MAINPID $mp does not run"
}

test_sdnotify_container_passes_the_socket() {
    sd_setup
    command -v musl-gcc >/dev/null || skip "musl-gcc missing"
    musl-gcc -static -O2 -o "$T/rootfs/bin/sd-ready" "$OSBOX_SRC/examples/systemd/sd-ready.c"
    start_listener
    local out st=0 ready sender
    out=$(NOTIFY_SOCKET=$T/notify.sock timeout 20 "$OSBOX" run --rm --sdnotify=container \
        --rootfs "$T/rootfs" /bin/sd-ready sh -c '[ -S /run/notify/notify.sock ] && echo "sock=$NOTIFY_SOCKET"; sleep 0.3') || st=$?
    assert_eq 0 "$st" "run --sdnotify=container"
    assert_eq "sock=/run/notify/notify.sock" "$out" "socket and NOTIFY_SOCKET inside"
    wait_log "STATUS=ready"
    # READY came from the container's process, once; osbox sent only MAINPID.
    assert_eq 1 "$(grep -c READY=1 "$T/notify.log")" "READY messages"
    ready=$(grep READY=1 "$T/notify.log")
    assert_contains "$ready" "STATUS=ready (pid 2 in the container)" "READY from the container"
    grep -q "MAINPID=" "$T/notify.log" || fail "osbox did not report MAINPID: $(cat "$T/notify.log")"
    sender=$(echo "$ready" | sed -n 's/^pid=\([0-9]*\) .*/\1/p')
    [ "$sender" != 0 ] || fail "no sender pid"
    # Bad input: an abstract socket cannot be bound in; an unknown mode.
    capture env NOTIFY_SOCKET=@osbox-test-$$ "$OSBOX" run --rm --sdnotify=container --rootfs "$T/rootfs" true
    assert_eq 125 "$STATUS" "abstract socket"
    assert_contains "$OUT" "abstract"
    capture "$OSBOX" run --rm --sdnotify=sometimes --rootfs "$T/rootfs" true
    assert_eq 125 "$STATUS" "bad --sdnotify"
    assert_eq "" "$(ls -A "$OSBOX_ROOT/containers" 2>/dev/null)" "containers left by the failures"
}

test_sigterm_from_the_manager_reaches_the_command() {
    sd_setup
    local p st=0 i
    timeout 20 "$OSBOX" run --rm --rootfs "$T/rootfs" sh -c 'trap "exit 42" TERM; while :; do sleep 0.1; done' &
    p=$!
    for i in $(seq 1 50); do
        [ "$(timeout 5 "$OSBOX" ps -q | wc -l)" = 1 ] && break
        sleep 0.1
    done
    sleep 0.3 # the trap is set
    kill -TERM "$(pgrep -P "$p" -x osbox)"
    wait "$p" || st=$?
    assert_eq 42 "$st" "exit code after systemd's SIGTERM"
}

test_container_cgroup_inside_the_units_cgroup() {
    sd_setup
    local base id pid line
    [ -d /sys/fs/cgroup/pids ] || skip "no v1 pids hierarchy (pure v2: see README)"
    base=$(sed -n 's/^[0-9]*:pids:\(.*\)$/\1/p' /proc/self/cgroup)
    DELEG=/sys/fs/cgroup/pids${base%/}/sdunit-$$
    mkdir "$DELEG"
    # The "unit": a shell in its own cgroup starting osbox (Delegate=yes hands it the subtree).
    id=$(sh -c 'echo $$ > "$1/cgroup.procs"; exec timeout 20 "$2" run -d --rootfs "$3" sh -c "while :; do sleep 0.1; done"' \
        _ "$DELEG" "$OSBOX" "$T/rootfs")
    pid=$("$OSBOX" inspect "$id" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["pid"])')
    line=$(grep ':pids:' /proc/"$pid"/cgroup)
    assert_eq "${base%/}/sdunit-$$/osbox-$id" "${line#*:pids:}" "container cgroup"
    timeout 20 "$OSBOX" rm -f "$id" >/dev/null
    for i in $(seq 1 50); do rmdir "$DELEG" 2>/dev/null && break; sleep 0.1; done
    [ ! -d "$DELEG" ] || fail "the unit's cgroup still holds something: $(cat "$DELEG"/cgroup.procs)"
}
