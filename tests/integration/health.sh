# Health checks: run --health-*, the image's HEALTHCHECK, --no-healthcheck,
# the states in ps and inspect, the timeout, osbox healthcheck run, the
# health_status events, and bad input. Intervals are short (200 ms); every
# wait is bounded on the state it waits for; every test removes its
# containers on exit.

hc_setup() {
    make_busybox_rootfs "$T/rootfs"
    trap hc_cleanup EXIT
    trap 'exit 143' TERM INT
}
hc_cleanup() {
    local id
    for id in $(timeout 10 "$OSBOX" ps -aq 2>/dev/null); do
        timeout 20 "$OSBOX" rm -f "$id" >/dev/null 2>&1 || true
    done
    timeout 20 "$OSBOX" gc >/dev/null 2>&1 || true
}
hc() { timeout 30 "$OSBOX" "$@"; }
hrun() { timeout 20 "$OSBOX" run -d --rootfs "$T/rootfs" "$@"; }
# inspect NAME | the value at a dotted path ("state.Health.Status"); "" if absent.
hget() {
    hc inspect --type container "$1" | python3 -c 'import json,sys
v=json.load(sys.stdin)[0]
for k in sys.argv[1].split("."):
    if isinstance(v, list): v=v[int(k)]
    elif isinstance(v, dict) and k in v: v=v[k]
    else: v=""; break
print(json.dumps(v) if isinstance(v,(list,dict)) else v)' "$2"
}
health_is() { [ "$(hget "$1" state.Health.Status)" = "$2" ]; }
# Up to 10 s for the state (50 checks of 200 ms each at least).
wait_health() { wait_for 100 health_is "$1" "$2" || fail "$1 never became $2: $(hget "$1" state.Health)"; }
ps_status() { hc ps --filter "name=$1" | awk -v n="$1" '$NF == n' ; }
# The monitor's health checker (a child named osbox-health).
checker_of() {
    local mon
    mon=$(hget "$1" state.monitor_pid)
    [ "$mon" -gt 0 ] 2>/dev/null || return 0
    ps -o pid=,comm= --ppid "$mon" | awk '$2 == "osbox-health" {print $1}'
}

test_health_cmd_unhealthy_then_healthy() {
    hc_setup
    local checker log
    hrun --name hx --health-cmd 'test -f /tmp/ok && echo fine' --health-interval 200ms \
        --health-retries 2 sleep 1000 >/dev/null
    # At once after run -d: starting, as Docker's "(health: starting)".
    assert_contains "$(ps_status hx)" "Up (health: starting)" "ps right after run -d"
    wait_health hx unhealthy
    assert_contains "$(ps_status hx)" "Up (unhealthy)" "ps"
    [ "$(hget hx state.Health.FailingStreak)" -ge 2 ] || fail "streak: $(hget hx state.Health)"
    hc exec hx touch /tmp/ok
    wait_health hx healthy
    assert_contains "$(ps_status hx)" "Up (healthy)" "ps"
    assert_contains "$(hc ps --filter health=healthy)" " hx" "ps --filter health=healthy"
    assert_not_contains "$(hc ps --filter health=unhealthy)" " hx" "ps --filter health=unhealthy"
    assert_eq 0 "$(hget hx state.Health.FailingStreak)" "streak after a success"
    # The log: Docker's fields, the last entry the success with its output.
    wait_for 50 eval '[ "$(hget hx state.Health.Log | python3 -c "import json,sys; print(len(json.load(sys.stdin)))")" = 5 ]' ||
        fail "the log does not reach 5 entries: $(hget hx state.Health.Log)"
    log=$(hget hx state.Health.Log)
    python3 -c 'import json,sys
log=json.loads(sys.argv[1])
assert len(log) == 5, log
last=log[-1]
assert last["ExitCode"] == 0 and last["Output"] == "fine\n", last
assert last["Start"] <= last["End"] and last["End"].endswith("Z"), last' "$log" ||
        fail "log: $log"
    assert_eq '["CMD-SHELL", "test -f /tmp/ok && echo fine"]' "$(hget hx Config.Healthcheck.Test)" "Config.Healthcheck.Test"
    assert_eq 200000000 "$(hget hx Config.Healthcheck.Interval)" "Interval in ns"
    # One event per change of state, filterable as Docker's event=health_status.
    local ev
    ev=$(hc events --since 1m --until 0s --filter container=hx --filter event=health_status)
    assert_contains "$ev" "health_status: unhealthy" "events"
    assert_contains "$ev" "health_status: healthy" "events"
    # The checker goes with the container; inspect keeps the last state.
    checker=$(checker_of hx)
    [ -n "$checker" ] || fail "no osbox-health child of the monitor"
    hc stop -t 1 hx >/dev/null
    wait_for 50 eval "! kill -0 $checker 2>/dev/null" || fail "checker $checker outlived its container"
    assert_eq healthy "$(hget hx state.Health.Status)" "state kept after stop"
    assert_not_contains "$(ps_status hx)" "healthy" "ps of a stopped container"
}

test_health_timeout_kills_the_probe() {
    hc_setup
    local t0 t1
    hrun --name ht --health-cmd 'sleep 30' --health-timeout 300ms --health-interval 1h \
        sleep 1000 >/dev/null
    t0=$(date +%s%3N)
    capture hc healthcheck run ht
    t1=$(date +%s%3N)
    assert_eq 1 "$STATUS" "healthcheck run of a check that times out: $OUT"
    assert_eq unhealthy "$OUT" "what healthcheck run prints"
    [ $((t1 - t0)) -lt 5000 ] || fail "the probe was not cut at its timeout: $((t1 - t0)) ms"
    assert_eq -1 "$(hget ht state.Health.Log.0.ExitCode)" "exit code of a timed-out probe"
    assert_eq "Health check exceeded timeout (300ms)" "$(hget ht state.Health.Log.0.Output)"
    # Killed, not left running in the container.
    assert_not_contains "$(hc exec ht ps)" "sleep 30" "processes in the container"
    # One failure of 3 retries: still starting.
    assert_eq starting "$(hget ht state.Health.Status)"
}

test_healthcheck_run_exit_codes() {
    hc_setup
    hrun --name ok --health-cmd 'echo alive' --health-interval 1h sleep 1000 >/dev/null
    hrun --name none sleep 1000 >/dev/null
    capture hc healthcheck run ok
    assert_eq 0 "$STATUS" "healthcheck run of a passing check: $OUT"
    assert_eq healthy "$(hget ok state.Health.Status)" "recorded"
    assert_eq "alive" "$(hget ok state.Health.Log.0.Output)"
    capture hc healthcheck run none
    assert_eq 125 "$STATUS" "no health check"
    assert_contains "$OUT" "osbox: container" && assert_contains "$OUT" "has no defined healthcheck"
    assert_eq "" "$(hget none state.Health)" "no Health without a check"
    assert_eq "" "$(hget none Config)" "no Config.Healthcheck without a check"
    capture hc healthcheck run nosuch
    assert_eq 125 "$STATUS" "unknown container: $OUT"
    hc stop -t 1 ok >/dev/null
    capture hc healthcheck run ok
    assert_eq 125 "$STATUS" "stopped container: $OUT"
    assert_contains "$OUT" "is not running"
    capture hc healthcheck
    assert_eq 2 "$STATUS" "no verb: $OUT"
}

test_health_start_period_does_not_count() {
    hc_setup
    hrun --name sp --health-cmd false --health-retries 1 --health-start-period 1h \
        --health-interval 200ms sleep 1000 >/dev/null
    wait_for 100 eval '[ "$(hget sp state.Health.Log.2.ExitCode)" = 1 ]' ||
        fail "three failing probes never ran: $(hget sp state.Health)"
    assert_eq starting "$(hget sp state.Health.Status)" "within the start period"
    assert_eq 0 "$(hget sp state.Health.FailingStreak)"
    # Without a start period, one failure of retries=1 is unhealthy.
    hrun --name nosp --health-cmd false --health-retries 1 --health-interval 200ms sleep 1000 >/dev/null
    wait_health nosp unhealthy
}

test_image_healthcheck_and_overrides() {
    hc_setup
    load_busybox
    make_custom_image hcimg '{"Cmd":["sleep","1000"],"Healthcheck":{"Test":["CMD","sh","-c","echo image"],"Interval":200000000,"Retries":1}}'
    timeout 20 "$OSBOX" run -d --name img hcimg >/dev/null
    wait_health img healthy
    assert_eq image "$(hget img state.Health.Log.0.Output)" "the image's CMD form"
    # --health-cmd replaces the image's test; its interval and retries stay.
    timeout 20 "$OSBOX" run -d --name over --health-cmd 'exit 3' hcimg >/dev/null
    wait_health over unhealthy
    assert_eq 3 "$(hget over state.Health.Log.0.ExitCode)"
    assert_eq 200000000 "$(hget over Config.Healthcheck.Interval)" "the image's interval kept"
    # --no-healthcheck: none at all.
    timeout 20 "$OSBOX" run -d --name off --no-healthcheck hcimg >/dev/null
    assert_eq "" "$(hget off state.Health)" "--no-healthcheck"
    assert_eq "Up" "$(ps_status off | awk '{for (i = 1; i <= NF; i++) if ($i == "Up") {print $i; exit}}')"
    assert_not_contains "$(ps_status off)" "health"
    assert_eq off "$(hc ps --filter health=none --format json | python3 -c 'import json,sys; print(" ".join(c["name"] for c in json.load(sys.stdin)))')" "ps --filter health=none"
    # Start again: starting, then healthy again, the log kept.
    hc stop -t 1 img >/dev/null
    hc start img >/dev/null
    wait_health img healthy
}

test_health_foreground_run() {
    hc_setup
    timeout 30 "$OSBOX" run --name fg --health-cmd true --health-interval 200ms --rootfs "$T/rootfs" \
        sh -c 'while [ ! -f /tmp/stop ]; do sleep 0.1; done' </dev/null >/dev/null 2>&1 &
    local fg=$!
    wait_for 100 health_is fg healthy || { kill $fg; fail "foreground container never healthy: $(hget fg state.Health)"; }
    hc exec fg touch /tmp/stop
    wait $fg || fail "foreground run exited $?"
}

test_health_bad_input() {
    hc_setup
    local args
    for args in "--no-healthcheck --health-cmd true|--no-healthcheck conflicts with --health-* options" \
                "--health-interval -1s|--health-interval cannot be negative" \
                "--health-interval 10|invalid --health-interval '10'" \
                "--health-timeout 500us|--health-timeout cannot be less than 1ms" \
                "--health-start-period 1x|invalid --health-start-period" \
                "--health-retries -2|--health-retries cannot be negative" \
                "--health-retries many|invalid --health-retries 'many'"; do
        # shellcheck disable=SC2086
        capture timeout 20 "$OSBOX" run -d --rootfs "$T/rootfs" ${args%%|*} sleep 1000
        assert_eq 125 "$STATUS" "run ${args%%|*}: $OUT"
        assert_eq 1 "$(printf '%s\n' "$OUT" | wc -l)" "one line for ${args%%|*}"
        assert_contains "$OUT" "osbox: ${args#*|}"
    done
    assert_eq "" "$(hc ps -aq)" "containers left by refused runs"
    assert_eq "" "$(ls -A "$OSBOX_ROOT/containers" 2>/dev/null)" "state left by refused runs"
}
