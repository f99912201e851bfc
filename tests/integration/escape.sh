# The escape suite (issue 7): every attempt must fail inside a default
# container with the SPECIFIC denial expected, and the same probe under
# --privileged shows which attempts then succeed, so the test can tell a
# working denial from an attempt that never worked anyway. A third run with
# --security-opt seccomp=unconfined (default capabilities) shows which
# denials come from seccomp. The probe (tests/security/escape.c) only ever
# uses invalid arguments, reads or opens-without-writing for anything that
# could touch the host. The table is printed and saved to
# build/tests/security/escape-table.txt.

PROBE=${OSBOX_BUILD:-$OSBOX_SRC/build}/tests/security/escape

escape_setup() {
    [ -x "$PROBE" ] || fail "$PROBE missing: run 'make test-progs'"
    make_busybox_rootfs "$T/rootfs"
    mkdir -p "$T/rootfs/mnt"
    cp "$PROBE" "$T/rootfs/bin/escape"
    # The setuid-root copy for the no_new_privs attempt.
    cp "$PROBE" "$T/rootfs/bin/suidprobe"
    chown 0:0 "$T/rootfs/bin/suidprobe"
    chmod 4755 "$T/rootfs/bin/suidprobe"
    touch "$T/host-marker"
}

# A block device the host itself can open (the root disk when allowed):
# under --privileged the container can then read it too, by default not.
host_block_dev() {
    local d n root
    root=$(mountpoint -d / 2>/dev/null || true)
    for d in "/sys/dev/block/$root" /sys/class/block/*; do
        [ -r "$d/dev" ] || continue
        n=$(basename "$(readlink -f "$d")")
        [ -b "/dev/$n" ] && head -c 512 "/dev/$n" >/dev/null 2>&1 && { cat "$d/dev"; return; }
    done
    echo 0:0
}

probe() { # FLAGS... : run the probe, results in "$T/out"
    "$OSBOX" run --rm --network none "$@" --rootfs "$T/rootfs" \
        escape all $$ "$BLK" "$T/host-marker" >"$T/out" 2>"$T/err" ||
        fail "probe with '$*' failed: $(cat "$T/err")"
}
result() { sed -n "s/^$1 //p" "$2"; }

# name | what | expected by default | why (the denial) | privileged (glob, '-' = not asserted)
EXPECT='
mount_tmpfs|mount a filesystem|EPERM|seccomp + no CAP_SYS_ADMIN|ok
mount_badptr|mount (bad pointer: the kernel says EFAULT if reached)|EPERM|seccomp|EFAULT
pivot_root|pivot_root|EPERM|seccomp + no CAP_SYS_ADMIN|EFAULT
userns_mount|unshare(CLONE_NEWUSER), root there, mount|EPERM|seccomp (unshare of a user ns)|ok:*
kexec_load|kexec_load (invalid segment count)|EPERM|seccomp + no CAP_SYS_BOOT|-
init_module|init_module (empty image)|EPERM|seccomp + no CAP_SYS_MODULE|-
finit_module|finit_module (bad fd)|EPERM|seccomp + no CAP_SYS_MODULE|-
bpf|bpf (invalid command)|EPERM|seccomp|EINVAL
perf_event_open|perf_event_open (no attr)|EPERM|seccomp|EFAULT
keyctl|keyctl|EPERM|seccomp|EOPNOTSUPP
add_key|add_key|EPERM|seccomp|EFAULT
open_by_handle_at|open_by_handle_at (shocker)|EPERM|seccomp|EFAULT
reboot|reboot (bad magic)|EPERM|seccomp + no CAP_SYS_BOOT|EINVAL
swapon|swapon|EPERM|seccomp + no CAP_SYS_ADMIN|EFAULT
userfaultfd|userfaultfd|EPERM|seccomp + no CAP_SYS_PTRACE|ok
clone3|clone3 (libc falls back to clone)|ENOSYS|seccomp (ENOSYS on purpose)|EINVAL
sysrq_trigger|open /proc/sysrq-trigger for writing|@SYSRQ|read-only bind|-
proc_kcore|read /proc/kcore|@KCORE|masked (/dev/null)|-
proc_keys|read /proc/keys|@KEYS|masked (/dev/null)|ok:*
proc_timer_list|read /proc/timer_list|@TIMER|masked (/dev/null)|ok:*
sys_firmware|list /sys/firmware|@FIRMWARE|masked (empty ro tmpfs)|ok:*
proc_sys_write|open /proc/sys/kernel/hostname for writing|EROFS|read-only /proc/sys|ok
mknod_blk_read|mknod the host disk, open it|EACCES|nodev: device nodes work only in /dev|@BLKPRIV
mknod_in_dev|mknod in /dev|EROFS|/dev read-only after osbox made its nodes|ok
cgroup_release_agent|mount cgroup v1, open release_agent|EPERM|seccomp + no CAP_SYS_ADMIN|-
cgroup_move_to_root|open the root cgroup.procs|ENOENT|no cgroupfs mounted, /sys read-only|ENOENT
vsock_socket|socket(AF_VSOCK)|EPERM|seccomp (socket arg filter)|-
chroot_escape|chroot escape via an fd to the old root|contained|pivot_root, old root detached|contained
proc1_exe_readlink|readlink /proc/1/exe (the osbox binary)|EACCES|init not dumpable|ok:*
proc1_exe_write|open /proc/1/exe for writing (CVE-2019-5736)|EACCES|init not dumpable|ETXTBSY
pid_namespace|processes visible|2 processes|pid namespace (init + probe)|2 processes
ptrace_outside|ptrace a host process|ESRCH|pid namespace|ESRCH
ptrace_init|ptrace our init|EPERM|init not dumpable, no CAP_SYS_PTRACE|ok
sethostname|sethostname|EPERM|seccomp + no CAP_SYS_ADMIN|ok
clock_settime|clock_settime (invalid time)|EPERM|seccomp + no CAP_SYS_TIME|EINVAL
net_interfaces|network interfaces|ok:lo|network namespace (--network none)|ok:lo
'

# Where the host has no such file the container cannot have one either.
host_expect() { # PATH MASKED_RESULT
    if [ -e "$1" ]; then echo "$2"; else echo ENOENT; fi
}

test_escape_suite() {
    local name what want why priv got unc pgot line table host_name blkpriv
    escape_setup
    BLK=$(host_block_dev)
    host_name=$(hostname)
    probe
    cp "$T/out" "$T/default"
    probe --security-opt seccomp=unconfined
    cp "$T/out" "$T/unconfined"
    probe --privileged
    cp "$T/out" "$T/privileged"
    [ "$(hostname)" = "$host_name" ] || fail "the host's hostname changed"

    blkpriv='ok:*'
    [ "$BLK" = 0:0 ] && blkpriv='-'
    table=$(printf '%-44s %-12s %-44s %-12s %-10s %s\n' ATTEMPT EXPECTED "DENIED BY" DEFAULT UNCONFINED PRIVILEGED)
    while IFS='|' read -r name what want why priv; do
        [ -n "$name" ] || continue
        case $want in
            @SYSRQ) want=$(host_expect /proc/sysrq-trigger EROFS) ;;
            @KCORE) want=$(host_expect /proc/kcore empty) ;;
            @KEYS) want=$(host_expect /proc/keys empty) ;;
            @TIMER) want=$(host_expect /proc/timer_list empty) ;;
            @FIRMWARE) want=$(host_expect /sys/firmware empty) ;;
        esac
        [ "$priv" = @BLKPRIV ] && priv=$blkpriv
        [ "$want" = ENOENT ] && [ "$priv" = 'ok:*' ] && case $name in proc_*|sys_*) priv=ENOENT ;; esac
        got=$(result "$name" "$T/default")
        unc=$(result "$name" "$T/unconfined")
        pgot=$(result "$name" "$T/privileged")
        line=$(printf '%-44s %-12s %-44s %-12s %-10s %s' "$what" "$want" "$why" "$got" "$unc" "$pgot")
        table=$table$'\n'$line
        [ "$got" = "$want" ] || { echo "$table"; fail "$name: expected '$want' ($why), observed '$got'"; }
        # A seccomp denial must be seccomp's: without the filter the kernel answers otherwise
        # (or, where a capability is missing too, still EPERM).
        case $why in
            seccomp) [ "$unc" != "$got" ] || { echo "$table"; fail "$name: same result without seccomp"; } ;;
        esac
        if [ "$priv" != - ]; then
            # shellcheck disable=SC2254
            case $pgot in
                $priv) ;;
                *) echo "$table"; fail "$name: --privileged expected '$priv', observed '$pgot'" ;;
            esac
        fi
    done <<<"$EXPECT"

    # Attempts that need other flags.
    "$OSBOX" run --rm --network none --read-only --rootfs "$T/rootfs" escape remount >"$T/ro" 2>&1 || true
    "$OSBOX" run --rm --network none --read-only --privileged --rootfs "$T/rootfs" escape remount >"$T/ro.priv" 2>&1 || true
    probe --cap-drop NET_RAW
    got=$(result raw_socket "$T/out")
    table=$table$'\n'$(printf '%-44s %-12s %-44s %-12s %-10s %s' "remount / rw (--read-only)" EPERM \
        "seccomp + no CAP_SYS_ADMIN" "$(result remount_root_rw "$T/ro")" - "$(result remount_root_rw "$T/ro.priv")")
    table=$table$'\n'$(printf '%-44s %-12s %-44s %-12s %-10s %s' "raw socket (--cap-drop NET_RAW)" EPERM \
        "no CAP_NET_RAW" "$got" "$(result raw_socket "$T/default") (kept)" "$(result raw_socket "$T/privileged")")
    local nnp suid
    nnp=$("$OSBOX" run --rm --network none -u 65534 --rootfs "$T/rootfs" suidprobe euid 2>&1)
    suid=$("$OSBOX" run --rm --network none -u 65534 --security-opt no-new-privileges=false \
        --rootfs "$T/rootfs" suidprobe euid 2>&1)
    table=$table$'\n'$(printf '%-44s %-12s %-44s %-12s %-10s %s' "setuid-root binary as uid 65534 (euid)" 65534 \
        "no_new_privs" "$nnp" - "$suid (no-new-privileges=false)")
    mkdir -p "$(dirname "$PROBE")"
    printf '%s\n' "$table" | tee "$(dirname "$PROBE")/escape-table.txt"
    assert_eq EPERM "$(result remount_root_rw "$T/ro")" "remount / rw under --read-only"
    assert_eq ok:writable "$(result remount_root_rw "$T/ro.priv")" "remount / rw under --read-only --privileged"
    assert_eq EPERM "$got" "raw socket without NET_RAW"
    assert_eq ok "$(result raw_socket "$T/default")" "raw socket with Docker's default NET_RAW"
    assert_eq 65534 "$nnp" "setuid under no_new_privs"
    assert_eq 0 "$suid" "setuid without no_new_privs (proves the test can see a gain)"
}
