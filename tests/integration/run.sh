# osbox run: exit codes, init, isolation, rootfs, user/env/workdir, tty.
# Uses a plain busybox rootfs (--rootfs) so it needs no image store.

# Cgroups other tests on this machine own are not ours: remember what existed.
# (Under the runner, only this test's own cgroups count: new_osbox_cgroups.)
new_cgroups() {
    if [ -n "${OSBOX_TEST_CGROUPS:-}" ]; then new_osbox_cgroups; return; fi
    osbox_cgroups | comm -13 "$T/cgroups.before" - | grep -v -e 'osbox-cgt' || true
}
setup_rootfs() {
    make_busybox_rootfs "$T/rootfs"
    osbox_cgroups > "$T/cgroups.before"
}
run_rootfs() { "$OSBOX" run --rm --rootfs "$T/rootfs" "$@"; }
# No container dir, live state, name, mount or cgroup stayed behind.
assert_clean_state() {
    local left
    left=$(ls -A "$OSBOX_ROOT/containers" "$OSBOX_RUN/containers" 2>/dev/null | grep -v ':$' | grep . || true)
    [ -z "$left" ] || fail "state left behind: $left"
    left=$(ls -A "$OSBOX_ROOT/names" 2>/dev/null || true)
    [ -z "$left" ] || fail "names left behind: $left"
    left=$(grep -e "$OSBOX_ROOT" -e "$OSBOX_RUN" /proc/self/mountinfo || true)
    [ -z "$left" ] || fail "mounts left behind: $left"
    # Other suites on this machine may have containers running right now:
    # only a cgroup that appeared during this test and stays is a leftover.
    local i
    for i in $(seq 1 20); do
        left=$(new_cgroups)
        [ -z "$left" ] && break
        sleep 0.5
    done
    [ -z "$left" ] || fail "cgroups left behind: $left"
}
# Start osbox run in the background (pid in $BG) with a watchdog that kills it
# after 20 s, so a broken signal path fails the test instead of hanging it.
bg_run() {
    "$OSBOX" run --rm --rootfs "$T/rootfs" "$@" &
    BG=$!
    ( trap 'kill $s 2>/dev/null; exit 0' TERM; sleep 20 & s=$!; wait $s; kill -9 "$BG" 2>/dev/null ) &
    WATCHDOG=$!
}
stop_watchdog() { kill "$WATCHDOG" 2>/dev/null || true; }
# Host pid of the container's init, from the live state of the only container.
wait_live_pid() {
    local i f pid
    for i in $(seq 1 100); do
        for f in "$OSBOX_RUN"/containers/*/state.json; do
            [ -f "$f" ] || continue
            pid=$(sed -n 's/.*"pid": \([0-9]*\).*/\1/p' "$f")
            [ -n "$pid" ] && [ "$pid" != 0 ] && { echo "$pid"; return 0; }
        done
        sleep 0.05
    done
    return 1
}
# pid of the init's child (the command), once it runs.
wait_child_of() {
    local i c
    for i in $(seq 1 100); do
        c=$(pgrep -P "$1" | head -n1 || true)
        [ -n "$c" ] && { echo "$c"; return 0; }
        sleep 0.05
    done
    return 1
}

test_exit_status_passed_through() {
    setup_rootfs
    assert_status 0 run_rootfs true
    assert_status 3 run_rootfs sh -c 'exit 3'
    assert_status 1 run_rootfs false
    assert_clean_state
}

test_command_not_found_127() {
    setup_rootfs
    capture run_rootfs no-such-command
    assert_eq 127 "$STATUS" "status"
    assert_eq 'osbox: exec: "no-such-command": executable file not found in $PATH' "$OUT"
    capture run_rootfs /no/such/file
    assert_eq 127 "$STATUS" "status"
    assert_eq 1 "$(printf '%s\n' "$OUT" | wc -l)" "one error line"
    assert_clean_state
}

test_command_not_executable_126() {
    setup_rootfs
    capture run_rootfs /etc/passwd
    assert_eq 126 "$STATUS" "status"
    assert_eq "osbox: exec /etc/passwd: Permission denied" "$OUT"
    capture run_rootfs /bin
    assert_eq 126 "$STATUS" "status for a directory"
    assert_clean_state
}

test_kill9_of_command_is_137() {
    setup_rootfs
    bg_run sleep 30
    local osbox=$BG init cmd st=0
    init=$(wait_live_pid) || fail "no live state"
    cmd=$(wait_child_of "$init") || fail "command not started"
    kill -9 "$cmd"
    wait "$osbox" || st=$?
    stop_watchdog
    assert_eq 137 "$st" "status after kill -9 of the command"
    assert_clean_state
}

test_sigterm_to_osbox_is_forwarded_143() {
    setup_rootfs
    bg_run sleep 30
    local osbox=$BG init st=0
    init=$(wait_live_pid) || fail "no live state"
    wait_child_of "$init" >/dev/null || fail "command not started"
    kill -TERM "$osbox"
    wait "$osbox" || st=$?
    stop_watchdog
    assert_eq 143 "$st" "status after SIGTERM to osbox"
    assert_clean_state
}

test_sigint_forwarded_to_a_handler() {
    setup_rootfs
    # The command traps INT and exits 42: osbox must pass SIGINT on, not die of it.
    bg_run sh -c 'trap "exit 42" INT; touch /tmp/ready; while :; do sleep 0.05; done'
    local osbox=$BG init st=0
    init=$(wait_live_pid) || fail "no live state"
    for _ in $(seq 1 100); do [ -e "/proc/$init/root/tmp/ready" ] && break; sleep 0.05; done
    kill -INT "$osbox"
    wait "$osbox" || st=$?
    stop_watchdog
    assert_eq 42 "$st" "status after SIGINT"
    assert_clean_state
}

test_pid1_is_our_init_and_reaps_orphans() {
    setup_rootfs
    capture run_rootfs -e SECRET=hunter2 sh -c '
        cat /proc/1/comm; echo "self=$$"; echo "cmdline=$(tr "\0" " " < /proc/1/cmdline)"
        sh -c "sleep 0.2 & exit 0"      # the sleep is orphaned to pid 1
        sleep 1
        z=0; for s in /proc/[0-9]*/stat; do read -r l < $s 2>/dev/null || continue
            case $l in *") Z "*) z=$((z+1));; esac; done; echo "zombies=$z"'
    assert_eq 0 "$STATUS"
    assert_contains "$OUT" "osbox-init"
    assert_contains "$OUT" "self=2" "the command is pid 2"
    assert_contains "$OUT" "zombies=0" "orphan reaped"
    # osbox's own command line (host paths, -e values) is not shown to the container.
    assert_contains "$OUT" "cmdline=osbox-init"
    assert_not_contains "$OUT" "hunter2"
    assert_not_contains "$OUT" "$OSBOX"
}

test_hostname_and_mounts_isolated() {
    setup_rootfs
    local host admin=()
    host=$(hostname)
    # Changing the hostname or mounting needs CAP_SYS_ADMIN, which containers
    # do not get by default once capabilities are dropped.
    "$OSBOX" run --help | grep -q -- --cap-add && admin=(--cap-add SYS_ADMIN)
    capture run_rootfs "${admin[@]}" -h boxname sh -c 'hostname; cat /etc/hostname; hostname other; mkdir -p /mnt; mount -t tmpfs none /mnt && echo mounted; hostname; cat /proc/self/mountinfo'
    assert_eq 0 "$STATUS" "$OUT"
    assert_eq boxname "$(printf '%s\n' "$OUT" | sed -n 1p)"
    assert_eq boxname "$(printf '%s\n' "$OUT" | sed -n 2p)"
    assert_eq mounted "$(printf '%s\n' "$OUT" | sed -n 3p)"
    assert_eq other "$(printf '%s\n' "$OUT" | sed -n 4p)" "hostname changed inside"
    assert_not_contains "$OUT" "$OSBOX_SRC " "host mounts visible inside"
    assert_eq "$host" "$(hostname)" "host hostname"
    grep -q " /mnt " /proc/self/mountinfo && fail "container mount leaked to the host"
    assert_clean_state
}

test_dev_proc_sys() {
    setup_rootfs
    capture run_rootfs sh -c '
        for n in null zero full random urandom tty; do [ -c /dev/$n ] || echo "missing $n"; done
        for l in fd stdin stdout stderr ptmx; do [ -L /dev/$l ] || echo "missing link $l"; done
        [ -d /dev/pts ] && [ -d /dev/shm ] && [ -d /dev/mqueue ] || echo "missing dirs"
        echo x > /dev/null && head -c 4 /dev/zero | wc -c
        touch /sys/x 2>/dev/null && echo "sys writable"
        grep -q " /sys sysfs ro" /proc/self/mounts || grep " /sys " /proc/self/mounts
        set -- /proc/[0-9]*; echo $#'
    assert_eq 0 "$STATUS" "$OUT"
    # A fresh /proc of our own pid namespace: only our init and sh.
    assert_eq "4
2" "$OUT"
}

test_rm_removes_the_written_file() {
    setup_rootfs
    assert_status 0 run_rootfs sh -c 'echo data > /written; cat /written >/dev/null'
    [ -e "$T/rootfs/written" ] && fail "write reached the image layer"
    capture run_rootfs sh -c 'test -e /written && echo present || echo absent'
    assert_eq absent "$OUT"
    assert_clean_state
}

test_without_rm_the_record_stays() {
    setup_rootfs
    assert_status 3 "$OSBOX" run --name kept --rootfs "$T/rootfs" sh -c 'echo d > /f; exit 3'
    local dir
    dir=$(ls -d "$OSBOX_ROOT"/containers/*/)
    grep -q '"status": "exited"' "$dir/container.json" || fail "status: $(cat "$dir/container.json")"
    grep -q '"exit_code": 3' "$dir/container.json" || fail "exit code not recorded"
    grep -q '"name": "kept"' "$dir/container.json" || fail "name not recorded"
    grep -q '"image_digest"' "$dir/container.json" || fail "no image_digest field"
    [ -f "$dir/upper/f" ] || fail "writable layer not kept"
    [ -e "$T/rootfs/f" ] && fail "write reached the image layer"
    capture "$OSBOX" run --name kept --rootfs "$T/rootfs" true
    assert_eq 125 "$STATUS"
    assert_contains "$OUT" 'name "kept" is already in use'
    assert_eq 1 "$(ls "$OSBOX_ROOT/containers" | wc -l)" "containers"
}

test_read_only_rootfs() {
    setup_rootfs
    capture run_rootfs --read-only sh -c 'echo x > /f'
    assert_ne 0 "$STATUS"
    assert_contains "$OUT" "Read-only file system"
    assert_status 0 run_rootfs --read-only sh -c 'echo x > /dev/shm/f && echo x > /dev/null'
    assert_status 0 run_rootfs sh -c 'echo x > /f'
    assert_clean_state
}

test_env_workdir_user() {
    setup_rootfs
    printf 'FROMFILE=yes\n# comment\n\nOVER=file\n' > "$T/envfile"
    capture env HOSTVAR=hostval "$OSBOX" run --rm --rootfs "$T/rootfs" -e A=1 -e HOSTVAR \
        --env-file "$T/envfile" -e OVER=flag -w /work/dir -u nobody \
        sh -c 'echo "$A $HOSTVAR $FROMFILE $OVER"; pwd; id -u; id -g; echo $HOME; echo $PATH'
    assert_eq 0 "$STATUS" "$OUT"
    assert_eq "1 hostval yes flag
/work/dir
65534
65534
/nonexistent
/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" "$OUT"
    capture run_rootfs -u 1234:55 sh -c 'id -u; id -g'
    assert_eq "1234
55" "$OUT"
    capture run_rootfs -u nobody:root id -g
    assert_eq 0 "$OUT"
}

test_stdin_only_with_i() {
    setup_rootfs
    capture sh -c "echo hello | '$OSBOX' run --rm -i --rootfs '$T/rootfs' cat"
    assert_eq hello "$OUT"
    capture sh -c "echo hello | '$OSBOX' run --rm --rootfs '$T/rootfs' cat"
    assert_eq "" "$OUT" "stdin without -i"
}

test_tty_with_t() {
    setup_rootfs
    command -v script >/dev/null || skip "no script(1)"
    capture script -qec "'$OSBOX' run --rm -t --rootfs '$T/rootfs' sh -c '[ -t 0 ] && [ -t 1 ] && echo is-a-tty; tty; exit 4'" /dev/null
    assert_eq 4 "$STATUS" "status through the pty ($OUT)"
    assert_contains "$OUT" "is-a-tty"
    assert_contains "$OUT" "/dev/pts/0"
    capture run_rootfs sh -c '[ -t 0 ] && echo is-a-tty || echo no-tty'
    assert_eq no-tty "$OUT"
    # Typed input reaches the command through the pty with -it.
    capture sh -c "echo 'echo typed-\$((40+2)); exit 7' | script -qec \"'$OSBOX' run --rm -it --rootfs '$T/rootfs' sh\" /dev/null"
    assert_eq 7 "$STATUS"
    assert_contains "$OUT" "typed-42"
    assert_clean_state
}

test_tty_window_size_forwarded() {
    setup_rootfs
    command -v script >/dev/null || skip "no script(1)"
    # The size is there from the first instruction; a resize (SIGWINCH to osbox)
    # reaches the command as its own SIGWINCH with the new size.
    capture script -qec "stty rows 20 cols 50; '$OSBOX' run --rm -t --rootfs '$T/rootfs' sh -c '
            trap \"stty size; exit 9\" WINCH; stty size; i=0
            while [ \$i -lt 200 ]; do sleep 0.05; i=\$((i+1)); done' & p=\$!
        sleep 1; stty rows 40 cols 100; kill -WINCH \$p; wait \$p; echo rc=\$?" /dev/null
    assert_contains "$OUT" "20 50"
    assert_contains "$OUT" "40 100"
    assert_contains "$OUT" "rc=9"
}

test_network_none_and_host() {
    setup_rootfs
    capture run_rootfs sh -c 'ls /sys/class/net'
    assert_eq lo "$OUT" "--network none interfaces"
    capture run_rootfs sh -c 'ip link show lo | grep -c UP'
    assert_eq 1 "$OUT" "lo up"
    local host_ifs
    host_ifs=$(ls /sys/class/net | wc -l)
    capture run_rootfs --network host sh -c 'ls /sys/class/net | wc -l; hostname'
    assert_eq "$host_ifs
$(hostname)" "$OUT" "--network host interfaces and hostname"
    # (bridge networking has its own suite, network.sh, inside a throwaway netns)
    capture run_rootfs --network nosuchmode true
    assert_eq 125 "$STATUS"
}

test_unknown_user_125() {
    setup_rootfs
    sed -i '/^nobody:/d' "$T/rootfs/etc/passwd"
    capture run_rootfs -u nobody true
    assert_eq 125 "$STATUS"
    assert_eq "osbox: unable to find user nobody: no matching entries in passwd file" "$OUT"
    capture run_rootfs -u root:nosuchgroup true
    assert_eq 125 "$STATUS"
    assert_contains "$OUT" "unable to find group nosuchgroup"
    assert_clean_state
}

test_it_stdin_eof_reaches_the_command() {
    setup_rootfs
    # Input ending without a newline: the EOF must still reach cat through the pty.
    capture sh -c "printf 'one\ntwo' | timeout 20 '$OSBOX' run --rm -it --rootfs '$T/rootfs' sh -c 'cat >/dev/null; echo got-eof'"
    assert_eq 0 "$STATUS" "$OUT"
    assert_contains "$OUT" "got-eof"
    assert_clean_state
}

test_hostname_env_and_etc_files() {
    setup_rootfs
    capture run_rootfs -h web1 sh -c 'echo $HOSTNAME; grep -c web1 /etc/hosts; cat /etc/resolv.conf | wc -l'
    assert_eq "web1
1
1" "$OUT"
    # The image's own /etc files are never edited.
    [ ! -e "$T/rootfs/etc/hostname" ] || fail "/etc/hostname written into the rootfs"
}

test_tty_restored_on_every_exit() {
    setup_rootfs
    command -v script >/dev/null || skip "no script(1)"
    local r="--rm -t --rootfs '$T/rootfs'"
    # Normal exit, exec failure, and SIGTERM to osbox: the caller's terminal
    # settings are the same afterwards.
    capture script -qec "s=\$(stty -g)
        '$OSBOX' run $r sh -c 'exit 3'; echo st=\$?; [ \"\$(stty -g)\" = \"\$s\" ] && echo same1
        '$OSBOX' run $r no-such-cmd; echo st=\$?; [ \"\$(stty -g)\" = \"\$s\" ] && echo same2
        '$OSBOX' run $r sleep 20 & p=\$!; sleep 1; kill -TERM \$p; wait \$p; echo st=\$?
        [ \"\$(stty -g)\" = \"\$s\" ] && echo same3" /dev/null
    assert_contains "$OUT" "st=3"
    assert_contains "$OUT" "st=127"
    assert_contains "$OUT" "st=143"
    assert_contains "$OUT" "same1"
    assert_contains "$OUT" "same2"
    assert_contains "$OUT" "same3"
    assert_clean_state
}

test_closed_stdio_is_not_reused() {
    setup_rootfs
    # osbox started with stdin/stdout closed: the command must not inherit
    # one of osbox's own sockets as its stdio (it gets /dev/null).
    capture sh -c "'$OSBOX' run --rm --rootfs '$T/rootfs' sh -c 'ls -l /proc/self/fd/0 /proc/self/fd/1 >&2; exit 5' <&- >&-"
    assert_eq 5 "$STATUS" "$OUT"
    assert_not_contains "$OUT" "socket:"
    assert_contains "$OUT" "/dev/null"
}

test_options_after_the_command_belong_to_it() {
    setup_rootfs
    capture run_rootfs echo -h -e x --rm
    assert_eq 0 "$STATUS" "$OUT"
    assert_eq "-h -e x --rm" "$OUT"
}
