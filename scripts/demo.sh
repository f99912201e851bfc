#!/usr/bin/env bash
# `make demo`: the main job on the built-in images. The same static workload
# runs on the host, in a container and (with /dev/kvm) in a VM, and osbox
# shows what each kind of isolation costs. Each step says what it shows.
set -euo pipefail
cd "$(dirname "$0")/.."
# The demo needs no network: every step says --network none / --net none, so
# it sets up no bridge, NAT or forwarding on the machine it runs on.
OSBOX=${OSBOX:-$PWD/build/osbox}
HARNESS=$PWD/tests/kvm/run-in-kvm-vm.sh

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }

step "The built-in image, in the store (make images loaded it)"
show "$OSBOX" images

step "A container: its own hostname, pid 1 and mounts, with limits"
show "$OSBOX" run --rm --network none -h demo -m 64m --pids-limit 50 --cpus 0.5 busybox \
    sh -c 'echo "hostname: $(hostname)"; echo "pid 1: $(cat /proc/1/comm)"; echo "processes:"; ps; echo "mounts: $(wc -l </proc/self/mounts)"'

step "Docker's exit codes: the command's own, 127 for a missing command"
set +e
"$OSBOX" run --rm --network none busybox sh -c 'exit 3'; echo "exit status: $?"
"$OSBOX" run --rm --network none busybox /no/such/program; echo "exit status: $?"
set -e

step "A VM: the same image as an ext2 disk, the osbox guest kernel, osbox's own KVM monitor"
# Non-interactive: stdin is /dev/null and every guest program exits.
vm_cmd=(vm run --net none --boot-time busybox syscall 2000)
boot_cmd=(vm boot --net none --boot-time --cmdline 'console=ttyS0 quiet init=/bin/sh -- -c "echo hello from the guest shell: $(ls / | wc -l) entries in /; exit 3"' build/images/guest.img)
set +e
if [ -w /dev/kvm ]; then
    [ -e /sys/module/kvm_pvm ] && echo "(/dev/kvm here is kvm-pvm, a software-assisted KVM: guest page faults and system calls go through the host, so expect seconds, not milliseconds)"
    show "$OSBOX" "${vm_cmd[@]}" </dev/null; echo "exit status: $?"
    show "$OSBOX" "${boot_cmd[@]}" </dev/null; echo "exit status: $?"
elif [ -x "$HARNESS" ]; then
    echo "(no /dev/kvm here: inside the nested-KVM harness, QEMU software emulation; its image store starts empty)"
    show "$HARNESS" sh -c '"$0" load --oci-dir build/images/busybox.oci >/dev/null 2>&1 && exec "$0" "$@"' "$OSBOX" "${vm_cmd[@]}"; echo "exit status: $?"
    show "$HARNESS" "$OSBOX" "${boot_cmd[@]}"; echo "exit status: $?"
fi
set -e

# The vm mode joins the bench where /dev/kvm works (about 40 s here on
# kvm-pvm); through the harness each vm run would boot QEMU: too slow for a demo.
modes=host,container
[ -w /dev/kvm ] && modes=host,container,vm
step "Same workload in each world ($modes): what the isolation costs"
show "$OSBOX" bench --runs 1 --modes "$modes" syscall ctxswitch fork pagefault cpu:4m,1m
