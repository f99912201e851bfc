# osbox run options services use beyond mounts: --entrypoint, --shm-size.

opt_setup() {
    load_busybox
    make_custom_image ep '{"Env":["PATH=/bin"],"Entrypoint":["echo","from-entrypoint"],"Cmd":["from-cmd"]}'
}

test_entrypoint_replaces_the_images() {
    opt_setup
    capture "$OSBOX" run --rm ep
    assert_eq "from-entrypoint from-cmd" "$OUT" "the image's Entrypoint + Cmd"
    # As Docker: --entrypoint drops the image's Cmd too; operands are its arguments.
    capture "$OSBOX" run --rm --entrypoint /bin/sh ep -c 'echo sh-ran $0' x
    assert_eq 0 "$STATUS" "$OUT"
    assert_eq "sh-ran x" "$OUT"
    capture "$OSBOX" run --rm --entrypoint "" ep echo cleared
    assert_eq "cleared" "$OUT" "--entrypoint '' clears it"
    capture "$OSBOX" run --rm --entrypoint "" ep
    assert_eq 125 "$STATUS" "no command at all: $OUT"
    capture "$OSBOX" run --rm --entrypoint /no/such ep
    assert_eq 127 "$STATUS" "$OUT"
}

test_shm_size() {
    opt_setup
    capture "$OSBOX" run --rm --shm-size 3m busybox grep " /dev/shm " /proc/self/mountinfo
    assert_contains "$OUT" "size=3072k"
    capture "$OSBOX" run --rm busybox grep " /dev/shm " /proc/self/mountinfo
    assert_contains "$OUT" "size=65536k" "the default"
    for bad in 0 -1 lots; do
        capture "$OSBOX" run --rm --shm-size "$bad" busybox true
        assert_eq 125 "$STATUS" "--shm-size $bad: $OUT"
        assert_eq 1 "$(printf '%s\n' "$OUT" | wc -l)" "one line: $OUT"
    done
    left=$(ls -A "$OSBOX_ROOT/containers" 2>/dev/null || true)
    [ -z "$left" ] || fail "containers left behind: $left"
}

test_group_add() {
    opt_setup
    capture "$OSBOX" run --rm --group-add 1234 --group-add 5 -u nobody busybox id -G
    assert_eq 0 "$STATUS" "$OUT"
    assert_contains "$OUT" "1234"
    assert_contains "$OUT" " 5"
    capture "$OSBOX" run --rm --group-add 77 busybox cat /proc/self/status
    assert_contains "$OUT" "Groups:	77" "root's groups"
    capture "$OSBOX" run --rm --group-add wheel busybox true
    assert_eq 125 "$STATUS" "$OUT"
    assert_eq 1 "$(printf '%s\n' "$OUT" | wc -l)" "one line: $OUT"
}

test_labels_and_ps_filters() {
    opt_setup
    trap 'for c in web db job; do timeout 20 "$OSBOX" rm -f $c >/dev/null 2>&1; done' EXIT
    timeout 20 "$OSBOX" run -d --name web --label tier=front --label app=shop busybox sleep 100 >/dev/null || fail "run web"
    timeout 20 "$OSBOX" run -d --name db -l tier=back -l app=shop -l primary busybox sleep 100 >/dev/null || fail "run db"
    "$OSBOX" run --name job -l app=batch busybox true || fail "run job"
    names() { "$OSBOX" ps --format json "$@" | python3 -c 'import json,sys; print(" ".join(sorted(c["name"] for c in json.load(sys.stdin))))'; }
    assert_eq "db web" "$(names --filter label=app=shop)" "label=K=V"
    assert_eq "db" "$(names --filter label=primary)" "label=K"
    assert_eq "web" "$(names --filter label=app=shop --filter label=tier=front)" "two labels: both"
    assert_eq "job" "$(names --filter status=exited)" "status=exited (without -a)"
    assert_eq "db job web" "$(names --filter status=exited --filter status=running)" "two statuses: either"
    assert_eq "web" "$(names -f name=we)" "name=PART"
    assert_eq "" "$(names --filter label=app=shop --filter status=exited)" "different keys: all"
    assert_contains "$("$OSBOX" inspect db)" '"primary": ""'
    capture "$OSBOX" ps --filter color=red
    assert_eq 2 "$STATUS" "an unknown filter: $OUT"
    capture "$OSBOX" run --rm --label =x busybox true
    assert_eq 125 "$STATUS" "$OUT"
}

test_stop_signal_and_timeout() {
    opt_setup
    trap 'for c in q t; do timeout 20 "$OSBOX" rm -f $c >/dev/null 2>&1; done' EXIT
    mkdir -p "$T/out"
    timeout 20 "$OSBOX" run -d --name q --stop-signal SIGQUIT -v "$T/out:/out" busybox \
        sh -c 'trap "echo got-quit > /out/sig; exit 0" QUIT; trap "echo got-term > /out/sig; exit 0" TERM; while true; do sleep 0.1; done' >/dev/null || fail "run q"
    sleep 0.5
    timeout 30 "$OSBOX" stop q >/dev/null || fail "stop q"
    assert_eq got-quit "$(cat "$T/out/sig")" "--stop-signal QUIT"
    # Ignores TERM: --stop-timeout 1 kills it after a second, not ten.
    timeout 20 "$OSBOX" run -d --name t --stop-timeout 1 busybox sh -c 'trap "" TERM; while true; do sleep 0.1; done' >/dev/null || fail "run t"
    sleep 0.5
    start=$(date +%s.%N)
    timeout 30 "$OSBOX" stop t >/dev/null || fail "stop t"
    took=$(echo "$start $(date +%s.%N)" | awk '{ printf "%d", $2 - $1 }')
    [ "$took" -lt 6 ] || fail "stop took ${took}s with --stop-timeout 1"
    for bad in "--stop-signal NOPE" "--stop-timeout -2" "--stop-timeout x"; do
        # shellcheck disable=SC2086
        capture "$OSBOX" run --rm $bad busybox true
        assert_eq 125 "$STATUS" "'$bad': $OUT"
    done
}

test_ulimit_oom_score_adj_sysctl() {
    opt_setup
    capture "$OSBOX" run --rm --ulimit nofile=512:1024 --ulimit core=unlimited --oom-score-adj 321 \
        --sysctl net.ipv4.ip_unprivileged_port_start=80 --sysctl kernel.shmmni=2048 busybox sh -c \
        'ulimit -n; ulimit -Hn; ulimit -c; cat /proc/self/oom_score_adj /proc/sys/net/ipv4/ip_unprivileged_port_start /proc/sys/kernel/shmmni'
    assert_eq 0 "$STATUS" "$OUT"
    assert_eq "512
1024
unlimited
321
80
2048" "$OUT"
    # The host's own values did not move.
    assert_ne 2048 "$(cat /proc/sys/kernel/shmmni)" "host kernel.shmmni"
    # Kept in the saved spec: a start applies them again.
    "$OSBOX" run --name lim --ulimit nofile=300 --sysctl kernel.shmmni=3000 busybox sh -c 'echo $(ulimit -n) $(cat /proc/sys/kernel/shmmni) >> /tmp/seen' || fail "run lim"
    timeout 20 "$OSBOX" start lim >/dev/null && timeout 20 "$OSBOX" wait lim >/dev/null || fail "start lim"
    capture sh -c "cat $OSBOX_ROOT/containers/*/upper/tmp/seen"
    assert_eq "300 3000
300 3000" "$OUT" "both runs"
    "$OSBOX" rm lim >/dev/null
    for bad in "--ulimit nofile" "--ulimit bogus=1" "--ulimit nofile=10:5" "--oom-score-adj 5000" \
               "--sysctl vm.swappiness=10" "--sysctl kernel.hostname=x" "--sysctl net.ipv4.ip_forward" \
               "--network host --sysctl net.ipv4.ip_forward=1"; do
        # shellcheck disable=SC2086
        capture "$OSBOX" run --rm $bad busybox true
        assert_eq 125 "$STATUS" "'$bad': $OUT"
        assert_eq 1 "$(printf '%s\n' "$OUT" | wc -l)" "one line: $OUT"
    done
    left=$(ls -A "$OSBOX_ROOT/containers" 2>/dev/null || true)
    [ -z "$left" ] || fail "containers left behind: $left"
}

test_device() {
    opt_setup
    capture "$OSBOX" run --rm --device /dev/null:/dev/xnull --device /dev/zero:/dev/sub/xzero:rw busybox sh -c \
        'echo gone > /dev/xnull && echo wrote; head -c 3 /dev/sub/xzero | od -An -tx1; ls -l /dev/xnull'
    assert_eq 0 "$STATUS" "$OUT"
    assert_contains "$OUT" "wrote"
    assert_contains "$OUT" " 00 00 00"
    assert_contains "$OUT" "1,   3"
    for bad in "/etc/passwd" "/dev/no-such" "dev/null" "/dev/null:rel" "/dev/null:/dev/x:rwz" "/dev/null:/proc/x"; do
        capture "$OSBOX" run --rm --device "$bad" busybox true
        assert_eq 125 "$STATUS" "--device $bad: $OUT"
        assert_eq 1 "$(printf '%s\n' "$OUT" | wc -l)" "one line: $OUT"
    done
}

test_cpuset_cpus_and_mems() {
    opt_setup
    # The container's own cpuset (v1 cpuset hierarchy or v2 cpuset.cpus), seen from inside.
    capture "$OSBOX" run --rm --cpuset-cpus 0 --cpuset-mems 0 busybox sh -c \
        'grep -E "^(Cpus|Mems)_allowed_list" /proc/self/status'
    assert_eq 0 "$STATUS" "$OUT"
    assert_eq "Cpus_allowed_list:	0
Mems_allowed_list:	0" "$OUT"
    # Kept in the saved spec: start runs on the same CPU again.
    "$OSBOX" run --name cs --cpuset-cpus 0 busybox sh -c \
        'grep ^Cpus_allowed_list /proc/self/status >> /tmp/seen' || fail "run cs"
    capture sh -c "cat $OSBOX_ROOT/containers/*/config.json"
    assert_contains "$OUT" '"cpus": "0"' "linux.resources.cpu.cpus"
    timeout 20 "$OSBOX" start cs >/dev/null && timeout 20 "$OSBOX" wait cs >/dev/null || fail "start cs"
    capture sh -c "cat $OSBOX_ROOT/containers/*/upper/tmp/seen"
    assert_eq "Cpus_allowed_list:	0
Cpus_allowed_list:	0" "$OUT" "both runs"
    "$OSBOX" rm cs >/dev/null
    for bad in "--cpuset-cpus 999" "--cpuset-cpus 1-0" "--cpuset-cpus x" "--cpuset-cpus 0," \
               "--cpuset-cpus=" "--cpuset-mems 7"; do
        # shellcheck disable=SC2086
        capture "$OSBOX" run --rm $bad busybox true
        assert_eq 125 "$STATUS" "'$bad': $OUT"
        assert_eq 1 "$(printf '%s\n' "$OUT" | wc -l)" "one line: $OUT"
    done
    left=$(ls -A "$OSBOX_ROOT/containers" 2>/dev/null || true)
    [ -z "$left" ] || fail "containers left behind: $left"
    assert_no_leftovers
}
