# Image store: loading OCI layouts, layer sharing, whiteouts, and bad input.

# ---- helpers ----
sha() { sha256sum "$1" | cut -d' ' -f1; }
fsize() { stat -c %s "$1"; }

# mk_layout DIR [--gzip] TAR... : an OCI layout with one layer per tar.
# Leaves $MANIFEST, $CONFIG and LAYER_DIGESTS for tampering tests.
mk_layout() {
    local dir=$1 gz= t blob d diff ids= layers= mt
    shift
    if [ "${1:-}" = --gzip ]; then gz=1; shift; fi
    mkdir -p "$dir/blobs/sha256"
    LAYER_DIGESTS=
    for t in "$@"; do
        diff=$(sha "$t")
        if [ -n "$gz" ]; then
            gzip -n -c "$t" > "$dir/l.tmp"; mt=application/vnd.oci.image.layer.v1.tar+gzip
        else
            cp "$t" "$dir/l.tmp"; mt=application/vnd.oci.image.layer.v1.tar
        fi
        d=$(sha "$dir/l.tmp")
        layers="$layers${layers:+,}{\"mediaType\":\"$mt\",\"digest\":\"sha256:$d\",\"size\":$(fsize "$dir/l.tmp")}"
        mv "$dir/l.tmp" "$dir/blobs/sha256/$d"
        ids="$ids${ids:+,}\"sha256:$diff\""
        LAYER_DIGESTS="$LAYER_DIGESTS $d"
    done
    printf '{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/bin","A=1"],"Cmd":["sh"],"WorkingDir":"/w","User":"1000","ExposedPorts":{"80/tcp":{}}},"rootfs":{"type":"layers","diff_ids":[%s]}}' \
        "$ids" > "$dir/c.tmp"
    CONFIG=$(sha "$dir/c.tmp")
    printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[%s]}' \
        "$CONFIG" "$(fsize "$dir/c.tmp")" "$layers" > "$dir/m.tmp"
    mv "$dir/c.tmp" "$dir/blobs/sha256/$CONFIG"
    MANIFEST=$(sha "$dir/m.tmp")
    write_index "$dir" "$MANIFEST" "$(fsize "$dir/m.tmp")"
    mv "$dir/m.tmp" "$dir/blobs/sha256/$MANIFEST"
    printf '{"imageLayoutVersion":"1.0.0"}' > "$dir/oci-layout"
}
write_index() { # DIR DIGEST SIZE [MEDIATYPE]
    printf '{"schemaVersion":2,"manifests":[{"mediaType":"%s","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"latest"}}]}' \
        "${4:-application/vnd.oci.image.manifest.v1+json}" "$2" "$3" > "$1/index.json"
}
# Replace a blob's content and re-point its referrer is NOT done: digest stays stale.
store_listing() {
    (cd "$OSBOX_ROOT/images" && find . -path ./lock -prune -o -printf '%p %s\n' | LC_ALL=C sort && cat index.json 2>/dev/null)
}
# expect_bad_load DIR NEEDLE: load fails with 125, the message names the problem,
# and the store is exactly as before.
expect_bad_load() {
    local before after
    before=$(store_listing)
    capture "$OSBOX" load --oci-dir "$1"
    assert_eq 125 "$STATUS" "exit status of bad load ($OUT)"
    assert_contains "$OUT" "$2"
    assert_eq 1 "$(printf '%s\n' "$OUT" | wc -l)" "error lines"
    after=$(store_listing)
    [ "$before" = "$after" ] || fail "store changed by a failed load: $(diff <(echo "$before") <(echo "$after"))"
    assert_eq "" "$(ls -A "$OSBOX_ROOT/images/tmp")" "staging leftovers"
}
layer_dir() { echo "$OSBOX_ROOT/images/layers/$(sha "$1")"; }

# ---- tests ----
test_load_busybox_builtin() {
    load_busybox
    local idx=$OSBOX_ROOT/images/index.json
    assert_contains "$(cat "$idx")" '"busybox:latest": "sha256:'
    local n=0 d
    for d in "$OSBOX_ROOT"/images/layers/*/; do n=$((n + 1)); done
    [ "$n" -ge 2 ] || fail "busybox should have at least 2 layers, has $n"
    local root
    root=$(ls -d "$OSBOX_ROOT"/images/layers/*/bin/busybox)
    [ -x "$root" ] || fail "no /bin/busybox"
    local L1 L2
    L1=$(dirname "$(dirname "$root")")
    for a in sh ls cat echo ps mount ip wget nc awk; do
        ls "$L1"/bin/$a "$L1"/sbin/$a "$L1"/usr/bin/$a "$L1"/usr/sbin/$a 2>/dev/null | grep -q . \
            || fail "applet $a missing"
    done
    L2=$(dirname "$(dirname "$(ls -d "$OSBOX_ROOT"/images/layers/*/etc/passwd)")")
    assert_contains "$(cat "$L2/etc/passwd")" "user:x:1000:1000"
    assert_eq "1000:1000" "$(stat -c %u:%g "$L2/home/user")" "owner of /home/user"
    assert_eq "1777" "$(stat -c %a "$L2/tmp")" "mode of /tmp"
    assert_eq "$(cat "$OSBOX_SRC/build/images/busybox.oci/index.json" | grep -o 'sha256:[0-9a-f]*' | head -1)" \
        "$(grep -o 'sha256:[0-9a-f]*' "$idx")" "manifest digest"
}

test_load_again_shares_layers() {
    load_busybox
    local before
    before=$(cd "$OSBOX_ROOT/images/layers" && find . -printf '%i %p\n' | sort)
    capture "$OSBOX" load --oci-dir "$OSBOX_SRC/build/images/busybox.oci" --name other:v2
    assert_eq 0 "$STATUS" "second load ($OUT)"
    assert_eq "Loaded image: other:v2" "$OUT"
    assert_eq "$before" "$(cd "$OSBOX_ROOT/images/layers" && find . -printf '%i %p\n' | sort)" "layers untouched"
    assert_contains "$(cat "$OSBOX_ROOT/images/index.json")" '"other:v2"'
    assert_contains "$(cat "$OSBOX_ROOT/images/index.json")" '"busybox:latest"'
}

test_load_name_from_dir_and_gzip() {
    mkdir -p "$T/r/etc" && echo hello > "$T/r/etc/greeting"
    tar -C "$T/r" -cf "$T/l.tar" etc
    mk_layout "$T/myimg.oci" --gzip "$T/l.tar"
    capture "$OSBOX" load --oci-dir "$T/myimg.oci"
    assert_eq 0 "$STATUS" "load ($OUT)"
    assert_eq "Loaded image: myimg:latest" "$OUT"
    assert_eq hello "$(cat "$(layer_dir "$T/l.tar")/etc/greeting")"
}

test_whiteouts_become_overlay_whiteouts() {
    mkdir -p "$T/a/d" "$T/a/keep" "$T/b/d" "$T/b/keep"
    echo 1 > "$T/a/gone"; echo 2 > "$T/a/d/old"; echo 3 > "$T/a/keep/k"
    tar -C "$T/a" -cf "$T/a.tar" gone d keep
    : > "$T/b/.wh.gone"; : > "$T/b/d/.wh..wh..opq"; echo 4 > "$T/b/d/new"
    tar -C "$T/b" -cf "$T/b.tar" .wh.gone d
    mk_layout "$T/wh.oci" "$T/a.tar" "$T/b.tar"
    "$OSBOX" load -q --oci-dir "$T/wh.oci"
    local lo hi
    lo=$(layer_dir "$T/a.tar"); hi=$(layer_dir "$T/b.tar")
    assert_eq "character special file 0:0" "$(stat -c '%F %t:%T' "$hi/gone")" "whiteout node"
    [ ! -e "$hi/d/.wh..wh..opq" ] || fail "opaque marker left as a file"
    # The real proof: overlayfs hides what the upper layer deleted.
    mkdir -p "$T/m"
    out=$(unshare -m sh -c "mount -t overlay overlay -o lowerdir=$hi:$lo $T/m && ls $T/m $T/m/d")
    assert_not_contains "$out" "gone"
    assert_not_contains "$out" "old"
    assert_contains "$out" "new"
    assert_contains "$out" "keep"
}

test_bad_path_escape() {
    load_busybox
    (cd "$T" && echo pw > f && tar -cPf evil.tar --transform='s,^f$,../../etc/passwd,' f)
    mk_layout "$T/bad.oci" "$T/evil.tar"
    expect_bad_load "$T/bad.oci" "points outside the layer"
}

test_bad_symlink_escape() {
    load_busybox
    (cd "$T" && ln -s /etc x && echo pw > passwd && tar -cf evil.tar x &&
        tar -rf evil.tar --transform='s,^passwd$,x/passwd,' passwd)
    mk_layout "$T/bad.oci" "$T/evil.tar"
    expect_bad_load "$T/bad.oci" "which is a symlink"
    [ ! -e "$T/x/passwd.osbox" ]
}

test_bad_hardlink_escape() {
    load_busybox
    (cd "$T" && echo x > f && ln f g && tar -cPf evil.tar --transform='s,^f$,/etc/shadow,RS' f g)
    mk_layout "$T/bad.oci" "$T/evil.tar"
    expect_bad_load "$T/bad.oci" "hardlink target"
}

test_bad_wrong_digest() {
    load_busybox
    mkdir -p "$T/r" && echo a > "$T/r/a" && tar -C "$T/r" -cf "$T/l.tar" a
    mk_layout "$T/bad.oci" "$T/l.tar"
    local d=${LAYER_DIGESTS# }
    # Same size, different content.
    printf 'X' | dd of="$T/bad.oci/blobs/sha256/$d" bs=1 seek=600 conv=notrunc status=none
    expect_bad_load "$T/bad.oci" "digest mismatch"
    assert_contains "$OUT" "$d"
}

test_bad_diff_id() {
    load_busybox
    mkdir -p "$T/r" && echo a > "$T/r/a" && tar -C "$T/r" -cf "$T/l.tar" a
    mkdir -p "$T/r2" && echo b > "$T/r2/b" && tar -C "$T/r2" -cf "$T/l2.tar" b
    mk_layout "$T/bad.oci" --gzip "$T/l.tar"
    # Swap in a different (valid, correctly addressed) layer under the same diff_id.
    local d=${LAYER_DIGESTS# } nd
    gzip -n -c "$T/l2.tar" > "$T/l2.gz"; nd=$(sha "$T/l2.gz")
    cp "$T/l2.gz" "$T/bad.oci/blobs/sha256/$nd"
    sed "s/$d/$nd/; s/\"size\":$(fsize "$T/bad.oci/blobs/sha256/$d")}/\"size\":$(fsize "$T/l2.gz")}/" \
        "$T/bad.oci/blobs/sha256/$MANIFEST" > "$T/m.json"
    local m; m=$(sha "$T/m.json"); cp "$T/m.json" "$T/bad.oci/blobs/sha256/$m"
    write_index "$T/bad.oci" "$m" "$(fsize "$T/m.json")"
    expect_bad_load "$T/bad.oci" "declares diff_id"
}

test_bad_missing_blob() {
    load_busybox
    mkdir -p "$T/r" && echo a > "$T/r/a" && tar -C "$T/r" -cf "$T/l.tar" a
    mk_layout "$T/bad.oci" "$T/l.tar"
    rm "$T/bad.oci/blobs/sha256/${LAYER_DIGESTS# }"
    expect_bad_load "$T/bad.oci" "missing from the archive"
}

test_bad_truncated_layer() {
    load_busybox
    mkdir -p "$T/r" && head -c 200000 /dev/urandom > "$T/r/big" && tar -C "$T/r" -cf "$T/l.tar" big
    head -c 100000 "$T/l.tar" > "$T/short.tar"
    # A manifest that truthfully describes the truncated blob: the tar itself is cut.
    mk_layout "$T/bad.oci" --gzip "$T/short.tar"
    expect_bad_load "$T/bad.oci" "runcated"
}

# Layers are unpacked two at a time: a bad third layer among good ones still
# gives one line naming it, and neither the good layers nor their blobs stay.
test_bad_layer_among_parallel_ones() {
    load_busybox
    local i
    for i in 1 2 3 4; do
        mkdir -p "$T/r$i" && head -c 300000 /dev/urandom > "$T/r$i/f$i" && tar -C "$T/r$i" -cf "$T/l$i.tar" "f$i"
    done
    mk_layout "$T/bad.oci" --gzip "$T/l1.tar" "$T/l2.tar" "$T/l3.tar" "$T/l4.tar"
    local d3; d3=$(echo $LAYER_DIGESTS | cut -d' ' -f3)
    printf 'X' | dd of="$T/bad.oci/blobs/sha256/$d3" bs=1 seek=5000 conv=notrunc status=none
    expect_bad_load "$T/bad.oci" "layer sha256:$d3: "
}

# The same layer blob twice in one manifest is stored and unpacked once.
test_load_repeated_layer() {
    mkdir -p "$T/r" && echo a > "$T/r/a" && tar -C "$T/r" -cf "$T/l.tar" a
    mkdir -p "$T/r2" && echo b > "$T/r2/b" && tar -C "$T/r2" -cf "$T/l2.tar" b
    mk_layout "$T/rep.oci" --gzip "$T/l.tar" "$T/l2.tar" "$T/l.tar"
    capture "$OSBOX" load --oci-dir "$T/rep.oci" --name rep:1
    assert_eq 0 "$STATUS" "load ($OUT)"
    assert_eq "a" "$(cat "$(layer_dir "$T/l.tar")/a")" "content of the repeated layer"
    assert_eq "b" "$(cat "$(layer_dir "$T/l2.tar")/b")" "content of the middle layer"
    assert_eq "" "$(ls -A "$OSBOX_ROOT/images/tmp")" "staging leftovers"
}

test_bad_malformed_json() {
    load_busybox
    mkdir -p "$T/r" && echo a > "$T/r/a" && tar -C "$T/r" -cf "$T/l.tar" a
    mk_layout "$T/bad.oci" "$T/l.tar"
    printf '{"schemaVersion":2,"manifests":[' > "$T/bad.oci/index.json"
    expect_bad_load "$T/bad.oci" "malformed JSON"
    # And a manifest blob that is not JSON, correctly addressed.
    printf 'not json' > "$T/nj"; local d; d=$(sha "$T/nj"); cp "$T/nj" "$T/bad.oci/blobs/sha256/$d"
    write_index "$T/bad.oci" "$d" 8
    expect_bad_load "$T/bad.oci" "malformed JSON"
}

test_bad_absurd_size() {
    load_busybox
    mkdir -p "$T/r" && echo a > "$T/r/a" && tar -C "$T/r" -cf "$T/l.tar" a
    mk_layout "$T/bad.oci" "$T/l.tar"
    local d=${LAYER_DIGESTS# }
    sed "s/\"size\":$(fsize "$T/l.tar")}/\"size\":99999999999999999}/" \
        "$T/bad.oci/blobs/sha256/$MANIFEST" > "$T/m.json"
    local m; m=$(sha "$T/m.json"); cp "$T/m.json" "$T/bad.oci/blobs/sha256/$m"
    write_index "$T/bad.oci" "$m" "$(fsize "$T/m.json")"
    expect_bad_load "$T/bad.oci" "absurd size"
    # A plausible but wrong size is caught too.
    sed "s/\"size\":$(fsize "$T/l.tar")}/\"size\":4096}/" "$T/bad.oci/blobs/sha256/$MANIFEST" > "$T/m2.json"
    m=$(sha "$T/m2.json"); cp "$T/m2.json" "$T/bad.oci/blobs/sha256/$m"
    write_index "$T/bad.oci" "$m" "$(fsize "$T/m2.json")"
    expect_bad_load "$T/bad.oci" "declared"
}

test_bad_media_type() {
    load_busybox
    mkdir -p "$T/r" && echo a > "$T/r/a" && tar -C "$T/r" -cf "$T/l.tar" a
    mk_layout "$T/bad.oci" "$T/l.tar"
    sed 's,application/vnd.oci.image.layer.v1.tar,application/x-mystery,' \
        "$T/bad.oci/blobs/sha256/$MANIFEST" > "$T/m.json"
    local m; m=$(sha "$T/m.json"); cp "$T/m.json" "$T/bad.oci/blobs/sha256/$m"
    write_index "$T/bad.oci" "$m" "$(fsize "$T/m.json")"
    expect_bad_load "$T/bad.oci" "unknown media type 'application/x-mystery'"
    write_index "$T/bad.oci" "$MANIFEST" 10 application/x-other
    expect_bad_load "$T/bad.oci" "unknown media type"
}

test_bad_empty() {
    load_busybox
    mkdir -p "$T/empty.oci"
    expect_bad_load "$T/empty.oci" "not an OCI image layout"
    printf '{"imageLayoutVersion":"1.0.0"}' > "$T/empty.oci/oci-layout"
    printf '{"schemaVersion":2,"manifests":[]}' > "$T/empty.oci/index.json"
    expect_bad_load "$T/empty.oci" "lists no images"
    # An empty layer blob (zero bytes) is not a tar.
    : > "$T/zero.tar"
    mk_layout "$T/z.oci" "$T/zero.tar"
    expect_bad_load "$T/z.oci" "layer"
}

test_killed_import_leaves_store_consistent() {
    load_busybox
    # A big layer so the import is still running when it is killed.
    mkdir -p "$T/r" && head -c 150000000 /dev/zero > "$T/r/big" && tar -C "$T/r" -cf "$T/l.tar" big
    mk_layout "$T/big.oci" "$T/l.tar"
    local before; before=$(cat "$OSBOX_ROOT/images/index.json")
    "$OSBOX" load --oci-dir "$T/big.oci" >/dev/null 2>&1 &
    local pid=$! i=0
    while [ -z "$(ls -A "$OSBOX_ROOT/images/tmp")" ] && [ $i -lt 200 ]; do sleep 0.01; i=$((i + 1)); done
    kill -9 $pid; wait $pid 2>/dev/null || true
    assert_eq "$before" "$(cat "$OSBOX_ROOT/images/index.json")" "index after kill"
    [ ! -d "$(layer_dir "$T/l.tar")" ] || fail "half-imported layer visible"
    # The store still works, and the same import succeeds afterwards.
    "$OSBOX" load -q --oci-dir "$T/big.oci"
    assert_contains "$(cat "$OSBOX_ROOT/images/index.json")" '"big:latest"'
}

test_concurrent_loads_both_succeed() {
    mkdir -p "$T/r1" "$T/r2"; echo 1 > "$T/r1/a"; echo 2 > "$T/r2/b"
    tar -C "$T/r1" -cf "$T/1.tar" a; tar -C "$T/r2" -cf "$T/2.tar" b
    mk_layout "$T/one.oci" "$T/1.tar" "$T/2.tar"
    mk_layout "$T/two.oci" "$T/2.tar"
    "$OSBOX" load -q --oci-dir "$T/one.oci" & local p1=$!
    "$OSBOX" load -q --oci-dir "$T/two.oci" & local p2=$!
    wait $p1 || fail "first concurrent load failed"
    wait $p2 || fail "second concurrent load failed"
    local idx; idx=$(cat "$OSBOX_ROOT/images/index.json")
    assert_contains "$idx" '"one:latest"'
    assert_contains "$idx" '"two:latest"'
}

# ---- images, inspect, tag, rmi, import ----
two_images_sharing_a_layer() { # builds $T/one.oci (shared+a) and $T/two.oci (shared+b)
    mkdir -p "$T/s" "$T/a" "$T/b"
    echo shared > "$T/s/shared"; echo a > "$T/a/only-a"; echo b > "$T/b/only-b"
    tar -C "$T/s" -cf "$T/s.tar" shared
    tar -C "$T/a" -cf "$T/a.tar" only-a
    tar -C "$T/b" -cf "$T/b.tar" only-b
    mk_layout "$T/one.oci" "$T/s.tar" "$T/a.tar"
    ONE=$MANIFEST
    mk_layout "$T/two.oci" --gzip "$T/s.tar" "$T/b.tar"
    "$OSBOX" load -q --oci-dir "$T/one.oci"
    "$OSBOX" load -q --oci-dir "$T/two.oci"
}

test_inspect_shows_config_and_layers() {
    mkdir -p "$T/r" && echo x > "$T/r/x" && tar -C "$T/r" -cf "$T/l.tar" x
    mk_layout "$T/cfg.oci" "$T/l.tar"
    "$OSBOX" load -q --oci-dir "$T/cfg.oci"
    capture "$OSBOX" inspect cfg
    assert_eq 0 "$STATUS" "inspect ($OUT)"
    assert_contains "$OUT" "\"digest\": \"sha256:$MANIFEST\""
    assert_contains "$OUT" "\"id\": \"sha256:$CONFIG\""
    assert_contains "$OUT" "\"diff_id\": \"sha256:$(sha "$T/l.tar")\""
    assert_contains "$OUT" '"WorkingDir": "/w"'
    assert_contains "$OUT" '"User": "1000"'
    assert_contains "$OUT" '"80/tcp"'
    assert_contains "$OUT" '"cfg:latest"'
    # The same image by id prefix, by full id and by manifest digest.
    local by
    for by in "${CONFIG:0:12}" "sha256:$CONFIG" "sha256:$MANIFEST"; do
        capture "$OSBOX" inspect "$by"
        assert_eq 0 "$STATUS" "inspect $by ($OUT)"
        assert_contains "$OUT" "\"digest\": \"sha256:$MANIFEST\""
    done
    capture "$OSBOX" inspect nosuch
    assert_eq 125 "$STATUS" "inspect of an unknown image"
    assert_contains "$OUT" "no such object: 'nosuch'"
}

test_images_table_and_json() {
    load_busybox
    capture "$OSBOX" images
    assert_eq 0 "$STATUS"
    assert_contains "$OUT" "NAME"
    assert_contains "$OUT" "busybox"
    assert_contains "$OUT" "latest"
    capture "$OSBOX" images --format json
    assert_contains "$OUT" '"ref": "busybox:latest"'
    assert_contains "$OUT" '"size": '
    capture "$OSBOX" images --format yaml
    assert_eq 2 "$STATUS" "bad --format"
}

test_tag_adds_a_name() {
    load_busybox
    "$OSBOX" tag busybox mine/bb:v1
    capture "$OSBOX" inspect mine/bb:v1
    assert_contains "$OUT" '"busybox:latest"'
    assert_contains "$OUT" '"mine/bb:v1"'
    capture "$OSBOX" tag nosuch x
    assert_eq 125 "$STATUS"
    assert_contains "$OUT" "image 'nosuch' not found"
    capture "$OSBOX" tag busybox 'Bad Name'
    assert_eq 125 "$STATUS"
    assert_contains "$OUT" "invalid image reference"
}

test_rmi_keeps_shared_layers() {
    two_images_sharing_a_layer
    local shared a b
    shared=$(layer_dir "$T/s.tar"); a=$(layer_dir "$T/a.tar"); b=$(layer_dir "$T/b.tar")
    [ -d "$shared" ] && [ -d "$a" ] && [ -d "$b" ] || fail "layers not unpacked"
    capture "$OSBOX" rmi one
    assert_eq 0 "$STATUS" "rmi one ($OUT)"
    assert_contains "$OUT" "Untagged: one:latest"
    assert_contains "$OUT" "Deleted: sha256:$ONE"
    [ -d "$shared" ] || fail "shared layer removed while 'two' uses it"
    [ ! -e "$a" ] || fail "layer only 'one' used is still there"
    [ -d "$b" ] || fail "layer of 'two' removed"
    [ ! -e "$OSBOX_ROOT/images/blobs/sha256/$ONE" ] || fail "manifest blob of 'one' left"
    "$OSBOX" rmi two >/dev/null
    assert_eq "" "$(ls "$OSBOX_ROOT/images/layers")" "layers after removing every image"
    assert_eq "" "$(ls "$OSBOX_ROOT/images/blobs/sha256")" "blobs after removing every image"
    capture "$OSBOX" rmi two
    assert_eq 125 "$STATUS"
    assert_contains "$OUT" "image 'two' not found"
}

test_rmi_one_of_two_names_keeps_image() {
    load_busybox
    "$OSBOX" tag busybox copy
    local n; n=$(ls "$OSBOX_ROOT/images/layers" | wc -l)
    capture "$OSBOX" rmi busybox
    assert_eq "Untagged: busybox:latest" "$OUT"
    assert_eq "$n" "$(ls "$OSBOX_ROOT/images/layers" | wc -l)" "layers after untag"
    capture "$OSBOX" inspect copy
    assert_eq 0 "$STATUS"
}

test_rmi_refused_while_a_container_uses_it() {
    load_busybox
    local digest; digest=$(grep -o 'sha256:[0-9a-f]*' "$OSBOX_ROOT/images/index.json")
    mkdir -p "$OSBOX_ROOT/containers/c0ffee"
    printf '{"id":"c0ffee","name":"web","image_digest":"%s"}' "$digest" \
        > "$OSBOX_ROOT/containers/c0ffee/container.json"
    capture "$OSBOX" rmi busybox
    assert_eq 125 "$STATUS"
    assert_contains "$OUT" "used by container web"
    assert_contains "$(cat "$OSBOX_ROOT/images/index.json")" busybox:latest
    capture "$OSBOX" rmi -f busybox
    assert_eq 0 "$STATUS" "rmi -f ($OUT)"
    assert_not_contains "$(cat "$OSBOX_ROOT/images/index.json")" busybox:latest
    # The container still needs the layers: they stay.
    [ -n "$(ls "$OSBOX_ROOT/images/layers")" ] || fail "layers of a used image removed"
    ls "$OSBOX_ROOT"/images/layers/*/bin/busybox >/dev/null || fail "busybox layer gone"
}

test_import_rootfs_tarball() {
    mkdir -p "$T/r/etc" "$T/r/bin"
    echo imported > "$T/r/etc/motd"; ln -s /bin/x "$T/r/bin/y"
    tar -C "$T/r" -czf "$T/rootfs.tgz" .
    capture "$OSBOX" import "$T/rootfs.tgz" myroot:1
    assert_eq 0 "$STATUS" "import ($OUT)"
    assert_contains "$OUT" "sha256:"
    capture "$OSBOX" inspect myroot:1
    assert_contains "$OUT" "tar+gzip"
    assert_contains "$OUT" "\"diff_id\": \"sha256:$(gunzip -c "$T/rootfs.tgz" | sha256sum | cut -d' ' -f1)\""
    local dir; dir=$(ls -d "$OSBOX_ROOT"/images/layers/*)
    assert_eq imported "$(cat "$dir/etc/motd")"
    assert_eq /bin/x "$(readlink "$dir/bin/y")"
    # Bad input: an escaping entry; the store stays as it was.
    (cd "$T" && echo pw > f && tar -cPf evil.tar --transform='s,^f$,../../etc/passwd,' f)
    local before; before=$(store_listing)
    capture "$OSBOX" import "$T/evil.tar" evil
    assert_eq 125 "$STATUS"
    assert_contains "$OUT" "points outside the layer"
    assert_eq "$before" "$(store_listing)" "store after failed import"
    capture "$OSBOX" import "$T/nonexistent.tar" x
    assert_eq 125 "$STATUS"
    assert_contains "$OUT" "No such file"
    capture "$OSBOX" import "$T/rootfs.tgz"
    assert_eq 2 "$STATUS" "import without a name"
}

test_commands_answer_help() {
    local c
    for c in load images inspect rmi tag import; do
        capture "$OSBOX" $c --help
        assert_eq 0 "$STATUS" "$c --help"
        case $OUT in Usage:*) ;; *) fail "$c --help does not start with Usage:" ;; esac
    done
}

test_multi_platform_index_picks_this_machine() {
    mkdir -p "$T/r" && echo amd > "$T/r/arch" && tar -C "$T/r" -cf "$T/l.tar" arch
    mk_layout "$T/multi.oci" "$T/l.tar"
    local msize; msize=$(fsize "$T/multi.oci/blobs/sha256/$MANIFEST")
    # An image index: an arm64 manifest that does not exist here, and ours as amd64.
    printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%064d","size":10,"platform":{"os":"linux","architecture":"arm64"}},{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"platform":{"os":"linux","architecture":"amd64"}}]}' \
        0 "$MANIFEST" "$msize" > "$T/idx.json"
    local idx; idx=$(sha "$T/idx.json"); cp "$T/idx.json" "$T/multi.oci/blobs/sha256/$idx"
    write_index "$T/multi.oci" "$idx" "$(fsize "$T/idx.json")" application/vnd.oci.image.index.v1+json
    capture "$OSBOX" load --oci-dir "$T/multi.oci"
    assert_eq "Loaded image: multi:latest" "$OUT"
    assert_contains "$("$OSBOX" inspect multi)" "\"digest\": \"sha256:$MANIFEST\""
    # Tampered index blob: refused.
    echo ' ' >> "$T/multi.oci/blobs/sha256/$idx"
    "$OSBOX" rmi multi >/dev/null
    capture "$OSBOX" load --oci-dir "$T/multi.oci"
    assert_eq 125 "$STATUS"
    assert_contains "$OUT" "digest mismatch"
}

# ---- osbox gc: the store part ----
test_gc_cleans_killed_import_and_unused_layers() {
    load_busybox
    mkdir -p "$T/r" && head -c 150000000 /dev/zero > "$T/r/big" && tar -C "$T/r" -cf "$T/l.tar" big
    mk_layout "$T/big.oci" "$T/l.tar"
    "$OSBOX" load --oci-dir "$T/big.oci" >/dev/null 2>&1 &
    local pid=$! i=0
    while [ -z "$(ls -A "$OSBOX_ROOT/images/tmp")" ] && [ $i -lt 200 ]; do sleep 0.01; i=$((i + 1)); done
    kill -9 $pid; wait $pid 2>/dev/null || true
    [ -n "$(ls -A "$OSBOX_ROOT/images/tmp")" ] || skip "the import finished before it could be killed"
    # A stopped container keeps its image's layers even when the name goes.
    "$OSBOX" run --name keep busybox true
    local layers; layers=$(ls "$OSBOX_ROOT/images/layers" | sort)
    "$OSBOX" rmi -f busybox >/dev/null
    capture "$OSBOX" gc
    assert_eq 0 "$STATUS" "gc status"
    assert_contains "$OUT" "removed 1 unfinished import"
    assert_eq "" "$(ls -A "$OSBOX_ROOT/images/tmp")" "tmp/ after gc"
    assert_eq "$layers" "$(ls "$OSBOX_ROOT/images/layers" | sort)" "layers a container still uses"
    # Once the container goes, its layers are free and the next gc removes them.
    "$OSBOX" rm keep >/dev/null
    capture "$OSBOX" gc
    assert_eq 0 "$STATUS" "second gc status"
    assert_eq "" "$(ls -A "$OSBOX_ROOT/images/layers")" "layers after the last user went"
}
