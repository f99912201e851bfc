# Image archives and interop with real producers/consumers (skopeo, umoci):
# load -i (docker-save and OCI archives), save -o round trips, and archive bad input.

BB_OCI=${OSBOX_SRC}/build/images/busybox.oci

need_skopeo() { command -v skopeo >/dev/null || skip "skopeo not installed (scripts/deps.sh)"; }
need_umoci() { command -v umoci >/dev/null || skip "umoci not installed (scripts/deps.sh)"; }
skopeo_cp() { skopeo --insecure-policy copy -q "$@"; }
store_listing() {
    (cd "$OSBOX_ROOT/images" && find . -path ./lock -prune -o -printf '%p %s\n' | LC_ALL=C sort && cat index.json 2>/dev/null)
}
expect_bad_archive() { # FILE NEEDLE
    local before
    before=$(store_listing)
    capture "$OSBOX" load -i "$1"
    assert_eq 125 "$STATUS" "exit status ($OUT)"
    assert_contains "$OUT" "$2"
    assert_eq 1 "$(printf '%s\n' "$OUT" | wc -l)" "error lines"
    [ "$before" = "$(store_listing)" ] || fail "store changed by a failed load of $1"
    assert_eq "" "$(ls -A "$OSBOX_ROOT/images/tmp")" "staging leftovers"
}
busybox_digest_of() { # NAME -> the diff_ids, which survive any re-compression
    "$OSBOX" inspect "$1" | grep '"diff_id"' | sort
}

test_skopeo_docker_archive() {
    need_skopeo
    load_busybox
    skopeo_cp "oci:$BB_OCI:busybox:latest" "docker-archive:$T/d.tar:docker.io/library/dbb:v1"
    capture "$OSBOX" load -i "$T/d.tar"
    assert_eq 0 "$STATUS" "load docker archive ($OUT)"
    assert_eq "Loaded image: dbb:v1" "$OUT"
    assert_eq "$(busybox_digest_of busybox)" "$(busybox_digest_of dbb:v1)" "layers of dbb:v1"
    # Layers shared with the built-in busybox were not unpacked again.
    assert_eq 2 "$(ls "$OSBOX_ROOT/images/layers" | wc -l)" "layer dirs"
}

test_skopeo_oci_archive_and_dir() {
    need_skopeo
    skopeo_cp "oci:$BB_OCI:busybox:latest" "oci-archive:$T/o.tar:obb:v2"
    skopeo_cp "oci:$BB_OCI:busybox:latest" "oci:$T/fromskopeo:v3"
    capture "$OSBOX" load -i "$T/o.tar"
    assert_eq "Loaded image: obb:v2" "$OUT"
    capture "$OSBOX" load --oci-dir "$T/fromskopeo"
    assert_eq "Loaded image: fromskopeo:v3" "$OUT"
    capture "$OSBOX" load --oci-dir "$T/fromskopeo" --name named:1
    assert_eq "Loaded image: named:1" "$OUT"
    "$OSBOX" inspect obb:v2 fromskopeo:v3 named:1 >/dev/null
}

test_save_round_trips() {
    load_busybox
    local before
    before=$("$OSBOX" inspect busybox | grep -E '"(digest|id|diff_id)"')
    "$OSBOX" save -o "$T/bb.tar" busybox
    tar -tf "$T/bb.tar" | grep -qx oci-layout || fail "no oci-layout in the saved archive"
    "$OSBOX" rmi busybox >/dev/null
    assert_eq "" "$(ls "$OSBOX_ROOT/images/layers")" "layers after rmi"
    capture "$OSBOX" load -i "$T/bb.tar"
    assert_eq "Loaded image: busybox:latest" "$OUT"
    assert_eq "$before" "$("$OSBOX" inspect busybox | grep -E '"(digest|id|diff_id)"')" "same image after the round trip"
    # From stdin too.
    "$OSBOX" rmi busybox >/dev/null
    capture sh -c "\"$OSBOX\" load -i - < \"$T/bb.tar\""
    assert_eq "Loaded image: busybox:latest" "$OUT" "load from stdin"
    capture "$OSBOX" save -o "$T/x.tar" nosuch
    assert_eq 125 "$STATUS"
    assert_contains "$OUT" "image 'nosuch' not found"
    [ ! -e "$T/x.tar" ] || fail "failed save left a file"
}

test_save_is_read_by_skopeo() {
    need_skopeo
    load_busybox
    "$OSBOX" save -o "$T/bb.tar" busybox
    capture skopeo inspect "oci-archive:$T/bb.tar:busybox:latest"
    assert_eq 0 "$STATUS" "skopeo inspect ($OUT)"
    assert_contains "$OUT" '"Architecture": "amd64"'
    skopeo_cp "oci-archive:$T/bb.tar:busybox:latest" "oci:$T/back:latest"
    capture "$OSBOX" load --oci-dir "$T/back" --name back
    assert_eq 0 "$STATUS" "$OUT"
}

test_umoci_whiteouts_hide_files() {
    need_umoci
    cd "$T"
    umoci init --layout u >/dev/null
    umoci new --image u:t >/dev/null
    umoci unpack --image u:t b >/dev/null
    mkdir -p b/rootfs/etc b/rootfs/d && echo 1 > b/rootfs/etc/gone && echo 2 > b/rootfs/d/old
    echo 3 > b/rootfs/etc/kept
    umoci repack --image u:t b >/dev/null && rm -rf b
    umoci unpack --image u:t b >/dev/null
    rm b/rootfs/etc/gone && rm -rf b/rootfs/d && mkdir b/rootfs/d && echo 4 > b/rootfs/d/new
    umoci repack --image u:t b >/dev/null
    umoci config --image u:t --config.cmd sh --config.workingdir /d >/dev/null
    capture "$OSBOX" load --oci-dir u
    assert_eq "Loaded image: u:t" "$OUT"
    local layers
    layers=$("$OSBOX" inspect u:t | sed -n 's/.*"path": "\(.*\)".*/\1/p' | tac | paste -sd:)
    assert_contains "$("$OSBOX" inspect u:t)" '"WorkingDir": "/d"'
    mkdir -p "$T/m"
    local out
    out=$(unshare -m sh -c "mount -t overlay overlay -o lowerdir=$layers $T/m && ls $T/m/etc $T/m/d")
    assert_contains "$out" kept
    assert_contains "$out" new
    assert_not_contains "$out" gone
    assert_not_contains "$out" old
}

# A docker-save archive written by hand, old style: <id>/layer.tar, <id>.json.
mk_docker_archive() { # DIR (then tar it yourself)
    local d=$1 diff cfg
    mkdir -p "$d/abc" "$T/dr/bin"
    echo hi > "$T/dr/bin/hello"
    tar -C "$T/dr" -cf "$d/abc/layer.tar" bin
    diff=$(sha256sum "$d/abc/layer.tar" | cut -d' ' -f1)
    printf '{"architecture":"amd64","os":"linux","config":{"Cmd":["/bin/hello"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' "$diff" > "$d/cfg.json"
    cfg=$(sha256sum "$d/cfg.json" | cut -d' ' -f1)
    mv "$d/cfg.json" "$d/$cfg.json"
    printf '[{"Config":"%s.json","RepoTags":["hand:made"],"Layers":["abc/layer.tar"]}]' "$cfg" > "$d/manifest.json"
}

test_docker_archive_handmade_gzip() {
    mk_docker_archive "$T/da"
    tar -C "$T/da" -czf "$T/da.tgz" .
    capture "$OSBOX" load -i "$T/da.tgz"
    assert_eq "Loaded image: hand:made" "$OUT"
    assert_contains "$("$OSBOX" inspect hand:made)" '"/bin/hello"'
}

test_bad_archives() {
    load_busybox
    : > "$T/empty.tar"
    expect_bad_archive "$T/empty.tar" "empty"
    head -c 3000 /dev/urandom > "$T/noise.tar"
    expect_bad_archive "$T/noise.tar" "unpack archive"
    mk_docker_archive "$T/da"
    tar -C "$T/da" -cf "$T/da.tar" .
    head -c $(( $(stat -c %s "$T/da.tar") / 2 )) "$T/da.tar" > "$T/trunc.tar"
    expect_bad_archive "$T/trunc.tar" "runcated"
    # manifest.json pointing to a missing layer
    mkdir -p "$T/m1" && cp -r "$T/da/." "$T/m1/" && rm "$T/m1/abc/layer.tar"
    tar -C "$T/m1" -cf "$T/m1.tar" .
    expect_bad_archive "$T/m1.tar" "missing from the archive"
    # malformed manifest.json
    mkdir -p "$T/m2" && cp -r "$T/da/." "$T/m2/" && printf '[{"Config":' > "$T/m2/manifest.json"
    tar -C "$T/m2" -cf "$T/m2.tar" .
    expect_bad_archive "$T/m2.tar" "malformed JSON"
    # a member escaping with ../
    (cd "$T" && echo x > f && tar -cPf esc.tar --transform='s,^f$,../../etc/passwd,' f)
    expect_bad_archive "$T/esc.tar" "outside the layer"
    # a layer whose content does not match the config's diff_id
    mkdir -p "$T/m3" && cp -r "$T/da/." "$T/m3/" && echo extra > "$T/m3/x" && tar -C "$T/m3" -cf "$T/m3/abc/layer.tar" x
    tar -C "$T/m3" -cf "$T/m3.tar" .
    expect_bad_archive "$T/m3.tar" "declares diff_id"
    # neither format
    mkdir -p "$T/m4" && echo x > "$T/m4/readme" && tar -C "$T/m4" -cf "$T/m4.tar" .
    expect_bad_archive "$T/m4.tar" "neither an OCI archive"
    capture "$OSBOX" load -i "$T/nonexistent.tar"
    assert_eq 125 "$STATUS"
    capture "$OSBOX" load
    assert_eq 2 "$STATUS" "load without a source"
}

test_progress_only_on_a_tty() {
    command -v script >/dev/null || skip "script(1) missing"
    capture "$OSBOX" load --oci-dir "$BB_OCI"
    assert_eq "Loaded image: busybox:latest" "$OUT" "plain output when not a tty"
    "$OSBOX" rmi busybox >/dev/null
    local out
    out=$(script -qec "$OSBOX load --oci-dir $BB_OCI" /dev/null | tr '\r' '\n')
    assert_contains "$out" "[1/2] unpack sha256:"
    assert_contains "$out" "[2/2]"
    assert_contains "$out" " MB"
    assert_contains "$out" "Loaded image: busybox:latest"
}
