# Volumes and mounts of osbox run: -v (bind, named, anonymous), --mount,
# --tmpfs, image VOLUMEs, osbox volume, rm -v; read-only and propagation;
# the mount target resolved inside the root (the symlink-redirect attack);
# bad input refused with one line, exit 125, nothing left behind.

vol_setup() {
    load_busybox
    make_busybox_rootfs "$T/rootfs"
    trap vol_cleanup EXIT
    trap 'exit 143' TERM INT
}
vol_cleanup() {
    local id
    for id in $(timeout 10 "$OSBOX" ps -aq 2>/dev/null); do
        timeout 20 "$OSBOX" rm -f "$id" >/dev/null 2>&1 || true
    done
}
one_line() { assert_eq 1 "$(printf '%s\n' "$OUT" | wc -l)" "error lines: $OUT"; }
vols() { ls -A "$OSBOX_ROOT/volumes" 2>/dev/null | grep -v '^\.' || true; }
no_containers() {
    local left
    left=$(ls -A "$OSBOX_ROOT/containers" "$OSBOX_ROOT/names" 2>/dev/null | grep -v ':$' | grep . || true)
    [ -z "$left" ] || fail "containers left behind: $left"
}

test_named_volume_outlives_its_container() {
    vol_setup
    # A service writes through a named volume (made on first use), detached.
    timeout 20 "$OSBOX" run -d --name svc -v appdata:/var/lib/app busybox \
        sh -c 'echo "row 1" >> /var/lib/app/db; sync; sleep 100' >/dev/null || fail "run -d"
    for i in $(seq 1 50); do [ -s "$OSBOX_ROOT/volumes/appdata/_data/db" ] && break; sleep 0.1; done
    capture "$OSBOX" volume rm appdata
    assert_eq 125 "$STATUS" "volume rm of a volume in use: $OUT"
    assert_contains "$OUT" "in use by container"
    one_line
    timeout 30 "$OSBOX" rm -f svc >/dev/null || fail "rm -f"
    [ -d "$OSBOX_ROOT/volumes/appdata/_data" ] || fail "rm removed the named volume"
    capture "$OSBOX" run --rm -v appdata:/var/lib/app busybox sh -c 'echo "row 2" >> /var/lib/app/db; cat /var/lib/app/db'
    assert_eq 0 "$STATUS" "second container: $OUT"
    assert_eq "row 1
row 2" "$OUT" "the data the first container wrote"
    "$OSBOX" volume rm appdata >/dev/null || fail "volume rm once unused"
    assert_eq "" "$(vols)" "volumes after rm"
}

test_named_volume_filled_from_image_once() {
    vol_setup
    capture "$OSBOX" run --rm -v etcv:/etc busybox sh -c 'cat /etc/passwd >/dev/null && echo changed > /etc/passwd'
    assert_eq 0 "$STATUS" "$OUT"
    d="$OSBOX_ROOT/volumes/etcv/_data"
    [ -f "$d/group" ] || fail "the new volume was not filled from the image's /etc: $(ls -A "$d")"
    assert_eq "changed" "$(cat "$d/passwd")"
    # Not empty any more: the image's content is not copied over it again.
    capture "$OSBOX" run --rm -v etcv:/etc busybox cat /etc/passwd
    assert_eq "changed" "$OUT"
    # nocopy: a new volume stays empty.
    capture "$OSBOX" run --rm -v empty1:/etc:nocopy busybox ls -A /etc
    assert_eq 0 "$STATUS" "$OUT"
    assert_not_contains "$OUT" "group"
}

test_anonymous_volumes_and_rm_v() {
    vol_setup
    "$OSBOX" run --name a1 -v /scratch busybox sh -c 'echo kept > /scratch/f' || fail "run -v /scratch"
    [ "$(vols | wc -l)" = 1 ] || fail "one anonymous volume expected: $(vols)"
    name=$(vols)
    assert_eq kept "$(cat "$OSBOX_ROOT/volumes/$name/_data/f")"
    assert_contains "$("$OSBOX" volume inspect "$name")" '"Anonymous": true'
    "$OSBOX" rm a1 >/dev/null || fail "rm"
    [ -n "$(vols)" ] || fail "plain rm removed the anonymous volume (Docker keeps it)"
    "$OSBOX" volume prune >/dev/null || fail "prune"
    assert_eq "" "$(vols)" "prune removes unused anonymous volumes"
    "$OSBOX" run --name a2 -v /scratch -v named2:/n busybox true || fail "run"
    "$OSBOX" rm -v a2 >/dev/null || fail "rm -v"
    assert_eq "named2" "$(vols)" "rm -v removes the anonymous volume, keeps the named one"
    "$OSBOX" run --rm -v /scratch busybox true || fail "run --rm"
    assert_eq "named2" "$(vols)" "--rm removes its anonymous volume"
    no_containers
}

test_image_volume_entries_are_anonymous_volumes() {
    vol_setup
    make_custom_image withvol '{"Env":["PATH=/bin"],"Cmd":["sh"],"Volumes":{"/var/db":{}}}'
    capture "$OSBOX" run --name iv withvol sh -c 'grep " /var/db " /proc/self/mountinfo; echo x > /var/db/f'
    assert_eq 0 "$STATUS" "$OUT"
    assert_contains "$OUT" "/volumes/" "the VOLUME is a volume"
    [ "$(vols | wc -l)" = 1 ] || fail "one anonymous volume expected: $(vols)"
    # A -v on the same path replaces the image's VOLUME.
    capture "$OSBOX" run --rm -v "$T:/var/db" withvol grep -c " /var/db " /proc/self/mountinfo
    assert_eq 1 "$OUT" "one mount on /var/db"
    "$OSBOX" rm -v iv >/dev/null
    assert_eq "" "$(vols)"
}

test_readonly_bind_of_a_host_file() {
    vol_setup
    echo original > "$T/conf"
    capture "$OSBOX" run --rm -v "$T/conf:/etc/app.conf:ro" busybox sh -c 'cat /etc/app.conf; echo evil > /etc/app.conf'
    assert_ne 0 "$STATUS" "a write to a read-only bind succeeded: $OUT"
    assert_contains "$OUT" "original"
    assert_contains "$OUT" "Read-only file system"
    assert_eq original "$(cat "$T/conf")" "the host file"
    # rw binds write through to the host.
    "$OSBOX" run --rm --mount "type=bind,source=$T/conf,target=/c" busybox sh -c 'echo new > /c' || fail "rw bind"
    assert_eq new "$(cat "$T/conf")"
}

test_readonly_bind_is_recursive() {
    vol_setup
    mkdir -p "$T/tree/sub"
    # A mount below the bind source, in a mount namespace of the test's own.
    capture unshare -m --propagation private sh -c "mount -t tmpfs t '$T/tree/sub' &&
        '$OSBOX' run --rm -v '$T/tree:/t:ro' busybox sh -c 'touch /t/sub/x'"
    assert_ne 0 "$STATUS" "the submount of a read-only bind was writable: $OUT"
    assert_contains "$OUT" "Read-only file system"
}

test_symlink_in_image_cannot_redirect_a_mount() {
    vol_setup
    mkdir -p "$T/src" "$T/victim"
    echo mine > "$T/src/marker"
    ln -s /etc "$T/rootfs/data"                       # absolute: must mean the container's /etc
    ln -s ../../../../../../../../"$T/victim" "$T/rootfs/up"   # climbs out of the rootfs
    ln -s /proc/self/root/etc "$T/rootfs/magic"       # a /proc magic link
    capture "$OSBOX" run --rm --rootfs "$T/rootfs" -v "$T/src:/data" sh -c 'cat /etc/marker; test -e /etc/passwd || echo shadowed'
    assert_eq 0 "$STATUS" "$OUT"
    assert_contains "$OUT" "mine" "the bind landed on the container's /etc"
    [ ! -e /etc/marker ] || fail "the host's /etc got the bind"
    # Inside the root the climbing link means <rootfs>$T/victim: there when
    # it exists, refused when it does not; never the host's $T/victim.
    capture "$OSBOX" run --rm --rootfs "$T/rootfs" -v "$T/src:/up/x" true
    assert_eq 125 "$STATUS" "a target through a dangling in-root symlink: $OUT"
    one_line
    mkdir -p "$T/rootfs$T/victim"
    capture "$OSBOX" run --rm --rootfs "$T/rootfs" -v "$T/src:/up/x" sh -c "cat /up/x/marker; grep -c ' $T/victim/x ' /proc/self/mountinfo"
    assert_eq 0 "$STATUS" "$OUT"
    assert_eq "mine
1" "$OUT" "the bind, at $T/victim/x inside the container"
    [ -z "$(ls -A "$T/victim")" ] || fail "a target outside the rootfs was created: $(ls -A "$T/victim")"
    capture "$OSBOX" run --rm --rootfs "$T/rootfs" -v "$T/src:/magic" true
    assert_eq 125 "$STATUS" "a mount through a /proc magic link: $OUT"
    one_line
    no_containers
}

test_bind_of_an_empty_host_dir_is_left_alone() {
    vol_setup
    # Only a volume is filled from the image: an empty host dir bound on
    # /root, /usr, /mnt gets neither the image's files nor its owner and mode.
    for d in h1 h2 h3; do mkdir "$T/$d" && chmod 700 "$T/$d" && chown 4242 "$T/$d"; done
    # MALLOC_PERTURB_: fresh heap memory not zero, as a long-lived heap has it.
    capture env MALLOC_PERTURB_=85 "$OSBOX" run --rm -v "$T/h1:/root" -v "$T/h2:/usr" -v "$T/h3:/mnt" busybox /bin/true
    assert_eq 0 "$STATUS" "$OUT"
    assert_eq "700 4242 700 4242 700 4242" "$(stat -c '%a %u' "$T/h1" "$T/h2" "$T/h3" | tr '\n' ' ' | sed 's/ $//')"
    assert_eq "" "$(ls -A "$T/h1" "$T/h2" "$T/h3" | grep -v -e '^$' -e ':$' || true)" "nothing copied to the host"
}

test_tmpfs_options() {
    vol_setup
    capture "$OSBOX" run --rm --tmpfs /scratch:size=1m,mode=700 busybox sh -c \
        'grep " /scratch " /proc/self/mountinfo; stat -c %a /scratch; dd if=/dev/zero of=/scratch/f bs=1k count=2048 2>&1'
    assert_contains "$OUT" "size=1024k"
    assert_contains "$OUT" "noexec"
    assert_contains "$OUT" "700"
    assert_contains "$OUT" "No space left"
    capture "$OSBOX" run --rm --mount type=tmpfs,target=/t,tmpfs-size=2m,tmpfs-mode=1770 busybox sh -c \
        'grep " /t " /proc/self/mountinfo; stat -c %a /t'
    assert_contains "$OUT" "size=2048k"
    assert_contains "$OUT" "1770"
}

test_bind_propagation() {
    vol_setup
    mkdir -p "$T/p/sub"
    # In a mount namespace of its own, $T/p is made a shared mount; a tmpfs
    # mounted on the host side under it reaches the rslave container only.
    capture unshare -m --propagation private sh -c "
        mount --bind '$T/p' '$T/p' && mount --make-shared '$T/p' &&
        timeout 20 '$OSBOX' run -d --name slave -v '$T/p:/p:rslave' busybox sleep 100 >/dev/null &&
        timeout 20 '$OSBOX' run -d --name priv -v '$T/p:/p' busybox sleep 100 >/dev/null &&
        mount -t tmpfs later '$T/p/sub' &&
        echo slave: \$('$OSBOX' exec slave grep -c ' /p/sub ' /proc/self/mountinfo);
        echo priv: \$('$OSBOX' exec priv grep -c ' /p/sub ' /proc/self/mountinfo)"
    assert_contains "$OUT" "slave: 1" "rslave sees the host's new mount"
    assert_contains "$OUT" "priv: 0" "the default (rprivate) does not"
}

test_bad_mount_input() {
    vol_setup
    mkdir -p "$T/h"
    for spec in "-v $T/missing:/x" "-v rel/path:/x" "-v ./h:/x" "-v $T/h:/proc" "-v $T/h:/proc/sys/x" \
                "-v $T/h:/" "-v $T/h:/x:bogus" "-v $T/h:relative" "-v $T/h:/x -v $T/h:/x" "-v a:/x:b:c" \
                "-v !bad:/x" "--mount type=bind,src=$T/h,dst=/x,foo=1" "--mount type=nfs,dst=/x" \
                "--mount type=bind,dst=/x" "--mount src=$T/h,dst=/x" "--mount type=tmpfs,dst=/x,tmpfs-mode=99" \
                "--tmpfs /x:bogus" "--tmpfs x" "--mount type=volume,src=v1,dst=/x,bind-propagation=rshared"; do
        # shellcheck disable=SC2086
        capture "$OSBOX" run --rm $spec busybox true
        assert_eq 125 "$STATUS" "'$spec': $OUT"
        one_line
        assert_contains "$OUT" "osbox: "
    done
    no_containers
    assert_eq "" "$(vols)" "volumes made by refused runs"
}

test_volume_commands() {
    vol_setup
    assert_eq "v-one" "$("$OSBOX" volume create --label team=db v-one)"
    "$OSBOX" volume create v-one >/dev/null || fail "create of an existing volume"
    anon=$("$OSBOX" volume create) || fail "create without a name"
    [[ $anon =~ ^[0-9a-f]{64}$ ]] || fail "generated name '$anon'"
    capture "$OSBOX" volume ls
    assert_contains "$OUT" "local    v-one"
    capture "$OSBOX" volume ls --format json
    assert_eq 2 "$(printf '%s\n' "$OUT" | wc -l)" "one JSON line per volume: $OUT"
    printf '%s\n' "$OUT" | python3 -c 'import json,sys; [json.loads(l) for l in sys.stdin]' || fail "not JSON: $OUT"
    capture "$OSBOX" volume inspect v-one
    printf '%s' "$OUT" | python3 -c 'import json,sys; o=json.load(sys.stdin)[0]; assert o["Name"]=="v-one" and o["Labels"]=={"team":"db"} and o["Mountpoint"].endswith("/volumes/v-one/_data") and o["Driver"]=="local", o' ||
        fail "inspect: $OUT"
    capture "$OSBOX" volume create "bad/name"
    assert_eq 125 "$STATUS" "$OUT"
    capture "$OSBOX" volume inspect nosuch
    assert_eq 125 "$STATUS" "$OUT"
    one_line
    capture "$OSBOX" volume rm nosuch
    assert_eq 125 "$STATUS" "$OUT"
    # A volume created by hand is not anonymous: prune keeps it, prune -a not.
    "$OSBOX" volume prune >/dev/null
    assert_eq 2 "$(vols | wc -l)" "prune without -a"
    "$OSBOX" volume prune -a >/dev/null
    assert_eq "" "$(vols)" "prune -a"
}

test_start_keeps_the_mounts() {
    vol_setup
    echo host > "$T/conf"
    "$OSBOX" run --name st -v keep:/d -v /anon -v "$T/conf:/c:ro" busybox \
        sh -c 'cat /c >> /d/log; echo a >> /anon/log; echo x > /c 2>/dev/null && echo WROTE >> /d/log; true' || fail "run"
    timeout 20 "$OSBOX" start st >/dev/null || fail "start"
    timeout 20 "$OSBOX" wait st >/dev/null || fail "wait"
    assert_eq "host
host" "$(cat "$OSBOX_ROOT/volumes/keep/_data/log")" "the named volume and the read-only bind, both runs"
    [ "$(vols | wc -l)" = 2 ] || fail "start made another anonymous volume: $(vols)"
    anon=$(vols | grep -v '^keep$')
    assert_eq "a
a" "$(cat "$OSBOX_ROOT/volumes/$anon/_data/log")" "the same anonymous volume at each start"
    "$OSBOX" rm -v st >/dev/null
    assert_eq keep "$(vols)"
}

test_volumes_from() {
    vol_setup
    mkdir -p "$T/b"
    echo bound > "$T/b/f"
    "$OSBOX" run --name src -v shared:/shared -v /anon -v "$T/b:/b" busybox sh -c 'echo s > /shared/x; echo a > /anon/y' ||
        fail "run src"
    capture "$OSBOX" run --rm --volumes-from src busybox sh -c 'cat /shared/x /anon/y /b/f; echo more >> /shared/x'
    assert_eq 0 "$STATUS" "$OUT"
    assert_eq "s
a
bound" "$OUT"
    capture "$OSBOX" run --rm --volumes-from src:ro busybox sh -c 'echo no > /shared/x'
    assert_ne 0 "$STATUS" "a write through --volumes-from :ro: $OUT"
    # The volume counts the new container as a user while it exists.
    "$OSBOX" rm src >/dev/null
    "$OSBOX" run --name user2 --volumes-from user2-missing busybox true 2>/dev/null && fail "--volumes-from of no container"
    timeout 20 "$OSBOX" run -d --name dep -v shared:/shared busybox sleep 100 >/dev/null || fail "run dep"
    timeout 20 "$OSBOX" run -d --name dep2 --volumes-from dep busybox sleep 100 >/dev/null || fail "run dep2"
    timeout 20 "$OSBOX" rm -f dep >/dev/null
    capture "$OSBOX" volume rm shared
    assert_eq 125 "$STATUS" "shared is still used by dep2: $OUT"
    capture "$OSBOX" run --rm --volumes-from "dep2:bad" busybox true
    assert_eq 125 "$STATUS" "$OUT"
}
