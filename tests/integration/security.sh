# Container security flags: capabilities, no_new_privs, seccomp profiles
# (built-in, unconfined, JSON), --privileged, masked/read-only paths, the
# runtime binary out of reach, and bad input (one-line errors, exit 125,
# nothing left behind). The escape attempts themselves are in escape.sh.

sec_setup() {
    make_busybox_rootfs "$T/rootfs"
}
sec_run() { "$OSBOX" run --rm --network none --rootfs "$T/rootfs" "$@"; }
status_field() { printf '%s\n' "$1" | sed -n "s/^$2:[[:space:]]*//p"; }
# No container record, live state, name or mount of ours stayed behind.
assert_nothing_left() {
    local left
    left=$(ls -A "$OSBOX_ROOT/containers" "$OSBOX_RUN/containers" "$OSBOX_ROOT/names" 2>/dev/null | grep -v ':$' | grep . || true)
    [ -z "$left" ] || fail "state left behind: $left"
    left=$(grep -e "$OSBOX_ROOT" -e "$OSBOX_RUN" /proc/self/mountinfo || true)
    [ -z "$left" ] || fail "mounts left behind: $left"
}
# Bits of the capabilities osbox itself has (the host's bounding set).
host_caps() { printf '%016x' "$((16#$(sed -n 's/^CapBnd:[[:space:]]*//p' /proc/self/status)))"; }

test_default_capabilities_nnp_and_seccomp() {
    sec_setup
    capture sec_run cat /proc/self/status
    assert_eq 0 "$STATUS" "$OUT"
    # CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP NET_BIND_SERVICE
    # NET_RAW SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP = 0xa80425fb, as Docker.
    assert_eq 00000000a80425fb "$(status_field "$OUT" CapBnd)" "bounding"
    assert_eq 00000000a80425fb "$(status_field "$OUT" CapPrm)" "permitted"
    assert_eq 00000000a80425fb "$(status_field "$OUT" CapEff)" "effective"
    assert_eq 0000000000000000 "$(status_field "$OUT" CapInh)" "inheritable"
    assert_eq 0000000000000000 "$(status_field "$OUT" CapAmb)" "ambient"
    assert_eq 1 "$(status_field "$OUT" NoNewPrivs)" "no_new_privs"
    assert_eq 2 "$(status_field "$OUT" Seccomp)" "seccomp filter mode"
    # A non-root user keeps the bounding set but has no capabilities.
    capture sec_run -u 65534 cat /proc/self/status
    assert_eq 0000000000000000 "$(status_field "$OUT" CapEff)" "effective as 65534"
    assert_eq 0000000000000000 "$(status_field "$OUT" CapPrm)" "permitted as 65534"
    assert_eq 00000000a80425fb "$(status_field "$OUT" CapBnd)" "bounding as 65534"
    # Ordinary programs still work under the filter: fork, pipes, threads of busybox.
    capture sec_run sh -c 'echo a | cat; (sleep 0; echo b) & wait; ls / >/dev/null && echo c'
    assert_eq "a
b
c" "$OUT"
}

test_cap_add_and_drop() {
    sec_setup
    capture sec_run --cap-drop ALL --cap-add NET_ADMIN cat /proc/self/status
    assert_eq 0000000000001000 "$(status_field "$OUT" CapEff)" "ALL dropped, NET_ADMIN (12) added"
    capture sec_run --cap-drop chown --cap-drop CAP_KILL --cap-add cap_sys_time,SYS_NICE cat /proc/self/status
    # default - CHOWN(0) - KILL(5) + SYS_NICE(23) + SYS_TIME(25)
    assert_eq 00000000aa8425da "$(status_field "$OUT" CapEff)" "names with and without CAP_, any case"
    capture sec_run --cap-add ALL cat /proc/self/status
    assert_eq "$(host_caps)" "$(status_field "$OUT" CapEff)" "ALL = every capability osbox has"
    # The seccomp profile follows the capabilities, as Docker's does.
    capture sec_run sh -c 'hostname foo 2>&1; hostname'
    assert_contains "$OUT" "Operation not permitted"
    capture sec_run --cap-add SYS_ADMIN sh -c 'hostname foo && hostname'
    assert_eq foo "$OUT" "sethostname with SYS_ADMIN"
}

test_no_new_privileges_false() {
    sec_setup
    capture sec_run --security-opt no-new-privileges=false cat /proc/self/status
    assert_eq 0 "$(status_field "$OUT" NoNewPrivs)"
    # Without no_new_privs the filter is loaded with CAP_SYS_ADMIN, then dropped.
    assert_eq 2 "$(status_field "$OUT" Seccomp)"
    assert_eq 00000000a80425fb "$(status_field "$OUT" CapEff)"
    capture sec_run --security-opt no-new-privileges=maybe true
    assert_eq 125 "$STATUS"
    assert_contains "$OUT" "expected true or false"
}

test_seccomp_unconfined_and_privileged() {
    sec_setup
    capture sec_run --security-opt seccomp=unconfined cat /proc/self/status
    assert_eq 0 "$(status_field "$OUT" Seccomp)"
    assert_eq 00000000a80425fb "$(status_field "$OUT" CapEff)"
    capture sec_run --privileged sh -c 'cat /proc/self/status; grep -c . /proc/self/mountinfo'
    assert_eq 0 "$(status_field "$OUT" Seccomp)" "privileged: no seccomp"
    assert_eq "$(host_caps)" "$(status_field "$OUT" CapEff)" "privileged: all caps"
    # Masks: present by default, absent when privileged.
    capture sec_run sh -c 'grep -E " /(proc|sys)/[a-z]" /proc/self/mountinfo | cut -d" " -f5,6 | sort'
    assert_contains "$OUT" "/proc/sys ro"
    assert_contains "$OUT" "/sys/firmware ro"
    [ ! -e /proc/timer_list ] || assert_contains "$OUT" "/proc/timer_list rw"
    capture sec_run --privileged sh -c 'grep -E " /(proc|sys)/[a-z]" /proc/self/mountinfo || echo none'
    assert_eq none "$OUT" "no masks when privileged"
}

test_seccomp_json_profile() {
    sec_setup
    cat >"$T/profile.json" <<'JSON'
{
  "defaultAction": "SCMP_ACT_ALLOW",
  "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
  "syscalls": [
    { "names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13 },
    { "names": ["no_such_syscall_osbox"], "action": "SCMP_ACT_ERRNO" },
    { "names": ["uname"], "action": "SCMP_ACT_ERRNO",
      "includes": { "caps": ["CAP_SYS_ADMIN"] } },
    { "names": ["personality"], "action": "SCMP_ACT_ERRNO",
      "args": [ { "index": 0, "value": 8, "op": "SCMP_CMP_EQ" } ] },
    { "names": ["getcwd"], "action": "SCMP_ACT_ERRNO", "includes": { "arches": ["amd64"] } },
    { "names": ["rmdir"], "action": "SCMP_ACT_ERRNO", "includes": { "arches": ["arm64", "s390x"] } }
  ]
}
JSON
    capture sec_run --security-opt "seccomp=$T/profile.json" sh -c 'mkdir /tmp/x; uname -s'
    assert_eq 0 "$STATUS" "$OUT"
    assert_contains "$OUT" "osbox: warning: seccomp profile $T/profile.json: unknown syscall \"no_such_syscall_osbox\" skipped"
    assert_contains "$OUT" "Permission denied" "mkdir denied with errnoRet 13"
    assert_contains "$OUT" "Linux" "uname allowed without CAP_SYS_ADMIN (includes.caps)"
    # Docker's includes.arches name the host's arch in Go's words (amd64).
    if [ "$(uname -m)" = x86_64 ]; then
        capture sec_run --security-opt "seccomp=$T/profile.json" sh -c 'mkdir -p /tmp; /bin/pwd; rmdir /tmp && echo rmdir-ok'
        assert_contains "$OUT" "Operation not permitted" "getcwd denied on amd64"
        assert_contains "$OUT" "rmdir-ok" "the arm64/s390x rule does not apply here"
    fi
    capture sec_run --cap-add SYS_ADMIN --security-opt "seccomp=$T/profile.json" uname -s
    assert_not_contains "$OUT" "Linux" "uname denied with CAP_SYS_ADMIN (busybox prints garbage)"
    capture sec_run --security-opt "seccomp=$T/profile.json" cat /proc/self/status
    assert_eq 2 "$(status_field "$OUT" Seccomp)"
    assert_nothing_left
}

test_bad_input_one_line_errors_125() {
    local t
    sec_setup
    printf '{ "defaultAction": "SCMP_ACT_ERRNO", ' >"$T/broken.json"
    printf '{ "defaultAction": "SCMP_ACT_ERRNO", "syscalls": [ { "names": ["read"], "action": "SCMP_ACT_EXPLODE" } ] }' >"$T/action.json"
    printf '{ "defaultAction": "SCMP_ACT_NOPE" }' >"$T/default.json"
    printf '{ "defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_VAX"] }' >"$T/arch.json"
    printf '{ "defaultAction": "SCMP_ACT_ALLOW", "syscalls": [ { "names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [ { "index": 9, "value": 1, "op": "SCMP_CMP_EQ" } ] } ] }' >"$T/args.json"
    for t in "--security-opt seccomp=$T/broken.json|seccomp profile $T/broken.json: line" \
             "--security-opt seccomp=$T/action.json|unknown action \"SCMP_ACT_EXPLODE\"" \
             "--security-opt seccomp=$T/default.json|unknown action \"SCMP_ACT_NOPE\"" \
             "--security-opt seccomp=$T/arch.json|unknown architecture" \
             "--security-opt seccomp=$T/args.json|index must be 0..5" \
             "--security-opt seccomp=$T/missing.json|missing.json" \
             "--cap-add NET_FOO|unknown capability 'NET_FOO'" \
             "--cap-drop CAP_|unknown capability" \
             "--security-opt apparmor=x|supported are no-new-privileges and seccomp"; do
        # shellcheck disable=SC2086
        capture sec_run ${t%%|*} true
        assert_eq 125 "$STATUS" "exit status for ${t%%|*}: $OUT"
        assert_contains "$OUT" "${t#*|}"
        assert_eq 1 "$(printf '%s\n' "$OUT" | wc -l)" "one line for ${t%%|*}"
        case $OUT in "osbox: "*) ;; *) fail "not an osbox error: $OUT" ;; esac
    done
    assert_nothing_left
}

# runc CVE-2019-5736: the container must not reach the osbox binary. Our
# init is the forked osbox child (no re-exec of /proc/self/exe), marked not
# dumpable, so /proc/1/exe is closed to the container; osbox itself is in
# another pid namespace; and the binary is unchanged after the attempts.
test_runtime_binary_out_of_reach() {
    local before pid
    sec_setup
    before=$(sha256sum "$OSBOX" | cut -d' ' -f1)
    capture sec_run sh -c 'readlink /proc/1/exe; echo x >/proc/1/exe; cat /proc/1/exe >/dev/null; ls -l /proc/1/root/ 2>&1 | head -1; for p in /proc/[0-9]*; do readlink $p/exe; done'
    assert_contains "$OUT" "Permission denied"
    assert_not_contains "$OUT" "$OSBOX"
    assert_not_contains "$OUT" "osbox"
    capture sec_run --privileged sh -c 'echo x >/proc/1/exe'
    assert_contains "$OUT" "Text file busy" "privileged: the running binary cannot be written"
    assert_eq "$before" "$(sha256sum "$OSBOX" | cut -d' ' -f1)" "osbox binary unchanged"
    # From the host: the container's pid 1 is osbox's forked child (exe = the
    # osbox binary, parent = the osbox process), never a binary of the container.
    "$OSBOX" run --rm --network none --rootfs "$T/rootfs" sleep 3 &
    pid=""
    for _ in $(seq 1 60); do
        pid=$(pgrep -P "$!" -x osbox-init || true)
        [ -n "$pid" ] && break
        pid=""
        sleep 0.05
    done
    [ -n "$pid" ] || fail "container init not found"
    assert_eq "$(readlink -f "$OSBOX")" "$(readlink /proc/$pid/exe)" "init's binary"
    wait
}

# The default filter is compiled once per capability set into $OSBOX_RUN/seccomp;
# a damaged cache file is rebuilt, never loaded.
test_seccomp_cache() {
    local f
    sec_setup
    sec_run true
    f=$(ls "$OSBOX_RUN"/seccomp/default-*.bpf)
    [ "$(wc -l <<<"$f")" = 1 ] || fail "expected one cached filter: $f"
    sec_run --cap-add SYS_ADMIN true
    assert_eq 2 "$(ls "$OSBOX_RUN"/seccomp/default-*.bpf | wc -l)" "one filter per capability set"
    printf 'abc' >"$f"
    capture sec_run sh -c 'grep Seccomp: /proc/self/status; mount -t tmpfs x /mnt 2>&1'
    assert_contains "$OUT" "Seccomp:	2"
    assert_contains "$OUT" "permission denied"
    [ "$(stat -c %s "$f")" -gt 100 ] || fail "damaged cache not rebuilt"
}

# --userns=auto: root inside is an unprivileged host id (the built-in
# 100000:65536 here, /etc/subuid being empty), the image's files still
# belong to root inside (idmapped layers), writes land in the upper dir
# owned by 0 on disk, nothing is chowned.
test_userns_auto() {
    local pid uid
    sec_setup
    [ -z "$(grep -E '^(osbox|root):' /etc/subuid 2>/dev/null)" ] || skip "/etc/subuid has an osbox/root range"
    capture sec_run --userns auto sh -c 'id -u; cat /proc/self/uid_map; ls -ln /bin/busybox; echo x >/etc/new && rm /bin/true && echo wrote'
    assert_eq 0 "$STATUS" "$OUT"
    assert_eq "0
         0     100000      65536
$(printf '%s' "$OUT" | sed -n 3p)
wrote" "$OUT"
    assert_contains "$(printf '%s' "$OUT" | sed -n 3p)" " 0        0 " "image files owned by root inside"
    "$OSBOX" run --network none --name userns1 --userns auto --rootfs "$T/rootfs" sh -c 'touch /etc/y; sleep 60' &
    pid=""
    # (bounded: 10 s to find it under load; then it is killed, not waited out)
    for _ in $(seq 1 200); do
        # osbox -> our init -> the command
        pid=$(pgrep -P "$!" -x osbox-init || true)
        [ -n "$pid" ] && pid=$(pgrep -P "$pid" | head -n1 || true)
        [ -n "$pid" ] && break
        sleep 0.05
    done
    [ -n "$pid" ] || fail "container command not found"
    uid=$(ps -o uid= -p "$pid" | tr -d ' ')
    kill -KILL "$pid"
    wait
    assert_eq 100000 "$uid" "the command's uid on the host"
    assert_eq "0 0" "$(stat -c '%u %g' "$OSBOX_ROOT"/containers/*/upper/etc/y)" "upper file owner on disk"
    # Still a default container: no mount, masks in place.
    capture sec_run --userns auto sh -c 'mount -t tmpfs x /mnt 2>&1; grep Seccomp: /proc/self/status'
    assert_contains "$OUT" "permission denied"
    assert_contains "$OUT" "Seccomp:	2"
}

# --userns: auto checks the subuid/subgid ranges (too small: an error),
# keep-id as root needs SUDO_UID, rootless says what it cannot do.
test_userns_and_rootless_errors() {
    sec_setup
    assert_status 0 sec_run --userns host true
    printf 'osbox:200000:1000\n' >"$T/subuid"
    capture env OSBOX_SUBUID="$T/subuid" "$OSBOX" run --rm --network none --userns auto --rootfs "$T/rootfs" true
    assert_eq 125 "$STATUS"
    assert_eq "osbox: --userns=auto: the subuid range 200000:1000 in $T/subuid is too small (1000 ids, a container needs 65536)" "$OUT"
    unset SUDO_UID SUDO_GID
    capture sec_run --userns keep-id true
    assert_eq 125 "$STATUS"
    assert_contains "$OUT" "SUDO_UID and SUDO_GID are not set"
    capture sec_run --userns sideways true
    assert_eq 125 "$STATUS"
    assert_contains "$OUT" "supported are host, auto and keep-id"
    # Rootless (more in rootless.sh): limits need a cgroup the user cannot have.
    chmod o+rx "$T" "$T/rootfs" "$(dirname "$T")"
    mkdir "$T/nobody-root" "$T/nobody-run"
    chown 65534:65534 "$T/nobody-root" "$T/nobody-run"
    capture setpriv --reuid=65534 --regid=65534 --clear-groups env OSBOX_ROOT="$T/nobody-root" \
        OSBOX_RUN="$T/nobody-run" "$OSBOX" run --rm --network none -m 32m --rootfs "$T/rootfs" true
    assert_eq 125 "$STATUS"
    assert_contains "$OUT" "rootless osbox cannot apply resource limits"
    [ ! -e "$T/nobody-root" ] || [ -z "$(ls -A "$T/nobody-root/containers" 2>/dev/null)" ] || fail "state left by the rootless attempt"
    assert_nothing_left
}

# Device nodes: by default only the ones osbox made; --privileged gets the
# host's (as Docker), e.g. its block devices.
test_device_nodes() {
    local host_blk
    sec_setup
    capture sec_run sh -c 'find /dev -path /dev/pts -prune -o \( -type c -o -type b \) -print | sort | tr "\n" " "'
    assert_eq "/dev/full /dev/null /dev/random /dev/tty /dev/urandom /dev/zero " "$OUT" "default device nodes"
    host_blk=$(find /dev -maxdepth 1 -type b | wc -l)
    [ "$host_blk" -gt 0 ] || skip "the host has no block devices"
    capture sec_run --privileged sh -c 'find /dev -maxdepth 1 -type b | wc -l; touch /dev/x && echo writable'
    assert_eq "$host_blk
writable" "$OUT" "privileged: the host's block devices, a writable /dev"
}

# The device cgroup: Docker's allow-list, --device's own permissions. The
# nodes are made on a tmpfs mounted inside (SYS_ADMIN), which is not nodev:
# only the device cgroup stands between the container and the device there.
test_device_cgroup() {
    sec_setup
    [ -d /sys/fs/cgroup/devices ] || [ -f /sys/fs/cgroup/cgroup.controllers ] || skip "no device cgroup"
    # Rules go by device number: /dev/null is c 1:3 rwm in the defaults, so a
    # node outside them (fuse, 10:229) shows --device's "r". Only opened.
    [ -c /dev/fuse ] || skip "no /dev/fuse"
    capture sec_run --device /dev/fuse:/dev/myfuse:r sh -c \
        '(exec 3</dev/myfuse) && echo read-ok; (exec 3>/dev/myfuse) && echo write-ok; echo x > /dev/null && echo null-ok'
    assert_contains "$OUT" "read-ok"
    assert_not_contains "$OUT" "write-ok"
    assert_contains "$OUT" "Operation not permitted"
    assert_contains "$OUT" "null-ok"
    capture sec_run --device /dev/fuse:/dev/myfuse sh -c '(exec 3<>/dev/myfuse) && echo rw-ok'
    assert_contains "$OUT" "rw-ok"
    # exec joins the same rules, and a restart (the saved spec) keeps them.
    "$OSBOX" run -d --name dcg --network none --rootfs "$T/rootfs" --device /dev/fuse:/dev/myfuse:r sleep 60 >/dev/null
    "$OSBOX" restart dcg >/dev/null || { "$OSBOX" rm -f dcg >/dev/null; fail "restart failed"; }
    capture "$OSBOX" exec dcg sh -c '(exec 3</dev/myfuse) && echo read-ok; (exec 3>/dev/myfuse) && echo write-ok'
    "$OSBOX" rm -f dcg >/dev/null
    assert_contains "$OUT" "read-ok"
    assert_not_contains "$OUT" "write-ok"
    capture sec_run --cap-add SYS_ADMIN sh -c 'mount -t tmpfs t /tmp && mknod /tmp/null c 1 3 &&
        mknod /tmp/mem c 1 1 && echo made; echo x > /tmp/null && echo null-ok; head -c1 /tmp/mem && echo mem-read'
    assert_contains "$OUT" "made"
    assert_contains "$OUT" "null-ok"
    assert_not_contains "$OUT" "mem-read"
    assert_contains "$OUT" "Operation not permitted"
    # --privileged: no device rules.
    capture sec_run --privileged sh -c 'mount -t tmpfs t /tmp && mknod /tmp/fuse c 10 229 && (exec 3<>/tmp/fuse) && echo fuse-ok'
    assert_contains "$OUT" "fuse-ok"
}
