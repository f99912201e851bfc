# shellcheck shell=bash
# Helpers for the benchmarks in bench/ (sourced). Benchmarks never fail a
# build: helpers report problems with bench_note and let the caller go on.

BENCH_SRC=${BENCH_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}

bench_note() { echo "bench: $*" >&2; }

# bench_remove_workdir DIR: unmount whatever is still mounted under DIR
# (deepest first; a killed container can leave its overlay) and remove it.
bench_remove_workdir() {
    grep -F " $1" /proc/self/mountinfo | awk '{print $5}' | sort -r | while read -r m; do
        umount -l "$m" 2>/dev/null
    done
    rm -rf --one-file-system "$1"
}

# bench_deps PKG... : install the Debian packages a benchmark needs (benchmarks
# only, so they are not in scripts/deps.sh). Returns 1 if some stay missing.
bench_deps() {
    local p missing=
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
    done
    [ -z "$missing" ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        bench_note "missing Debian packages:$missing (run as root to install them)"
        return 1
    fi
    bench_note "installing$missing"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null 2>&1 ||
        { apt-get update -qq >/dev/null 2>&1 &&
          DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null 2>&1; } ||
        { bench_note "could not install$missing"; return 1; }
}

# bench_busybox_oci DIR : path of the built-in busybox OCI layout, building it
# into DIR with the image recipe when `make images` has not run.
bench_busybox_oci() {
    local oci=$BENCH_SRC/build/images/busybox.oci
    if [ ! -f "$oci/index.json" ]; then
        oci=$1/busybox.oci
        "$BENCH_SRC/images/recipes/busybox.sh" "$oci" >/dev/null || return 1
    fi
    echo "$oci"
}

# bench_unpack_oci OCI_DIR ROOTFS : the image's layers, in order, unpacked
# into one directory (the busybox image has no whiteouts).
bench_unpack_oci() {
    local oci=$1 rootfs=$2 man d
    man=$(grep -o '"digest":"sha256:[0-9a-f]*"' "$oci/index.json" | head -n 1 | grep -o '[0-9a-f]\{64\}') || return 1
    mkdir -p "$rootfs"
    # The layer digests are the ones after "layers" in the manifest.
    for d in $(sed 's/.*"layers"://' "$oci/blobs/sha256/$man" | grep -o '"digest":"sha256:[0-9a-f]*"' |
               grep -o '[0-9a-f]\{64\}'); do
        tar -xf "$oci/blobs/sha256/$d" -C "$rootfs" --numeric-owner || return 1
    done
    [ -x "$rootfs/bin/true" ]
}

# bench_oci_config ARGS_JSON MEMORY_BYTES PIDS : an OCI runtime config.json
# equivalent to what `osbox run -m .. --pids-limit ..` sets up: namespaces
# pid net ipc uts mount cgroup; /proc, a tmpfs /dev with pts, shm, mqueue;
# /sys read-only; the usual container capabilities; no_new_privs; osbox's
# masked and read-only paths. No seccomp filter: start.sh times osbox with
# `--security-opt seccomp=unconfined` against it, and osbox's default apart.
bench_oci_config() {
    local args=$1 mem=$2 pids=$3 caps c
    caps=
    for c in CHOWN DAC_OVERRIDE FSETID FOWNER MKNOD NET_RAW SETGID SETUID SETFCAP SETPCAP \
             NET_BIND_SERVICE SYS_CHROOT KILL AUDIT_WRITE; do
        caps="$caps${caps:+,}\"CAP_$c\""
    done
    cat <<JSON
{
  "ociVersion": "1.0.2",
  "process": {
    "terminal": false,
    "user": { "uid": 0, "gid": 0 },
    "args": $args,
    "env": [ "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" ],
    "cwd": "/",
    "capabilities": { "bounding": [$caps], "effective": [$caps], "permitted": [$caps] },
    "noNewPrivileges": true
  },
  "root": { "path": "rootfs", "readonly": false },
  "hostname": "bench",
  "mounts": [
    { "destination": "/proc", "type": "proc", "source": "proc" },
    { "destination": "/dev", "type": "tmpfs", "source": "tmpfs",
      "options": [ "nosuid", "strictatime", "mode=755", "size=65536k" ] },
    { "destination": "/dev/pts", "type": "devpts", "source": "devpts",
      "options": [ "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620" ] },
    { "destination": "/dev/shm", "type": "tmpfs", "source": "shm",
      "options": [ "nosuid", "noexec", "nodev", "mode=1777", "size=65536k" ] },
    { "destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
      "options": [ "nosuid", "noexec", "nodev" ] },
    { "destination": "/sys", "type": "sysfs", "source": "sysfs",
      "options": [ "nosuid", "noexec", "nodev", "ro" ] }
  ],
  "linux": {
    "maskedPaths": [ "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
      "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
      "/sys/firmware", "/sys/devices/virtual/powercap" ],
    "readonlyPaths": [ "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger" ],
    "resources": {
      "memory": { "limit": $mem },
      "pids": { "limit": $pids }
    },
    "namespaces": [
      { "type": "pid" }, { "type": "network" }, { "type": "ipc" },
      { "type": "uts" }, { "type": "mount" }, { "type": "cgroup" }
    ]
  }
}
JSON
}

# bench_hyperfine CSV NAME CMD [NAME CMD]... : hyperfine without a shell, one
# CSV of results (name,mean,stddev,...; seconds). BENCH_RUNS, BENCH_WARMUP.
bench_hyperfine() {
    local csv=$1 a=()
    shift
    while [ $# -ge 2 ]; do a+=(-n "$1" "$2"); shift 2; done
    hyperfine -N --style basic --warmup "${BENCH_WARMUP:-5}" --runs "${BENCH_RUNS:-100}" \
        --export-csv "$csv" "${a[@]}"
}

# bench_mean CSV NAME : the mean in seconds, or nothing.
bench_mean() {
    awk -F, -v n="$2" '$1 == n { print $2 }' "$1" 2>/dev/null
}

# bench_big_oci OCI_DIR MB WORK: an OCI layout at OCI_DIR with four gzip layers
# of Debian's own files, about MB megabytes unpacked in all, named big:latest;
# WORK holds temporary tars. Prints the manifest digest (hex).
bench_pick_dirs() { # SHARE_KB DIR... -> whole directories, biggest first, up to the share
    local share=$1 sum=0 d kb
    shift
    for d in $(du -sk "$@" 2>/dev/null | sort -rn | awk '{print $2}'); do
        kb=$(du -sk "$d" | cut -f1)
        [ $((sum + kb)) -gt $((share * 12 / 10)) ] && continue
        echo "${d#/}"
        sum=$((sum + kb))
        [ "$sum" -ge "$share" ] && break
    done
}
bench_big_oci() {
    local oci=$1 mb=$2 work=$3 share ids= layers= n=0 src paths diff dig cfg man
    share=$((mb * 1024 / 4))
    mkdir -p "$oci/blobs/sha256"
    for src in "/usr/lib/x86_64-linux-gnu/*" "/usr/share/*" "/usr/bin/*" "/usr/lib/gcc/* /usr/include/* /usr/libexec/*"; do
        n=$((n + 1))
        # shellcheck disable=SC2086
        paths=$(bench_pick_dirs "$share" $src)
        [ -n "$paths" ] || { bench_note "no files for layer $n"; return 1; }
        # shellcheck disable=SC2086
        tar -C / --numeric-owner -cf "$work/l$n.tar" $paths 2>/dev/null
        diff=$(sha256sum "$work/l$n.tar" | cut -d' ' -f1)
        gzip -1 -c "$work/l$n.tar" > "$work/l$n.tgz"
        dig=$(sha256sum "$work/l$n.tgz" | cut -d' ' -f1)
        mv "$work/l$n.tgz" "$oci/blobs/sha256/$dig"
        ids="$ids${ids:+,}\"sha256:$diff\""
        layers="$layers${layers:+,}{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:$dig\",\"size\":$(stat -c %s "$oci/blobs/sha256/$dig")}"
        rm -f "$work/l$n.tar"
    done
    printf '{"architecture":"amd64","os":"linux","config":{"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":[%s]}}' "$ids" > "$work/c.json"
    cfg=$(sha256sum "$work/c.json" | cut -d' ' -f1); mv "$work/c.json" "$oci/blobs/sha256/$cfg"
    printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[%s]}' \
        "$cfg" "$(stat -c %s "$oci/blobs/sha256/$cfg")" "$layers" > "$work/m.json"
    man=$(sha256sum "$work/m.json" | cut -d' ' -f1)
    printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"big:latest"}}]}' \
        "$man" "$(stat -c %s "$work/m.json")" > "$oci/index.json"
    mv "$work/m.json" "$oci/blobs/sha256/$man"
    printf '{"imageLayoutVersion":"1.0.0"}' > "$oci/oci-layout"
    echo "$man"
}
