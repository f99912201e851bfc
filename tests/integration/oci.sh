# osbox-oci: the OCI runtime command line, driven as an engine drives runc,
# on bundles made here (busybox rootfs + a config.json from `osbox-oci spec`).

oci_setup() {
    OCI="$T/bin/osbox-oci"
    mkdir -p "$T/bin"
    ln -sf "$OSBOX" "$OCI"          # as engines call it: by the osbox-oci name
    ROOTDIR="$T/ocistate"
    trap oci_teardown EXIT
}
oci() { "$OCI" --root "$ROOTDIR" "$@"; }
# Whatever a failing test left: force-delete it.
oci_teardown() {
    local id
    for id in $(ls "$ROOTDIR" 2>/dev/null); do oci delete --force "$id" >/dev/null 2>&1 || true; done
}

# mk_bundle DIR [PYTHON]: rootfs + default config; PYTHON edits the dict `c`.
mk_bundle() {
    local dir=$1 edit=${2:-}
    mkdir -p "$dir"
    [ -d "$T/rootfs.tmpl" ] || make_busybox_rootfs "$T/rootfs.tmpl"
    cp -a "$T/rootfs.tmpl" "$dir/rootfs"
    (cd "$dir" && "$OCI" spec) || fail "spec failed"
    python3 - "$dir/config.json" "$edit" <<'PY' || fail "editing config.json"
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["root"]["readonly"] = False
exec(sys.argv[2])
json.dump(c, open(p, "w"), indent=1)
PY
}

state_field() { # ID FIELD
    oci state "$1" | python3 -c "import json,sys; print(json.load(sys.stdin)['$2'])"
}

# wait_status ID STATUS: bounded (5 s).
wait_status() {
    local i s=
    for i in $(seq 1 50); do
        s=$(state_field "$1" status 2>/dev/null || true)
        [ "$s" = "$2" ] && return 0
        sleep 0.1
    done
    fail "container $1: status '$s', expected '$2'"
}

# create leaves the container holding its stdio: capture into a file, not a pipe.
capture_file() {
    STATUS=0
    "$@" >"$T/capture" 2>&1 </dev/null || STATUS=$?
    OUT=$(cat "$T/capture")
}

# The cgroup name of OCI id $1: osbox-sha256("osbox-oci:" + state dir).
cg_name() {
    python3 -c 'import hashlib,sys; print("osbox-" + hashlib.sha256(("osbox-oci:%s/%s" % (sys.argv[1], sys.argv[2])).encode()).hexdigest())' "$ROOTDIR" "$1"
}

# assert_oci_clean ID...: nothing of these containers stays: state, runtime
# live dirs, mounts, cgroups.
assert_oci_clean() {
    local left id
    left=$(ls -A "$ROOTDIR" 2>/dev/null | grep -v -e '^\.run$' -e '^\.lib$' || true)
    [ -z "$left" ] || fail "OCI state left behind: $left"
    left=$(ls -A "$ROOTDIR/.run/containers" "$ROOTDIR/.lib/containers" 2>/dev/null | grep -v ':$' | grep . || true)
    [ -z "$left" ] || fail "runtime state left behind: $left"
    left=$(grep -e "$T" /proc/self/mountinfo || true)
    [ -z "$left" ] || fail "mounts left behind: $left"
    for id in "$@"; do
        left=$(find /sys/fs/cgroup -mindepth 1 -maxdepth 6 -type d -name "$(cg_name "$id")" 2>/dev/null || true)
        [ -z "$left" ] || fail "cgroups of $id left behind: $left"
    done
}

test_oci_lifecycle() {
    oci_setup
    mk_bundle "$T/b" 'c["process"]["args"] = ["sh", "-c", "echo ran > /tmp/ran; trap \"exit 7\" TERM; sleep 60 & wait"]'
    capture_file oci create --bundle "$T/b" --pid-file "$T/pid" c1 </dev/null
    assert_eq 0 "$STATUS" "create: $OUT"
    assert_eq created "$(state_field c1 status)" "status after create"
    pid=$(state_field c1 pid)
    assert_eq "$pid" "$(cat "$T/pid")" "--pid-file"
    kill -0 "$pid" || fail "the container's init is not alive after create"
    [ ! -e "$T/b/rootfs/tmp/ran" ] || fail "the command ran before start"
    assert_eq "$T/b" "$(state_field c1 bundle)" "bundle"
    # Duplicate id.
    capture_file oci create --bundle "$T/b" c1 </dev/null
    assert_ne 0 "$STATUS" "duplicate create"
    assert_contains "$OUT" "already exists"
    assert_eq created "$(state_field c1 status)" "status after the duplicate create"

    assert_status 0 oci start c1
    wait_status c1 running
    for i in $(seq 1 50); do [ -e "$T/b/rootfs/tmp/ran" ] && break; sleep 0.1; done
    assert_eq ran "$(cat "$T/b/rootfs/tmp/ran")" "the command ran after start"
    capture oci start c1
    assert_ne 0 "$STATUS" "start of a running container"
    assert_contains "$OUT" "not created"
    oci list | grep -q "^c1 .*running" || fail "list: $(oci list)"
    oci ps c1 | grep -q sleep || fail "ps: $(oci ps c1)"
    capture oci delete c1
    assert_ne 0 "$STATUS" "delete of a running container"
    assert_contains "$OUT" "running"

    assert_status 0 oci kill c1 TERM
    wait_status c1 stopped
    assert_eq 0 "$(state_field c1 pid)" "pid of a stopped container"
    capture oci kill c1 KILL
    assert_ne 0 "$STATUS" "kill of a stopped container"
    assert_status 0 oci delete c1
    capture oci state c1
    assert_ne 0 "$STATUS" "state after delete"
    assert_contains "$OUT" "does not exist"
    assert_oci_clean c1
}

test_oci_delete_created_and_force() {
    oci_setup
    mk_bundle "$T/b" 'c["process"]["args"] = ["sleep", "60"]'
    assert_status 0 oci create --bundle "$T/b" a </dev/null
    assert_status 0 oci create --bundle "$T/b" b </dev/null
    pid=$(state_field a pid)
    assert_status 0 oci delete a              # created: no --force needed
    for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && fail "the created container's init survived delete"
    assert_status 0 oci start b
    wait_status b running
    assert_status 0 oci kill b 9
    wait_status b stopped
    assert_status 0 oci delete --force b
    assert_oci_clean a b
}

test_oci_run_spec_exit_code() {
    oci_setup
    mk_bundle "$T/b" 'c["process"]["args"] = ["sh", "-c", "echo out-$(hostname)-$FOO; exit 3"]; c["process"]["env"].append("FOO=bar"); c["hostname"] = "ocibox"'
    capture oci run --bundle "$T/b" r1 </dev/null
    assert_eq 3 "$STATUS" "exit status of run: $OUT"
    assert_contains "$OUT" "out-ocibox-bar"
    assert_oci_clean r1 r2 r3
    # The untouched default spec runs as is (sh with stdin at EOF exits 0).
    mkdir -p "$T/d"; cp -a "$T/rootfs.tmpl" "$T/d/rootfs"
    (cd "$T/d" && "$OCI" spec)
    python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); assert c["ociVersion"].startswith("1.") and c["process"]["args"]' "$T/d/config.json" \
        || fail "spec wrote an invalid config.json"
    capture "$OCI" spec --bundle "$T/d"
    assert_ne 0 "$STATUS" "spec over an existing config.json"
    capture oci run --bundle "$T/d" r2 </dev/null
    assert_eq 0 "$STATUS" "run of the default spec: $OUT"
    # Also as `osbox oci VERB`.
    capture "$OSBOX" oci --root "$ROOTDIR" run --bundle "$T/b" r3 </dev/null
    assert_eq 3 "$STATUS" "osbox oci run: $OUT"
    assert_oci_clean r1 r2 r3
}

test_oci_config_fields() {
    oci_setup
    mk_bundle "$T/b" '
c["process"]["args"] = ["sh", "-c", "echo cwd=$(pwd) ids=$(id -u):$(id -g):$(id -G | tr \" \" ,) nofile=$(ulimit -n); touch /ro 2>/dev/null && echo rw || echo ro; grep -c . /proc/kcore 2>/dev/null || echo masked; cat /proc/sys/net/ipv4/ip_forward"]
c["process"]["cwd"] = "/tmp"
c["process"]["user"] = {"uid": 1000, "gid": 1000, "additionalGids": [5, 7]}
c["process"]["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": 123, "hard": 456}]
c["root"]["readonly"] = True
c["linux"]["sysctl"] = {"net.ipv4.ip_forward": "1"}
c["linux"]["resources"] = {"pids": {"limit": 42}, "memory": {"limit": 67108864}}
c["annotations"] = {"org.example.k": "v"}
c["unknownField"] = {"ignored": True}
c["linux"]["devices"] = [{"path": "/dev/myzero", "type": "c", "major": 1, "minor": 5}]
c["process"]["args"][2] += "; head -c 3 /dev/myzero | od -An -tx1"
c["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}
c["process"]["args"][2] += "; mkdir /dev/shm/newdir 2>/dev/null && echo mkdir-allowed || echo mkdir-denied; grep ^Seccomp: /proc/self/status"
'
    capture oci run --bundle "$T/b" f1 </dev/null
    assert_eq 0 "$STATUS" "run: $OUT"
    assert_contains "$OUT" "cwd=/tmp ids=1000:1000:1000,5,7 nofile=123"
    assert_contains "$OUT" "ro"
    assert_contains "$OUT" "masked"
    assert_contains "$OUT" "mkdir-denied" "linux.seccomp applied"
    assert_contains "$OUT" "Seccomp:	2"
    assert_contains "$OUT" " 00 00 00" "linux.devices: /dev/myzero reads zeros"
    assert_contains "$OUT" "
1"
    # linux.resources reach the container's cgroup (v1 or v2 file names).
    capture_file oci create --bundle "$T/b" f2
    assert_eq 0 "$STATUS" "create: $OUT"
    pids= mem=
    for d in $(find /sys/fs/cgroup -mindepth 1 -maxdepth 6 -type d -name "$(cg_name f2)"); do
        [ -f "$d/pids.max" ] && pids=$(cat "$d/pids.max")
        [ -f "$d/memory.limit_in_bytes" ] && mem=$(cat "$d/memory.limit_in_bytes")
        [ -f "$d/memory.max" ] && mem=$(cat "$d/memory.max")
    done
    assert_eq 42 "$pids" "pids limit"
    assert_eq 67108864 "$mem" "memory limit"
    assert_status 0 oci delete f2
    assert_oci_clean f1 f2
}

# The five capability sets as config.json gives them, read back from
# /proc/self/status inside; a non-root user keeps its ambient set past
# setuid and execve; a capability the runtime lacks is named on stderr.
test_oci_capability_sets() {
    oci_setup
    local host_bnd want_bnd
    mk_bundle "$T/b" '
c["process"]["args"] = ["sh", "-c", "grep ^Cap /proc/self/status; id -u"]
c["process"]["user"] = {"uid": 1000, "gid": 1000}
c["process"]["capabilities"] = {
  "bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW", "CAP_SYS_RESOURCE"],
  "permitted": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
  "effective": ["CAP_CHOWN", "CAP_NET_BIND_SERVICE"],
  "inheritable": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
  "ambient": ["CAP_NET_BIND_SERVICE"]}
'
    capture oci run --bundle "$T/b" c1 </dev/null
    assert_eq 0 "$STATUS" "run: $OUT"
    assert_contains "$OUT" "1000" "runs as uid 1000"
    # CHOWN(0) KILL(5) NET_BIND_SERVICE(10) NET_RAW(13), SYS_RESOURCE(24) where the host has it.
    host_bnd=$(awk '/^CapBnd:/ {print $2}' /proc/self/status)
    want_bnd=0000000000002421
    if (( (16#$host_bnd >> 24) & 1 )); then
        want_bnd=0000000001002421
    else
        assert_contains "$OUT" "CAP_SYS_RESOURCE is not available" "warning naming the missing capability"
    fi
    assert_contains "$OUT" "CapBnd:	$want_bnd" "bounding"
    assert_contains "$OUT" "CapInh:	0000000000000420" "inheritable"
    assert_contains "$OUT" "CapAmb:	0000000000000400" "ambient"
    # A non-root command keeps across execve what is ambient (as runc).
    assert_contains "$OUT" "CapPrm:	0000000000000400" "permitted"
    assert_contains "$OUT" "CapEff:	0000000000000400" "effective"
    # As root, inheritable is what the config says, not Docker's empty set.
    mk_bundle "$T/r" '
c["process"]["args"] = ["sh", "-c", "grep ^Cap /proc/self/status"]
c["process"]["capabilities"] = {"bounding": ["CAP_CHOWN", "CAP_KILL"], "permitted": ["CAP_CHOWN", "CAP_KILL"],
  "effective": ["CAP_CHOWN"], "inheritable": ["CAP_KILL"], "ambient": []}
'
    capture oci run --bundle "$T/r" c2 </dev/null
    assert_eq 0 "$STATUS" "run as root: $OUT"
    assert_contains "$OUT" "CapInh:	0000000000000020"
    assert_contains "$OUT" "CapBnd:	0000000000000021"
    assert_contains "$OUT" "CapAmb:	0000000000000000"
    # Ambient without inheritable cannot be raised: an error naming it.
    mk_bundle "$T/x" '
c["process"]["capabilities"] = {"bounding": ["CAP_KILL"], "permitted": ["CAP_KILL"], "effective": ["CAP_KILL"], "ambient": ["CAP_KILL"]}
'
    capture oci run --bundle "$T/x" c3 </dev/null
    assert_ne 0 "$STATUS" "ambient CAP_KILL without inheritable"
    assert_contains "$OUT" "CAP_KILL"
    assert_oci_clean c1 c2 c3
}

# linux.devices: nodes made with the type, numbers, mode and owner given,
# a device the host does not have (c 10:666) included.
test_oci_devices_made() {
    oci_setup
    [ ! -e /dev/osbox-nodev ] || skip "the host has /dev/osbox-nodev"
    mk_bundle "$T/b" '
c["process"]["args"] = ["sh", "-c", "stat -c \"%n %F %t:%T %a %u:%g\" /dev/fake /dev/sub/blk; head -c 2 /dev/zz | od -An -tx1"]
c["linux"]["devices"] = [
  {"path": "/dev/fake", "type": "c", "major": 10, "minor": 666, "fileMode": 416, "uid": 1000, "gid": 1001},
  {"path": "/dev/sub/blk", "type": "b", "major": 7, "minor": 200},
  {"path": "/dev/zz", "type": "c", "major": 1, "minor": 5, "fileMode": 438}]
'
    capture oci run --bundle "$T/b" d1 </dev/null
    assert_eq 0 "$STATUS" "run: $OUT"
    assert_contains "$OUT" "/dev/fake character special file a:29a 640 1000:1001"
    assert_contains "$OUT" "/dev/sub/blk block special file 7:c8 666 0:0"
    assert_contains "$OUT" " 00 00" "/dev/zz is a working /dev/zero"
    mk_bundle "$T/x" 'c["linux"]["devices"] = [{"path": "/dev/bad", "type": "c", "major": -1, "minor": 0}]'
    capture oci run --bundle "$T/x" d2 </dev/null
    assert_ne 0 "$STATUS" "a negative major"
    assert_contains "$OUT" "linux.devices[0]"
    assert_oci_clean d1 d2
}

# linux.resources.devices: deny all, allow c 1:3 rw. The nodes are made on a
# tmpfs mounted inside (SYS_ADMIN; not nodev), so only the device cgroup
# decides; osbox's own /dev nodes stay usable (as runc's defaults).
test_oci_resources_devices() {
    oci_setup
    mk_bundle "$T/b" '
c["process"]["capabilities"]["bounding"] += ["CAP_SYS_ADMIN", "CAP_MKNOD"]
c["process"]["capabilities"]["effective"] += ["CAP_SYS_ADMIN", "CAP_MKNOD"]
c["process"]["capabilities"]["permitted"] += ["CAP_SYS_ADMIN", "CAP_MKNOD"]
c["process"]["args"] = ["sh", "-c", "mount -t tmpfs t /tmp && mknod /tmp/null c 1 3 && mknod /tmp/mem c 1 1 && mknod /tmp/fuse c 10 229 && echo made; echo x > /tmp/null && echo null-ok; (exec 3</tmp/mem) && echo mem-open; (exec 3<>/tmp/fuse) && echo fuse-open; echo x > /dev/null && echo devnull-ok"]
c["linux"]["resources"] = {"devices": [{"allow": False, "access": "rwm"}, {"allow": True, "type": "c", "major": 1, "minor": 3, "access": "rw"}]}
'
    capture oci run --bundle "$T/b" v1 </dev/null
    assert_contains "$OUT" "made"
    assert_contains "$OUT" "null-ok"
    assert_contains "$OUT" "devnull-ok"
    assert_not_contains "$OUT" "mem-open"
    assert_not_contains "$OUT" "fuse-open"
    assert_contains "$OUT" "Operation not permitted"
    local n=0 rule
    for rule in '{"allow": True, "type": "x"}' '{"allow": True, "access": "rwx"}' '{"type": "c"}'; do
        n=$((n + 1))
        mk_bundle "$T/x$n" "c['linux']['resources'] = {'devices': [$rule]}"
        capture oci run --bundle "$T/x$n" "bad$n" </dev/null
        assert_ne 0 "$STATUS" "bad rule $rule"
        assert_contains "$OUT" "linux.resources.devices[0]"
    done
    assert_oci_clean v1 bad1 bad2 bad3
}

# A namespace linux.namespaces does not list is the runtime's own, not a
# new one (mount and pid listed: uts, ipc, net, cgroup are shared).
test_oci_unlisted_namespaces_shared() {
    oci_setup
    local n want=
    mk_bundle "$T/b" '
c["process"]["args"] = ["sh", "-c", "for n in uts ipc net cgroup mnt pid; do echo $n=$(readlink /proc/self/ns/$n); done"]
c["linux"]["namespaces"] = [{"type": "mount"}, {"type": "pid"}]
'
    capture oci run --bundle "$T/b" n1 </dev/null
    assert_eq 0 "$STATUS" "run: $OUT"
    for n in uts ipc net cgroup; do
        assert_contains "$OUT" "$n=$(readlink /proc/self/ns/$n)" "$n namespace shared"
    done
    for n in mnt pid; do
        assert_not_contains "$OUT" "$n=$(readlink /proc/self/ns/$n)" "$n namespace new"
    done
    assert_oci_clean n1
}

# Mounts appear in /proc/self/mountinfo in config.json's order, binds and
# fresh filesystems interleaved (engines read that order back).
test_oci_mounts_in_config_order() {
    oci_setup
    mkdir -p "$T/srcA" "$T/srcC"
    mk_bundle "$T/b" '
import os
t = os.environ["T"]
c["process"]["args"] = ["sh", "-c", "awk \"{print \\$5}\" /proc/self/mountinfo | grep -e ^/m -e ^/proc\$ -e ^/dev\$ | tr \"\\n\" \" \""]
c["mounts"] = [m for m in c["mounts"] if m["destination"] in ("/proc", "/dev")] + [
  {"destination": "/m1", "type": "bind", "source": t + "/srcA", "options": ["rbind"]},
  {"destination": "/m2", "type": "tmpfs", "source": "tmpfs", "options": ["size=64k", "mode=700"]},
  {"destination": "/m3", "type": "bind", "source": t + "/srcC", "options": ["bind", "ro"]},
  {"destination": "/m4", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime"]}]
'
    capture env T="$T" "$OCI" --root "$ROOTDIR" run --bundle "$T/b" o1 </dev/null
    assert_eq 0 "$STATUS" "run: $OUT"
    assert_eq "/proc /dev /m1 /m2 /m3 /m4 " "$OUT" "mount order"
    assert_oci_clean o1
}

test_oci_hooks() {
    oci_setup
    printf '#!/bin/sh\n# $1: which hook; the state JSON arrives on stdin.\ncat > "%s/hook-$1.json"\n' "$T" > "$T/hook.sh"
    printf '#!/bin/sh\nhostname > /tmp/createContainer-saw\n' > "$T/hook-in.sh"
    chmod +x "$T/hook.sh" "$T/hook-in.sh"
    mk_bundle "$T/b" "
h = '$T/hook.sh'
c['process']['args'] = ['sh', '-c', 'exit 0']
c['hostname'] = 'hooked'
c['annotations'] = {'a': 'b'}
c['hooks'] = {k: [{'path': h, 'args': ['hook.sh', k], 'timeout': 10}] for k in ['prestart', 'createRuntime', 'poststart', 'poststop']}
c['hooks']['createContainer'] = [{'path': '$T/hook-in.sh'}]
"
    assert_status 0 oci create --bundle "$T/b" h1 </dev/null
    for k in prestart createRuntime; do
        [ -s "$T/hook-$k.json" ] || fail "$k hook did not run"
        python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); assert s["id"]=="h1" and s["pid"]>0 and s["bundle"]==sys.argv[2] and s["annotations"]=={"a":"b"}, s' \
            "$T/hook-$k.json" "$T/b" || fail "$k hook got a bad state: $(cat "$T/hook-$k.json")"
    done
    assert_eq hooked "$(cat "$T/b/rootfs/tmp/createContainer-saw")" "createContainer ran in the container's namespaces"
    [ ! -e "$T/hook-poststart.json" ] || fail "poststart ran before start"
    assert_status 0 oci start h1
    [ -s "$T/hook-poststart.json" ] || fail "poststart hook did not run"
    wait_status h1 stopped
    [ ! -e "$T/hook-poststop.json" ] || fail "poststop ran before delete"
    assert_status 0 oci delete h1
    [ -s "$T/hook-poststop.json" ] || fail "poststop hook did not run"
    assert_oci_clean h1
}

test_oci_failing_hook() {
    oci_setup
    printf '#!/bin/sh\nexit 3\n' > "$T/fail.sh"
    printf '#!/bin/sh\nsleep 30\n' > "$T/slow.sh"
    chmod +x "$T/fail.sh" "$T/slow.sh"
    mk_bundle "$T/b" "c['process']['args'] = ['sleep', '61']; c['hooks'] = {'createRuntime': [{'path': '$T/fail.sh'}]}"
    capture_file oci create --bundle "$T/b" bad </dev/null
    assert_ne 0 "$STATUS" "create with a failing hook"
    assert_contains "$OUT" "hook createRuntime[0] $T/fail.sh: exited with status 3"
    capture oci state bad
    assert_ne 0 "$STATUS" "state of a container whose hook failed"
    assert_oci_clean bad slow
    mk_bundle "$T/c" "c['process']['args'] = ['sleep', '61']; c['hooks'] = {'prestart': [{'path': '$T/slow.sh', 'timeout': 1}]}"
    capture_file oci create --bundle "$T/c" slow </dev/null
    assert_ne 0 "$STATUS" "create with a hook past its timeout"
    assert_contains "$OUT" "hook prestart[0] $T/slow.sh: timed out after 1 s"
    assert_oci_clean bad slow
}

test_oci_console_socket() {
    oci_setup
    mk_bundle "$T/b" 'c["process"]["terminal"] = True; c["process"]["args"] = ["sh", "-c", "[ -t 0 ] && [ -t 1 ] && echo tty-yes"]'
    # A terminal and no console socket: refused, as runc does.
    capture_file oci create --bundle "$T/b" t0 </dev/null
    assert_ne 0 "$STATUS" "terminal without --console-socket"
    assert_contains "$OUT" "console-socket"
    python3 - "$T/console.sock" "$T/console.out" <<'PY' &
import array, os, select, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(1); s.settimeout(20)
conn, _ = s.accept()
fds = array.array("i")
msg, anc, flags, addr = conn.recvmsg(64, socket.CMSG_SPACE(fds.itemsize))
for level, typ, data in anc:
    if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
        fds.frombytes(data[:fds.itemsize])
out = open(sys.argv[2], "w")
if not fds:
    out.write("no-fd\n"); sys.exit(1)
fd = fds[0]
out.write("isatty=%s\n" % os.isatty(fd)); out.flush()
buf = b""; end = time.time() + 15
while time.time() < end:
    r, _, _ = select.select([fd], [], [], 0.5)
    if not r: continue
    try: d = os.read(fd, 4096)
    except OSError: break
    if not d: break
    buf += d
out.write(buf.decode(errors="replace")); out.close()
PY
    LISTENER=$!
    for i in $(seq 1 50); do [ -S "$T/console.sock" ] && break; sleep 0.1; done
    capture_file oci create --bundle "$T/b" --console-socket "$T/console.sock" t1 </dev/null
    assert_eq 0 "$STATUS" "create with --console-socket: $OUT"
    assert_status 0 oci start t1
    wait "$LISTENER" || true
    assert_contains "$(cat "$T/console.out")" "isatty=True"
    assert_contains "$(cat "$T/console.out")" "tty-yes"
    wait_status t1 stopped
    assert_status 0 oci delete t1
    assert_oci_clean t0 t1
}

test_oci_bad_input() {
    oci_setup
    mkdir -p "$T/empty"
    capture_file oci create --bundle "$T/empty" x </dev/null
    assert_ne 0 "$STATUS" "missing config.json"
    assert_contains "$OUT" "config.json"
    echo '{"ociVersion": "1.0.2", "process": ' > "$T/empty/config.json"
    capture_file oci create --bundle "$T/empty" x </dev/null
    assert_ne 0 "$STATUS" "invalid JSON"
    assert_contains "$OUT" "line"
    mk_bundle "$T/b" 'c["process"]["args"] = "sh"'
    capture_file oci create --bundle "$T/b" x </dev/null
    assert_ne 0 "$STATUS" "process.args a string"
    assert_contains "$OUT" "process.args"
    mk_bundle "$T/c" 'c["root"]["path"] = "nosuchdir"'
    capture_file oci create --bundle "$T/c" x </dev/null
    assert_ne 0 "$STATUS" "rootfs missing"
    assert_contains "$OUT" "root.path $T/c/nosuchdir: No such file or directory"
    mk_bundle "$T/d" 'c["linux"]["namespaces"][1] = {"type": "network", "path": "/run/netns/osbox-no-such-ns"}'
    capture_file oci create --bundle "$T/d" x </dev/null
    assert_ne 0 "$STATUS" "namespace path that does not exist"
    assert_contains "$OUT" "network namespace path /run/netns/osbox-no-such-ns"
    mk_bundle "$T/e" 'c["linux"]["resources"] = {"memory": {"limit": "lots"}}'
    capture_file oci create --bundle "$T/e" x </dev/null
    assert_ne 0 "$STATUS" "memory.limit a string"
    assert_contains "$OUT" "linux.resources.memory.limit"
    mk_bundle "$T/f" 'c["mounts"].append({"destination": "/x", "type": "bind", "source": "/nonexistent-osbox-src", "options": ["rbind"]})'
    capture_file oci create --bundle "$T/f" x </dev/null
    assert_ne 0 "$STATUS" "bind source missing"
    assert_contains "$OUT" "/nonexistent-osbox-src"
    for verb in start state kill delete ps; do
        capture oci $verb nosuch
        assert_eq 1 "$STATUS" "$verb of an unknown id"
        assert_contains "$OUT" "nosuch does not exist"
    done
    mk_bundle "$T/g" 'c["linux"]["devices"] = [{"path": "/dev/nope", "type": "p", "major": 1, "minor": 3}]'
    capture_file oci create --bundle "$T/g" x
    assert_ne 0 "$STATUS" "a device of an unknown type"
    assert_contains "$OUT" "linux.devices[0].type: must be c, u or b"
    capture_file oci create --bundle "$T/b" "../evil"
    assert_ne 0 "$STATUS" "id with a slash"
    assert_contains "$OUT" "invalid container id"
    capture oci bogus-verb
    assert_eq 2 "$STATUS" "unknown verb"
    # --log/--log-format json: errors land in the log as conmon reads them.
    capture "$OCI" --root "$ROOTDIR" --log "$T/oci.log" --log-format json state nosuch
    assert_eq 1 "$STATUS" "state with --log"
    python3 -c 'import json,sys; l=json.loads(open(sys.argv[1]).readline()); assert l["level"]=="error" and "nosuch does not exist" in l["msg"], l' "$T/oci.log" \
        || fail "json log: $(cat "$T/oci.log")"
    assert_oci_clean x
}

test_oci_features_and_help() {
    oci_setup
    oci features | python3 -c 'import json,sys; f=json.load(sys.stdin); assert "createRuntime" in f["hooks"] and "pid" in f["linux"]["namespaces"], f' \
        || fail "features: $(oci features)"
    # Capabilities: those this runtime can hand on (the host's bounding set);
    # mount options: every word the parser takes, no more.
    oci features | python3 -c '
import json, sys
f = json.load(sys.stdin)
bnd = int([l.split()[1] for l in open("/proc/self/status") if l.startswith("CapBnd:")][0], 16)
caps = f["linux"]["capabilities"]
assert "CAP_KILL" in caps and ("CAP_SYS_RESOURCE" in caps) == bool(bnd >> 24 & 1), caps
assert "user" not in f["linux"]["namespaces"]
assert {"rro", "rshared", "copy", "tmpcopyup"} <= set(f["mountOptions"]) and "idmap" not in f["mountOptions"], f["mountOptions"]
' || fail "features: capabilities or mount options"
    "$OCI" --help | head -1 | grep -q '^Usage:' || fail "osbox-oci --help"
    "$OSBOX" oci --help | head -1 | grep -q '^Usage:' || fail "osbox oci --help"
    oci create --help | grep -q -- '--console-socket' || fail "create --help"
    capture oci checkpoint some-id
    assert_eq 1 "$STATUS" "checkpoint"
    assert_contains "$OUT" "checkpoint is not supported"
    capture oci pause some-id
    assert_eq 1 "$STATUS" "pause of an unknown container"
    assert_contains "$OUT" "does not exist"
}

test_oci_exec() {
    oci_setup
    mk_bundle "$T/b" 'c["process"]["args"] = ["sleep", "60"]; c["hostname"] = "execbox"; c["process"]["env"].append("FROMCFG=1")'
    capture_file oci create --bundle "$T/b" e1
    assert_eq 0 "$STATUS" "create: $OUT"
    assert_status 0 oci start e1
    wait_status e1 running
    capture oci exec e1 sh -c 'echo $(hostname) $(cat /proc/1/comm) cfg=$FROMCFG; exit 5'
    assert_eq 5 "$STATUS" "exec exit status: $OUT"
    assert_eq "execbox osbox-init cfg=1" "$OUT" "exec sees the container's namespaces and env"
    printf '%s' '{"args": ["sh", "-c", "echo $(id -u):$(id -g) $(pwd) $X"], "env": ["X=fromproc"], "cwd": "/tmp", "user": {"uid": 65534, "gid": 65534}}' > "$T/proc.json"
    capture oci exec --process "$T/proc.json" e1
    assert_eq 0 "$STATUS" "exec --process: $OUT"
    assert_eq "65534:65534 /tmp fromproc" "$OUT" "exec --process settings"
    capture oci exec e1 no-such-command
    assert_eq 127 "$STATUS" "exec of a missing command: $OUT"
    assert_status 0 oci exec -d --pid-file "$T/epid" e1 sleep 30
    kill -0 "$(cat "$T/epid")" || fail "--pid-file of a detached exec"
    assert_eq 2 "$(oci ps e1 | grep -c sleep)" "the detached exec runs in the container: $(oci ps e1)"
    assert_status 0 oci kill e1 KILL
    wait_status e1 stopped
    capture oci exec e1 true
    assert_ne 0 "$STATUS" "exec into a stopped container"
    assert_contains "$OUT" "stopped"
    assert_status 0 oci delete e1
    capture oci exec e1 true
    assert_eq 1 "$STATUS" "exec into an unknown container"
    assert_oci_clean e1
}

test_oci_join_namespaces_and_run_detached() {
    oci_setup
    mk_bundle "$T/a" 'c["process"]["args"] = ["sleep", "60"]; c["hostname"] = "first"'
    assert_status 0 oci run -d --bundle "$T/a" ns-a </dev/null >/dev/null 2>&1
    assert_eq running "$(state_field ns-a status)" "run -d"
    apid=$(state_field ns-a pid)
    mk_bundle "$T/b" "
c['process']['args'] = ['sleep', '60']
c['hostname'] = None
c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] not in ('network', 'uts')]
c['linux']['namespaces'] += [{'type': 'network', 'path': '/proc/$apid/ns/net'}, {'type': 'uts', 'path': '/proc/$apid/ns/uts'}]
c['hooks'] = {'createRuntime': [{'path': '/bin/sh', 'args': ['sh', '-c', 'readlink /proc/self/ns/net > $T/hook-netns']}]}
"
    python3 - "$T/b/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1])); c.pop("hostname"); json.dump(c, open(sys.argv[1], "w"))
PY
    capture_file oci run -d --bundle "$T/b" ns-b
    assert_eq 0 "$STATUS" "run -d joining namespaces: $OUT"
    bpid=$(state_field ns-b pid)
    for ns in net uts; do
        assert_eq "$(readlink /proc/$apid/ns/$ns)" "$(readlink /proc/$bpid/ns/$ns)" "$ns namespace joined by path"
    done
    assert_ne "$(readlink /proc/$apid/ns/pid)" "$(readlink /proc/$bpid/ns/pid)" "pid namespace stays separate"
    assert_ne "$(readlink /proc/self/ns/net)" "$(readlink /proc/$bpid/ns/net)" "not the host's network"
    assert_eq "$(readlink /proc/self/ns/net)" "$(cat "$T/hook-netns")" "createRuntime hook runs in the runtime's network namespace"
    assert_status 0 oci delete --force ns-b
    assert_status 0 oci delete --force ns-a
    assert_oci_clean ns-a ns-b
}

test_oci_pause_resume_update() {
    oci_setup
    mk_bundle "$T/b" 'c["process"]["args"] = ["sh", "-c", "i=0; while :; do i=$((i+1)); echo $i >/tmp/n.new; mv /tmp/n.new /tmp/n; sleep 0.1; done"]; c["linux"]["resources"] = {"memory": {"limit": 268435456}}'
    capture_file oci run -d --bundle "$T/b" p1 </dev/null
    assert_eq 0 "$STATUS" "run -d: $OUT"
    wait_status p1 running
    sleep 0.5
    assert_status 0 oci pause p1
    assert_eq paused "$(state_field p1 status)" "state after pause"
    local a b
    a=$(cat "$T/b/rootfs/tmp/n"); sleep 1; b=$(cat "$T/b/rootfs/tmp/n")
    assert_eq "$a" "$b" "counter while paused"
    capture oci pause p1
    assert_ne 0 "$STATUS" "pause of a paused container"
    assert_status 0 oci resume p1
    assert_eq running "$(state_field p1 status)" "state after resume"
    sleep 0.5
    [ "$(cat "$T/b/rootfs/tmp/n")" -gt "$b" ] || fail "the counter did not resume"
    # update --resources from a file and from stdin.
    echo '{"memory": {"limit": 134217728}, "pids": {"limit": 40}}' >"$T/res.json"
    assert_status 0 oci update --resources "$T/res.json" p1
    local pid rel
    pid=$(state_field p1 pid)
    if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
        rel=$(awk -F: '$1 == 0 {print $3}' /proc/"$pid"/cgroup)
        assert_eq 134217728 "$(cat /sys/fs/cgroup"$rel"/memory.max)" "memory.max"
    else
        rel=$(awk -F: '$2 == "memory" {print $3}' /proc/"$pid"/cgroup)
        assert_eq 134217728 "$(cat /sys/fs/cgroup/memory"$rel"/memory.limit_in_bytes)" "memory limit"
    fi
    echo '{"pids": {"limit": 30}}' | oci update --resources - p1 || fail "update from stdin"
    # A cpuset, which the bundle did not ask for at create (crun joins one always).
    echo '{"cpu": {"cpus": "0"}}' | oci update --resources - p1 || fail "update of the cpuset"
    assert_eq 0 "$(awk '/^Cpus_allowed_list/ {print $2}' /proc/"$pid"/status)" "the init on CPU 0"
    echo '{"memory": {"limit": "x"}}' >"$T/bad.json"
    capture oci update --resources "$T/bad.json" p1
    assert_ne 0 "$STATUS" "a malformed resources file"
    assert_contains "$OUT" "memory.limit"
    capture oci update p1
    assert_eq 2 "$STATUS" "update without --resources"
    # A paused container can be force-deleted.
    assert_status 0 oci pause p1
    assert_status 0 oci delete --force p1
    assert_oci_clean p1
}
