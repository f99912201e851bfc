#!/bin/bash
# compare.sh HOST_OUT GUEST_OUT: the outputs of run.sh in the container (host
# Linux, the oracle) and in the guest, compared command by command after
# normalise.sed.  Prints a table per area and the diff of each command that
# differs; exits 1 when a command differs that known-differences does not
# list, or a listed one no longer differs (the list must stay true).
set -eu
here=$(dirname "$0")
host=$1 guest=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# split OUT DIR: one file per command block, named after the command
split_blocks() {
    mkdir -p "$2"
    sed -f "$here/normalise.sed" "$1" | awk -v d="$2" '
        /^=== / { f = d "/" $2; printf "" > f; next }
        f { print >> f }'
}
split_blocks "$host" "$work/host"
split_blocks "$guest" "$work/guest"
[ -f "$work/host/end" ] || { echo "compare: the host run did not finish" >&2; exit 1; }

known=$(grep -v '^#' "$here/known-differences" | awk 'NF {print $1}')
grep -v '^#' "$here/commands" >"$work/commands"     # (no <(...): the harness VM has no /dev/fd)
bad=0
declare -A total same hostok
areas=()
while read -r area name _; do
    [ -n "$name" ] || continue
    [ -n "${total[$area]:-}" ] || { areas+=("$area"); total[$area]=0 same[$area]=0 hostok[$area]=0; }
    total[$area]=$((total[$area] + 1))
    if [ "$(tail -n 1 "$work/host/$name")" = "[exit 0]" ]; then hostok[$area]=$((hostok[$area] + 1)); fi
    is_known=0
    grep -qx -- "$name" <<<"$known" && is_known=1
    if [ -f "$work/guest/$name" ] && cmp -s "$work/host/$name" "$work/guest/$name"; then
        same[$area]=$((same[$area] + 1))
        [ $is_known = 0 ] || { echo "compare: $name is listed in known-differences but is now the same"; bad=1; }
    else
        if [ $is_known = 0 ]; then echo "compare: $name differs:"; bad=1; else echo "compare: $name differs (known):"; fi
        diff -u --label host --label guest "$work/host/$name" "$work/guest/$name" 2>&1 | sed 1,2d | sed 's/^/    /' || true
    fi
done <"$work/commands"

printf '%-8s %8s %8s %11s %8s\n' area commands host-ok guest-same differs
all=0 eq=0
for a in "${areas[@]}"; do
    printf '%-8s %8d %8d %11d %8d\n' "$a" "${total[$a]}" "${hostok[$a]}" "${same[$a]}" $((total[$a] - same[$a]))
    all=$((all + total[$a])) eq=$((eq + same[$a]))
done
printf '%-8s %8d %8s %11d %8d\n' total $all - $eq $((all - eq))
exit $bad
