# osbox commit and osbox build: layers from a container's changes, a
# two-stage Containerfile compared with podman build of the same file on the
# same rootfs, the layer cache, reproducible digests, and every bad input.

# A context with a C program and a two-stage file: the build stage compiles
# it with the base image's musl-gcc (base_image toolchain), scratch gets it.
make_context() {
    C=$T/ctx
    mkdir -p "$C/src" "$C/etc"
    printf '#include <stdio.h>\nint main(void) { puts("hello from scratch"); return 0; }\n' > "$C/src/hello.c"
    echo secret > "$C/ignored.txt"
    echo keep > "$C/etc/a.conf"; echo keep > "$C/etc/b.conf"
    printf 'ignored.txt\n' > "$C/.containerignore"
    cat > "$C/Containerfile" <<'CF'
# two stages: a build stage on the base image, the program alone in scratch
ARG BASE=base
FROM $BASE AS build
ARG GREETING=hi
ENV A=1 \
    B=two
WORKDIR /work
COPY src/ ./src/
COPY --chown=1000:1000 etc/a.conf /work/owned
COPY etc/*.conf /work/conf/
RUN mkdir -p /out && musl-gcc -static -O2 -o /out/hello src/hello.c && \
    echo "$GREETING $A" > /work/msg && chmod 4750 /work/owned && ln /work/msg /work/msg2 && \
    rm /bin/true && mkdir -p /var/x && echo x > /var/x/f
LABEL purpose=test
FROM scratch
COPY --from=build /out/hello /hello
COPY --from=build /work/msg /
CMD ["/hello"]
CF
}

# Every path of an image as overlayfs would merge it: "path mode uid gid size".
image_listing() {
    "$OSBOX" inspect "$1" | python3 -c '
import json, os, stat, sys
j = json.load(sys.stdin); j = j[0] if isinstance(j, list) else j
seen = {}
for l in j["layers"]:
    root = l["path"]
    for d, dirs, files in os.walk(root):
        for n in [None] + dirs + files:
            p = d if n is None else os.path.join(d, n)
            rel = "/" + os.path.relpath(p, root)
            st = os.lstat(p)
            if stat.S_ISCHR(st.st_mode) and st.st_rdev == 0:
                seen = {k: v for k, v in seen.items() if k != rel and not k.startswith(rel + "/")}
                continue
            seen[rel] = "%o %d %d %d" % (st.st_mode, st.st_uid, st.st_gid, 0 if stat.S_ISDIR(st.st_mode) else st.st_size)
for k in sorted(seen): print(k, seen[k])
'
}

podman_base() {
    command -v podman >/dev/null || skip "podman not installed"
    export CONTAINERS_CONF=$T/containers.conf
    : > "$CONTAINERS_CONF"
    P="podman --root $T/p --runroot $T/pr --storage-driver vfs --cgroup-manager cgroupfs"
    P="$P --events-backend file --tmpdir $T/libpod"
    trap 'timeout 60 $P rmi -af >/dev/null 2>&1 || true' EXIT
    timeout 60 $P import "$T/rootfs.tar" localhost/base:latest >/dev/null || fail "podman import"
}

# base_image [toolchain]: a busybox rootfs (with musl-gcc: make_toolchain_rootfs)
# as $T/rootfs.tar, imported as "base".
base_image() {
    if [ "${1:-}" = toolchain ]; then make_toolchain_rootfs "$T/rootfs"; else make_busybox_rootfs "$T/rootfs"; fi
    tar -C "$T/rootfs" -cf "$T/rootfs.tar" .
    "$OSBOX" import "$T/rootfs.tar" base >/dev/null || fail "osbox import"
}

test_build_two_stage_runs() {
    base_image toolchain; make_context
    capture "$OSBOX" build -t hello:1 "$C"
    assert_eq 0 "$STATUS" "build: $OUT"
    assert_contains "$OUT" "[1/2] STEP 8/9: RUN mkdir -p /out && musl-gcc"
    assert_contains "$OUT" "[2/2] STEP 2/4: COPY --from=build /out/hello /hello"
    assert_contains "$OUT" "Successfully tagged hello:1"
    capture "$OSBOX" run --rm --network none hello:1
    assert_eq 0 "$STATUS" "run: $OUT"
    assert_eq "hello from scratch" "$OUT"
    capture "$OSBOX" run --rm --network none --entrypoint /hello hello:1
    assert_eq "hello from scratch" "$OUT"
    # the build stage: RUN's changes (deletion, hardlink, setuid), ENV, ARG, ignore file
    "$OSBOX" build -q --target build -t stage:1 "$C" >/dev/null || fail "build --target"
    capture "$OSBOX" run --rm --network none stage:1 sh -c 'cat msg; stat -c "%a %u:%g %h" owned msg; ls /out; ls /bin/true 2>&1; ls conf; ls /work; echo $B'
    assert_contains "$OUT" "hi 1"
    assert_contains "$OUT" "4750 1000:1000 1"
    assert_contains "$OUT" "644 0:0 2" # msg and msg2 are one inode
    assert_contains "$OUT" "No such file"
    assert_contains "$OUT" "a.conf"
    assert_contains "$OUT" "hello" "the compiled program in /out"
    assert_not_contains "$OUT" "ignored.txt"
    assert_contains "$OUT" "two"
    "$OSBOX" inspect stage:1 | grep -q '"purpose": *"test"' || fail "LABEL missing: $("$OSBOX" inspect stage:1)"
    assert_eq "" "$(ls "$OSBOX_ROOT/containers")" "build containers left behind"
    assert_no_leftovers
}

test_build_same_tree_as_podman() {
    base_image toolchain; make_context; podman_base
    for target in build ""; do
        "$OSBOX" build -q ${target:+--target $target} -t o:1 "$C" >/dev/null || fail "osbox build $target"
        timeout 120 $P build -q --pull=never --isolation chroot ${target:+--target $target} -t p:1 "$C" >/dev/null 2>"$T/perr" ||
            fail "podman build $target: $(cat "$T/perr")"
        timeout 60 $P save -q --format oci-archive -o "$T/p.tar" p:1 || fail "podman save"
        "$OSBOX" load -i "$T/p.tar" --name p:1 >/dev/null || fail "load podman's image"
        # buildah's chroot isolation keeps the empty mount points it made for
        # RUN in the layer; Docker (and osbox) leave them out.
        image_listing o:1 > "$T/o.list"
        image_listing p:1 | grep -Ev '^/(dev|proc|sys|run|etc/hosts|etc/hostname|etc/resolv.conf) ' > "$T/p.list"
        [ -s "$T/o.list" ] || fail "empty listing"
        diff -u "$T/p.list" "$T/o.list" > "$T/diff" || fail "stage '${target:-final}' differs from podman's (- podman, + osbox): $(cat "$T/diff")"
        rm -f "$T/p.tar"
    done
}

test_build_cache_and_timestamp() {
    base_image toolchain; make_context
    SOURCE_DATE_EPOCH=1700000000 "$OSBOX" build -q -t c:1 "$C" > "$T/id1" || fail "first build"
    capture env SOURCE_DATE_EPOCH=1700000000 "$OSBOX" build -t c:2 "$C"
    assert_eq 0 "$STATUS" "cached build: $OUT"
    assert_eq 7 "$(printf '%s\n' "$OUT" | grep -c -- '--> Using cache')" "cache hits: $OUT"
    assert_eq "$(cat "$T/id1")" "$(printf '%s\n' "$OUT" | tail -1)" "same timestamp, same image id"
    # --no-cache runs again and still gives the same digest (mtimes clamped)
    capture "$OSBOX" build --no-cache --timestamp 1700000000 -t c:3 "$C"
    assert_not_contains "$OUT" "Using cache"
    assert_eq "$(cat "$T/id1")" "$(printf '%s\n' "$OUT" | tail -1)" "--no-cache, same timestamp"
    # a changed file re-runs from its COPY on
    echo more >> "$C/etc/b.conf"
    capture "$OSBOX" build -t c:4 "$C"
    assert_eq 0 "$STATUS" "$OUT"
    assert_eq 3 "$(printf '%s\n' "$OUT" | grep -c -- '--> Using cache')" "hits after a change: $OUT"
    # gc keeps the cache's layers
    "$OSBOX" rmi c:1 c:2 c:3 c:4 >/dev/null 2>&1
    "$OSBOX" gc >/dev/null || fail gc
    capture "$OSBOX" build -t c:5 "$C"
    assert_eq 7 "$(printf '%s\n' "$OUT" | grep -c -- '--> Using cache')" "hits after gc: $OUT"
}

test_build_bad_input() {
    base_image
    mkdir -p "$T/b"; cd "$T/b" || fail cd
    ln -s /etc/passwd esc; echo x > ok
    printf 'FROM base\nCOPY ../x /x\n' > F1
    printf 'FROM base\nCOPY esc /x\n' > F2
    printf 'FROM base\nCOPY nothere /x\n' > F3
    printf 'FROM base\nRUN echo ran-ok\nRUN echo failing; exit 3\n' > F4
    printf 'FROM base\nCOPY ok /ok\nFROBNICATE x\n' > F5
    printf 'FROM nosuchimage\n' > F6
    capture "$OSBOX" build -t bad:1 -f F1 .
    assert_eq 125 "$STATUS"; assert_contains "$OUT" "escapes the build context (via ..)"
    capture "$OSBOX" build -t bad:1 -f F2 .
    assert_eq 125 "$STATUS"; assert_contains "$OUT" "'esc' escapes the build context (via a symlink)"
    capture "$OSBOX" build -t bad:1 -f F3 .
    assert_eq 125 "$STATUS"; assert_contains "$OUT" "COPY source 'nothere': no such file in the build context"
    capture "$OSBOX" build -t bad:1 -f F5 .
    assert_eq 125 "$STATUS"; assert_eq "osbox: F5:3: unknown instruction 'FROBNICATE'" "$OUT"
    capture "$OSBOX" build -t bad:1 -f F6 .
    assert_eq 125 "$STATUS"; assert_contains "$OUT" "image 'nosuchimage' not found"
    layers_before=$(ls "$OSBOX_ROOT/images/layers" | wc -l)
    capture "$OSBOX" build -t bad:1 -f F4 .
    assert_eq 125 "$STATUS"
    assert_contains "$OUT" "ran-ok"
    assert_contains "$OUT" "failing"
    assert_contains "$OUT" "osbox: step 3/3 'RUN echo failing; exit 3' (line 3): the command exited with status 3"
    # nothing but the finished step's layer and its cache entry
    assert_eq $((layers_before + 1)) "$(ls "$OSBOX_ROOT/images/layers" | wc -l)" "layers after a failed RUN"
    assert_eq 1 "$(ls "$OSBOX_ROOT/images/build-cache" | wc -l)" "cache entries"
    assert_eq "" "$(ls "$OSBOX_ROOT/images/tmp")" "staging left"
    assert_eq "" "$(ls "$OSBOX_ROOT/containers")" "containers left"
    "$OSBOX" images | grep -q '^bad ' && fail "a failed build was named"
    capture "$OSBOX" build -t bad:1 --target nope -f F4 .
    assert_eq 125 "$STATUS"; assert_contains "$OUT" "--target nope: no stage of that name"
    capture "$OSBOX" build -t 'Bad Name' .
    assert_eq 125 "$STATUS"
    capture "$OSBOX" build
    assert_eq 2 "$STATUS"
    assert_no_leftovers
}

test_commit_whiteouts_xattrs_hardlinks() {
    load_busybox
    "$OSBOX" run --name c1 --network none busybox sh -c \
        'echo new > /new; rm /bin/ls; mkdir -p /d; echo a > /d/a; ln /d/a /d/b; rm -rf /usr/local/bin; mkdir -p /usr/local/bin; echo only > /usr/local/bin/only' ||
        fail "run"
    upper=$(ls -d "$OSBOX_ROOT"/containers/*/upper)
    python3 -c 'import os,sys; os.setxattr(sys.argv[1], "user.note", b"kept")' "$upper/new" 2>/dev/null || skip "no user xattrs here"
    if command -v setcap >/dev/null; then setcap cap_net_raw+ep "$upper/d/a" || fail setcap; fi
    capture "$OSBOX" commit -m "my change" -c 'CMD ["cat", "/new"]' -c 'ENV X=1' c1 mine:1
    assert_eq 0 "$STATUS" "commit: $OUT"
    capture "$OSBOX" run --rm --network none mine:1
    assert_eq "new" "$OUT"
    capture "$OSBOX" run --rm --network none mine:1 sh -c 'ls /bin/ls; ls /usr/local/bin; stat -c %h /d/a; echo X=$X'
    assert_contains "$OUT" "/bin/ls: No such file"
    assert_eq "only" "$(printf '%s\n' "$OUT" | sed -n 2p)" "opaque dir: $OUT"
    assert_contains "$OUT" "X=1"
    assert_eq 2 "$(printf '%s\n' "$OUT" | sed -n 3p)" "hardlink kept: $OUT"
    layer=$("$OSBOX" inspect mine:1 | python3 -c 'import json,sys; j=json.load(sys.stdin); j=j[0] if isinstance(j,list) else j; print(j["layers"][-1]["path"])')
    assert_eq kept "$(python3 -c 'import os,sys; print(os.getxattr(sys.argv[1], "user.note").decode())' "$layer/new" 2>&1)" "xattr"
    if command -v getcap >/dev/null; then assert_contains "$(getcap "$layer/d/a")" "cap_net_raw" "file capability"; fi
    [ -e "$layer/etc/hosts" ] && fail "runtime mount point /etc/hosts committed"
    "$OSBOX" history mine:1 | grep -q "my change" || fail "history: $("$OSBOX" history mine:1)"
    # without a name: an untagged image, found by the id commit prints
    cid=$("$OSBOX" commit c1) || fail "commit without a name"
    assert_eq "new" "$("$OSBOX" run --rm --network none "${cid:0:12}" cat /new)" "run the unnamed commit"
    "$OSBOX" images | grep -q "^<none> *<none> *${cid:0:12}" || fail "images: $("$OSBOX" images)"
    capture "$OSBOX" commit -c 'RUN true' c1 mine:2
    assert_eq 125 "$STATUS"; assert_contains "$OUT" "RUN cannot be applied by commit"
    capture "$OSBOX" commit nosuch mine:3
    assert_eq 125 "$STATUS"
    capture "$OSBOX" commit
    assert_eq 2 "$STATUS"
    assert_eq "" "$(ls "$OSBOX_ROOT/images/tmp")" "staging left"
    "$OSBOX" rm c1 >/dev/null
    assert_no_leftovers
}

# A build without -t: the id it prints (full, or a unique prefix, with or
# without sha256:) is what names the image; it is listed as <none> <none>,
# survives gc, and image prune removes it.
test_build_untagged_by_id() {
    base_image
    mkdir -p "$T/u"
    printf 'FROM base\nRUN echo one > /one\nCMD ["cat", "/one"]\n' > "$T/u/Containerfile"
    capture "$OSBOX" build "$T/u"
    assert_eq 0 "$STATUS" "build: $OUT"
    id=$(printf '%s\n' "$OUT" | tail -1)
    [ ${#id} = 64 ] || fail "last line is not the image id: $OUT"
    sleep 1.1 # a cached rebuild in a later second keeps the id, as Docker's
    assert_eq "$id" "$("$OSBOX" build -q "$T/u")" "-q prints only the id"
    "$OSBOX" images | grep -q "^<none> *<none> *${id:0:12}" || fail "images: $("$OSBOX" images)"
    "$OSBOX" gc >/dev/null || fail gc
    for ref in "$id" "sha256:$id" "${id:0:12}"; do
        capture "$OSBOX" run --rm --network none "$ref"
        assert_eq "one" "$OUT" "run $ref"
    done
    "$OSBOX" inspect "${id:0:12}" | grep -q "\"id\": *\"sha256:$id\"" || fail "inspect by prefix"
    "$OSBOX" history "${id:0:12}" | grep -q 'echo one' || fail "history by prefix"
    "$OSBOX" save -o "$T/u.tar" "${id:0:12}" || fail "save by prefix"
    printf 'FROM %s\nRUN echo two >> /one\n' "${id:0:12}" > "$T/u/F2"
    "$OSBOX" build -q -t two:1 -f "$T/u/F2" "$T/u" >/dev/null || fail "FROM an id prefix"
    assert_eq "one two" "$("$OSBOX" run --rm --network none two:1 | tr '\n' ' ' | sed 's/ $//')"
    # a second untagged image; an unknown id is an error
    printf 'FROM base\nRUN echo other > /one\n' > "$T/u/F3"
    id2=$("$OSBOX" build -q -f "$T/u/F3" "$T/u")
    assert_ne "$id" "$id2"
    capture "$OSBOX" inspect 0000000000000000
    assert_eq 125 "$STATUS"; assert_contains "$OUT" "no such object"
    # an ambiguous prefix: untagged images until two ids share a first digit (at most 17)
    prefix=
    for i in $(seq 1 17); do
        echo "$i" > "$T/u/n$i"
        printf 'FROM base\nCOPY n%s /n\n' "$i" > "$T/u/F$i"
        "$OSBOX" build -q -f "$T/u/F$i" "$T/u" >> "$T/ids" || fail "build $i"
        prefix=$(cut -c1 "$T/ids" | sort | uniq -d | head -1)
        [ -n "$prefix" ] && break
    done
    [ -n "$prefix" ] || fail "no shared prefix"
    capture "$OSBOX" inspect "$prefix"
    assert_eq 125 "$STATUS" "ambiguous prefix"
    assert_eq "osbox: image id '$prefix' is ambiguous" "$OUT"
    # image prune removes the dangling one no name points at; tag names the other
    "$OSBOX" tag "${id:0:12}" named:1 || fail "tag by prefix"
    "$OSBOX" images | grep -q "^named " || fail "tagged: $("$OSBOX" images)"
    "$OSBOX" image prune >/dev/null || fail prune
    capture "$OSBOX" inspect "$id2"
    assert_ne 0 "$STATUS" "pruned image still there"
    "$OSBOX" images | grep -q '^<none>' && fail "dangling left: $("$OSBOX" images)"
    "$OSBOX" inspect named:1 >/dev/null || fail "prune removed a named image"
    # rmi by id of an untagged image
    id3=$("$OSBOX" build -q -f "$T/u/F3" "$T/u")
    "$OSBOX" rmi "${id3:0:12}" >/dev/null || fail "rmi by prefix"
    capture "$OSBOX" inspect "$id3"
    assert_ne 0 "$STATUS" "rmi left the image"
}

# ADD unpacks a local tar archive (plain, gzip, bzip2, xz; told by content)
# into its destination; COPY copies the file; an archive whose entries would
# escape the destination is a one-line error naming it.
test_build_add_archive() {
    base_image
    mkdir -p "$T/a/tree/sub" "$T/a/ctx"; cd "$T/a" || fail cd
    echo inner > tree/sub/f; ln -s sub/f tree/link
    tar -C tree -cf ctx/plain.tar .
    tar -C tree -czf ctx/z.tgz .; cp ctx/z.tgz ctx/noext    # by content, not by name
    tar -C tree -cjf ctx/j.tar.bz2 .; tar -C tree -cJf ctx/x.tar.xz .
    printf 'FROM base\nADD plain.tar /p\nADD z.tgz /z/\nADD noext /n\nADD j.tar.bz2 x.tar.xz /m/\nCOPY plain.tar /copied.tar\n' > ctx/Containerfile
    capture "$OSBOX" build -t add:1 ctx
    assert_eq 0 "$STATUS" "build: $OUT"
    capture "$OSBOX" run --rm --network none add:1 sh -c 'cat /p/sub/f /z/sub/f /n/sub/f /m/sub/f; readlink /p/link; tar -tf /copied.tar | grep -c sub/f'
    assert_eq "inner inner inner inner sub/f 1" "$(printf '%s\n' "$OUT" | tr '\n' ' ' | sed 's/ $//')" "unpacked: $OUT"
    # escapes: a .. entry, a write through the archive's own symlink
    python3 - "$T/a/ctx" <<'PY'
import io, sys, tarfile
def mk(path, entries):
    with tarfile.open(path, "w") as t:
        for name, kind, data in entries:
            i = tarfile.TarInfo(name)
            if kind == "sym": i.type = tarfile.SYMTYPE; i.linkname = data; t.addfile(i)
            else: i.size = len(data); t.addfile(i, io.BytesIO(data))
mk(sys.argv[1] + "/dotdot.tar", [("ok", "f", b"x"), ("../../escape", "f", b"x")])
mk(sys.argv[1] + "/symlink.tar", [("l", "sym", "/etc"), ("l/passwd", "f", b"x")])
PY
    for bad in dotdot.tar symlink.tar; do
        printf 'FROM base\nADD %s /d/\n' "$bad" > ctx/Bad
        capture "$OSBOX" build -t bad:1 -f ctx/Bad ctx
        assert_eq 125 "$STATUS" "$bad"
        assert_contains "$OUT" "ADD archive '$bad': entry '"
        assert_contains "$OUT" "escapes the destination"
        assert_eq 1 "$(printf '%s\n' "$OUT" | grep -c '^osbox:')" "one error line: $OUT"
    done
    # a file that only looks like an archive is copied as it is
    printf 'not a tar' > ctx/fake.tar.gz
    printf 'FROM base\nADD fake.tar.gz /fake.tar.gz\n' > ctx/F
    "$OSBOX" build -t fake:1 -f ctx/F ctx >/dev/null || fail "ADD of a non-archive"
    assert_eq "not a tar" "$("$OSBOX" run --rm --network none fake:1 cat /fake.tar.gz)"
    assert_eq "" "$(ls "$OSBOX_ROOT/images/tmp")" "staging left"
}
