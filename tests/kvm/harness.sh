# shellcheck shell=bash
# Tests of the nested-KVM harness itself (tests/kvm/run-in-kvm-vm.sh).
# Booting is slow under software emulation, so test_harness_vm checks
# everything in ONE boot; the other tests do not boot, or boot for seconds.

HARNESS=${OSBOX_SRC:-$PWD}/tests/kvm/run-in-kvm-vm.sh

need_qemu() {
    # A TCG VM inside the TCG VM would take minutes: only from the outside.
    [ -z "${OSBOX_HARNESS:-}" ] || skip "already inside the nested-KVM harness"
    command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 not installed"
    ls /boot/vmlinuz-* >/dev/null 2>&1 || skip "no kernel in /boot (linux-image-amd64)"
}

test_harness_vm() {
    need_qemu
    # A path on the shared root that is not one of the harness's fresh tmpfs
    # (the checkout itself may be under /tmp, which is one).
    local probe=/var/tmp/osbox-harness-probe.$$ start end
    mkdir -p "$T/results"
    # shellcheck disable=SC2016 # expanded inside the VM
    local script='
        set -u
        exec 9<>/dev/kvm && echo "kvm opens"
        c=$(cat /sys/fs/cgroup/cgroup.controllers)
        for x in cpu memory pids io cpuset; do case " $c " in *" $x "*) ;; *) echo "missing controller $x";; esac; done
        echo "cgroup $(cat /proc/self/cgroup)"
        grep -q memory "/sys/fs/cgroup$(cut -d: -f3 /proc/self/cgroup)/cgroup.controllers" && echo "leaf has memory"
        echo "cwd $PWD"
        echo "env ${OSBOX_PROBE:-unset} ${HARNESS_PROBE:-unset} ${NOT_PASSED:-unset} $OSBOX_HARNESS"
        echo written >"$PROBE" && cat "$PROBE"
        echo "from the vm" >"$HARNESS_RESULTS/out.txt"
        for m in tun veth bridge nf_tables nft_nat nft_masq overlay; do modprobe "$m" && echo "modprobe $m ok"; done
        echo "to stderr" >&2
        test -e /dev/kvm && grep -q memory /sys/fs/cgroup/cgroup.controllers && exit 7'
    start=$(date +%s)
    STATUS=0
    OUT=$(cd "$OSBOX_SRC" && OSBOX_PROBE=o1 HARNESS_PROBE=h1 NOT_PASSED=n1 PROBE=$probe \
          HARNESS_ENV="HARNESS_PROBE PROBE" HARNESS_RESULTS=$T/results HARNESS_CGROUP=/test.slice/probe.service \
          HARNESS_TIMEOUT=300 TMPDIR=$T "$HARNESS" bash -c "$script" 2>&1) || STATUS=$?
    end=$(date +%s)
    echo "one harness boot: $((end - start)) s"
    local want="kvm opens
cgroup 0::/test.slice/probe.service
leaf has memory
cwd $OSBOX_SRC
env o1 h1 unset 1
written
modprobe tun ok
modprobe veth ok
modprobe bridge ok
modprobe nf_tables ok
modprobe nft_nat ok
modprobe nft_masq ok
modprobe overlay ok
to stderr"
    assert_eq "$want" "$OUT" "the command's output (and nothing else)"
    assert_eq 7 "$STATUS" "exit status"
    [ ! -e "$probe" ] || { rm -f "$probe"; fail "a write inside the VM reached the host"; }
    assert_eq "from the vm" "$(cat "$T/results/out.txt")" "results share"
    ! compgen -G "$T/osbox-harness.*" >/dev/null || fail "control dir left in $T"
}

test_harness_timeout_kills_vm() {
    need_qemu
    capture env HARNESS_TIMEOUT=3 TMPDIR=$T "$HARNESS" sleep 600
    assert_eq 124 "$STATUS" "status after timeout"
    assert_contains "$OUT" "timed out after 3s"
    ! pgrep -f "$T/osbox-harness" >/dev/null || fail "QEMU still running"
    ! compgen -G "$T/osbox-harness.*" >/dev/null || fail "control dir left in $T"
}

test_harness_bad_input() {
    capture "$HARNESS"
    assert_eq 2 "$STATUS" "no command"
    assert_contains "$OUT" "usage:"
    capture env HARNESS_TIMEOUT=abc "$HARNESS" true
    assert_eq 125 "$STATUS" "bad timeout"
    assert_contains "$OUT" "HARNESS_TIMEOUT"
    capture env HARNESS_KERNEL=$T/no-such-kernel "$HARNESS" true
    assert_eq 125 "$STATUS" "missing kernel"
    assert_contains "$OUT" "no kernel"
    capture env HARNESS_CGROUP=relative "$HARNESS" true
    assert_eq 125 "$STATUS" "relative cgroup"
    capture env HARNESS_ENV='1BAD' "$HARNESS" true
    assert_eq 125 "$STATUS" "bad HARNESS_ENV"
}

# A VM that dies before running the command (here: a kernel that is not a
# kernel) is a harness failure, 125, with the reason on stderr.
test_harness_boot_failure() {
    need_qemu
    local real
    real=$(ls /boot/vmlinuz-* | head -n 1)
    # Named like the real kernel, so the initramfs builds; but not a kernel.
    head -c 4096 /dev/zero >"$T/${real##*/}"
    capture env HARNESS_KERNEL="$T/${real##*/}" HARNESS_CACHE="$T/cache" HARNESS_TIMEOUT=60 \
        TMPDIR=$T "$HARNESS" echo never
    assert_eq 125 "$STATUS" "status after a failed boot"
    assert_contains "$OUT" "the VM ended without the command's status"
    assert_not_contains "$OUT" "never"
}
