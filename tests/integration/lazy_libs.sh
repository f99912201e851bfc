# Heavy libraries (libarchive, libnftables, libext2fs, libcrypto, libnl, libcurl) are opened
# only by the commands that use them (common/dl_lazy.h), not at every exec.

HEAVY='libarchive|libnftables|libext2fs|libcrypto|libnl|libxml2|libicu|libstdc|libnftnl|libgmp|libcurl|libssl|libnghttp2|libldap|libkrb5'

# The shared objects ld.so opened for a command, one name a line.
opened() {
    LD_DEBUG=files "$@" 2>&1 >/dev/null | sed -n 's/.*file=\([^ ]*\) \[0\];  \(needed\|dynamically loaded\).*/\1/p' | sort -u
}

test_binary_links_only_light_libraries() {
    local needed
    needed=$(readelf -d "$OSBOX" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p')
    assert_contains "$needed" "libc.so.6"
    if grep -Eq "$HEAVY" <<<"$needed"; then fail "build/osbox links heavy libraries: $needed"; fi
}

test_version_and_run_open_no_heavy_library() {
    local libs
    libs=$(opened "$OSBOX" version)
    assert_contains "$libs" "libc.so.6"
    if grep -Eq "$HEAVY" <<<"$libs"; then fail "osbox version opened: $libs"; fi
    load_busybox
    libs=$(opened "$OSBOX" run --rm busybox /bin/true)
    libs="$libs
$(opened "$OSBOX" ps)"
    # --network none: no netlink library either; stored blobs are not re-hashed, so no libcrypto
    if grep -Eq "$HEAVY" <<<"$libs"; then fail "osbox run opened: $libs"; fi
}

test_load_opens_libarchive_on_demand() {
    local libs
    libs=$(opened "$OSBOX" load --oci-dir "$OSBOX_SRC/build/images/busybox.oci")
    assert_contains "$libs" "libarchive.so.13"
    if grep -Eq 'libnftables|libext2fs' <<<"$libs"; then fail "osbox load opened: $libs"; fi
    capture "$OSBOX" images
    assert_contains "$OUT" "busybox"
}

# An unusable libarchive (an empty file bind-mounted over it, in a private
# mount namespace): load fails with what to install, version still works.
test_missing_library_is_named() {
    local so
    so=$(readlink -f /lib/x86_64-linux-gnu/libarchive.so.13 2>/dev/null) || skip "no libarchive.so.13 here"
    [ -f "$so" ] || skip "no libarchive.so.13 here"
    : >"$T/empty.so"
    capture unshare -m --propagation private sh -c \
        'mount --bind "$1" "$2" && "$3" version && exec "$3" load --oci-dir "$4"' \
        sh "$T/empty.so" "$so" "$OSBOX" "$OSBOX_SRC/build/images/busybox.oci"
    assert_eq 125 "$STATUS" "load without libarchive"
    assert_contains "$OUT" "osbox 0."
    assert_contains "$OUT" "libarchive.so.13 not found: install libarchive13"
}

# pull/push/login reach registries through libcurl, opened only then.
test_pull_opens_libcurl_on_demand() {
    local libs
    # A registry that is not there: libcurl is loaded to find that out.
    libs=$(opened "$OSBOX" pull 127.0.0.1:9/x:1)
    assert_contains "$libs" "libcurl.so.4"
    if grep -Eq 'libarchive|libnftables|libext2fs' <<<"$libs"; then fail "osbox pull opened: $libs"; fi
}
