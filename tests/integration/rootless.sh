# Rootless osbox (a non-root user's own user namespace, cli/rootless.c) and
# --userns=keep-id. The non-root user is nobody (65534), via setpriv; its
# HOME and XDG_RUNTIME_DIR live in $T, OSBOX_ROOT/OSBOX_RUN are unset so the
# per-user defaults are used.

# Run osbox as nobody with the per-user default state dirs.
as_nobody() {
    setpriv --reuid=65534 --regid=65534 --clear-groups \
        env -u OSBOX_ROOT -u OSBOX_RUN HOME="$T/home" XDG_RUNTIME_DIR="$T/xdg" "$OSBOX" "$@"
}
rootless_setup() {
    command -v setpriv >/dev/null || skip "no setpriv (util-linux)"
    [ -d "$OSBOX_SRC/build/images/busybox.oci" ] || fail "build/images/busybox.oci missing: run 'make images'"
    chmod o+x "$T" "$(dirname "$T")" # nobody walks to its HOME in here
    mkdir -p "$T/home" "$T/xdg"
    chown 65534:65534 "$T/home" "$T/xdg"
    chmod 700 "$T/xdg"
    if [ "$(cat /proc/sys/user/max_user_namespaces 2>/dev/null || echo 1)" = 0 ] ||
        [ "$(cat /proc/sys/kernel/unprivileged_userns_clone 2>/dev/null || echo 1)" = 0 ]; then
        # The kernel forbids it: osbox must say why.
        capture as_nobody load --oci-dir "$OSBOX_SRC/build/images/busybox.oci"
        assert_eq 125 "$STATUS"
        assert_contains "$OUT" "cannot create a user namespace; "
        skip "unprivileged user namespaces are disabled here (the error was checked)"
    fi
    capture as_nobody load -q --oci-dir "$OSBOX_SRC/build/images/busybox.oci"
    assert_eq 0 "$STATUS" "$OUT"
}
# Nothing of nobody's containers is left: no state, no mount, no process.
assert_rootless_clean() {
    local left
    left=$(ls -A "$T/home/.local/share/osbox/containers" "$T/xdg/osbox/containers" 2>/dev/null | grep -v ':$' | grep . || true)
    [ -z "$left" ] || fail "state left behind: $left"
    left=$(grep -F "$T" /proc/self/mountinfo || true)
    [ -z "$left" ] || fail "mounts left behind: $left"
    left=$(pgrep -u 65534 -x osbox-init || true)
    [ -z "$left" ] || fail "container init left running: $left"
}

test_rootless_run() {
    rootless_setup
    # The per-user store: ~/.local/share/osbox and $XDG_RUNTIME_DIR/osbox.
    [ -d "$T/home/.local/share/osbox/images" ] || fail "no image store under ~/.local/share/osbox"
    assert_eq "65534" "$(stat -c %u "$T/home/.local/share/osbox")" "store owner"
    capture as_nobody run --rm busybox sh -c 'id -u; cat /proc/self/uid_map; cat /proc/self/gid_map; ls -ln /bin/busybox; echo x >/dev/null && echo devnull'
    assert_eq 0 "$STATUS" "$OUT"
    if ! grep -qE '^(nobody|65534):' /etc/subuid /etc/subgid 2>/dev/null; then
        assert_contains "$OUT" "no /etc/subuid or /etc/subgid entry for nobody: using a single-uid mapping" "the note"
    fi
    assert_eq "0" "$(printf '%s\n' "$OUT" | sed -n 2p)" "uid inside"
    assert_eq "0 65534 1" "$(printf '%s\n' "$OUT" | sed -n 3p | tr -s ' ' | sed 's/^ //')" "uid_map: 0 inside is nobody outside"
    assert_eq "0 65534 1" "$(printf '%s\n' "$OUT" | sed -n 4p | tr -s ' ' | sed 's/^ //')" "gid_map"
    assert_contains "$(printf '%s\n' "$OUT" | sed -n 5p)" " 0        0 " "image files are root's inside"
    assert_contains "$OUT" devnull
    [ -d "$T/xdg/osbox" ] || fail "no live state dir under \$XDG_RUNTIME_DIR/osbox"
    # Files written in the container belong to nobody on the host.
    capture as_nobody run --name keep busybox sh -c 'echo hi >/tmp/made; mkdir /tmp/d'
    assert_eq 0 "$STATUS" "$OUT"
    local f
    f=$(ls -d "$T"/home/.local/share/osbox/containers/*/upper/tmp/made)
    assert_eq "65534 65534" "$(stat -c '%u %g' "$f")" "owner on the host of a file made inside"
    assert_eq "65534" "$(stat -c '%u' "$(dirname "$f")/d")" "owner of a dir made inside"
    assert_status 0 as_nobody rm keep
    # Detached, exec joins its user namespace (through the command), stop, rm.
    capture as_nobody run -d --name bg busybox sleep 30
    assert_eq 0 "$STATUS" "$OUT"
    capture as_nobody exec bg sh -c 'id -u; cat /proc/1/comm'
    assert_eq 0 "$STATUS" "$OUT"
    assert_eq "0
osbox-init" "$OUT" "exec in the rootless container"
    assert_status 0 as_nobody stop -t 1 bg
    assert_status 0 as_nobody rm bg
    # Ps as the user sees its own store only.
    capture as_nobody ps -a
    assert_eq 0 "$STATUS" "$OUT"
    assert_not_contains "$OUT" keep
    assert_rootless_clean
}

test_rootless_clear_errors() {
    rootless_setup
    capture as_nobody run --rm -m 32m busybox true
    assert_eq 125 "$STATUS"
    assert_contains "$OUT" "osbox: rootless osbox cannot apply resource limits (-m, --cpus, --pids-limit, --cgroup-parent): no delegated cgroup is writable by this user"
    capture as_nobody run --rm --network bridge busybox true
    assert_eq 125 "$STATUS"
    assert_contains "$OUT" "osbox: rootless osbox cannot use --network bridge (a veth on the host bridge needs root)"
    capture as_nobody run --rm --userns keep-id busybox true
    assert_eq 125 "$STATUS"
    assert_contains "$OUT" "osbox: --userns=keep-id rootless needs a subordinate id range"
    capture as_nobody run --rm --userns auto busybox true
    assert_eq 125 "$STATUS"
    assert_contains "$OUT" "osbox: --userns=auto needs root"
    # A state dir the user cannot write: named in the error.
    capture setpriv --reuid=65534 --regid=65534 --clear-groups env OSBOX_ROOT=/var/lib/osbox-nope \
        OSBOX_RUN="$T/xdg/r" "$OSBOX" run --rm busybox true
    assert_eq 125 "$STATUS"
    assert_contains "$OUT" "rootless state dir"
    [ ! -e /var/lib/osbox-nope ] || fail "made a dir as nobody in /var/lib"
    assert_rootless_clean
}

# --userns=keep-id as root (under sudo): the sudo user's ids are the same
# inside, root inside is the subordinate range, the command runs as the user.
test_userns_keep_id() {
    [ -z "$(grep -E '^(osbox|root):' /etc/subuid 2>/dev/null)" ] || skip "/etc/subuid has an osbox/root range"
    load_busybox
    capture env SUDO_UID=1234 SUDO_GID=1235 "$OSBOX" run --rm --network none --userns keep-id busybox \
        sh -c 'id -u; id -g; cat /proc/self/uid_map; ls -ln /bin/busybox'
    assert_eq 0 "$STATUS" "$OUT"
    assert_eq "1234
1235
0 100000 1234
1234 1234 1
1235 101234 64301" "$(printf '%s\n' "$OUT" | sed -n 1,5p | tr -s ' ' | sed 's/^ //')"
    assert_contains "$(printf '%s\n' "$OUT" | sed -n 6p)" " 0        0 " "image files are root's inside"
    # A file the user writes is the user's on the host (idmapped upper dir).
    capture env SUDO_UID=1234 SUDO_GID=1235 "$OSBOX" run --name kid --network none --userns keep-id busybox \
        sh -c 'echo x >/tmp/mine'
    assert_eq 0 "$STATUS" "$OUT"
    assert_eq "1234 1235" "$(stat -c '%u %g' "$OSBOX_ROOT"/containers/*/upper/tmp/mine)" "owner on the host"
    assert_status 0 "$OSBOX" rm kid
    # -u still wins.
    capture env SUDO_UID=1234 SUDO_GID=1235 "$OSBOX" run --rm --network none --userns keep-id -u 0 busybox id -u
    assert_eq 0 "$OUT"
    # Without SUDO_UID there is no user to keep; one inside the range is refused.
    capture env -u SUDO_UID -u SUDO_GID "$OSBOX" run --rm --network none --userns keep-id busybox true
    assert_eq 125 "$STATUS"
    assert_eq "osbox: --userns=keep-id as root keeps the id of the user who ran sudo: SUDO_UID and SUDO_GID are not set" "$OUT"
    capture env SUDO_UID=100005 SUDO_GID=5 "$OSBOX" run --rm --network none --userns keep-id busybox true
    assert_eq 125 "$STATUS"
    assert_contains "$OUT" "lies inside the subordinate range 100000:65536"
    capture env SUDO_UID=0 SUDO_GID=0 "$OSBOX" run --rm --network none --userns keep-id busybox true
    assert_eq 125 "$STATUS"
    assert_contains "$OUT" "bad SUDO_UID '0'"
    assert_no_leftovers
}

# With a /etc/subuid and /etc/subgid range for the user (bound over the
# host's files in a mount namespace of the test's own), newuidmap maps
# ids 1..65536 too: the image's other owners survive load, -u works, and
# files a container user writes are that range's ids on the host.
test_rootless_subuid_range() {
    command -v newuidmap >/dev/null && command -v newgidmap >/dev/null || skip "no newuidmap (package uidmap)"
    command -v setpriv >/dev/null || skip "no setpriv (util-linux)"
    chmod o+x "$T" "$(dirname "$T")"
    mkdir -p "$T/home" "$T/xdg"
    chown 65534:65534 "$T/home" "$T/xdg"
    printf 'nobody:300000:65536\n' >"$T/subid"
    chmod 644 "$T/subid"
    cat >"$T/inner.sh" <<'EOS'
set -eu
mount --bind "$T/subid" /etc/subuid
mount --bind "$T/subid" /etc/subgid
n() { setpriv --reuid=65534 --regid=65534 --clear-groups env -u OSBOX_ROOT -u OSBOX_RUN HOME="$T/home" XDG_RUNTIME_DIR="$T/xdg" "$OSBOX" "$@"; }
n load -q --oci-dir "$OSBOX_SRC/build/images/busybox.oci"
n run --rm busybox sh -c 'cat /proc/self/uid_map; ls -ln /home | tail -n1' 2>&1
n run --name sub -u 1000:1000 busybox sh -c 'id -u; echo x >/tmp/mine' 2>&1
stat -c '%u %g' "$T"/home/.local/share/osbox/containers/*/upper/tmp/mine
n rm sub >/dev/null
EOS
    capture env T="$T" OSBOX="$OSBOX" OSBOX_SRC="$OSBOX_SRC" unshare -m --propagation private bash "$T/inner.sh"
    assert_eq 0 "$STATUS" "$OUT"
    assert_not_contains "$OUT" "single-uid"
    assert_eq "0 65534 1
1 300000 65536" "$(printf '%s\n' "$OUT" | sed -n 1,2p | tr -s ' ' | sed 's/^ //')" "uid_map with the subuid range"
    assert_contains "$(printf '%s\n' "$OUT" | sed -n 3p)" " 1000     1000 " "the image's user-owned dir kept its owner"
    assert_eq "1000" "$(printf '%s\n' "$OUT" | sed -n 4p)" "-u 1000 inside"
    assert_eq "300999 300999" "$(printf '%s\n' "$OUT" | sed -n 5p)" "a file of uid 1000 inside, on the host"
    assert_rootless_clean
}

# Rootless: a bind of the user's own files, a named volume in the user's
# store (~/.local/share/osbox/volumes), osbox volume on it.
test_rootless_volumes_and_binds() {
    rootless_setup
    mkdir -p "$T/home/src"
    echo mine > "$T/home/src/f"
    chown -R 65534:65534 "$T/home/src"
    capture as_nobody run --rm -v "$T/home/src:/src" -v ndata:/data busybox sh -c \
        'cat /src/f; echo back > /src/g; echo kept > /data/v'
    assert_eq 0 "$STATUS" "$OUT"
    assert_contains "$OUT" mine
    assert_eq back "$(cat "$T/home/src/g")" "written through the bind"
    assert_eq 65534 "$(stat -c %u "$T/home/src/g")" "the new file is the user's"
    assert_eq kept "$(cat "$T/home/.local/share/osbox/volumes/ndata/_data/v")" "the volume in the user's store"
    capture as_nobody run --rm -v ndata:/data:ro busybox sh -c 'cat /data/v; echo x > /data/v'
    assert_ne 0 "$STATUS" "a write to a read-only volume: $OUT"
    assert_contains "$OUT" kept
    assert_contains "$(as_nobody volume ls -q)" ndata
    as_nobody volume rm ndata >/dev/null || fail "volume rm"
    assert_rootless_clean
}
