# osbox run with images from the store: image config honoured, digest
# recorded, layers untouched, bad images rejected cleanly, no leftovers
# over many runs, gc after a killed osbox.

# (Under the runner, only this test's own cgroups count: new_osbox_cgroups.)
new_cgroups() {
    if [ -n "${OSBOX_TEST_CGROUPS:-}" ]; then new_osbox_cgroups; return; fi
    osbox_cgroups | comm -13 "$T/cgroups.before" - | grep -v -e 'osbox-cgt' || true
}
setup_image() {
    load_busybox
    osbox_cgroups > "$T/cgroups.before"
}
assert_clean_state() {
    local left
    left=$(ls -A "$OSBOX_ROOT/containers" "$OSBOX_RUN/containers" 2>/dev/null | grep -v ':$' | grep . || true)
    [ -z "$left" ] || fail "state left behind: $left"
    left=$(grep -e "$OSBOX_ROOT" -e "$OSBOX_RUN" /proc/self/mountinfo || true)
    [ -z "$left" ] || fail "mounts left behind: $left"
    # Other suites on this machine may have containers running right now:
    # only a cgroup that appeared during this test and stays is a leftover.
    local i
    for i in $(seq 1 20); do
        left=$(new_cgroups)
        [ -z "$left" ] && break
        sleep 0.5
    done
    [ -z "$left" ] || fail "cgroups left behind: $left"
}
one_line() { assert_eq 1 "$(printf '%s\n' "$OUT" | wc -l)" "error lines: $OUT"; }

test_image_default_cmd_and_digest_recorded() {
    setup_image
    capture "$OSBOX" run --name rec busybox sh -c 'echo in-image; exit 5'
    assert_eq 5 "$STATUS"
    assert_eq in-image "$OUT"
    local rec digest
    rec=$(cat "$OSBOX_ROOT"/containers/*/container.json)
    digest=$("$OSBOX" inspect busybox | sed -n 's/.*"digest": "\(sha256:[0-9a-f]*\)".*/\1/p' | head -n1)
    [ -n "$digest" ] || fail "no digest from inspect"
    assert_contains "$rec" "\"image_digest\": \"$digest\""
    assert_contains "$rec" '"image": "busybox:latest"'
    # The image's Cmd (sh) runs when no command is given; stdin is /dev/null so it exits 0.
    assert_status 0 "$OSBOX" run --rm busybox
}

test_image_layers_untouched_by_writes() {
    setup_image
    assert_status 0 "$OSBOX" run --rm busybox sh -c 'echo x > /etc/written; rm /bin/ls; echo y > /new'
    local hits
    hits=$(find "$OSBOX_ROOT/images" -name written -o -name new | grep -v '^$' || true)
    [ -z "$hits" ] || fail "write reached the image store: $hits"
    capture "$OSBOX" run --rm busybox sh -c 'ls /etc/written /new 2>&1; test -e /bin/ls && echo /bin/ls'
    assert_contains "$OUT" "/bin/ls"
    assert_contains "$OUT" "No such file"
    assert_clean_state
}

test_image_config_user_workdir_env_entrypoint() {
    setup_image
    make_custom_image custom '{"Env":["PATH=/bin","FOO=from-image","BAR=img"],"Entrypoint":["sh","-c"],"Cmd":["echo default-cmd; id -un; pwd; echo $FOO $BAR"],"WorkingDir":"/home/user/w","User":"user"}'
    capture "$OSBOX" run --rm custom
    assert_eq 0 "$STATUS" "$OUT"
    assert_eq "default-cmd
user
/home/user/w
from-image img" "$OUT"
    # Flags override the image: CMD replaces Cmd (Entrypoint stays), -e, -w, -u.
    capture "$OSBOX" run --rm -e BAR=flag -w /tmp -u root custom 'echo $FOO $BAR; pwd; id -u'
    assert_eq "from-image flag
/tmp
0" "$OUT"
    assert_clean_state
}

test_unknown_image_125() {
    osbox_cgroups > "$T/cgroups.before"
    capture "$OSBOX" run --rm no-such-image true
    assert_eq 125 "$STATUS"
    one_line
    assert_contains "$OUT" "no-such-image"
    assert_clean_state
}

test_missing_command_125() {
    setup_image
    make_busybox_rootfs "$T/rootfs"
    tar -C "$T/rootfs" -cf "$T/rootfs.tar" .
    "$OSBOX" import "$T/rootfs.tar" nocmd >/dev/null
    capture "$OSBOX" run --rm nocmd
    assert_eq 125 "$STATUS"
    one_line
    assert_contains "$OUT" "no command specified"
    # The imported image runs once a command is given.
    assert_status 0 "$OSBOX" run --rm nocmd true
    assert_clean_state
}

test_bad_input_one_line_and_nothing_left() {
    setup_image
    local args want
    while IFS='|' read -r want args; do
        # shellcheck disable=SC2086
        capture "$OSBOX" run --rm $args
        assert_eq "$want" "$STATUS" "status of 'osbox run $args' ($OUT)"
        one_line
        assert_contains "$OUT" "osbox: "
        assert_clean_state
    done <<'CASES'
125|-m 12XB busybox true
125|--cpus -1 busybox true
125|--pids-limit 0 busybox true
125|-u nobody2 busybox true
125|-u user:nogroup2 busybox true
125|-w relative busybox true
125|--name bad/name busybox true
125|-e =x busybox true
125|--env-file /nonexistent busybox true
127|busybox no-such-cmd
126|busybox /etc/passwd
2|--no-such-flag busybox true
CASES
}

test_layers_vanished_125() {
    setup_image
    rm -rf "$OSBOX_ROOT"/images/layers/*
    capture "$OSBOX" run --rm busybox true
    assert_eq 125 "$STATUS"
    one_line
    assert_clean_state
}

test_fifty_sequential_runs_leave_nothing() {
    setup_image
    local i st
    for i in $(seq 1 50); do
        st=0
        "$OSBOX" run --rm -m 64m --pids-limit 100 busybox true || st=$?
        [ "$st" = 0 ] || fail "run $i exited $st"
    done
    assert_clean_state
}

test_gc_after_kill9_of_osbox() {
    setup_image
    "$OSBOX" run --rm --name victim busybox sleep 30 &
    local osbox=$! i
    for i in $(seq 1 100); do
        [ -n "$(ls "$OSBOX_RUN/containers" 2>/dev/null)" ] && pgrep -f "^sleep 30" >/dev/null && break
        sleep 0.05
    done
    kill -9 "$osbox"
    wait "$osbox" 2>/dev/null || true
    [ -n "$(ls "$OSBOX_RUN/containers")" ] || fail "expected live state left by the killed osbox"
    capture "$OSBOX" gc
    assert_eq 0 "$STATUS" "$OUT"
    assert_contains "$OUT" "cleaned up 1 container"
    assert_clean_state
    [ -z "$(ls -A "$OSBOX_ROOT/names" 2>/dev/null)" ] || fail "name not released"
    # The name is free again, and gc of a clean state does nothing.
    assert_status 0 "$OSBOX" run --rm --name victim busybox true
    capture "$OSBOX" gc
    assert_contains "$OUT" "cleaned up 0 containers"
}

test_gc_leaves_running_containers_alone() {
    setup_image
    "$OSBOX" run --rm busybox sleep 3 &
    local osbox=$! i st=0
    for i in $(seq 1 100); do
        [ -f "$(ls -d "$OSBOX_RUN"/containers/*/ 2>/dev/null | head -n1)state.json" ] && break
        sleep 0.05
    done
    capture "$OSBOX" gc
    assert_contains "$OUT" "cleaned up 0 containers"
    wait "$osbox" || st=$?
    assert_eq 0 "$st" "the running container survived gc"
    assert_clean_state
}

# An OCI layout with N layers: the busybox image's layers, then N-2 tiny ones
# each adding /layers/<i>.
make_many_layer_image() {
    local name=$1 n=$2 src="$OSBOX_SRC/build/images/busybox.oci" dst="$T/$1.oci" i d s
    local md manifest cd cfg layers diff_ids
    cp -r "$src" "$dst"
    md=$(sed 's/.*"digest":"sha256:\([0-9a-f]*\)".*/\1/' "$dst/index.json")
    manifest=$(cat "$dst/blobs/sha256/$md")
    cd=$(printf '%s' "$manifest" | sed 's/^[^{]*{[^{]*"config":{[^}]*"digest":"sha256:\([0-9a-f]*\)".*/\1/')
    layers=$(printf '%s' "$manifest" | sed 's/.*"layers":\[\(.*\)\]}$/\1/')
    diff_ids=$(sed 's/.*"diff_ids":\[\([^]]*\)\].*/\1/' "$dst/blobs/sha256/$cd")
    for i in $(seq 3 "$n"); do
        mkdir -p "$T/l$i/layers"
        echo "$i" > "$T/l$i/layers/$i"
        tar --sort=name --mtime=@0 --owner=0 --group=0 -C "$T/l$i" -cf "$T/l$i.tar" layers
        d=$(sha256sum "$T/l$i.tar" | cut -d' ' -f1); s=$(stat -c %s "$T/l$i.tar")
        mv "$T/l$i.tar" "$dst/blobs/sha256/$d"
        layers="$layers,{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"sha256:$d\",\"size\":$s}"
        diff_ids="$diff_ids,\"sha256:$d\""
    done
    cfg=$(sed -e "s/\"diff_ids\":\[[^]]*\]/\"diff_ids\":[$diff_ids]/" -e 's/"history":\[[^]]*\]/"history":[]/' "$dst/blobs/sha256/$cd")
    printf '%s' "$cfg" > "$T/cfg"
    d=$(sha256sum "$T/cfg" | cut -d' ' -f1); s=$(stat -c %s "$T/cfg")
    mv "$T/cfg" "$dst/blobs/sha256/$d"
    printf '%s' "$manifest" | sed -e "s/\"config\":{[^}]*}/\"config\":{\"mediaType\":\"application\/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:$d\",\"size\":$s}/" \
        -e "s|\"layers\":\[.*\]}$|\"layers\":[$layers]}|" > "$T/man"
    d=$(sha256sum "$T/man" | cut -d' ' -f1); s=$(stat -c %s "$T/man")
    mv "$T/man" "$dst/blobs/sha256/$d"
    printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"%s:latest"}}]}' \
        "$d" "$s" "$name" > "$dst/index.json"
    "$OSBOX" load --oci-dir "$dst" >/dev/null
}

test_image_with_many_layers() {
    setup_image
    # lowerdir= must fit in a page: 40 layers fit only as paths relative to
    # the layer store, 60 not even so (then one fsconfig call per layer).
    local n
    for n in 40 60; do
        make_many_layer_image "tall$n" "$n"
        capture "$OSBOX" run --rm "tall$n" sh -c 'ls /layers | wc -l; cat /layers/3 /layers/'"$n"
        assert_eq 0 "$STATUS" "$OUT"
        assert_eq "$((n - 2))
3
$n" "$OUT" "$n layers"
    done
    assert_clean_state
}

test_parallel_runs_and_one_name() {
    setup_image
    local i pids=() ok=0 taken=0 st
    # Ten at once all run; five racing for one name: exactly one gets it.
    for i in $(seq 1 10); do "$OSBOX" run --rm busybox true & pids+=($!); done
    for i in "${pids[@]}"; do wait "$i" || fail "a parallel run failed"; done
    pids=()
    for i in $(seq 1 5); do "$OSBOX" run --rm --name same busybox sleep 1 >/dev/null 2>&1 & pids+=($!); done
    for i in "${pids[@]}"; do
        st=0; wait "$i" || st=$?
        case $st in 0) ok=$((ok + 1)) ;; 125) taken=$((taken + 1)) ;; *) fail "status $st" ;; esac
    done
    assert_eq "1 4" "$ok $taken" "runs that got / were refused the name"
    assert_clean_state
}

test_gc_half_made_and_stale_records() {
    setup_image
    local half=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
    local young=bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb
    local kept dir
    # A container left "running" by an osbox that died after its cleanup.
    assert_status 0 "$OSBOX" run --name kept busybox true
    dir=$(ls -d "$OSBOX_ROOT"/containers/*/)
    kept=$(basename "$dir")
    sed -i 's/"status": "exited"/"status": "running"/' "$dir/container.json"
    # A dir with no record (osbox killed while creating it), and one being made right now.
    mkdir -p "$OSBOX_ROOT/containers/$half/upper" "$OSBOX_ROOT/containers/$young"
    ln -s "$half" "$OSBOX_ROOT/names/ghost"
    touch -d '1 minute ago' "$OSBOX_ROOT/containers/$half" "$dir" "$dir/container.json"
    capture "$OSBOX" gc
    assert_eq 0 "$STATUS" "$OUT"
    assert_contains "$OUT" "cleaned up 2 containers"
    [ ! -e "$OSBOX_ROOT/containers/$half" ] || fail "half-made container kept"
    [ -d "$OSBOX_ROOT/containers/$young" ] || fail "a container still being made was removed"
    [ ! -L "$OSBOX_ROOT/names/ghost" ] || fail "the name of a removed container kept"
    grep -q '"status": "exited"' "$OSBOX_ROOT/containers/$kept/container.json" || fail "stale record not settled"
    [ -L "$OSBOX_ROOT/names/kept" ] || fail "a kept container lost its name"
}
