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
