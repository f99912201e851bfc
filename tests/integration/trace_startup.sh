# osbox run --trace-startup: one line per step of the start on stderr, printed
# once the command runs (not at its exit), stdout left to the command.

PHASE_LINE='^ *[0-9]+\.[0-9]{3} +[0-9]+\.[0-9]{3}  [a-z].*$'

# check_trace FILE: every line after the header is a phase with its numbers;
# the last one, "command running", comes after every phase's end.
check_trace() {
    local f=$1 last
    assert_eq "startup trace" "$(head -1 "$f" | cut -c1-13)" "header"
    sed -n '3,$p' "$f" | sed '$d' | grep -Evq "$PHASE_LINE" &&
        fail "a line is not 'at took phase': $(cat "$f")"
    last=$(tail -1 "$f")
    [[ $last =~ ^\ *[0-9]+\.[0-9]{3}\ +command\ running$ ]] || fail "last line: $last"
    awk -v end="$(awk '{print $1}' <<<"$last")" 'NR > 2 && $3 != "running" && $1 + $2 > end + 0.002 {
            print "ends after the command runs: " $0; bad = 1 } END { exit bad }' "$f" ||
        fail "$(cat "$f")"
}

test_trace_startup_phases_on_stderr() {
    load_busybox
    "$OSBOX" run --rm --network none --trace-startup busybox echo hi >"$T/out" 2>"$T/err"
    assert_eq 0 "$?" "run ($(cat "$T/err"))"
    assert_eq "hi" "$(cat "$T/out")" "stdout is the command's alone"
    check_trace "$T/err"
    for phase in "resolve image" "build spec" "state, saved spec" "cgroup" "clone3" \
                 "overlay mount" "rootfs mounts" "pivot_root" "init setup" \
                 "init waits for osbox" "fork the command" "credentials, caps" "seccomp" "exec"; do
        grep -Eq "  $phase\$" "$T/err" || fail "no '$phase' line: $(cat "$T/err")"
    done
    # v1/hybrid: the init moves itself into its cgroup (no cgroup.procs migration).
    if grep -q ' cgroup ' /proc/self/mounts; then
        [ "$(grep -c '  init joins its cgroup$' "$T/err")" = 1 ] || fail "no 'init joins its cgroup' line: $(cat "$T/err")"
    fi
    # No filter, no seccomp step; no flag, no trace.
    "$OSBOX" run --rm --network none --trace-startup --security-opt seccomp=unconfined busybox true \
        2>"$T/err2"
    check_trace "$T/err2"
    assert_not_contains "$(cat "$T/err2")" "seccomp"
    capture "$OSBOX" run --rm --network none busybox true
    assert_eq "" "$OUT" "output without --trace-startup"
    assert_no_leftovers
}

# Printed while the command runs: the command waits for a file the test
# makes only after it has read the whole trace.
test_trace_startup_printed_while_the_command_runs() {
    load_busybox
    mkdir "$T/share"
    "$OSBOX" run --rm --network none --trace-startup -v "$T/share:/s" busybox sh -c \
        'i=0; while [ ! -e /s/go ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done
         [ -e /s/go ] && echo saw-go' >"$T/out" 2>"$T/err" &
    local pid=$!
    wait_for 100 grep -q 'command running' "$T/err" || { kill $pid; fail "no trace while running"; }
    touch "$T/share/go"
    wait $pid
    assert_eq 0 "$?" "run ($(cat "$T/err"))"
    assert_eq "saw-go" "$(cat "$T/out")"
    assert_no_leftovers
}

test_trace_startup_detached_and_failed_start() {
    load_busybox
    "$OSBOX" run -d --name traced --network none --trace-startup busybox sleep 30 >"$T/out" 2>"$T/err"
    assert_eq 0 "$?" "run -d ($(cat "$T/err"))"
    [[ $(cat "$T/out") =~ ^[0-9a-f]{64}$ ]] || fail "stdout of -d is not the id alone: $(cat "$T/out")"
    check_trace "$T/err"
    "$OSBOX" rm -f traced >/dev/null
    # The command cannot start: its error, no trace.
    capture "$OSBOX" run --rm --network none --trace-startup busybox /nonexistent
    assert_eq 127 "$STATUS" "$OUT"
    assert_contains "$OUT" "osbox: exec /nonexistent: No such file or directory"
    assert_not_contains "$OUT" "startup trace"
    assert_no_leftovers
}
