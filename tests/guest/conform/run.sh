#!/bin/sh
# Runs every command of ./commands (see there) in its own directory and shell,
# stdout and stderr together, each block headed "=== NAME" and closed by its
# exit status.  The same script runs in the container and in the guest.
# Output goes through a pipe, not the terminal: the guest's stdout is its
# console, a tty, and ls and the shell format differently for a tty.
if [ -t 1 ]; then sh "$0" | cat; exit; fi
dir=$(dirname "$0")
mkdir /tmp/w    # not -p: the runner must not depend on what it tests
grep -v '^#' "$dir/commands" | while read -r _area name cmd; do
    [ -n "$name" ] || continue
    mkdir "/tmp/w/$name"
    echo "=== $name"
    (cd "/tmp/w/$name" && sh -c "$cmd" 2>&1 </dev/null)
    echo "[exit $?]"
done
echo "=== end"
