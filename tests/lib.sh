# Shared helpers for osbox shell tests (integration/ and kvm/).
# The runner sources this, then the test file, then calls one test_* function
# in its own bash process with `set -eu`; exit 0 = pass, 77 = skip, else fail.
#
# Every test gets its own temporary state roots:
#   OSBOX_ROOT, OSBOX_RUN   (exported by the runner)
#   T                       a scratch directory removed after the test

OSBOX=${OSBOX:-$PWD/build/osbox}
OSBOX_SRC=${OSBOX_SRC:-$PWD}

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*" >&2; exit 77; }

assert_eq() { # expected actual [what]
    [ "$1" = "$2" ] || fail "${3:-value}: expected '$1', got '$2'"
}
assert_ne() {
    [ "$1" != "$2" ] || fail "${3:-value}: expected something other than '$1'"
}
assert_contains() { # haystack needle [what]
    case "$1" in *"$2"*) ;; *) fail "${3:-output} does not contain '$2': $1" ;; esac
}
assert_not_contains() {
    case "$1" in *"$2"*) fail "${3:-output} unexpectedly contains '$2': $1" ;; *) ;; esac
}
# assert_status EXPECTED CMD... : run CMD, compare its exit status.
assert_status() {
    local want=$1 got=0
    shift
    "$@" || got=$?
    [ "$got" = "$want" ] || fail "'$*' exited $got, expected $want"
}
# Run CMD and capture stdout+stderr into $OUT and status into $STATUS (never fails).
capture() {
    STATUS=0
    OUT=$("$@" 2>&1) || STATUS=$?
}

# Load the built-in busybox image into this test's store.
load_busybox() {
    [ -d "$OSBOX_SRC/build/images/busybox.oci" ] || fail "build/images/busybox.oci missing: run 'make images'"
    "$OSBOX" load --oci-dir "$OSBOX_SRC/build/images/busybox.oci" >/dev/null
}

# Nothing of this test's roots may stay mounted; no cgroup of this test's containers remains.
assert_no_leftovers() {
    local m
    m=$(grep -e "$OSBOX_ROOT" -e "$OSBOX_RUN" /proc/self/mountinfo || true)
    [ -z "$m" ] || fail "mounts left behind: $m"
    # Only cgroups that appeared during this test count (the runner records the
    # ones that existed before it); a container cgroup of someone else's run on a
    # shared machine comes and goes, so a new one gets a few seconds to vanish.
    local i
    for i in 1 2 3 4 5 6; do
        m=$(new_osbox_cgroups)
        [ -z "$m" ] && return 0
        sleep 1
    done
    fail "cgroups left behind: $m"
}

# osbox-* cgroup directories that did not exist when the test started.
osbox_cgroups() {
    find /sys/fs/cgroup -mindepth 1 -maxdepth 6 -type d -name 'osbox-*' 2>/dev/null | sort
}
new_osbox_cgroups() {
    if [ -n "${OSBOX_TEST_CGROUP_BASELINE:-}" ] && [ -f "$OSBOX_TEST_CGROUP_BASELINE" ]; then
        osbox_cgroups | comm -13 "$OSBOX_TEST_CGROUP_BASELINE" -
    else
        osbox_cgroups
    fi
}

have_kvm() { [ -r /dev/kvm ] && [ -w /dev/kvm ]; }

# make_busybox_rootfs DIR: a plain rootfs from the host's /bin/busybox
# (busybox-static) with every applet linked and a minimal /etc, for
# `osbox run --rootfs DIR` (no image store needed).
make_busybox_rootfs() {
    local dir=$1 a
    [ -x /bin/busybox ] || skip "no /bin/busybox (busybox-static)"
    mkdir -p "$dir/bin" "$dir/etc" "$dir/tmp" "$dir/root"
    cp /bin/busybox "$dir/bin/busybox"
    for a in $(/bin/busybox --list); do
        [ "$a" = busybox ] || ln -sf busybox "$dir/bin/$a"
    done
    chmod 1777 "$dir/tmp"
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$dir/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' >"$dir/etc/group"
}

# Containers in tests get no network unless a test asks for one: osbox's
# default (bridge) would create osbox0, nftables rules and ip_forward in the
# namespace the test runs in, which for most suites is the machine's own.
# tests/integration/network.sh sets bridge itself, inside unshare -n.
export OSBOX_NETWORK=${OSBOX_NETWORK:-none}

# ---- VM tests with and without /dev/kvm ----
# kvm_or_harness FILE TEST KEY_FILE...: returns where /dev/kvm works, so the test
# runs directly. Elsewhere (or with OSBOX_TEST_VIA_HARNESS=1) one nested-KVM
# harness boot runs every test_* of FILE (a boot costs ~30 s), and each test then
# replays its own saved result and exits with it. Results are keyed by osbox,
# FILE and the KEY_FILEs (the guests under test), and used once.
kvm_or_harness() {
    local file=$1 name=$2
    shift 2
    if [ -n "${OSBOX_HARNESS:-}" ] || [ "${OSBOX_TEST_VIA_HARNESS:-0}" != 1 ]; then
        have_kvm && return 0
    fi
    [ -n "${OSBOX_HARNESS:-}" ] && skip "no /dev/kvm even inside the harness"
    [ -x "$OSBOX_SRC/tests/kvm/run-in-kvm-vm.sh" ] || skip "no /dev/kvm and no nested-KVM harness"
    harness_replay "$file" "$name" "$@"
}

harness_replay() {
    local file=$1 name=$2 dir rc
    shift 2
    dir=$OSBOX_SRC/build/tests/kvm/harness-$(basename "$file" .sh)/$(cat "$OSBOX" "$OSBOX_SRC/$file" "$@" \
        2>/dev/null | md5sum | cut -c1-12)
    if [ ! -f "$dir/$name.status" ]; then
        rm -rf "${dir%/*}" # results of other builds are stale
        mkdir -p "$dir"
        HARNESS_RESULTS=$dir HARNESS_TIMEOUT=${HARNESS_TIMEOUT:-840} \
            "$OSBOX_SRC/tests/kvm/run-in-kvm-vm.sh" \
            bash -c 'source tests/lib.sh && harness_batch "$0" "$1"' "$file" "$dir" ||
            fail "nested-KVM harness failed (status $?)"
    fi
    [ -f "$dir/$name.status" ] || fail "the harness batch did not run $name"
    rc=$(cat "$dir/$name.status")
    cat "$dir/$name.out"
    rm -f "$dir/$name.status"
    exit "$rc"
}

# Inside the harness: every test_* of FILE in its own bash with fresh roots,
# leaving NAME.status and NAME.out in DIR.
harness_batch() {
    local file=$1 dir=$2 t scratch rc
    for t in $(bash -c "source tests/lib.sh; source '$file'; declare -F" | awk '$3 ~ /^test_/ {print $3}'); do
        scratch=$(mktemp -d /tmp/osbox-batch.XXXXXX)
        mkdir -p "$scratch/root" "$scratch/run" "$scratch/t"
        rc=0
        OSBOX_ROOT=$scratch/root OSBOX_RUN=$scratch/run T=$scratch/t \
            timeout -k 10 "${TEST_TIMEOUT:-300}" \
            bash -c "set -eu; source tests/lib.sh; source '$file'; $t" \
            </dev/null >"$dir/$t.out" 2>&1 || rc=$?
        echo "$rc" >"$dir/$t.status"
        rm -rf "$scratch"
    done
}
