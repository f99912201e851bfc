#!/usr/bin/env bash
# The nested-KVM harness: run a command inside a throwaway QEMU VM that has
# /dev/kvm and a pure cgroup v2 hierarchy, on machines without either.
#
#   tests/kvm/run-in-kvm-vm.sh CMD [ARG...]
#
# QEMU emulates the CPU in software (-accel tcg -cpu max: AMD SVM with nested
# paging) and boots the installed Debian kernel (linux-image-amd64) with a
# busybox initramfs (both prepared once under build/kvm-harness/). Inside:
#   - /dev/kvm works (kvm, kvm-amd loaded);
#   - / is this machine's root (9p, read-only) made writable by an overlay on
#     tmpfs: the freshly built osbox runs unchanged, and every write vanishes
#     with the VM. /tmp, /run, /var/lib/osbox, /dev/shm are fresh tmpfs; a
#     working directory under /tmp is visible read-only;
#   - /sys/fs/cgroup is cgroup2 (nsdelegate) with every controller in
#     cgroup.controllers; nothing is enabled in the root's subtree_control;
#   - modprobe finds the guest kernel's modules (tun, veth, bridge, nf_tables);
#   - no NIC, only lo (up). Hostname osbox-harness.
# CMD runs as root in the caller's working directory with stdin /dev/null and
# environment: PATH (sbin+bin), HOME=/root, TERM=dumb, LANG=C.UTF-8,
# OSBOX_HARNESS=1, OSBOX and every OSBOX_* variable, TEST_TIMEOUT, and the variables
# named in HARNESS_ENV. OSBOX_ROOT/OSBOX_RUN directories are pre-created.
#
# Output: the command's stdout+stderr, and nothing else, on this script's
# stdout (streamed through a second serial port); kernel and harness messages
# go to the console log. Exit status: the command's own; 124 if the timeout
# killed the VM; 125 if the harness failed (reason and console tail on stderr).
#
# Settings (environment):
#   HARNESS_TIMEOUT=600    seconds before QEMU is killed
#   HARNESS_RESULTS=DIR    host directory shared writable; inside it is mounted
#                          at the same path and HARNESS_RESULTS is set
#   HARNESS_CGROUP=/a/b    run CMD in this cgroup, created with every controller
#                          enabled on the way down (like a systemd service);
#                          default: the root cgroup
#   HARNESS_INIT=systemd   boot the shared root's systemd as PID 1 (pure v2,
#                          mounted by systemd) and run CMD as the oneshot unit
#                          harness-command.service (harness/systemd.sh: the
#                          host's own services and gettys, udev, networking
#                          are left out); default busybox: CMD under the
#                          initramfs's init, no manager at all
#   HARNESS_ENV="A B"      more variables to pass in
#   HARNESS_CONSOLE=FILE   keep the guest's console log there
#   HARNESS_KERNEL=FILE    kernel image (default: newest /boot/vmlinuz-* with modules)
#   HARNESS_PVH=0          boot the bzImage instead of its unpacked vmlinux (PVH)
#   HARNESS_APPEND="..."   more kernel parameters (the guest kernel runs with
#                          mitigations=off: fork+exec is twice as fast under TCG)
#   HARNESS_MEM=2048 HARNESS_CPUS=2   VM size (MiB, vCPUs)
#   HARNESS_CACHE=DIR      where the initramfs is cached (default build/kvm-harness)
#   HARNESS_VERBOSE=1      print timings (boot to command, total) on stderr
# Needs: qemu-system-x86, linux-image-amd64, busybox-static, cpio; run as root
# (the initramfs has device nodes, and 9p serves the whole root read-only).

# The test runner sources every tests/kvm/*.sh to list its tests: do nothing then.
if [ "${BASH_SOURCE[0]}" != "$0" ]; then return 0; fi
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/../.." && pwd)

harness_fail() { echo "run-in-kvm-vm: $*" >&2; exit 125; }
[ $# -gt 0 ] || { echo "usage: $0 CMD [ARG...]   (settings: see the header of this script)" >&2; exit 2; }
command -v qemu-system-x86_64 >/dev/null || harness_fail "qemu-system-x86_64 not found (Debian package qemu-system-x86)"

timeout_s=${HARNESS_TIMEOUT:-600}
case $timeout_s in ''|*[!0-9]*|0) harness_fail "HARNESS_TIMEOUT must be a positive number of seconds" ;; esac
mem=${HARNESS_MEM:-2048}
cpus=${HARNESS_CPUS:-2}

# Kernel: the newest installed one whose modules are present.
kernel=${HARNESS_KERNEL:-}
if [ -z "$kernel" ]; then
    for k in $(ls /boot/vmlinuz-* 2>/dev/null | sort -V -r); do
        [ -f "/lib/modules/${k#/boot/vmlinuz-}/modules.dep" ] && { kernel=$k; break; }
    done
fi
[ -n "$kernel" ] && [ -r "$kernel" ] || harness_fail "no kernel (install linux-image-amd64 or set HARNESS_KERNEL)"
kver=${kernel##*/vmlinuz-}

# Cached per kernel build (version, size, date) and per version of the sources.
cache=${HARNESS_CACHE:-$src/build/kvm-harness}
mkdir -p "$cache" || harness_fail "cannot create $cache"
kstamp=$(stat -c %s-%Y "$kernel" "/lib/modules/$kver/modules.dep" | md5sum | cut -c1-8)
sum=$(cat "$here/harness/init" "$here/harness/systemd.sh" "$here/harness/build-initramfs.sh" "$here/initramfs-lib.sh" | md5sum | cut -c1-8)
initrd=$cache/initramfs-$kver-$kstamp-$sum.cpio
if [ ! -s "$initrd" ]; then
    rm -f "$cache/initramfs-$kver-"*.cpio
    "$here/harness/build-initramfs.sh" "$kver" "$initrd" || harness_fail "cannot build the initramfs"
fi
# Boot the unpacked ELF through PVH where the kernel has it: ~2 s faster.
boot=$kernel
if [ "${HARNESS_PVH:-1}" = 1 ] && grep -qs '^CONFIG_PVH=y' "/boot/config-$kver"; then
    vmlinux=$cache/vmlinux-$kver-$kstamp
    if [ ! -s "$vmlinux" ]; then
        rm -f "$cache/vmlinux-$kver-"*
        "$here/harness/extract-vmlinux.sh" "$kernel" "$vmlinux"
    fi
    [ -s "$vmlinux" ] && boot=$vmlinux
fi

if [ -n "${HARNESS_RESULTS:-}" ]; then
    mkdir -p "$HARNESS_RESULTS" && HARNESS_RESULTS=$(cd "$HARNESS_RESULTS" && pwd) ||
        harness_fail "cannot use HARNESS_RESULTS=$HARNESS_RESULTS"
fi
case ${HARNESS_CGROUP:-/} in /*) ;; *) harness_fail "HARNESS_CGROUP must be an absolute cgroup path" ;; esac
case ${HARNESS_INIT:-busybox} in
    busybox) ;;
    systemd) [ -x /lib/systemd/systemd ] || harness_fail "HARNESS_INIT=systemd: no /lib/systemd/systemd (Debian package systemd)"
             [ "${HARNESS_CGROUP:-/}" = / ] || harness_fail "HARNESS_CGROUP does not go with HARNESS_INIT=systemd (systemd owns the tree)" ;;
    *) harness_fail "HARNESS_INIT must be busybox or systemd" ;;
esac

# Per-run control share: init.conf and run.sh in, started and status out.
ctl=$(mktemp -d "${TMPDIR:-/tmp}/osbox-harness.XXXXXX") || harness_fail "mktemp failed"
qpid=
cleanup() {
    if [ -n "$qpid" ]; then
        kill -TERM "$qpid" 2>/dev/null
        wait "$qpid" 2>/dev/null
    fi
    rm -rf "$ctl"
}
explain() { # why the VM ended without a status: what QEMU and the console said
    echo "run-in-kvm-vm: $1" >&2
    [ -s "$ctl/qemu.err" ] && sed 's/^/  qemu: /' "$ctl/qemu.err" >&2
    [ -f "${console:-}" ] && tail -n 25 "$console" | sed 's/^/  console: /' >&2
    [ -f "$ctl/started" ] && echo "  (the command had started, at guest uptime $(cut -d' ' -f1 "$ctl/started") s)" >&2
    return 0
}
interrupted() { # SIGNAL STATUS
    [ -n "$qpid" ] && explain "interrupted by SIG$1 while the VM ran; killing it"
    exit "$2"
}
trap cleanup EXIT
trap 'interrupted INT 130' INT
trap 'interrupted TERM 143' TERM
trap 'interrupted HUP 129' HUP

sq() { local s=${1//\'/\'\\\'\'}; printf "'%s'" "$s"; } # quote for any POSIX sh

cwd=$PWD
{
    echo "HARNESS_CWD=$(sq "$cwd")"
    [ -n "${HARNESS_RESULTS:-}" ] && echo "HARNESS_RESULTS=$(sq "$HARNESS_RESULTS")"
    [ "${HARNESS_INIT:-}" = systemd ] && echo "HARNESS_INIT=systemd"
} >"$ctl/init.conf"

{
    echo 'export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
    echo 'export HOME=/root USER=root LOGNAME=root SHELL=/bin/bash TERM=dumb LANG=C.UTF-8 TMPDIR=/tmp'
    for v in $(compgen -e | grep -E '^OSBOX(_|$)') TEST_TIMEOUT HARNESS_RESULTS ${HARNESS_ENV:-}; do
        case $v in *[!A-Za-z0-9_]*|[0-9]*) harness_fail "HARNESS_ENV: bad variable name '$v'" ;; esac
        [ -n "${!v+set}" ] && printf 'export %s=%q\n' "$v" "${!v}"
    done
    echo 'export OSBOX_HARNESS=1'
    echo 'for d in "${OSBOX_ROOT:-}" "${OSBOX_RUN:-}"; do [ -z "$d" ] || mkdir -p "$d"; done'
    if [ "${HARNESS_CGROUP:-/}" != / ]; then
        # Enable every controller from the root down to the leaf's parent.
        printf 'cg=%q\n' "${HARNESS_CGROUP%/}"
        cat <<'CG'
d=/sys/fs/cgroup
IFS=/ read -ra parts <<<"${cg#/}"
for p in "${parts[@]}"; do
    for c in $(cat "$d/cgroup.controllers"); do echo "+$c" >"$d/cgroup.subtree_control"; done
    d=$d/$p; mkdir -p "$d"
done
echo $$ >"$d/cgroup.procs" || exit 125
unset cg d parts p c
CG
    fi
    printf 'cd %q || exit 125\n' "$cwd"
    printf 'exec'; printf ' %q' "$@"; printf '\n'
} >"$ctl/run.sh"

console=${HARNESS_CONSOLE:-$ctl/console.log}
start=$(date +%s.%N)
# ttyS0: the console (log file); ttyS1: the command's output (our stdout).
timeout -k 5 "$timeout_s" qemu-system-x86_64 \
    -accel tcg -cpu max -smp "$cpus" -m "$mem" \
    -display none -monitor none -nic none -no-reboot \
    -serial "file:$console" -serial stdio \
    -kernel "$boot" -initrd "$initrd" \
    -append "console=ttyS0 quiet panic=-1 mitigations=off${HARNESS_APPEND:+ $HARNESS_APPEND}" \
    -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
    -virtfs "local,path=$ctl,mount_tag=harnessctl,security_model=none" \
    ${HARNESS_RESULTS:+-virtfs "local,path=$HARNESS_RESULTS,mount_tag=results,security_model=none"} \
    </dev/null 2>"$ctl/qemu.err" &
qpid=$!
wait "$qpid"
qrc=$?
qpid=
end=$(date +%s.%N)

if [ "${HARNESS_VERBOSE:-0}" = 1 ]; then
    awk -v s="$start" -v e="$end" -v up="$(cut -d' ' -f1 "$ctl/started" 2>/dev/null)" \
        'BEGIN { printf "run-in-kvm-vm: guest uptime at command start %s s, total %.1f s\n", (up == "" ? "?" : up), e - s }' >&2
fi

if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
    explain "timed out after ${timeout_s}s (HARNESS_TIMEOUT), VM killed"
    exit 124
fi
status=$(cat "$ctl/status" 2>/dev/null)
case $status in
    ''|*[!0-9]*) explain "the VM ended without the command's status (qemu exit $qrc)"; exit 125 ;;
esac
exit "$status"
