# The CLI's own contract: help, version, usage errors.

test_help_lists_commands() {
    capture "$OSBOX" --help
    assert_eq 0 "$STATUS" "osbox --help status"
    assert_contains "$OUT" "Usage: osbox COMMAND"
    assert_contains "$OUT" "version"
}

test_version() {
    capture "$OSBOX" version
    assert_eq 0 "$STATUS"
    assert_contains "$OUT" "osbox 0."
}

test_unknown_command_is_usage_error() {
    capture "$OSBOX" frobnicate
    assert_eq 2 "$STATUS" "exit status"
    assert_eq "osbox: unknown command 'frobnicate' (see 'osbox --help')" "$OUT"
}

test_every_command_has_help() {
    local cmd
    for cmd in $("$OSBOX" --help | awk '/^Commands:/{f=1;next} /^$/{f=0} f{print $1}'); do
        capture "$OSBOX" "$cmd" --help
        assert_eq 0 "$STATUS" "osbox $cmd --help"
        assert_contains "$OUT" "Usage:" "osbox $cmd --help"
    done
}
