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

# make_custom_image NAME CONFIG: a copy of the busybox image under NAME with
# its config's "config" object replaced by CONFIG (JSON), re-digested, loaded.
make_custom_image() {
    local name=$1 config=$2 src="$OSBOX_SRC/build/images/busybox.oci" dst="$T/$1.oci"
    local md cd cfg ncd nsize osize manifest nmd msize
    cp -r "$src" "$dst"
    md=$(sed 's/.*"digest":"sha256:\([0-9a-f]*\)".*/\1/' "$dst/index.json")
    manifest=$(cat "$dst/blobs/sha256/$md")
    cd=$(printf '%s' "$manifest" | sed 's/^[^{]*{[^{]*"config":{[^}]*"digest":"sha256:\([0-9a-f]*\)".*/\1/')
    osize=$(stat -c %s "$dst/blobs/sha256/$cd")
    cfg=$(sed "s|\"config\":{[^}]*}|\"config\":$config|" "$dst/blobs/sha256/$cd")
    printf '%s' "$cfg" > "$T/cfg"
    ncd=$(sha256sum "$T/cfg" | cut -d' ' -f1); nsize=$(stat -c %s "$T/cfg")
    mv "$T/cfg" "$dst/blobs/sha256/$ncd"
    printf '%s' "$manifest" | sed "s/$cd/$ncd/; s/\"size\":$osize/\"size\":$nsize/" > "$T/man"
    nmd=$(sha256sum "$T/man" | cut -d' ' -f1); msize=$(stat -c %s "$T/man")
    mv "$T/man" "$dst/blobs/sha256/$nmd"
    sed -e "s/$md/$nmd/" -e "s/\"size\":[0-9]*/\"size\":$msize/" \
        -e "s/\"org.opencontainers.image.ref.name\":\"[^\"]*\"/\"org.opencontainers.image.ref.name\":\"$name:latest\"/" \
        "$src/index.json" > "$dst/index.json"
    "$OSBOX" load --oci-dir "$dst" >/dev/null
}

# Nothing of this test's roots may stay mounted; no cgroup of this test's containers remains.
assert_no_leftovers() {
    local m
    m=$(grep -e "$OSBOX_ROOT" -e "$OSBOX_RUN" /proc/self/mountinfo || true)
    [ -z "$m" ] || fail "mounts left behind: $m"
    # Only this test's container cgroups (new_osbox_cgroups), so another osbox
    # run on this machine cannot show up here. A few seconds' grace covers a
    # monitor that exits just after its container.
    local i
    for i in 1 2 3 4 5 6; do
        m=$(new_osbox_cgroups)
        [ -z "$m" ] && return 0
        sleep 1
    done
    fail "cgroups left behind: $m"
}

# osbox-* cgroup directories anywhere.
osbox_cgroups() {
    find /sys/fs/cgroup -mindepth 1 -maxdepth 6 -type d -name 'osbox-*' 2>/dev/null | sort
}

# This test's container cgroups: the runner starts each test in cgroups of
# its own (OSBOX_TEST_CGROUPS), and osbox makes a container's cgroup below
# its own, so exactly those under them. (A --cgroup-parent test checks the
# parent it names itself.) Without them (a test run by hand, a v2 cgroup that
# holds processes, the harness): the ones new since the test started.
new_osbox_cgroups() {
    local d
    if [ -n "${OSBOX_TEST_CGROUPS:-}" ]; then
        for d in $OSBOX_TEST_CGROUPS; do
            find "$d" -mindepth 1 -maxdepth 8 -type d -name 'osbox-*' 2>/dev/null
        done
    elif [ -n "${OSBOX_TEST_CGROUP_BASELINE:-}" ] && [ -f "$OSBOX_TEST_CGROUP_BASELINE" ]; then
        osbox_cgroups | comm -13 "$OSBOX_TEST_CGROUP_BASELINE" -
    else
        osbox_cgroups
    fi
}

# cgroup_hierarchies: "MOUNTPOINT FSTYPE OWN" for every cgroup hierarchy,
# OWN being this process's cgroup there (one awk: this runs before every test).
cgroup_hierarchies() {
    awk 'FILENAME ~ /cgroup$/ { split($0, f, ":"); p = substr($0, length(f[1]) + length(f[2]) + 3)
                                if (f[2] == "") v2 = p; else { n = split(f[2], c, ","); for (i = 1; i <= n; i++) own[c[i]] = p }
                                next }
         { for (i = 7; i <= NF; i++) if ($i == "-") break
           if ($(i + 1) == "cgroup2") m[++k] = $5 " cgroup2"
           else if ($(i + 1) == "cgroup") { m[++k] = $5 " cgroup"; opt[k] = $(i + 3) } }
         END { for (j = 1; j <= k; j++) {
                   if (m[j] ~ / cgroup2$/) { if (v2 != "") print m[j], v2; continue }
                   n = split(opt[j], o, ","); for (i = 1; i <= n; i++) if (o[i] in own) { print m[j], own[o[i]]; break } } }' \
        /proc/self/cgroup /proc/self/mountinfo
}

# enter_test_cgroup NAME: put this process (the test's shell) into a cgroup of
# its own below its current one in every v1 hierarchy, and on a pure v2 host
# whose runner sits in the root cgroup, in NAME/test there; exports the test's
# cgroup dirs as OSBOX_TEST_CGROUPS. Elsewhere (a v2 cgroup that holds
# processes cannot get controllers below it) leftovers are judged by the
# baseline alone.
enter_test_cgroup() {
    local mnt fs own d v dirs="" make=""
    local -a h
    mapfile -t h < <(cgroup_hierarchies)
    for v in "${h[@]}"; do
        read -r mnt fs own <<<"$v"
        d=$mnt${own%/}/$1
        if [ "$fs" = cgroup2 ]; then
            host_is_pure_v2 && [ "$own" = / ] || continue
            make="$make $d/test"
        else
            make="$make $d"
        fi
    done
    [ -n "$make" ] || return 0
    # shellcheck disable=SC2086
    mkdir -p $make || return 0
    for v in "${h[@]}"; do
        read -r mnt fs own <<<"$v"
        d=$mnt${own%/}/$1
        case " $make " in *" $d "*|*" $d/test "*) ;; *) continue ;; esac
        if [ -f "$d/cpuset.cpus" ]; then # v1 cpuset: a new cgroup starts with none
            read -r v <"$mnt${own%/}/cpuset.cpus" && echo "$v" >"$d/cpuset.cpus" 2>/dev/null || true
            read -r v <"$mnt${own%/}/cpuset.mems" && echo "$v" >"$d/cpuset.mems" 2>/dev/null || true
        fi
        if [ "$fs" = cgroup2 ]; then echo "$BASHPID" >"$d/test/cgroup.procs" 2>/dev/null || continue
        else echo "$BASHPID" >"$d/cgroup.procs" 2>/dev/null || continue; fi
        dirs="$dirs $d"
    done
    export OSBOX_TEST_CGROUPS=${dirs# }
}

# remove_test_cgroup DIRS: after the test, kill what is left in its cgroups
# and remove them, deepest first (bounded).
remove_test_cgroup() {
    local d c i p
    [ -n "$1" ] || return 0
    # shellcheck disable=SC2086
    rmdir $(for d in $1; do [ -d "$d/test" ] && echo "$d/test"; done) $1 2>/dev/null && return 0
    for i in 1 2 3 4 5; do
        c=0
        for d in $1; do
            [ -d "$d" ] || continue
            c=1
            for p in $(cat $(find "$d" -name cgroup.procs) 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
            find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
        done
        [ "$c" = 1 ] || return 0
        sleep 0.2
    done
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
    # One process for all ~270 links (a fork each costs ~0.3 s under the
    # harness's software emulation).
    /bin/busybox --list | python3 -c '
import os, sys
for a in sys.stdin.read().split():
    if a != "busybox":
        p = os.path.join(sys.argv[1], a)
        if os.path.lexists(p): os.unlink(p)
        os.symlink("busybox", p)' "$dir/bin"
    chmod 1777 "$dir/tmp"
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$dir/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' >"$dir/etc/group"
}

# make_toolchain_rootfs DIR: a busybox rootfs (make_busybox_rootfs) that can
# also compile static C programs with `musl-gcc`, assembled offline from the
# host's files: the gcc driver, cc1, collect2, as, ld, the musl headers and
# libraries (Debian's musl-tools/musl-dev), gcc's own headers and libgcc, and
# the shared-library closure of those binaries (ldd). Built once per test run
# under $OSBOX_TEST_CACHE (tests/run-tests.sh makes it) and copied from there.
make_toolchain_rootfs() {
    local dir=$1 cache=${OSBOX_TEST_CACHE:-} gcc lib f bins
    if [ -n "$cache" ] && [ -d "$cache/toolchain-rootfs" ]; then
        cp -a "$cache/toolchain-rootfs/." "$dir/"
        return 0
    fi
    command -v musl-gcc >/dev/null || skip "no musl-gcc (Debian: musl-tools)"
    gcc=$(readlink -f "$(command -v x86_64-linux-gnu-gcc)") || skip "no x86_64-linux-gnu-gcc"
    lib=$(dirname "$("$gcc" -print-libgcc-file-name)")
    [ -d /usr/lib/x86_64-linux-musl ] && [ -d /usr/include/x86_64-linux-musl ] || skip "no musl-dev"
    make_busybox_rootfs "$dir"
    mkdir -p "$dir/usr/bin"
    bins="$gcc $lib/cc1 $lib/collect2 $lib/liblto_plugin.so $(readlink -f /usr/bin/as) $(readlink -f /usr/bin/ld)"
    # the binaries, their libraries and the loader, each at the path ldd names
    for f in $bins $(ldd $bins 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// && $2 ~ /^\(/ {print $1}' | sort -u); do
        cp -L --parents "$f" "$dir" || fail "copy $f"
    done
    # (tar, not cp -a --parents: coreutils 9.1's fails on some parent dirs)
    (cd / && tar -cf - usr/bin/musl-gcc usr/bin/x86_64-linux-musl-gcc usr/lib/x86_64-linux-musl usr/include/x86_64-linux-musl \
        "${lib#/}/include" "${lib#/}/libgcc.a" "${lib#/}/libgcc_eh.a" "${lib#/}"/crt*.o) |
        tar -C "$dir" -xf - || fail "copy musl"
    ln -sf "$(basename "$gcc")" "$dir/usr/bin/x86_64-linux-gnu-gcc"
    ln -sf "$(basename "$(readlink -f /usr/bin/as)")" "$dir/usr/bin/as"
    ln -sf "$(basename "$(readlink -f /usr/bin/ld)")" "$dir/usr/bin/ld"
    if [ -n "$cache" ]; then
        cp -a "$dir" "$cache/toolchain-rootfs.part" && mv "$cache/toolchain-rootfs.part" "$cache/toolchain-rootfs"
    fi
}

# Containers in tests get no network unless a test asks for one: osbox's
# default (bridge) would create osbox0, nftables rules and ip_forward in the
# namespace the test runs in, which for most suites is the machine's own.
# tests/integration/network.sh sets bridge itself, inside unshare -n.
export OSBOX_NETWORK=${OSBOX_NETWORK:-none}
# Likewise no test pulls an image it does not have (osbox run's default,
# --pull missing, would ask docker.io for it): tests/integration/registry.sh
# asks for pulls from its own registries with --pull or OSBOX_PULL=missing.
export OSBOX_PULL=${OSBOX_PULL:-never}

# ---- VM tests with and without /dev/kvm ----
# Tests that need what this machine may lack (/dev/kvm, pure cgroup v2) run
# inside the nested-KVM harness (tests/kvm/run-in-kvm-vm.sh), which has both.
# A boot costs ~20-30 s under software emulation, so tests/run-tests.sh boots
# it ONCE per run, in the background from the start, for every test of
# harness_batch_list; each such test then only replays its saved result
# (harness_replay). A test run outside run-tests.sh boots the harness for its
# file alone.

# The harness path: where /dev/kvm does not work, or forced with
# OSBOX_TEST_VIA_HARNESS=1 (never inside the harness itself).
harness_path() {
    [ -z "${OSBOX_HARNESS:-}" ] || return 1
    [ "${OSBOX_TEST_VIA_HARNESS:-0}" = 1 ] && return 0
    ! have_kvm
}

host_is_pure_v2() {
    grep -q ' - cgroup2 ' /proc/self/mountinfo && ! grep -q ' - cgroup ' /proc/self/mountinfo
}

# Files whose every test goes through the harness on the harness path.
HARNESS_VM_FILES="tests/kvm/vm_detach.sh tests/kvm/vm_net.sh tests/kvm/vm_run.sh tests/kvm/vmm.sh"

# Files whose tests need a real systemd as PID 1: they boot the harness with
# HARNESS_INIT=systemd, one boot per file (never in the run's shared batch).
HARNESS_SYSTEMD_FILES="tests/kvm/systemd_pid1.sh"

harness_init_of() { # DIR: systemd when DIR/list holds a file of HARNESS_SYSTEMD_FILES
    local f
    for f in $HARNESS_SYSTEMD_FILES; do
        grep -q "^$f " "$1/list" 2>/dev/null && { echo systemd; return 0; }
    done
    echo busybox
}

# harness_batch_list: "FILE TEST" lines of everything the one boot runs on
# this machine, in the order it runs them (integration tests first: that suite
# runs alongside the boot and waits for them), then in the kvm suite's order.
harness_batch_list() {
    local f
    host_is_pure_v2 || echo "tests/integration/cgroups_direct.sh test_clone_into_cgroup"
    harness_path && echo "tests/integration/bench.sh test_bench_vm_mode_missing_image"
    echo "tests/kvm/cgroup_v2.sh test_cgroup_v2_in_harness_vm"
    if harness_path; then
        for f in $HARNESS_VM_FILES; do
            list_tests "$f" | sed "s|^|$f |"
        done
    fi
    # Linux guests take the harness also on kvm-pvm, which cannot run them
    # (tests/kvm/vm_linux.sh, linux_in_kvm).
    if harness_path || [ -e /sys/module/kvm_pvm ]; then
        list_tests tests/kvm/vm_linux.sh | sed "s|^|tests/kvm/vm_linux.sh |"
    fi
}

list_tests() { # FILE: its test_* functions
    bash -c "source '$OSBOX_SRC/tests/lib.sh'; source '$OSBOX_SRC/$1'; declare -F" | awk '$3 ~ /^test_/ {print $3}'
}

# kvm_or_harness FILE TEST [KEY_FILE...]: returns where /dev/kvm works (the
# test runs here); on the harness path the test replays its result from the
# harness instead and exits with it.
kvm_or_harness() {
    if [ -n "${OSBOX_HARNESS:-}" ]; then
        have_kvm || fail "no /dev/kvm inside the nested-KVM harness"
        return 0
    fi
    harness_path || return 0
    harness_replay "$@"
}

# in_harness FILE TEST [KEY_FILE...]: the test's body runs inside the harness,
# on every machine (it checks what only the harness has).
in_harness() {
    [ -n "${OSBOX_HARNESS:-}" ] && return 0
    harness_replay "$@"
}

# v2_or_harness FILE TEST: returns on a pure cgroup v2 host; elsewhere the
# test runs in the harness, which is one.
v2_or_harness() {
    [ -n "${OSBOX_HARNESS:-}" ] && return 0
    host_is_pure_v2 && return 0
    harness_replay "$@"
}

# harness_replay FILE TEST [KEY_FILE...]: print TEST's output from the
# harness and exit with its status. Inside a run of tests/run-tests.sh the
# result comes from the run's one boot (OSBOX_HARNESS_BATCH), waited for;
# otherwise one boot runs every test of FILE, its results keyed by osbox,
# FILE and the KEY_FILEs (the guests under test) and each used once.
harness_replay() {
    local file=$1 name=$2 dir rc
    shift 2
    [ -x "$OSBOX_SRC/tests/kvm/run-in-kvm-vm.sh" ] || skip "no /dev/kvm and no nested-KVM harness"
    if [ -n "${OSBOX_HARNESS_BATCH:-}" ] && grep -qx "$file $name" "$OSBOX_HARNESS_BATCH/list" 2>/dev/null; then
        harness_wait "$OSBOX_HARNESS_BATCH" "$file" "$name"
        harness_result "$OSBOX_HARNESS_BATCH/$(basename "$file" .sh)" "$name" keep
    fi
    dir=$OSBOX_SRC/build/tests/kvm/harness-$(basename "$file" .sh)/$(cat "$OSBOX" "$OSBOX_SRC/$file" "$@" \
        2>/dev/null | md5sum | cut -c1-12)
    if [ ! -f "$dir/$(basename "$file" .sh)/$name.status" ]; then
        rm -rf "${dir%/*}" # results of other builds are stale
        mkdir -p "$dir"
        list_tests "$file" | sed "s|^|$file |" >"$dir/list"
        harness_boot "$dir" || fail "nested-KVM harness failed (status $?): $(tail -n 30 "$dir/harness.err")"
    fi
    harness_result "$dir/$(basename "$file" .sh)" "$name" once
}

# harness_boot DIR: run every "FILE TEST" of DIR/list in the harness
# (harness_batch), its stderr in DIR/harness.err, its status in DIR/ended.
# The tests' own limits run on the VM's clock; this host watches too: a test
# with no result HARNESS_TEST_TIMEOUT + 60 s (host time) after it started, or
# a heartbeat (harness_batch) silent for HARNESS_STALL_SECONDS, means the VM
# itself stalled, so the VM is killed and one fresh boot runs what is left,
# that test included (a second stall of it is its failure).
harness_boot() {
    local dir=$1 rc=0 boot limit=${HARNESS_TEST_TIMEOUT:-300}
    export HARNESS_TEST_TIMEOUT=$limit
    for boot in 1 2; do
        harness_todo "$dir" >"$dir/todo"
        [ -s "$dir/todo" ] || break
        rc=0
        harness_boot_once "$dir" "$boot" || rc=$?
        [ -f "$dir/stalled" ] || break
        rm -f "$dir/stalled"
        rc=124 # unless the next boot runs the rest
    done
    # A test that stalled the VM twice has no result: say so in its place.
    local file t sub
    while read -r file t; do
        sub=$dir/$(basename "$file" .sh)
        if [ -f "$sub/$t.stalls" ] && [ ! -f "$sub/$t.status" ]; then
            echo "FAIL: the harness VM stalled twice while $t ran ($(tail -n 1 "$sub/$t.stalls"))" >>"$sub/$t.out"
            echo 124 >"$sub/$t.status"
        fi
    done <"$dir/list"
    echo "$rc" >"$dir/ended"
    return "$rc"
}

harness_todo() { # DIR: the list's tests without a result yet
    local file t
    while read -r file t; do
        [ -f "$1/$(basename "$file" .sh)/$t.status" ] || echo "$file $t"
    done <"$1/list"
}

harness_boot_once() { # DIR BOOT
    local dir=$1 boot=$2 n pid rc=0 file t sub cur="" since=0 limit=$HARNESS_TEST_TIMEOUT why
    local stall=${HARNESS_STALL_SECONDS:-90}
    n=$(wc -l <"$dir/todo")
    rm -f "$dir/heartbeat"
    HARNESS_ENV="HARNESS_TEST_TIMEOUT ${HARNESS_ENV:-}" HARNESS_RESULTS=$dir \
        HARNESS_INIT=$(harness_init_of "$dir") \
        HARNESS_TIMEOUT=${HARNESS_TIMEOUT:-$((n * limit < 1500 ? 120 + n * limit : 1500))} \
        HARNESS_CONSOLE=$dir/console.$boot.log HARNESS_VERBOSE=1 \
        "$OSBOX_SRC/tests/kvm/run-in-kvm-vm.sh" \
        bash -c 'source tests/lib.sh && harness_batch "$0"' "$dir" </dev/null >>"$dir/harness.out" 2>>"$dir/harness.err" &
    pid=$!
    while kill -0 "$pid" 2>/dev/null; do
        sleep 2
        # The running test: the first without a result that has started.
        t=""
        while read -r file t; do
            sub=$dir/$(basename "$file" .sh)
            [ -f "$sub/$t.status" ] && continue
            [ -f "$sub/$t.out" ] || t=""
            break
        done <"$dir/todo"
        [ -n "$t" ] || continue
        if [ "$file $t" != "$cur" ]; then cur="$file $t" since=$SECONDS; continue; fi
        why=""
        if [ $((SECONDS - since)) -gt $((limit + 60)) ]; then
            why="no result $((SECONDS - since)) s after it started (its limit inside: ${limit} s)"
        elif [ -f "$dir/heartbeat" ] && [ $(($(date +%s) - $(stat -c %Y "$dir/heartbeat"))) -gt "$stall" ] &&
             [ $((SECONDS - since)) -gt "$stall" ]; then
            why="no heartbeat from the VM for over ${stall} s"
        fi
        if [ -n "$why" ]; then
            echo "harness: $file:$t: $why: the VM stalled; killing it (boot $boot)" >>"$dir/harness.err"
            echo "the harness VM stalled while this test ran in boot $boot ($why); it ran again in a fresh boot" >>"$sub/$t.stalls"
            touch "$dir/stalled"
            kill -TERM "$pid" 2>/dev/null
            break
        fi
    done
    wait "$pid" || rc=$?
    return "$rc"
}

# harness_wait DIR FILE TEST: until the boot has run TEST or ended.
harness_wait() {
    local dir=$1 file=$2 name=$3 res
    res=$dir/$(basename "$file" .sh)/$name.status
    [ -f "$res" ] && return 0
    echo "waiting for the harness boot (log: $dir) to run $file:$name"
    while [ ! -f "$res" ] && [ ! -f "$dir/ended" ]; do sleep 1; done
}

# harness_result DIR TEST keep|once: TEST's output, then exit with its
# status; "once" removes the result (a run of the same build boots again).
harness_result() {
    local dir=$1 name=$2 use=$3 rc top=${1%/*}
    if [ ! -f "$dir/$name.status" ]; then
        if [ -f "$dir/$name.out" ]; then
            echo "the harness boot ended (status $(cat "$top/ended" 2>/dev/null)) while $name ran; its output so far:"
            cat "$dir/$name.out"
        else
            echo "the harness boot ended (status $(cat "$top/ended" 2>/dev/null)) before it ran $name"
        fi
        tail -n 30 "$top/harness.err" 2>/dev/null
        fail "no result of $name from the nested-KVM harness"
    fi
    rc=$(cat "$dir/$name.status")
    [ ! -f "$dir/$name.stalls" ] || cat "$dir/$name.stalls"
    cat "$dir/$name.out"
    echo "harness-seconds: $(cat "$dir/$name.secs" 2>/dev/null)"
    [ "$use" = keep ] || rm -f "$dir/$name.status"
    exit "$rc"
}

# Inside the harness: each "FILE TEST" of DIR/todo in its own bash with fresh
# roots and a per-test time limit, leaving FILE/TEST.{out,status,secs} in DIR.
harness_batch() {
    local dir=$1 file t scratch rc sub start limit=${HARNESS_TEST_TIMEOUT:-300} beat
    # A beat every 5 s for the host (harness_boot_once): seen here, QEMU's
    # emulated SVM now and then hangs the whole VM, and a silent heartbeat
    # finds that in a minute or two instead of at the test's time limit.
    (while kill -0 $$ 2>/dev/null; do date +%s >"$dir/heartbeat"; sleep 5; done) &
    beat=$!
    while read -r file t; do
        sub=$dir/$(basename "$file" .sh)
        mkdir -p "$sub"
        scratch=$(mktemp -d /tmp/osbox-batch.XXXXXX)
        mkdir -p "$scratch/root" "$scratch/run" "$scratch/t"
        osbox_cgroups >"$scratch/cgroups.before"
        rc=0 start=$SECONDS
        OSBOX_ROOT=$scratch/root OSBOX_RUN=$scratch/run T=$scratch/t \
            OSBOX_TEST_CGROUP_BASELINE=$scratch/cgroups.before \
            timeout -k 10 "$limit" \
            bash -c "set -eu; source tests/lib.sh; source '$file'; $t" \
            </dev/null >"$sub/$t.out" 2>&1 || rc=$?
        [ "$rc" != 124 ] || echo "FAIL: $t timed out after ${limit}s inside the harness (HARNESS_TEST_TIMEOUT)" >>"$sub/$t.out"
        echo $((SECONDS - start)) >"$sub/$t.secs"
        echo "$rc" >"$sub/$t.status"
        rm -rf "$scratch"
    done <"$dir/todo"
    kill "$beat" 2>/dev/null
}

# Poll CMD until it succeeds, at most N tenths of a second.
wait_for() {
    local n=$1 i
    shift
    for i in $(seq 1 "$n"); do
        if "$@"; then return 0; fi
        sleep 0.1
    done
    return 1
}
