# Detached containers: run -d and its monitor, logs, stop/kill/start/restart,
# rm, exec, ps/inspect, restart policies, concurrency, gc after a killed
# monitor. Every wait is bounded; every test removes its containers on exit.

lc_setup() {
    make_busybox_rootfs "$T/rootfs"
    trap lc_cleanup EXIT
    trap 'exit 143' TERM INT # a killed test cleans up too (bash runs EXIT traps on exit)
}
# Kill and remove whatever this test's store still holds (also on failure).
lc_cleanup() {
    local id p
    for id in $(cat "$T/ids" 2>/dev/null) $(timeout 10 "$OSBOX" ps -aq 2>/dev/null); do
        timeout 20 "$OSBOX" rm -f "$id" >/dev/null 2>&1 || true
    done
    # If osbox itself could not run: kill this test's monitors and inits from their files.
    for id in $(cat "$T/ids" 2>/dev/null); do
        # Only a pid whose start time still matches the record (no reused pid).
        for p in $(python3 -c 'import json,sys
def start(pid):
    try: return int(open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()[19])
    except Exception: return -1
for f, k, ks in ((sys.argv[1], "monitor_pid", "monitor_start"), (sys.argv[2], "pid", "pid_start")):
    try: o = json.load(open(f))
    except Exception: continue
    if o.get(k, 0) > 1 and start(o[k]) == o.get(ks): print(o[k])' \
                "$OSBOX_ROOT/containers/$id/lifecycle.json" "$OSBOX_RUN/containers/$id/state.json"); do
            [ "$p" -gt 1 ] 2>/dev/null && kill -9 "$p" 2>/dev/null
        done
    done
    timeout 20 "$OSBOX" gc >/dev/null 2>&1 || true
}
# run -d with a bounded wait; prints the id.
rund() {
    local id
    id=$(timeout 20 "$OSBOX" run -d --rootfs "$T/rootfs" "$@") || return $?
    echo "$id" >> "$T/ids"
    echo "$id"
}
oc() { timeout 30 "$OSBOX" "$@"; }
jget() { # JSON-FILE-or-STDIN key.path
    python3 -c 'import json,sys
v=json.load(sys.stdin)
if isinstance(v,list): v=v[0]
for k in sys.argv[1].split("."): v=v[k]
print(v)' "$1"
}
inspect_get() { oc inspect --type container "$1" | jget "$2"; }
logs_have() { oc logs "$1" 2>&1 | grep -q -- "$2"; } # either stream
now_ms() { date +%s%3N; }
# Nothing of this test's containers stays: mounts, cgroups, processes, state.
# Other suites on this machine run containers too: judge only this test's
# (ids from run -d and whatever ps still lists).
assert_no_cgroups_of_ours() {
    local id left=""
    for id in $(cat "$T/ids" 2>/dev/null) $(timeout 10 "$OSBOX" ps -aq); do
        left="$left$(find /sys/fs/cgroup -mindepth 1 -maxdepth 6 -type d -name "osbox-$id" 2>/dev/null)"
    done
    [ -z "$left" ] || fail "cgroups left behind: $left"
}
assert_no_mounts_of_ours() {
    local m
    m=$(grep -e "$OSBOX_ROOT" -e "$OSBOX_RUN" /proc/self/mountinfo || true)
    [ -z "$m" ] || fail "mounts left behind: $m"
}
assert_all_gone() { # pids...
    local p left
    assert_no_mounts_of_ours
    wait_for 50 eval 'assert_no_cgroups_of_ours 2>/dev/null' || assert_no_cgroups_of_ours
    for p in "$@"; do
        wait_for 50 eval "! kill -0 $p 2>/dev/null" || fail "process $p still runs"
    done
    left=$(ls -A "$OSBOX_ROOT/containers" "$OSBOX_RUN/containers" 2>/dev/null | grep -v ':$' | grep . || true)
    [ -z "$left" ] || fail "state left behind: $left"
}

test_detached_run_survives_and_logs() {
    lc_setup
    local id
    # The command never ends: rund's 20 s limit fails a run -d that waits for it.
    id=$(rund --name web sh -c 'echo hello-out; echo hello-err >&2; while :; do sleep 0.2; done') ||
        fail "run -d did not return: status $?"
    [[ $id =~ ^[0-9a-f]{64}$ ]] || fail "run -d printed '$id', not a 64-hex id"
    # The osbox that started it is gone; the container runs on under its monitor.
    assert_eq running "$(inspect_get web status)" "status"
    local mon
    mon=$(inspect_get web state.monitor_pid)
    [ "$mon" -gt 0 ] && kill -0 "$mon" || fail "no monitor process"
    assert_eq osbox-monitor "$(cat /proc/"$mon"/comm)" "monitor name"
    wait_for 50 logs_have web hello-out || fail "stdout not in the log: $(oc logs web)"
    logs_have web hello-err || fail "stderr not in the log"
    assert_eq hello-out "$(oc logs web 2>/dev/null)" "stdout of logs"
    assert_eq hello-err "$(oc logs web 2>&1 >/dev/null)" "stderr of logs"
    oc ps | grep -q ' web$' || fail "ps does not list web: $(oc ps)"
    sleep 1
    assert_eq running "$(inspect_get "${id:0:12}" status)" "still running after 1 s"
}

test_logs_capped_and_tail() {
    lc_setup
    local id dir size
    id=$(rund --log-opt max-size=16k sh -c 'i=0; while [ $i -lt 3000 ]; do echo "line-$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"; i=$((i+1)); done')
    assert_eq 0 "$(oc wait "$id")" "exit code"
    dir=$OSBOX_ROOT/containers/$id
    size=$(cat "$dir"/ctr.log* | wc -c)
    [ "$size" -le 32768 ] || fail "log holds $size bytes, cap is 2 x 16k"
    [ "$size" -ge 16384 ] || fail "log holds only $size bytes"
    assert_eq "line-2999-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" "$(oc logs --tail 1 "$id")" "last line"
    assert_eq 5 "$(oc logs --tail 5 "$id" | wc -l)" "--tail 5"
    assert_eq "" "$(oc logs --tail 0 "$id")" "--tail 0"
    capture "$OSBOX" logs --tail x "$id"
    assert_eq 2 "$STATUS" "--tail x"
    capture "$OSBOX" run -d --log-opt max-size=1 --rootfs "$T/rootfs" true
    assert_eq 125 "$STATUS" "tiny max-size"
    capture "$OSBOX" run -d --log-opt color=red --rootfs "$T/rootfs" true
    assert_contains "$OUT" "max-size"
}

test_logs_follow() {
    lc_setup
    local id out st=0
    id=$(rund sh -c 'echo first; sleep 1; echo err-a >&2; echo second; sleep 0.3; echo err-b >&2; sleep 0.3')
    out=$(timeout 15 "$OSBOX" logs -f "$id" 2>"$T/err") || st=$?
    assert_eq 0 "$st" "logs -f ends when the container does"
    assert_eq "first
second" "$out" "followed stdout"
    assert_eq "err-a
err-b" "$(cat "$T/err")" "followed stderr"
}

# -f follows both streams across rotations of a small log: nothing lost.
test_logs_follow_across_rotation() {
    lc_setup
    local id st=0
    id=$(rund --log-opt max-size=16k sh -c 'i=0; while [ $i -lt 1000 ]; do
        if [ $((i % 2)) = 0 ]; then echo "line-$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"; else echo "line-$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" >&2; fi
        [ $((i % 50)) = 0 ] && sleep 0.1; i=$((i+1)); done')
    timeout 30 "$OSBOX" logs -f "$id" >"$T/out" 2>"$T/err" || st=$?
    assert_eq 0 "$st" "logs -f status"
    seq 0 2 999 | sed 's/.*/line-&-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx/' >"$T/w1"
    seq 1 2 999 | sed 's/.*/line-&-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx/' >"$T/w2"
    cmp "$T/out" "$T/w1" || fail "followed stdout: $(diff "$T/out" "$T/w1" | head -5)"
    cmp "$T/err" "$T/w2" || fail "followed stderr: $(diff "$T/err" "$T/w2" | head -5)"
    [ -f "$OSBOX_ROOT/containers/$id/ctr.log.1" ] || fail "the log was never rotated"
}

# stdout records to stdout, stderr records to stderr, in the written order.
test_logs_streams_separated_in_order() {
    lc_setup
    local id
    # Two pipes tell only the order of reads: the pauses let the logger read each write alone.
    id=$(rund sh -c 'echo o1; sleep 0.3; echo e1 >&2; sleep 0.3; echo o2; sleep 0.3; echo e2 >&2; sleep 0.3; printf o-last')
    assert_eq 0 "$(oc wait "$id")" "exit code"
    oc logs "$id" >"$T/out" 2>"$T/err"
    printf 'o1\no2\no-last' >"$T/want-out"
    printf 'e1\ne2\n' >"$T/want-err"
    cmp "$T/out" "$T/want-out" || fail "stdout: $(od -c "$T/out")"
    cmp "$T/err" "$T/want-err" || fail "stderr: $(od -c "$T/err")"
    assert_eq "o1
o2
o-last" "$(oc logs "$id" 2>/dev/null)" "2>/dev/null keeps stdout only"
    # Both streams into one pipe: the order they were written in.
    assert_eq "o1 e1 o2 e2 o-last" "$(oc logs "$id" 2>&1 | tr '\n' ' ')" "merged order"
    # -t: one RFC 3339 UTC timestamp per line, never going back across streams.
    oc logs -t "$id" >"$T/ts" 2>&1
    assert_eq 5 "$(grep -cE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{9}Z (o1|e1|o2|e2|o-last)$' "$T/ts")" "-t lines: $(cat "$T/ts")"
    assert_eq "$(cut -d' ' -f1 "$T/ts")" "$(cut -d' ' -f1 "$T/ts" | sort)" "timestamps in order"
    assert_eq "o1 e1 o2 e2 o-last" "$(cut -d' ' -f2 "$T/ts" | paste -sd' ')" "-t content order"
    # --tail counts lines of both streams; each still goes to its own fd.
    oc logs --tail 2 "$id" >"$T/out" 2>"$T/err"
    assert_eq "o-last" "$(cat "$T/out")" "--tail 2 stdout"
    assert_eq "e2" "$(cat "$T/err")" "--tail 2 stderr"
    assert_eq "o2 e2 o-last" "$(oc logs --tail 3 "$id" 2>&1 | tr '\n' ' ')" "--tail 3"
    oc rm "$id" >/dev/null
    assert_all_gone
    assert_no_leftovers
}

# A partial line (no newline) stays exact, also when a line spans several
# writes on both streams; a fast writer on both streams loses nothing.
test_logs_partial_lines_and_fast_writers() {
    lc_setup
    local id
    id=$(rund sh -c 'printf "ab"; printf "X" >&2; sleep 0.1; printf "cd\n"; printf "Y\nZ" >&2; sleep 0.3; printf "tail-no-nl"')
    assert_eq 0 "$(oc wait "$id")" "exit code"
    oc logs "$id" >"$T/out" 2>"$T/err"
    printf 'abcd\ntail-no-nl' >"$T/w1"
    printf 'XY\nZ' >"$T/w2"
    cmp "$T/out" "$T/w1" || fail "stdout: $(od -c "$T/out")"
    cmp "$T/err" "$T/w2" || fail "stderr: $(od -c "$T/err")"
    # --tail 1: the last line is the unfinished one (stdout's), nothing else.
    assert_eq "tail-no-nl" "$(oc logs --tail 1 "$id" 2>/dev/null)" "--tail 1 partial"
    id=$(rund sh -c 'for s in o e; do (i=0; while [ $i -lt 3000 ]; do if [ $s = o ]; then echo "o$i"; else echo "e$i" >&2; fi; i=$((i+1)); done) & done; wait')
    assert_eq 0 "$(oc wait "$id")" "exit code"
    oc logs "$id" >"$T/out" 2>"$T/err"
    seq 0 2999 | sed 's/^/o/' >"$T/w1"
    seq 0 2999 | sed 's/^/e/' >"$T/w2"
    cmp "$T/out" "$T/w1" || fail "stdout lost or reordered lines: $(diff "$T/out" "$T/w1" | head -5)"
    cmp "$T/err" "$T/w2" || fail "stderr lost or reordered lines: $(diff "$T/err" "$T/w2" | head -5)"
}

# Logs written before the record format (raw container.log[.1]) still show,
# before the records, as stdout; a container with only them too.
test_logs_old_format_still_read() {
    lc_setup
    local id dir
    id=$(rund sh -c 'echo new-out; echo new-err >&2')
    assert_eq 0 "$(oc wait "$id")" "exit code"
    dir=$OSBOX_ROOT/containers/$id
    [ -s "$dir/ctr.log" ] || fail "no ctr.log"
    printf 'old-1\n' >"$dir/container.log.1"
    printf 'old-2\nold-3\n' >"$dir/container.log"
    oc logs "$id" >"$T/out" 2>"$T/err"
    assert_eq "old-1 old-2 old-3 new-out " "$(tr '\n' ' ' <"$T/out")" "old then new stdout"
    assert_eq "new-err" "$(cat "$T/err")" "new stderr"
    assert_eq "old-3 new-out new-err " "$(oc logs --tail 3 "$id" 2>&1 | tr '\n' ' ')" "--tail over old and new"
    rm "$dir/ctr.log"
    printf 'old-2\nno-newline' >"$dir/container.log"
    oc logs "$id" >"$T/out"
    printf 'old-1\nold-2\nno-newline' >"$T/want"
    cmp "$T/out" "$T/want" || fail "old-only log: $(od -c "$T/out")"
    assert_eq "no-newline" "$(timeout 10 "$OSBOX" logs -f --tail 1 "$id")" "-f on an old log of a stopped container"
}

# A -t container has one stream, its terminal: all of it is stdout.
test_logs_tty_one_stream() {
    lc_setup
    local id
    id=$(rund -t sh -c 'echo to-out; echo to-err >&2')
    assert_eq 0 "$(oc wait "$id")" "exit code"
    oc logs "$id" >"$T/out" 2>"$T/err"
    assert_contains "$(cat "$T/out")" "to-out"
    assert_contains "$(cat "$T/out")" "to-err"
    assert_eq "" "$(cat "$T/err")" "no stderr for a tty container"
}

test_stop_grace_then_kill() {
    lc_setup
    local t0 el
    rund --name stubborn sh -c 'trap "echo ignoring-term" TERM; while :; do sleep 0.1; done' >/dev/null
    rund --name polite sh -c 'while :; do sleep 0.1; done' >/dev/null
    t0=$(now_ms)
    oc stop -t 2 stubborn >/dev/null
    el=$(($(now_ms) - t0))
    [ "$el" -ge 1900 ] || fail "stop -t 2 returned after $el ms, before the grace period"
    # Well under the default 10 s grace: -t 2 was honoured.
    [ "$el" -lt 9500 ] || fail "stop -t 2 took $el ms"
    assert_eq 137 "$(inspect_get stubborn exit_code)" "SIGKILL after grace"
    logs_have stubborn ignoring-term || fail "SIGTERM did not reach the command"
    assert_eq exited "$(inspect_get stubborn status)"
    t0=$(now_ms)
    oc stop -t 20 polite >/dev/null
    el=$(($(now_ms) - t0))
    [ "$el" -lt 15000 ] || fail "stop of a TERM-abiding command took $el ms (its grace is 20 s)"
    assert_eq 143 "$(inspect_get polite exit_code)" "SIGTERM"
    # Stopping a stopped container is fine; a bad -t is a usage error.
    assert_status 0 oc stop polite
    assert_status 2 "$OSBOX" stop -t -1 polite
    assert_status 125 "$OSBOX" stop nosuch
}

test_kill_signal() {
    lc_setup
    rund --name k sh -c 'trap "echo got-usr1" USR1; trap "echo got-alrm" ALRM; while :; do sleep 0.1; done' >/dev/null
    oc kill -s USR1 k >/dev/null
    wait_for 50 logs_have k got-usr1 || fail "USR1 not delivered: $(oc logs k)"
    # A signal our init does not forward goes to its child, the command.
    oc kill -s SIGALRM k >/dev/null
    wait_for 50 logs_have k got-alrm || fail "ALRM not delivered: $(oc logs k)"
    assert_eq running "$(inspect_get k status)" "after USR1"
    assert_status 2 "$OSBOX" kill -s NOSUCHSIG k
    oc kill k >/dev/null
    assert_eq 137 "$(oc wait k)" "kill (default KILL)"
    capture "$OSBOX" kill k
    assert_eq 125 "$STATUS" "kill of a stopped container"
    assert_contains "$OUT" "not running"
}

test_start_keeps_writable_layer() {
    lc_setup
    rund --name s sh -c 'echo run >> /counter; echo "count=$(wc -l < /counter)"; while :; do sleep 0.1; done' >/dev/null
    wait_for 50 logs_have s count=1 || fail "first run: $(oc logs s)"
    oc stop -t 0 s >/dev/null
    assert_eq exited "$(inspect_get s status)"
    oc start s >/dev/null
    assert_eq running "$(inspect_get s status)" "after start"
    wait_for 50 logs_have s count=2 || fail "the writable layer was not kept: $(oc logs s)"
    assert_eq 2 "$(oc exec s sh -c 'wc -l < /counter')" "exec sees the same layer"
    oc restart -t 0 s >/dev/null
    wait_for 50 logs_have s count=3 || fail "restart: $(oc logs s)"
    assert_status 0 oc start s # already running: nothing to do
    # Relative paths in the run arguments resolve where run was called.
    (cd "$T" && timeout 20 "$OSBOX" run -d --name rel --rootfs rootfs sh -c 'while :; do sleep 0.1; done' >/dev/null)
    oc stop -t 0 rel >/dev/null
    (cd / && timeout 30 "$OSBOX" start rel >/dev/null)
    assert_eq ok "$(cd / && timeout 30 "$OSBOX" exec rel echo ok)" "exec after start from elsewhere"
    assert_status 125 "$OSBOX" start nosuch
}

# An OCI layout at DIR of the busybox rootfs with /which=WHICH and an image
# config of ENV, USER and WORKDIR.
mk_which_image() { # DIR WHICH ENV USER WORKDIR
    local dir=$1 r=$1.rootfs l c m
    cp -a "$T/rootfs" "$r"
    echo "$2" > "$r/which"
    mkdir -p "$r$5" "$dir/blobs/sha256"
    tar -C "$r" -cf "$dir/layer.tar" .
    l=$(sha256sum "$dir/layer.tar" | cut -d' ' -f1)
    mv "$dir/layer.tar" "$dir/blobs/sha256/$l"
    printf '{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/bin","%s"],"Cmd":["sh","-c","while :; do sleep 0.1; done"],"User":"%s","WorkingDir":"%s"},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
        "$3" "$4" "$5" "$l" > "$dir/config"
    c=$(sha256sum "$dir/config" | cut -d' ' -f1)
    printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' \
        "$c" "$(stat -c %s "$dir/config")" "$l" "$(stat -c %s "$dir/blobs/sha256/$l")" > "$dir/manifest"
    m=$(sha256sum "$dir/manifest" | cut -d' ' -f1)
    printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s}]}' \
        "$m" "$(stat -c %s "$dir/manifest")" > "$dir/index.json"
    mv "$dir/config" "$dir/blobs/sha256/$c"
    mv "$dir/manifest" "$dir/blobs/sha256/$m"
    printf '{"imageLayoutVersion":"1.0.0"}' > "$dir/oci-layout"
}

# start and exec use the spec run saved (config.json), not the image the
# name points to now, nor an --env-file as it is now (issue 23).
test_start_and_exec_keep_the_spec_run_built() {
    lc_setup
    local id
    mk_which_image "$T/img-a" image-a WHO=a nobody /wa
    mk_which_image "$T/img-b" image-b WHO=b root /wb
    oc load -q --oci-dir "$T/img-a" --name tagtest:x || fail "load image-a"
    echo FILE=first > "$T/env"
    id=$(timeout 20 "$OSBOX" run -d --name c --env-file "$T/env" tagtest:x) || fail "run -d"
    echo "$id" >> "$T/ids"
    assert_eq image-a "$(oc exec c cat /which)" "before"
    assert_eq "65534 /wa a first" "$(oc exec c sh -c 'echo $(id -u) $(pwd) $WHO $FILE')" "exec defaults"
    oc stop -t 0 c >/dev/null
    oc load -q --oci-dir "$T/img-b" --name tagtest:x || fail "load image-b"
    echo FILE=second > "$T/env"
    oc start c >/dev/null || fail "start"
    assert_eq running "$(inspect_get c status)" "after start"
    assert_eq image-a "$(oc exec c cat /which)" "start took the image the tag points to now"
    assert_eq "65534 /wa a first" "$(oc exec c sh -c 'echo $(id -u) $(pwd) $WHO $FILE')" \
        "exec's env/user/workdir after start"
    oc restart -t 0 c >/dev/null || fail "restart"
    assert_eq image-a "$(oc exec c cat /which)" "after restart"
    # The saved spec is an OCI config the runtime's parser reads.
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["ociVersion"].startswith("1.") and d["process"]["cwd"]=="/wa" and d["osbox"]["user"]=="nobody", d' \
        "$OSBOX_ROOT/containers/$id/config.json" || fail "config.json"
}

# A container saved by an osbox from before config.json (its run arguments in
# lifecycle.json) is refused by name, with the way out; nothing is started.
test_old_format_container_refused() {
    lc_setup
    local id
    id=$(rund --name old sh -c 'while :; do sleep 0.1; done')
    oc stop -t 0 old >/dev/null
    rm "$OSBOX_ROOT/containers/$id/config.json"
    python3 -c 'import json,sys; f=sys.argv[1]; d=json.load(open(f)); d["run_args"]=["run","-d","--name","old"]; json.dump(d,open(f,"w"))' \
        "$OSBOX_ROOT/containers/$id/lifecycle.json"
    capture "$OSBOX" start old
    assert_eq 125 "$STATUS" "start of an old-format container"
    assert_contains "$OUT" "container old (${id:0:12}) was saved by an older osbox" "message"
    assert_contains "$OUT" "osbox rm old" "the way out"
    assert_eq exited "$(inspect_get old status)" "not started"
    rm "$OSBOX_ROOT/containers/$id/lifecycle.json"
    capture "$OSBOX" start old
    assert_eq 125 "$STATUS" "start without any saved spec"
    assert_contains "$OUT" "has no saved spec" "message"
    oc rm old >/dev/null || fail "rm of an old-format container"
}

test_restart_on_failure_counts() {
    lc_setup
    local t0
    t0=$(now_ms)
    rund --name f --restart on-failure:2 sh -c 'echo attempt; exit 3' >/dev/null
    assert_eq 3 "$(timeout 20 "$OSBOX" wait f)" "exit code after the retries"
    assert_eq 3 "$(oc logs f | grep -c attempt)" "1 run + 2 retries"
    assert_eq 2 "$(inspect_get f restart_count)" "restart_count"
    assert_eq on-failure "$(inspect_get f restart_policy.name)"
    # Success is not retried.
    rund --name ok --restart on-failure:5 sh -c 'echo attempt; exit 0' >/dev/null
    assert_eq 0 "$(timeout 20 "$OSBOX" wait ok)"
    assert_eq 1 "$(oc logs ok | grep -c attempt)" "no retry after exit 0"
    [ $(($(now_ms) - t0)) -lt 20000 ] || fail "restarts took too long"
    assert_status 125 "$OSBOX" run -d --restart sometimes --rootfs "$T/rootfs" true
    assert_status 125 "$OSBOX" run --restart always --rootfs "$T/rootfs" true
}

test_restart_always_bounded() {
    lc_setup
    local n1 n2
    rund --name a --restart always sh -c 'echo up; exit 0' >/dev/null
    wait_for 100 eval '[ "$(oc logs a | grep -c up)" -ge 3 ]' || fail "not restarted 3 times: $(oc logs a)"
    oc stop -t 1 a >/dev/null
    n1=$(oc logs a | grep -c up)
    sleep 1
    n2=$(oc logs a | grep -c up)
    assert_eq "$n1" "$n2" "runs after stop"
    assert_eq exited "$(inspect_get a status)"
    [ "$(inspect_get a restart_count)" -ge 2 ] || fail "restart_count $(inspect_get a restart_count)"
    # SIGTERM to the monitor (systemd stopping its unit) reaches the command; no restart.
    rund --name b --restart always sh -c 'while :; do sleep 0.1; done' >/dev/null
    kill -TERM "$(inspect_get b state.monitor_pid)"
    assert_eq 143 "$(timeout 10 "$OSBOX" wait b)" "exit code after SIGTERM to the monitor"
    assert_eq 0 "$(inspect_get b restart_count)" "restarts after SIGTERM to the monitor"
}

test_rm_running_needs_force() {
    lc_setup
    local id pid mon
    id=$(rund --name r sh -c 'while :; do sleep 0.1; done')
    pid=$(inspect_get r pid)
    mon=$(inspect_get r state.monitor_pid)
    capture "$OSBOX" rm r
    assert_eq 125 "$STATUS" "rm of a running container"
    assert_contains "$OUT" "is running"
    assert_eq running "$(inspect_get r status)" "still running after a refused rm"
    oc rm -f r >/dev/null
    capture "$OSBOX" inspect --type container r
    assert_ne 0 "$STATUS" "inspect after rm"
    [ ! -e "$OSBOX_ROOT/names/r" ] || fail "name kept"
    assert_all_gone "$pid" "$mon"
    # A stopped container goes without -f.
    rund --name r2 true >/dev/null
    oc wait r2 >/dev/null
    oc rm r2 >/dev/null
    [ ! -d "$OSBOX_ROOT/containers/$id" ] || fail "container dir kept"
    assert_status 125 "$OSBOX" rm r2
}

test_exec_joins_namespaces_cgroup_and_security() {
    lc_setup
    local pid ns a b
    rund --name e sh -c 'grep -E "^(CapEff|CapBnd|NoNewPrivs|Seccomp):" /proc/self/status; while :; do sleep 0.1; done' >/dev/null
    pid=$(inspect_get e pid)
    for ns in cgroup ipc mnt net pid uts; do
        a=$(readlink /proc/"$pid"/ns/$ns)
        b=$(oc exec e readlink /proc/self/ns/$ns)
        assert_eq "$a" "$b" "$ns namespace"
    done
    # Same cgroup in every hierarchy (read inside the container's cgroup ns).
    assert_eq "$(oc exec e cat /proc/1/cgroup)" "$(oc exec e cat /proc/self/cgroup)" "cgroups"
    # Host view: the exec'd process sits in the container's cgroup too.
    a=$(grep -E ':pids:|^0::' /proc/"$pid"/cgroup | head -1)
    oc exec e sleep 7.31 & local bg=$! sp=""
    find_exec_sleep() {
        local p
        for p in $(pgrep -f '^sleep 7.31$'); do
            [ "$(readlink /proc/"$p"/ns/pid)" = "$(readlink /proc/"$pid"/ns/pid)" ] && { sp=$p; return 0; }
        done
        return 1
    }
    wait_for 50 find_exec_sleep || fail "exec'd sleep not found in the container's pid namespace"
    b=$(grep -E ':pids:|^0::' /proc/"$sp"/cgroup | head -1)
    kill "$sp"
    wait "$bg" || true
    assert_eq "$a" "$b" "host-side cgroup"
    wait_for 50 logs_have e CapEff || fail "no caps in the log"
    assert_eq "$(oc logs e | grep -E '^(CapEff|CapBnd|NoNewPrivs|Seccomp):')" \
        "$(oc exec e grep -E '^(CapEff|CapBnd|NoNewPrivs|Seccomp):' /proc/self/status)" "caps/seccomp/no_new_privs"
    assert_contains "$(oc exec e grep Seccomp: /proc/self/status)" "2" "seccomp filter mode"
    # Options: user, workdir, env; stdin with -i.
    assert_eq "65534 /tmp bar" "$(oc exec -u nobody -w /tmp -e FOO=bar e sh -c 'echo $(id -u) $(pwd) $FOO')"
    assert_eq "piped" "$(echo piped | oc exec -i e cat)"
    assert_eq "" "$(echo piped | oc exec e cat)" "stdin without -i"
}

test_exec_exit_codes_and_bad_input() {
    lc_setup
    rund --name x sh -c 'while :; do sleep 0.1; done' >/dev/null
    assert_status 7 oc exec x sh -c 'exit 7'
    assert_status 127 oc exec x nosuchcommand
    assert_status 126 oc exec x /etc
    assert_status 2 "$OSBOX" exec x
    # -t: a pty from the container's devpts is the command's terminal.
    if command -v script >/dev/null; then
        capture timeout 20 script -qec "$OSBOX exec -t x sh -c '[ -t 0 ] && [ -t 1 ] && echo is-a-tty; exit 3'" /dev/null
        assert_eq 3 "$STATUS" "exec -t exit code"
        assert_contains "$OUT" "is-a-tty"
    fi
    capture "$OSBOX" exec nosuch true
    assert_eq 125 "$STATUS" "exec into an unknown container"
    assert_contains "$OUT" "no such container"
    oc stop -t 0 x >/dev/null
    capture "$OSBOX" exec x true
    assert_eq 125 "$STATUS" "exec into a stopped container"
    assert_contains "$OUT" "not running"
    # Exec'd processes do not outlive the container, nor keep its cgroup.
    assert_no_mounts_of_ours
    wait_for 50 eval 'assert_no_cgroups_of_ours 2>/dev/null' || assert_no_cgroups_of_ours
}

# exec -d: returns at once with nothing printed; the command runs on as a
# child of the container's init (reaped by it), with -e/-w/-u applied and
# its output discarded, and dies with the container.
test_exec_detach() {
    lc_setup
    local sp
    rund --name d sh -c 'while :; do sleep 0.1; done' >/dev/null
    # The command sleeps 41.3 s: an exec -d that waited for it would be cut at 30 s (124).
    capture timeout 30 "$OSBOX" exec -d d sh -c 'echo should-be-discarded; echo discarded-err >&2; exec sleep 41.3'
    assert_eq 0 "$STATUS" "exec -d status"
    assert_eq "" "$OUT" "exec -d prints nothing"
    # osbox has returned; the command runs on, adopted by the container's init.
    wait_for 100 eval 'oc exec d ps -o ppid,args | grep -q "^ *1 sleep 41.3$"' ||
        fail "not a running child of init: $(oc exec d ps -o pid,ppid,stat,args)"
    sp=$(pgrep -f '^sleep 41.3$' | head -1)
    [ -n "$sp" ] || fail "no detached sleep on the host"
    assert_eq "$(readlink /proc/"$(inspect_get d pid)"/ns/pid)" "$(readlink /proc/"$sp"/ns/pid)" "pid namespace"
    ! oc logs d 2>&1 | grep -q discarded || fail "exec -d output reached the log"
    # -e -w -u apply; a command that exits is reaped (no zombie stays).
    oc exec -d -u nobody -w /tmp -e FOO=bar d sh -c 'echo "$FOO $(pwd) $(id -u)" > /tmp/res'
    wait_for 50 eval '[ "$(oc exec d cat /tmp/res 2>/dev/null)" = "bar /tmp 65534" ]' ||
        fail "-e/-w/-u: $(oc exec d cat /tmp/res)"
    oc exec -d d sh -c 'exit 3'
    wait_for 100 eval '[ -z "$(oc exec d ps -o stat,args | awk '"'"'$1 ~ /^Z/'"'"')" ]' ||
        fail "zombies: $(oc exec d ps -o pid,stat,args)"
    # Errors of the command itself still come back; bad combinations are usage errors.
    assert_status 127 oc exec -d d nosuchcommand
    assert_status 126 oc exec -d d /etc
    for bad in -dt -di "-d -t" "--detach --interactive"; do
        # shellcheck disable=SC2086
        capture "$OSBOX" exec $bad d true
        assert_eq 2 "$STATUS" "exec $bad"
        assert_eq 1 "$(printf '%s\n' "$OUT" | wc -l)" "one-line error for $bad"
        assert_contains "$OUT" "-d excludes -t and -i"
    done
    assert_contains "$("$OSBOX" exec --help)" "--detach"
    # It dies with the container, and nothing of it stays.
    oc stop -t 1 d >/dev/null
    wait_for 50 eval '! kill -0 '"$sp"' 2>/dev/null' || fail "detached process outlived the container"
    capture "$OSBOX" exec -d d true
    assert_eq 125 "$STATUS" "exec -d into a stopped container"
    oc rm d >/dev/null
    assert_all_gone "$sp"
    assert_no_leftovers
}

test_ps_inspect_json_and_prefix_lookup() {
    lc_setup
    local id ids i c prefix=""
    id=$(rund --name p1 sh -c 'while :; do sleep 0.1; done')
    oc run --rootfs "$T/rootfs" --name p2 true
    oc ps --format json | python3 -c 'import json,sys; a=json.load(sys.stdin); assert [c["name"] for c in a]==["p1"], a'
    oc ps -a --format json | python3 -c 'import json,sys; a=json.load(sys.stdin); assert sorted(c["name"] for c in a)==["p1","p2"], a; assert all(len(c["id"])==64 for c in a)'
    oc inspect p1 | python3 -c 'import json,sys; a=json.load(sys.stdin); assert a[0]["state"]["running"] is True and a[0]["type"]=="container"'
    assert_eq p1 "$(inspect_get "${id:0:5}" name)" "unique prefix"
    assert_eq p1 "$(inspect_get "$id" name)" "full id"
    # An ambiguous prefix: make containers until two ids share a first digit (at most 17).
    for i in $(seq 1 17); do
        ids=$(oc ps -aq | cut -c1 | sort | uniq -d | head -1)
        [ -n "$ids" ] && { prefix=$ids; break; }
        oc run --rootfs "$T/rootfs" true
    done
    [ -n "$prefix" ] || fail "no shared prefix"
    capture "$OSBOX" stop "$prefix"
    assert_eq 125 "$STATUS" "ambiguous prefix"
    assert_contains "$OUT" "ambiguous"
    capture "$OSBOX" logs zzzz
    assert_contains "$OUT" "no such container"
    assert_status 2 "$OSBOX" ps --format yaml
}

test_duplicate_name_refused() {
    lc_setup
    rund --name dup sh -c 'while :; do sleep 0.1; done' >/dev/null
    capture timeout 20 "$OSBOX" run -d --name dup --rootfs "$T/rootfs" true
    assert_eq 125 "$STATUS" "second container with the same name"
    assert_contains "$OUT" "already in use"
    assert_eq 1 "$(oc ps -aq | wc -l)" "containers"
    assert_eq running "$(inspect_get dup status)"
    # A command that cannot start: its code, and no container or monitor stays.
    capture timeout 20 "$OSBOX" run -d --name bad --rootfs "$T/rootfs" nosuchcommand
    assert_eq 127 "$STATUS" "run -d of a missing command"
    assert_contains "$OUT" "not found"
    capture timeout 20 "$OSBOX" run -d --rootfs "$T/rootfs" /etc
    assert_eq 126 "$STATUS" "run -d of a directory"
    assert_eq 1 "$(oc ps -aq | wc -l)" "containers after failed starts"
    [ ! -e "$OSBOX_ROOT/names/bad" ] || fail "the failed container's name stayed reserved"
}

test_concurrent_stop_and_rm() {
    lc_setup
    local round pids="" p a b
    for round in 1 2 3; do
        rund --name c$round sh -c 'trap "" TERM; while :; do sleep 0.1; done' >/dev/null
        pids="$pids $(inspect_get c$round pid) $(inspect_get c$round state.monitor_pid)"
        timeout 30 "$OSBOX" stop -t 1 c$round >/dev/null 2>&1 & a=$!
        timeout 30 "$OSBOX" rm -f c$round >/dev/null 2>&1 & b=$!
        wait "$a" || true
        wait "$b" || fail "rm -f failed in round $round"
        capture "$OSBOX" inspect --type container c$round
        assert_ne 0 "$STATUS" "c$round still there"
    done
    # A plain rm racing a stop: either refused (still running) or done; never half.
    rund --name c4 sh -c 'while :; do sleep 0.1; done' >/dev/null
    pids="$pids $(inspect_get c4 pid)"
    timeout 30 "$OSBOX" stop -t 5 c4 >/dev/null 2>&1 & a=$!
    timeout 30 "$OSBOX" rm c4 >/dev/null 2>&1 || true
    wait "$a" || true
    if oc inspect --type container c4 >/dev/null 2>&1; then
        assert_eq exited "$(inspect_get c4 status)" "c4 after stop"
        oc rm c4 >/dev/null
    fi
    oc ps -a --format json | python3 -c 'import json,sys; assert json.load(sys.stdin)==[]'
    # shellcheck disable=SC2086
    assert_all_gone $pids
}

test_gc_after_monitor_killed() {
    lc_setup
    local pid mon
    rund --name g sh -c 'while :; do sleep 0.1; done' >/dev/null
    pid=$(inspect_get g pid)
    mon=$(inspect_get g state.monitor_pid)
    kill -9 "$mon"
    wait_for 50 eval "! kill -0 $mon 2>/dev/null" || fail "monitor survived kill -9"
    kill -0 "$pid" || fail "the container died with its monitor"
    oc gc | grep -q 'cleaned up 1 container' || fail "gc did not clean the orphan"
    assert_eq exited "$(inspect_get g status)" "after gc"
    oc rm g >/dev/null
    assert_all_gone "$pid"
}

test_wait_prints_exit_code() {
    lc_setup
    rund --name w sh -c 'sleep 0.5; exit 5' >/dev/null
    assert_eq 5 "$(timeout 10 "$OSBOX" wait w)"
    # -d --rm: the monitor removes the container when it ends.
    rund --rm --name gone sh -c 'exit 0' >/dev/null
    wait_for 50 eval '! "$OSBOX" inspect --type container gone >/dev/null 2>&1' || fail "-d --rm container kept"
    assert_status 125 "$OSBOX" wait nosuch
    # A container in a foreground osbox: wait, stop and exec work on it too.
    timeout 20 "$OSBOX" run --name fg --rootfs "$T/rootfs" sh -c 'trap "exit 9" TERM; while :; do sleep 0.1; done' &
    local bg=$!
    wait_for 50 eval '[ "$(inspect_get fg status 2>/dev/null)" = running ]' || fail "fg not running"
    assert_eq hi "$(oc exec fg echo hi)" "exec into a foreground container"
    oc stop fg >/dev/null
    assert_eq 9 "$(oc wait fg)" "wait on a foreground container"
    wait "$bg" || assert_eq 9 "$?" "foreground osbox exit code"
}
