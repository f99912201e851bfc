#!/usr/bin/env bash
# Runs osbox's tests and prints one summary line at the end.
#   tests/run-tests.sh [all|unit|integration|kvm] [FILTER]
# unit:        build/tests/unit/test_* (cmocka)
# integration: tests/integration/*.sh, each test_* function run as root in isolation
# kvm:         tests/kvm/*.sh, the same way (VM tests; they use the nested-KVM
#              harness themselves when /dev/kvm is absent)
set -u
cd "$(dirname "$0")/.."
SRC=$PWD
BUILD=${OSBOX_BUILD:-build}
export OSBOX="$SRC/$BUILD/osbox" OSBOX_SRC="$SRC"
suite=${1:-all}
filter=${2:-}
# Without /dev/kvm the first test of a VM test file boots the nested harness
# once for the whole file, so kvm tests get longer.
TEST_TIMEOUT=${TEST_TIMEOUT:-300}
KVM_TEST_TIMEOUT=${KVM_TEST_TIMEOUT:-900}

passed=0 failed=0 skipped=0
failures=()

record() { # status name seconds
    case $1 in
        0) passed=$((passed + 1)); printf 'ok    %s (%ss)\n' "$2" "$3" ;;
        77) skipped=$((skipped + 1)); printf 'skip  %s\n' "$2" ;;
        *) failed=$((failed + 1)); failures+=("$2"); printf 'FAIL  %s (status %s, %ss)\n' "$2" "$1" "$3" ;;
    esac
}

run_unit() {
    local bin out rc name
    for bin in "$BUILD"/tests/unit/test_*; do
        [ -x "$bin" ] || continue
        name=unit/$(basename "$bin")
        [ -n "$filter" ] && [[ $name != *$filter* ]] && continue
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
            printf 'ok    %s (%s cases)\n' "$name" "$ok"
        fi
    done
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
    local dir=$1 file t name start rc out scratch
    for file in "$dir"/*.sh; do
        [ -f "$file" ] || continue
        for t in $(bash -c "source tests/lib.sh; source '$file'; declare -F" | awk '$3 ~ /^test_/ {print $3}'); do
            name=$(basename "$dir")/$(basename "$file" .sh):$t
            [ -n "$filter" ] && [[ $name != *$filter* ]] && continue
            scratch=$(mktemp -d /tmp/osbox-test.XXXXXX)
            mkdir -p "$scratch/root" "$scratch/run" "$scratch/t"
            find /sys/fs/cgroup -mindepth 1 -maxdepth 6 -type d -name 'osbox-*' 2>/dev/null \
                | sort >"$scratch/cgroups.before"
            start=$SECONDS
            out=$(cd "$SRC" && OSBOX_ROOT=$scratch/root OSBOX_RUN=$scratch/run T=$scratch/t \
                  OSBOX_TEST_CGROUP_BASELINE=$scratch/cgroups.before \
                  timeout -k 10 "$TEST_TIMEOUT" bash -c "set -eu; source tests/lib.sh; source '$file'; $t" \
                  </dev/null 2>&1); rc=$?
            record "$rc" "$name" $((SECONDS - start))
            if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; then
                printf '%s\n' "$out" | tail -n 30 | sed 's/^/      | /'
            fi
            scrub "$scratch"
        done
    done
}

if [ "$(id -u)" -ne 0 ] && [ "$suite" != unit ]; then
    echo "osbox tests: integration and kvm suites need root" >&2
    exit 1
fi

case $suite in
    unit) run_unit ;;
    integration) run_shell_suite tests/integration ;;
    kvm) TEST_TIMEOUT=$KVM_TEST_TIMEOUT run_shell_suite tests/kvm ;;
    all) run_unit; run_shell_suite tests/integration; TEST_TIMEOUT=$KVM_TEST_TIMEOUT run_shell_suite tests/kvm ;;
    *) echo "usage: $0 [all|unit|integration|kvm] [FILTER]" >&2; exit 2 ;;
esac

if [ ${#failures[@]} -gt 0 ]; then
    echo "failed:"
    printf '  %s\n' "${failures[@]}"
fi
echo "summary: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
