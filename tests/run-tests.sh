#!/usr/bin/env bash
# Runs osbox's tests and prints one summary line at the end.
#   tests/run-tests.sh [all|unit|integration|kvm] [FILTER]
# unit:        build/tests/unit/test_* (cmocka)
# integration: tests/integration/*.sh, each test_* function run as root in isolation
# kvm:         tests/kvm/*.sh, the same way (VM tests)
# Tests that need what this machine lacks (/dev/kvm, or with
# OSBOX_TEST_VIA_HARNESS=1 even where it works; pure cgroup v2) run in ONE
# boot of the nested-KVM harness, started in the background before the first
# suite (harness_batch_list in tests/lib.sh); each replays its result.
set -u
cd "$(dirname "$0")/.."
SRC=$PWD
BUILD=${OSBOX_BUILD:-build}
export OSBOX="$SRC/$BUILD/osbox" OSBOX_SRC="$SRC"
suite=${1:-all}
filter=${2:-}
# OSBOX_TEST_EXCLUDE: space-separated substrings; matching tests are not run
# (.ci/run's second pass leaves out what its first already ran in the harness).
exclude=${OSBOX_TEST_EXCLUDE:-}
selected() { # NAME: chosen by FILTER and not excluded
    local x
    [ -z "$filter" ] || [[ $1 == *$filter* ]] || return 1
    for x in $exclude; do [[ $1 != *$x* ]] || return 1; done
    return 0
}
# Per test; a kvm test may first wait for the background harness boot.
TEST_TIMEOUT=${TEST_TIMEOUT:-300}
KVM_TEST_TIMEOUT=${KVM_TEST_TIMEOUT:-900}

passed=0 failed=0 skipped=0 ntest=0
failures=()

record() { # status name seconds [skip reason | seconds inside the harness]
    case $1 in
        0) passed=$((passed + 1))
           if [ -n "${4:-}" ]; then printf 'ok    %s (%ss, %ss in the harness)\n' "$2" "$3" "$4"
           else printf 'ok    %s (%ss)\n' "$2" "$3"; fi ;;
        77) skipped=$((skipped + 1)); printf 'skip  %s (%s)\n' "$2" "${4:-no reason given}" ;;
        *) failed=$((failed + 1)); failures+=("$2"); printf 'FAIL  %s (status %s, %ss)\n' "$2" "$1" "$3" ;;
    esac
}

run_unit() {
    local bin out rc name start
    for bin in "$BUILD"/tests/unit/test_*; do
        [ -x "$bin" ] || continue
        name=unit/$(basename "$bin")
        selected "$name" || continue
        start=$SECONDS
        out=$(timeout "$TEST_TIMEOUT" "$bin" 2>&1); rc=$?
        # cmocka reports per test; count its cases.
        local ok bad
        ok=$(grep -c '^\[       OK \]' <<<"$out")
        bad=$(grep -c '^\[  FAILED  \] test' <<<"$out")
        passed=$((passed + ok)); failed=$((failed + bad))
        if [ "$rc" -ne 0 ]; then
            [ "$bad" -eq 0 ] && failed=$((failed + 1))
            failures+=("$name"); printf 'FAIL  %s\n%s\n' "$name" "$out"
        else
            printf 'ok    %s (%s cases, %ss)\n' "$name" "$ok" $((SECONDS - start))
        fi
    done
    # Every file named in its folder's README table (scripts/check-readme-tables.py).
    name=unit/readme_tables
    if selected "$name"; then
        start=$SECONDS
        out=$(python3 scripts/check-readme-tables.py 2>&1); rc=$?
        [ "$rc" -eq 0 ] || printf '%s\n' "$out" | grep -v '^note'
        record "$rc" "$name" $((SECONDS - start))
    fi
}

# Clean whatever a failed test left mounted under its scratch dir.
scrub() {
    local dir=$1 m
    grep -F " $dir" /proc/self/mountinfo | awk '{print $5}' | sort -r | while read -r m; do
        umount -l "$m" 2>/dev/null
    done
    rm -rf "$dir" 2>/dev/null
}

run_shell_suite() {
    local dir=$1 file t name start rc out scratch note
    for file in "$dir"/*.sh; do
        [ -f "$file" ] || continue
        for t in $(bash -c "source tests/lib.sh; source '$file'; declare -F" | awk '$3 ~ /^test_/ {print $3}'); do
            name=$(basename "$dir")/$(basename "$file" .sh):$t
            selected "$name" || continue
            scratch=$(mktemp -d /tmp/osbox-test.XXXXXX)
            mkdir -p "$scratch/root" "$scratch/run" "$scratch/t"
            (source tests/lib.sh && osbox_cgroups) >"$scratch/cgroups.before"
            start=$SECONDS
            ntest=$((ntest + 1))
            # (the test's shell enters cgroups of its own first: enter_test_cgroup)
            out=$(cd "$SRC" && OSBOX_ROOT=$scratch/root OSBOX_RUN=$scratch/run T=$scratch/t \
                  OSBOX_TEST_CGROUP_BASELINE=$scratch/cgroups.before \
                  timeout -k 10 "$TEST_TIMEOUT" bash -c "set -eu; source tests/lib.sh
                      enter_test_cgroup ostest-$$-$ntest; echo \"\$OSBOX_TEST_CGROUPS\" >'$scratch/cgroups.own'
                      source '$file'; $t" \
                  </dev/null 2>&1); rc=$?
            case $rc in
                77) note=$(sed -n 's/^SKIP: //p' <<<"$out" | tail -n 1) ;;
                *) note=$(sed -n 's/^harness-seconds: //p' <<<"$out" | tail -n 1) ;;
            esac
            record "$rc" "$name" $((SECONDS - start)) "$note"
            if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; then
                [ "$rc" -ne 124 ] && [ "$rc" -ne 137 ] ||
                    echo "      | $name timed out after ${TEST_TIMEOUT}s (TEST_TIMEOUT); its last output:"
                printf '%s\n' "$out" | tail -n 30 | sed 's/^/      | /'
            fi
            (source tests/lib.sh && remove_test_cgroup "$(cat "$scratch/cgroups.own" 2>/dev/null)")
            scrub "$scratch"
        done
    done
}

# The one harness boot of this run, in the background: the tests of
# harness_batch_list that this suite and FILTER select.
harness_pid=
start_harness() {
    local dirs=$1 file t name
    local d
    for d in "$SRC"/build/tests/harness-run.*; do # of runs that ended
        [ -d "$d" ] && ! kill -0 "${d##*.}" 2>/dev/null && rm -rf "$d"
    done
    HARNESS_DIR=$SRC/build/tests/harness-run.$$
    mkdir -p "$HARNESS_DIR" || return 0
    # shellcheck source=lib.sh
    (source tests/lib.sh && harness_batch_list) | while read -r file t; do
        name=$(basename "$(dirname "$file")")/$(basename "$file" .sh):$t
        case " $dirs " in *" $(dirname "$file") "*) ;; *) continue ;; esac
        selected "$name" || continue
        echo "$file $t"
    done >"$HARNESS_DIR/list"
    [ -s "$HARNESS_DIR/list" ] || return 0
    [ -x tests/kvm/run-in-kvm-vm.sh ] && command -v qemu-system-x86_64 >/dev/null || return 0
    export OSBOX_HARNESS_BATCH=$HARNESS_DIR
    echo "harness: one nested-KVM boot for $(wc -l <"$HARNESS_DIR/list") tests, in the background (log: $HARNESS_DIR)"
    HARNESS_T0=$SECONDS
    (source tests/lib.sh && harness_boot "$HARNESS_DIR") &
    harness_pid=$!
}
stop_harness() { # on interruption: the boot (a child of ours) and its QEMU go too
    [ -n "$harness_pid" ] || return 0
    pkill -TERM -P "$harness_pid" 2>/dev/null # run-in-kvm-vm.sh, which kills its QEMU
    wait "$harness_pid" 2>/dev/null
}
finish_harness() {
    [ -n "$harness_pid" ] || return 0
    wait "$harness_pid"
    harness_pid=
    echo "harness: ended with status $(cat "$HARNESS_DIR/ended" 2>/dev/null) after $((SECONDS - HARNESS_T0))s; $(grep -c '^run-in-kvm-vm: guest uptime' "$HARNESS_DIR/harness.err" 2>/dev/null) boot(s)$(grep -h '^harness: ' "$HARNESS_DIR/harness.err" 2>/dev/null | sed 's/^/; /')"
}

if [ "$(id -u)" -ne 0 ] && [ "$suite" != unit ]; then
    echo "osbox tests: integration and kvm suites need root" >&2
    exit 1
fi

# What tests may build once per run and share (make_toolchain_rootfs).
OSBOX_TEST_CACHE=$(mktemp -d /tmp/osbox-test-cache.XXXXXX)
export OSBOX_TEST_CACHE
trap 'rm -rf "$OSBOX_TEST_CACHE"' EXIT
trap 'stop_harness; exit 130' INT
trap 'stop_harness; exit 143' TERM
case $suite in
    unit) run_unit ;;
    integration) start_harness tests/integration; run_shell_suite tests/integration ;;
    kvm) start_harness tests/kvm; TEST_TIMEOUT=$KVM_TEST_TIMEOUT run_shell_suite tests/kvm ;;
    all) start_harness "tests/integration tests/kvm"
         run_unit; run_shell_suite tests/integration; TEST_TIMEOUT=$KVM_TEST_TIMEOUT run_shell_suite tests/kvm ;;
    *) echo "usage: $0 [all|unit|integration|kvm] [FILTER]" >&2; exit 2 ;;
esac
finish_harness

if [ ${#failures[@]} -gt 0 ]; then
    echo "failed:"
    printf '  %s\n' "${failures[@]}"
fi
echo "summary: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
