# shellcheck shell=bash
# Detached VMs: `vm run -d`, ps, logs [-f], stop [-t] (the power button, then
# the kill), rm [-f], inspect, --rm, and `osbox gc` after a killed keeper
# (vmm/backend/detach.c, control.c). Each test boots one or two VMs of the
# osbox guest; every wait is bounded and polls a condition; every test
# removes its VMs on exit, also on failure.

vmd_setup() {
    [ -f "${OSBOX_GUEST_KERNEL:-$OSBOX_SRC/build/guest/osbox-kernel}" ] || fail "guest kernel missing: run 'make'"
    [ -d "$OSBOX_SRC/build/images/busybox.oci" ] || fail "busybox image missing: run 'make images'"
    kvm_or_harness tests/kvm/vm_detach.sh "${FUNCNAME[1]}" \
        "${OSBOX_GUEST_KERNEL:-$OSBOX_SRC/build/guest/osbox-kernel}"
    trap vmd_cleanup EXIT
    trap 'exit 143' TERM INT
    load_busybox
}

# Every VM of this test's store killed and removed; if osbox cannot, the
# keepers and monitors whose pid and start time the records name.
vmd_cleanup() {
    local n p
    for n in $(timeout 10 "$OSBOX" vm ps -aq 2>/dev/null); do
        timeout 20 "$OSBOX" vm rm -f "$n" >/dev/null 2>&1 || true
    done
    for p in $(python3 -c 'import json,glob,sys
def start(pid):
    try: return int(open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()[19])
    except Exception: return -1
for f in glob.glob(sys.argv[1] + "/vms/*/vm.json"):
    try: o = json.load(open(f))
    except Exception: continue
    for k in ("keeper", "monitor"):
        if o.get(k + "_pid", 0) > 1 and start(o[k + "_pid"]) == o.get(k + "_start"): print(o[k + "_pid"])' \
        "$OSBOX_RUN" 2>/dev/null); do
        kill -9 "$p" 2>/dev/null || true
    done
}

vmd() { # vm run -d with a time limit; prints the id
    timeout -k 5 60 "$OSBOX" vm run -d --mem 128M "$@"
}
log_has() { "$OSBOX" vm logs "$1" 2>&1 | grep -q -- "$2"; }
vm_field() { # NAME FIELD: a field of vm inspect
    "$OSBOX" vm inspect "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0][sys.argv[1]])' "$2"
}
state_is() { [ "$(vm_field "$1" state 2>/dev/null)" = "$2" ]; }

# Boot 1: the lifecycle of a VM whose CMD catches SIGTERM: ps, inspect, the
# log (the console as stdout, the monitor's lines as stderr), a duplicate
# name refused, stop through the power button (CMD's own status, well
# before the timeout), rm of the stopped VM.
test_vm_detach_lifecycle_power_button() {
    vmd_setup
    local id start elapsed
    id=$(vmd --name web busybox sh -c "echo ready; trap 'echo got-term; exit 3' TERM; while :; do sleep 1; done")
    [[ $id =~ ^[0-9a-f]{64}$ ]] || fail "vm run -d prints the id: $id"
    wait_for 600 log_has web ready || fail "no 'ready' in the log: $("$OSBOX" vm logs web 2>&1)"
    capture "$OSBOX" vm ps
    assert_eq 0 "$STATUS" "ps: $OUT"
    assert_contains "$OUT" "${id:0:12}  web"
    assert_contains "$OUT" "running"
    assert_eq "web" "$("$OSBOX" vm ps -q)" "ps -q"
    assert_eq "running" "$(vm_field "${id:0:8}" state)" "inspect by id prefix"
    assert_eq "busybox" "$(vm_field web image)"

    capture vmd --name web busybox true
    assert_eq 125 "$STATUS" "duplicate name: $OUT"
    assert_contains "$OUT" 'the VM name "web" is already in use'
    assert_eq "running" "$(vm_field web state)" "the first VM is untouched"

    start=$(date +%s%N)
    capture timeout 60 "$OSBOX" vm stop -t 30 web
    elapsed=$((($(date +%s%N) - start) / 1000000))
    assert_eq 0 "$STATUS" "stop: $OUT"
    assert_eq "web" "$OUT"
    [ "$elapsed" -lt 20000 ] || fail "stop waited for the timeout (${elapsed} ms): the guest did not see the button"
    assert_eq "exited" "$(vm_field web state)"
    assert_eq 3 "$(vm_field web exit_code)" "CMD's status from its TERM trap"
    capture "$OSBOX" vm logs web
    assert_contains "$OUT" "got-term"
    assert_eq "ready
got-term" "$("$OSBOX" vm logs web 2>/dev/null)" "stdout: the console only"
    assert_contains "$("$OSBOX" vm logs web 2>&1 >/dev/null)" "power button pressed" "stderr: the monitor's lines"
    capture "$OSBOX" vm stop web
    assert_eq 0 "$STATUS" "stop of a stopped VM: $OUT"
    assert_eq "" "$("$OSBOX" vm ps -q)" "ps: running ones only"
    assert_contains "$("$OSBOX" vm ps -a)" "exited (3)"
    capture "$OSBOX" vm rm web
    assert_eq 0 "$STATUS" "rm: $OUT"
    assert_eq "" "$("$OSBOX" vm ps -aq)" "gone"
    [ ! -e "$OSBOX_RUN/vms/web" ] || fail "state left behind"
}

# Boot 2 and 3: a CMD that ignores SIGTERM is killed after -t (137); rm of a
# running VM is refused without -f and kills it with -f; nothing is left of
# either (keeper, monitor, state).
test_vm_detach_stop_timeout_and_rm_force() {
    vmd_setup
    local start elapsed mon
    vmd --name stubborn busybox sh -c "trap '' TERM; echo ready; while :; do sleep 1; done" >/dev/null
    vmd --name other busybox sh -c "echo ready; while :; do sleep 1; done" >/dev/null
    wait_for 600 log_has stubborn ready || fail "stubborn did not start: $("$OSBOX" vm logs stubborn 2>&1)"
    start=$(date +%s%N)
    capture timeout 60 "$OSBOX" vm stop -t 1 stubborn
    elapsed=$((($(date +%s%N) - start) / 1000000))
    assert_eq 0 "$STATUS" "stop: $OUT"
    [ "$elapsed" -ge 1000 ] || fail "killed before the timeout (${elapsed} ms)"
    [ "$elapsed" -lt 15000 ] || fail "stop took ${elapsed} ms"
    assert_eq 137 "$(vm_field stubborn exit_code)" "killed"

    wait_for 600 log_has other ready || fail "other did not start"
    mon=$(vm_field other monitor_pid)
    capture "$OSBOX" vm rm other
    assert_eq 125 "$STATUS" "rm of a running VM: $OUT"
    assert_contains "$OUT" "cannot remove VM other: it is running"
    assert_eq "running" "$(vm_field other state)"
    capture timeout 60 "$OSBOX" vm rm -f other stubborn
    assert_eq 0 "$STATUS" "rm -f: $OUT"
    assert_eq "" "$("$OSBOX" vm ps -aq)"
    wait_for 100 sh -c "! kill -0 $mon 2>/dev/null || grep -q '^State:.*Z' /proc/$mon/status" ||
        fail "the monitor survived rm -f"
    [ -z "$(ls -A "$OSBOX_RUN/vms")" ] || fail "state left: $(ls "$OSBOX_RUN/vms")"
}

# Boot 4 and 5: --rm removes the state once CMD ends; logs -f follows the
# console until the VM ends, then returns; a capped log rotates.
test_vm_detach_rm_flag_and_logs_follow() {
    vmd_setup
    vmd --rm --name once busybox echo bye >/dev/null
    wait_for 600 test ! -e "$OSBOX_RUN/vms/once" || fail "--rm left the state: $(ls "$OSBOX_RUN/vms")"
    vmd --name f --log-opt max-size=4k busybox sh -c \
        'echo one; i=0; while [ $i -lt 200 ]; do echo line-$i-xxxxxxxxxxxxxxxxxxxxxxxx; i=$((i+1)); done; echo two' >/dev/null
    capture timeout 120 "$OSBOX" vm logs -f f
    assert_eq 0 "$STATUS" "logs -f returns once the VM ends: $OUT"
    assert_contains "$(printf '%s\n' "$OUT" | tail -n 1)" "two" "logs -f ends with the last line"
    assert_eq "exited" "$(vm_field f state)" "state after logs -f: $("$OSBOX" vm inspect f)"
    assert_eq 0 "$(vm_field f exit_code)" "$("$OSBOX" vm inspect f)"
    [ -f "$OSBOX_RUN/vms/f/ctr.log.1" ] || fail "a 4k cap rotates the log"
    [ "$(stat -c %s "$OSBOX_RUN/vms/f/ctr.log")" -le 4096 ] || fail "log over its cap"
    assert_eq "two" "$("$OSBOX" vm logs --tail 1 f 2>&1)" "--tail"
}

# Boot 6, on the bridge in a network namespace of the test's own: the
# keeper killed with -9 takes the monitor (PDEATHSIG) and the TAP with it;
# ps says dead; gc removes the state and the lease.
test_vm_detach_gc_after_killed_keeper() {
    vmd_setup
    command -v unshare >/dev/null || skip "no unshare"
    capture timeout -k 5 150 unshare -n bash -c '
        set -eu
        source "$OSBOX_SRC/tests/lib.sh"
        ip link set lo up
        "$OSBOX" vm run -d --mem 128M --net bridge --name g busybox sh -c "echo ready; sleep 600" >/dev/null
        log_has() { "$OSBOX" vm logs "$1" 2>&1 | grep -q -- "$2"; }
        wait_for 600 log_has g ready || fail "no boot: $("$OSBOX" vm logs g 2>&1)"
        ip -br link | grep -q "^osv" || fail "no TAP"
        grep -q "\"kind\": \"vm\"" "$OSBOX_RUN/network/leases.json" || fail "no lease"
        field() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$OSBOX_RUN/vms/g/vm.json" "$1"; }
        keeper=$(field keeper_pid); mon=$(field monitor_pid)
        kill -9 "$keeper"
        gone() { ! kill -0 "$1" 2>/dev/null || grep -q "^State:.*Z" "/proc/$1/status"; }
        wait_for 100 gone "$keeper" || fail "keeper survived kill -9"
        "$OSBOX" vm ps -a | grep -q " dead " || fail "ps does not say dead: $("$OSBOX" vm ps -a)"
        "$OSBOX" gc | grep -q "1 VM" || fail "gc did not count the VM"
        wait_for 100 gone "$mon" || fail "monitor survived"
        [ ! -e "$OSBOX_RUN/vms/g" ] || fail "state left"
        ! ip -br link | grep -q "^osv" || fail "TAP left"
        ! grep -q "\"kind\": \"vm\"" "$OSBOX_RUN/network/leases.json" || fail "lease left"
        echo gc-ok'
    assert_eq 0 "$STATUS" "$OUT"
    assert_contains "$OUT" "gc-ok"
}

# No boot: names and subcommands that are wrong.
test_vm_detach_bad_input() {
    vmd_setup
    local sub
    for sub in "stop nope" "rm nope" "rm -f nope" "logs nope" "inspect nope"; do
        # shellcheck disable=SC2086 # word splitting wanted
        capture "$OSBOX" vm $sub
        assert_eq 125 "$STATUS" "vm $sub: $OUT"
        assert_eq "osbox: no such VM: 'nope'" "$OUT" "vm $sub"
    done
    capture "$OSBOX" vm run -d --name 'bad/name' busybox true
    assert_eq 125 "$STATUS" "bad name: $OUT"
    assert_contains "$OUT" "invalid VM name 'bad/name'"
    capture "$OSBOX" vm run -d --name "$(printf 'x%.0s' $(seq 1 129))" busybox true
    assert_eq 125 "$STATUS" "long name: $OUT"
    capture "$OSBOX" vm run --name n busybox true
    assert_eq 2 "$STATUS" "--name without -d: $OUT"
    capture "$OSBOX" vm run -d --boot-time busybox true
    assert_eq 2 "$STATUS" "-d with --boot-time: $OUT"
    capture "$OSBOX" vm stop -t x n
    assert_eq 2 "$STATUS" "stop -t x: $OUT"
    capture "$OSBOX" vm stop
    assert_eq 2 "$STATUS" "stop of nothing: $OUT"
    capture "$OSBOX" vm run -d nosuchimage true
    assert_eq 125 "$STATUS" "unknown image: $OUT"
    [ -z "$(ls -A "$OSBOX_RUN/vms" 2>/dev/null)" ] || fail "state left by failed starts: $(ls "$OSBOX_RUN/vms")"
}
