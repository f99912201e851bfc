# osbox pull / push / login against a real registry: Debian's docker-registry
# (the CNCF distribution registry), started by each test on 127.0.0.1 with a
# free port and its own storage, plain, with htpasswd (Basic), with token
# auth (tests/integration/registry_token.py issues the tokens: the registry has
# no issuer of its own) or behind TLS with a throwaway CA. Fixtures are made with
# skopeo and umoci and pushed with skopeo. Nothing leaves the machine: every
# registry is on loopback, and the unknown-host case runs in an empty network
# namespace.

BB_OCI=${OSBOX_SRC}/build/images/busybox.oci
# No mirrors or insecure registries from this machine's /etc/containers/registries.conf.
export OSBOX_REGISTRIES_CONF=/dev/null
REG_USER=osboxer
REG_PASS='s3cret-Pa55'

need_registry() {
    command -v docker-registry >/dev/null || skip "docker-registry not installed (scripts/deps.sh)"
    command -v skopeo >/dev/null || skip "skopeo not installed (scripts/deps.sh)"
    [ -d "$BB_OCI" ] || fail "build/images/busybox.oci missing: run 'make images'"
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

REG_PIDS=
stop_registries() {
    local p
    for p in $REG_PIDS; do kill "$p" 2>/dev/null || true; done
    for p in $REG_PIDS; do wait "$p" 2>/dev/null || true; done
    REG_PIDS=
}

# start_registry [plain|htpasswd|token|tls]: sets REG (127.0.0.1:PORT), REG_DIR
# (its storage and access log in $REG_DIR/log) and REG_SCHEME.
start_registry() {
    local mode=${1:-plain} port auth= tls= i
    need_registry
    REG_DIR=$T/registry-$mode
    mkdir -p "$REG_DIR/data"
    port=$(free_port)
    REG=127.0.0.1:$port
    REG_SCHEME=http
    case $mode in
        htpasswd)
            htpasswd -Bbc "$REG_DIR/htpasswd" "$REG_USER" "$REG_PASS" 2>/dev/null
            auth="auth:
  htpasswd:
    realm: osbox-test
    path: $REG_DIR/htpasswd" ;;
        token)
            openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=osbox-test-token \
                -keyout "$REG_DIR/token.key" -out "$REG_DIR/token.crt" 2>/dev/null
            python3 "$OSBOX_SRC/tests/integration/registry_token.py" "$REG_DIR/token.port" \
                "$REG_DIR/token.key" "$REG_DIR/token.crt" osbox-test-issuer osbox-test-registry \
                "$REG_USER" "$REG_PASS" "$REG_DIR/token.log" 2>"$REG_DIR/token.err" &
            REG_PIDS="$REG_PIDS $!"
            trap stop_registries EXIT
            for i in $(seq 50); do [ -s "$REG_DIR/token.port" ] && break; sleep 0.1; done
            [ -s "$REG_DIR/token.port" ] || fail "token server did not start: $(cat "$REG_DIR/token.err")"
            auth="auth:
  token:
    realm: http://127.0.0.1:$(cat "$REG_DIR/token.port")/token
    service: osbox-test-registry
    issuer: osbox-test-issuer
    rootcertbundle: $REG_DIR/token.crt" ;;
        tls)
            openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
                -addext "subjectAltName=IP:127.0.0.1" \
                -keyout "$REG_DIR/tls.key" -out "$REG_DIR/tls.crt" 2>/dev/null
            tls="  tls:
    certificate: $REG_DIR/tls.crt
    key: $REG_DIR/tls.key"
            REG_SCHEME=https ;;
    esac
    cat >"$REG_DIR/config.yml" <<EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: $REG_DIR/data
http:
  addr: $REG
  secret: osbox-test
$tls
$auth
EOF
    docker-registry serve "$REG_DIR/config.yml" >"$REG_DIR/log" 2>&1 &
    REG_PIDS="$REG_PIDS $!"
    trap stop_registries EXIT
    for i in $(seq 100); do
        case $(curl -sk -o /dev/null -w '%{http_code}' "$REG_SCHEME://$REG/v2/") in 200|401) return 0 ;; esac
        sleep 0.1
    done
    fail "docker-registry did not start: $(tail -5 "$REG_DIR/log")"
}

skopeo_push() { # SRC DEST [CREDS]
    skopeo --insecure-policy copy -q --dest-tls-verify=false ${3:+--dest-creds "$3"} "$1" "docker://$REG/$2"
}
push_busybox() { skopeo_push "oci:$BB_OCI:busybox:latest" "$1" "${2:-}"; }

# Every entry of the store (type, mode, owner, size, link target) and the
# sha256 of every file in it: equal listings mean a byte-identical store.
store_listing() {
    (cd "$OSBOX_ROOT/images" 2>/dev/null &&
        find . -path ./lock -prune -o -printf '%p %y %m %U:%G %s %l\n' | LC_ALL=C sort &&
        find . -path ./lock -prune -o -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum) || true
}

# expect_fail NEEDLE CMD...: one line on stderr naming NEEDLE, exit 125, store unchanged.
expect_fail() {
    local needle=$1 before
    shift
    before=$(store_listing)
    STATUS=0
    OUT=$("$@" 2>&1 >/dev/null) || STATUS=$?
    assert_eq 125 "$STATUS" "exit status of '$*' ($OUT)"
    assert_contains "$OUT" "$needle"
    assert_eq 1 "$(printf '%s\n' "$OUT" | wc -l)" "error lines of '$*'"
    [ "$before" = "$(store_listing)" ] || fail "store changed by the failed '$*'"
    assert_eq "" "$(ls -A "$OSBOX_ROOT/images/tmp" 2>/dev/null)" "staging leftovers"
}

# Requests the registry logged for PATTERN (its access log, one line a request).
reg_requests() { grep -c -- "$1" "$REG_DIR/log" || true; }

# A registry blob file, by digest.
reg_blob() { echo "$REG_DIR/data/docker/registry/v2/blobs/sha256/${1:0:2}/$1/data"; }

layer_digests() { # IMAGE -> blob digests (hex) of its layers, bottom first
    "$OSBOX" inspect "$1" | python3 -c 'import json,sys; [print(l["digest"][7:]) for l in json.load(sys.stdin)[0]["layers"]]'
}

# mk_multilayer DIR TAG N KB: busybox plus N layers of KB random bytes each
# (umoci insert: one gzip layer per file), as an OCI layout.
mk_multilayer() {
    local dir=$1 tag=$2 n=$3 kb=$4 i
    skopeo --insecure-policy copy -q "oci:$BB_OCI:busybox:latest" "oci:$dir:$tag"
    for i in $(seq "$n"); do
        head -c "$((kb * 1024))" /dev/urandom >"$T/data$i"
        umoci insert --image "$dir:$tag" "$T/data$i" "/data/$i" >/dev/null
    done
}

# ---- pull and run ----

test_pull_run_and_repull() {
    start_registry
    push_busybox bb:1
    capture "$OSBOX" pull "$REG/bb:1"
    assert_eq 0 "$STATUS" "pull ($OUT)"
    assert_contains "$OUT" "Pulled $REG/bb:1 (sha256:"
    assert_contains "$OUT" "2 of 2 layers downloaded"
    capture "$OSBOX" run --rm "$REG/bb:1" /bin/echo from-the-registry
    assert_eq 0 "$STATUS" "run ($OUT)"
    assert_eq from-the-registry "$OUT"
    "$OSBOX" images | grep -q "^$REG/bb  *1 " || fail "not listed: $("$OSBOX" images)"
    # A re-pull asks for the manifest and fetches no blob.
    local blobs
    blobs=$(reg_requests 'GET /v2/bb/blobs/')
    capture "$OSBOX" pull "$REG/bb:1"
    assert_eq 0 "$STATUS" "re-pull ($OUT)"
    assert_contains "$OUT" "$REG/bb:1 is up to date"
    assert_eq "$blobs" "$(reg_requests 'GET /v2/bb/blobs/')" "blob GETs after the re-pull"
    # By digest: stored as name@digest, runs the same.
    local digest
    digest=$(skopeo inspect --tls-verify=false "docker://$REG/bb:1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Digest"])')
    capture "$OSBOX" pull -q "$REG/bb@$digest"
    assert_eq "$REG/bb@$digest" "$OUT" "pull by digest"
    capture "$OSBOX" run --rm "$REG/bb@$digest" /bin/true
    assert_eq 0 "$STATUS" "run by digest ($OUT)"
    assert_no_leftovers
}

test_stored_layers_are_not_downloaded_again() {
    start_registry
    mk_multilayer "$T/ml" v1 3 64
    skopeo_push "oci:$T/ml:v1" ml:v1
    push_busybox bb:1
    "$OSBOX" pull -q "$REG/bb:1" >/dev/null
    local b1 b2
    b1=$(layer_digests "$REG/bb:1" | sed -n 1p)
    b2=$(layer_digests "$REG/bb:1" | sed -n 2p)
    capture "$OSBOX" pull "$REG/ml:v1"
    assert_eq 0 "$STATUS" "pull ml ($OUT)"
    assert_contains "$OUT" "3 of 5 layers downloaded"
    assert_contains "$OUT" "already present"
    # The registry saw no request for the two busybox layers of ml.
    assert_eq 0 "$(reg_requests "GET /v2/ml/blobs/sha256:$b1")" "GETs of a stored layer"
    assert_eq 0 "$(reg_requests "GET /v2/ml/blobs/sha256:$b2")" "GETs of a stored layer"
    capture "$OSBOX" run --rm "$REG/ml:v1" /bin/sh -c 'wc -c </data/3'
    assert_eq 65536 "$OUT" "a file of the top layer"
    # Shared layers are unpacked once.
    assert_eq 5 "$(ls "$OSBOX_ROOT/images/layers" | wc -l)" "layer dirs"
}

# An OCI index with linux/amd64 and linux/arm64 entries (the arm64 one is the
# same layers under a config that says arm64).
mk_two_platform_index() {
    local dir=$1
    skopeo --insecure-policy copy -q "oci:$BB_OCI:busybox:latest" "oci:$dir:amd"
    python3 - "$dir" <<'EOF'
import hashlib, json, os, sys
d = sys.argv[1]
def blob(digest): return open(os.path.join(d, "blobs/sha256", digest[7:]), "rb").read()
def put(data):
    h = hashlib.sha256(data).hexdigest()
    open(os.path.join(d, "blobs/sha256", h), "wb").write(data)
    return "sha256:" + h
index = json.load(open(os.path.join(d, "index.json")))
amd = index["manifests"][0]
m = json.loads(blob(amd["digest"]))
cfg = json.loads(blob(m["config"]["digest"]))
cfg["architecture"] = "arm64"
cdata = json.dumps(cfg).encode()
m["config"] = dict(m["config"], digest=put(cdata), size=len(cdata))
mdata = json.dumps(m).encode()
arm = {"mediaType": amd["mediaType"], "digest": put(mdata), "size": len(mdata),
       "platform": {"architecture": "arm64", "os": "linux"}}
amd_entry = {"mediaType": amd["mediaType"], "digest": amd["digest"], "size": amd["size"],
             "platform": {"architecture": "amd64", "os": "linux"}}
idx = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
       "manifests": [arm, amd_entry]}
idata = json.dumps(idx).encode()
top = {"mediaType": idx["mediaType"], "digest": put(idata), "size": len(idata),
       "annotations": {"org.opencontainers.image.ref.name": "multi"}}
json.dump({"schemaVersion": 2, "manifests": [top]}, open(os.path.join(d, "index.json"), "w"))
print(amd["digest"], arm["digest"])
EOF
}

test_manifest_list_picks_the_platform() {
    start_registry
    local amd arm
    read -r amd arm < <(mk_two_platform_index "$T/multi")
    skopeo --insecure-policy copy -q --all --dest-tls-verify=false "oci:$T/multi:multi" "docker://$REG/multi:1"
    capture "$OSBOX" pull "$REG/multi:1"
    assert_eq 0 "$STATUS" "pull ($OUT)"
    assert_contains "$OUT" "($amd)" "the amd64 manifest"
    capture "$OSBOX" run --rm "$REG/multi:1" /bin/true
    assert_eq 0 "$STATUS" "run ($OUT)"
    capture "$OSBOX" pull --platform linux/arm64 "$REG/multi:1"
    assert_contains "$OUT" "($arm)" "the arm64 manifest"
    "$OSBOX" inspect "$REG/multi:1" | grep -q '"architecture": "arm64"' || fail "arm64 config not stored"
    # Only other platforms: one line, nothing stored.
    expect_fail "has no image for linux/s390x (it has: linux/arm64, linux/amd64)" \
        "$OSBOX" pull --platform linux/s390x "$REG/multi:1"
    expect_fail "invalid platform 'amd64'" "$OSBOX" pull --platform amd64 "$REG/multi:1"
}

# ---- bad registries and bad input ----

test_corrupt_and_truncated_blobs_are_rejected() {
    start_registry
    push_busybox bb:1
    load_busybox # a store that exists and holds something: a failed pull must leave it as it is
    local top data
    top=$(skopeo inspect --tls-verify=false "docker://$REG/bb:1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Layers"][-1][7:])')
    data=$(reg_blob "$top")
    [ -f "$data" ] || fail "no blob file $data"
    cp "$data" "$T/good"
    # Same size, one byte changed: the registry serves it as it is.
    python3 -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[len(b)//2]^=0xff; open(p,"wb").write(b)' "$data"
    expect_fail "digest mismatch" "$OSBOX" pull "$REG/bb:1"
    # Truncated: fewer bytes than the manifest declares.
    head -c 1000 "$T/good" >"$data"
    expect_fail "truncated" "$OSBOX" pull "$REG/bb:1"
    cp "$T/good" "$data"
    # A config whose diff_id does not match the layer's content (checked where it is unpacked).
    skopeo --insecure-policy copy -q "oci:$BB_OCI:busybox:latest" "oci:$T/lie:x"
    python3 - "$T/lie" <<'PY'
import hashlib, json, os, sys
d = sys.argv[1]
def blob(dg): return open(os.path.join(d, "blobs/sha256", dg[7:]), "rb").read()
def put(data):
    h = hashlib.sha256(data).hexdigest()
    open(os.path.join(d, "blobs/sha256", h), "wb").write(data)
    return "sha256:" + h
idx = json.load(open(d + "/index.json")); e = idx["manifests"][0]
m = json.loads(blob(e["digest"])); c = json.loads(blob(m["config"]["digest"]))
c["rootfs"]["diff_ids"][1] = "sha256:" + "0" * 64
cd = json.dumps(c).encode(); m["config"] = dict(m["config"], digest=put(cd), size=len(cd))
md = json.dumps(m).encode(); e["digest"] = put(md); e["size"] = len(md)
json.dump(idx, open(d + "/index.json", "w"))
PY
    skopeo_push "oci:$T/lie:x" lie:1
    expect_fail "but the image config declares diff_id sha256:0000000000" "$OSBOX" pull "$REG/lie:1"
    capture "$OSBOX" pull "$REG/bb:1"
    assert_eq 0 "$STATUS" "pull once the blob is intact ($OUT)"
}

test_bad_references_and_unreachable_registries() {
    start_registry
    push_busybox bb:1
    expect_fail "invalid reference 'Upper/Case': repository names must be lowercase" "$OSBOX" pull Upper/Case
    expect_fail "invalid reference 'a/b:': a tag is" "$OSBOX" pull a/b:
    expect_fail "invalid reference 'x@sha256:12': a digest is" "$OSBOX" pull x@sha256:12
    expect_fail "invalid reference '$REG/': no repository name" "$OSBOX" pull "$REG/"
    expect_fail "$REG/nosuch:1: manifest unknown" "$OSBOX" pull "$REG/nosuch:1"
    expect_fail "$REG/bb:nosuch: manifest unknown" "$OSBOX" pull "$REG/bb:nosuch"
    # Nothing listens there.
    local closed
    closed=$(free_port)
    expect_fail "cannot reach registry 127.0.0.1:$closed" "$OSBOX" pull "127.0.0.1:$closed/x:1"
    # An unknown host, in an empty network namespace: no query leaves the machine.
    expect_fail "cannot reach registry registry.invalid" unshare -n "$OSBOX" pull registry.invalid/x:1
    capture "$OSBOX" pull
    assert_eq 2 "$STATUS" "pull without a reference"
    capture "$OSBOX" push nosuch-image "$REG/x:1"
    assert_eq 125 "$STATUS"
    assert_contains "$OUT" "image 'nosuch-image' not found"
}

# ---- push ----

test_push_round_trip_with_skopeo() {
    start_registry
    load_busybox
    local digest
    digest=$("$OSBOX" inspect busybox | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["digest"])')
    capture "$OSBOX" push busybox "$REG/pushed:1"
    assert_eq 0 "$STATUS" "push ($OUT)"
    assert_contains "$OUT" "Pushed $REG/pushed:1 ($digest): 3 blobs, 3 sent"
    capture skopeo inspect --tls-verify=false "docker://$REG/pushed:1"
    assert_eq 0 "$STATUS" "skopeo inspect ($OUT)"
    assert_contains "$OUT" "\"Digest\": \"$digest\""
    # Back through skopeo: the same image, byte for byte.
    skopeo --insecure-policy copy -q --preserve-digests --src-tls-verify=false "docker://$REG/pushed:1" "oci:$T/back:1"
    capture "$OSBOX" load --oci-dir "$T/back" --name back:1
    assert_eq 0 "$STATUS" "load ($OUT)"
    assert_eq "$("$OSBOX" inspect busybox | grep -E '"(digest|diff_id)"')" \
              "$("$OSBOX" inspect back:1 | grep -E '"(digest|diff_id)"')" "the image after the round trip"
    # Again: every blob is there already (HEAD), nothing is sent.
    capture "$OSBOX" push busybox "$REG/pushed:1"
    assert_contains "$OUT" "0 sent (0.0 MB), 0 mounted, 3 already there"
    # Another repository: blobs mounted from pushed (a name the store knows).
    "$OSBOX" pull -q "$REG/pushed:1" >/dev/null
    capture "$OSBOX" push busybox "$REG/other:1"
    assert_contains "$OUT" "0 sent (0.0 MB), 3 mounted"
    assert_eq 3 "$(reg_requests 'POST /v2/other/blobs/uploads/?mount=')" "mount requests"
    # Chunked: the layers go up in PATCHes of 256 KiB (no name of this
    # registry is left in the store, so nothing can be mounted).
    "$OSBOX" rmi "$REG/pushed:1" >/dev/null
    capture "$OSBOX" push --chunk 256k busybox "$REG/chunked:1"
    assert_eq 0 "$STATUS" "chunked push ($OUT)"
    [ "$(reg_requests 'PATCH /v2/chunked/blobs/uploads/')" -ge 3 ] || fail "no chunked upload: $(grep PATCH "$REG_DIR/log")"
    skopeo inspect --raw --tls-verify=false "docker://$REG/chunked:1" | sha256sum | grep -q "^${digest#sha256:} " \
        || fail "chunked push changed the manifest"
    capture skopeo copy -q --src-tls-verify=false "docker://$REG/chunked:1" "oci:$T/back2:1"
    assert_eq 0 "$STATUS" "skopeo reads the chunked blobs ($OUT)"
    expect_fail "give a tag to push to" "$OSBOX" push busybox "$REG/x@$digest"
}

# ---- auth ----

auth_file_checks() { # the file is 0600, holds base64(user:pass), never the password in clear
    local f=$1
    assert_eq 600 "$(stat -c %a "$f")" "auth.json mode"
    grep -q "$(printf '%s:%s' "$REG_USER" "$REG_PASS" | base64)" "$f" || fail "auth.json lacks the credentials: $(cat "$f")"
    if grep -q "$REG_PASS" "$f"; then fail "auth.json holds the password in clear"; fi
}

auth_round() { # MODE: everything a protected registry must do
    start_registry "$1"
    export REGISTRY_AUTH_FILE=$T/auth/auth.json
    push_busybox bb:1 "$REG_USER:$REG_PASS"
    expect_fail "$REG/bb:1: authentication required (run 'osbox login $REG')" "$OSBOX" pull "$REG/bb:1"
    capture sh -c "printf '%s\n' wrong | \"$OSBOX\" login -u $REG_USER --password-stdin $REG"
    assert_eq 125 "$STATUS" "login with a wrong password ($OUT)"
    assert_contains "$OUT" "refused the credentials of '$REG_USER'"
    [ ! -e "$REGISTRY_AUTH_FILE" ] || fail "a refused login wrote $REGISTRY_AUTH_FILE"
    capture sh -c "printf '%s\n' '$REG_PASS' | \"$OSBOX\" login -u $REG_USER --password-stdin $REG"
    assert_eq 0 "$STATUS" "login ($OUT)"
    assert_contains "$OUT" "Login succeeded"
    assert_not_contains "$OUT" "$REG_PASS"
    auth_file_checks "$REGISTRY_AUTH_FILE"
    # skopeo reads the same file.
    skopeo inspect --tls-verify=false --authfile "$REGISTRY_AUTH_FILE" "docker://$REG/bb:1" >/dev/null \
        || fail "skopeo cannot use osbox's auth.json"
    capture "$OSBOX" pull "$REG/bb:1"
    assert_eq 0 "$STATUS" "pull with credentials ($OUT)"
    assert_not_contains "$OUT" "$REG_PASS"
    capture "$OSBOX" push "$REG/bb:1" "$REG/mine:1"
    assert_eq 0 "$STATUS" "push with credentials ($OUT)"
    capture "$OSBOX" logout "$REG"
    assert_eq 0 "$STATUS" "logout ($OUT)"
    expect_fail "authentication required" "$OSBOX" pull "$REG/mine:1"
    expect_fail "not logged in to $REG" "$OSBOX" logout "$REG"
}

test_basic_auth_with_htpasswd() {
    command -v htpasswd >/dev/null || skip "htpasswd not installed (apache2-utils)"
    auth_round htpasswd
}

test_bearer_token_flow() {
    command -v python3 >/dev/null || skip "python3 not installed"
    auth_round token
    # The token server saw osbox ask for pull (and push) scopes.
    grep -q 'scope=repository%3Abb%3Apull' "$REG_DIR/token.log" || fail "no pull token asked: $(cat "$REG_DIR/token.log")"
    grep -Eq 'scope=repository%3Amine%3A(pull%2Cpush|push%2Cpull)' "$REG_DIR/token.log" || fail "no push token asked: $(cat "$REG_DIR/token.log")"
}

# XDG_RUNTIME_DIR is where the file goes without REGISTRY_AUTH_FILE.
test_login_writes_xdg_runtime_auth_json() {
    command -v htpasswd >/dev/null || skip "htpasswd not installed (apache2-utils)"
    start_registry htpasswd
    unset REGISTRY_AUTH_FILE
    export XDG_RUNTIME_DIR=$T/xdg
    capture "$OSBOX" login -u "$REG_USER" -p "$REG_PASS" "$REG"
    assert_eq 0 "$STATUS" "login ($OUT)"
    auth_file_checks "$T/xdg/containers/auth.json"
    capture "$OSBOX" login -u "$REG_USER" -p x "$REG" --bogus
    assert_eq 2 "$STATUS" "login usage error"
}

# ---- TLS ----

test_tls_registry_with_its_own_ca() {
    start_registry tls
    mkdir -p "$T/certs.d/$REG"
    cp "$REG_DIR/tls.crt" "$T/certs.d/$REG/ca.crt"
    skopeo --insecure-policy copy -q --dest-cert-dir "$T/certs.d/$REG" \
        "oci:$BB_OCI:busybox:latest" "docker://$REG/bb:1"
    # Not trusted: an error, never a silent fallback to plain HTTP.
    expect_fail "cannot reach registry $REG" "$OSBOX" pull "$REG/bb:1"
    capture env OSBOX_CERTS_DIR="$T/certs.d" "$OSBOX" pull "$REG/bb:1"
    assert_eq 0 "$STATUS" "pull over TLS ($OUT)"
}

# ---- run --pull ----

test_run_pulls_as_the_policy_says() {
    start_registry
    push_busybox bb:1
    expect_fail "image '$REG/bb:1' not found" "$OSBOX" run --rm --pull never "$REG/bb:1" /bin/true
    # OSBOX_PULL sets the default (tests/lib.sh makes it never for every test).
    expect_fail "image '$REG/bb:1' not found" "$OSBOX" run --rm "$REG/bb:1" /bin/true
    expect_fail "OSBOX_PULL: invalid --pull 'often'" env OSBOX_PULL=often "$OSBOX" run --rm "$REG/bb:1" /bin/true
    unset OSBOX_PULL
    # The default (missing): pulled on first use, then taken from the store.
    capture "$OSBOX" run --rm "$REG/bb:1" /bin/echo pulled-and-ran
    assert_eq 0 "$STATUS" "run that pulls ($OUT)"
    assert_eq pulled-and-ran "$OUT"
    local gets
    gets=$(reg_requests 'GET /v2/bb/manifests/1')
    capture "$OSBOX" run --rm --pull missing "$REG/bb:1" /bin/true
    assert_eq "$gets" "$(reg_requests 'GET /v2/bb/manifests/1')" "manifest GETs with the image present"
    capture "$OSBOX" run --rm --pull always "$REG/bb:1" /bin/true
    assert_eq 0 "$STATUS" "run --pull always ($OUT)"
    assert_eq $((gets + 1)) "$(reg_requests 'GET /v2/bb/manifests/1')" "manifest GETs with --pull always"
    # A registry that is gone: missing still runs what is stored, always fails.
    stop_registries
    capture "$OSBOX" run --rm "$REG/bb:1" /bin/true
    assert_eq 0 "$STATUS" "run of a stored image without its registry ($OUT)"
    expect_fail "image '$REG/gone:1' not found, and pulling it failed: pull $REG/gone:1: cannot reach registry $REG" \
        "$OSBOX" run --rm "$REG/gone:1" /bin/true
    expect_fail "cannot reach registry $REG" "$OSBOX" run --rm --pull always "$REG/bb:1" /bin/true
    capture "$OSBOX" run --pull sometimes "$REG/bb:1" /bin/true
    assert_eq 2 "$STATUS" "run --pull sometimes ($OUT)"
    assert_contains "$OUT" "invalid --pull 'sometimes' (want missing, always or never)"
    capture "$OSBOX" vm run --pull sometimes "$REG/bb:1" /bin/true
    assert_eq 2 "$STATUS" "vm run --pull sometimes ($OUT)"
    assert_no_leftovers
}

# ---- faults a real registry does not make (tests/integration/registry_faults.py in front of one) ----

# start_faults MODE: sets FRONT (127.0.0.1:PORT) in front of $REG, its log in $FRONT_LOG.
start_faults() {
    local i
    FRONT_LOG=$T/faults-$1.log
    : >"$FRONT_LOG"
    rm -f "$T/faults.port"
    python3 "$OSBOX_SRC/tests/integration/registry_faults.py" "$1" "$REG" "$T/faults.port" "$FRONT_LOG" \
        2>"$T/faults.err" &
    REG_PIDS="$REG_PIDS $!"
    for i in $(seq 50); do [ -s "$T/faults.port" ] && break; sleep 0.1; done
    [ -s "$T/faults.port" ] || fail "fault front did not start: $(cat "$T/faults.err")"
    FRONT=127.0.0.1:$(cat "$T/faults.port")
}

test_retries_resume_and_bad_answers() {
    start_registry
    push_busybox bb:1
    # 503 first, then a connection cut halfway: retried, resumed with a Range request.
    start_faults flaky
    capture "$OSBOX" pull "$FRONT/bb:1"
    assert_eq 0 "$STATUS" "pull through a flaky front ($OUT)"
    assert_eq 3 "$(grep -c "^503 " "$FRONT_LOG")" "503 answers (config and two layers)"
    assert_eq 3 "$(grep -c "^cut " "$FRONT_LOG")" "cut transfers"
    grep -q '^forward GET .* range=bytes=[1-9]' "$FRONT_LOG" || fail "no Range resume: $(cat "$FRONT_LOG")"
    capture "$OSBOX" run --rm "$FRONT/bb:1" /bin/true
    assert_eq 0 "$STATUS" "run what the flaky front served ($OUT)"
    start_faults redirect-loop
    expect_fail "more than 8 redirects" "$OSBOX" pull "$FRONT/bb:1"
    start_faults huge-manifest
    expect_fail "is larger than 4194304 bytes" "$OSBOX" pull "$FRONT/bb:1"
}

# ---- a non-root user ----

test_rootless_pull_run_and_push() {
    command -v setpriv >/dev/null || skip "no setpriv (util-linux)"
    start_registry
    push_busybox bb:1
    chmod o+x "$T" "$(dirname "$T")"
    mkdir -p "$T/home" "$T/xdg"
    chown 65534:65534 "$T/home" "$T/xdg"
    chmod 700 "$T/xdg"
    nobody() {
        setpriv --reuid=65534 --regid=65534 --clear-groups \
            env -u OSBOX_ROOT -u OSBOX_RUN -u REGISTRY_AUTH_FILE HOME="$T/home" XDG_RUNTIME_DIR="$T/xdg" "$OSBOX" "$@"
    }
    capture nobody pull -q "$REG/bb:1"
    [ "$STATUS" = 125 ] && case $OUT in *"user namespace"*) skip "no unprivileged user namespaces here: $OUT" ;; esac
    assert_eq 0 "$STATUS" "rootless pull ($OUT)"
    [ -d "$T/home/.local/share/osbox/images/layers" ] || fail "not in the user's own store"
    capture nobody run --rm "$REG/bb:1" /bin/sh -c 'id -u; stat -c %u /bin/busybox'
    assert_eq 0 "$STATUS" "rootless run of the pulled image ($OUT)"
    assert_contains "$OUT" "0
0" "root inside, owning the image's files"
    capture nobody push "$REG/bb:1" "$REG/fromnobody:1"
    assert_eq 0 "$STATUS" "rootless push ($OUT)"
}

# ---- registries.conf ----

test_mirrors_from_registries_conf() {
    start_registry
    push_busybox bb:1
    local closed down
    closed=$(free_port)
    down=$(free_port)
    cat >"$T/registries.conf" <<EOF
unqualified-search-registries = ["docker.io"]   # not used by osbox

[[registry]]
location = "127.0.0.1:$closed"
insecure = false
[[registry.mirror]]
location = "127.0.0.1:$down"   # down: skipped
[[registry.mirror]]
location = "$REG"
insecure = true

[[registry]]
prefix = "other.example"
location = "other.example"
EOF
    expect_fail "cannot reach registry 127.0.0.1:$closed" "$OSBOX" pull "127.0.0.1:$closed/bb:1"
    capture env OSBOX_REGISTRIES_CONF="$T/registries.conf" "$OSBOX" pull -q "127.0.0.1:$closed/bb:1"
    assert_eq 0 "$STATUS" "pull through the mirror ($OUT)"
    assert_eq "127.0.0.1:$closed/bb:1" "$OUT" "stored under the name asked for"
    [ "$(reg_requests 'GET /v2/bb/manifests/1')" -ge 1 ] || fail "the mirror was not asked"
    capture "$OSBOX" run --rm "127.0.0.1:$closed/bb:1" /bin/true
    assert_eq 0 "$STATUS" "run ($OUT)"
    # Not in the mirror either: the registry's own error.
    expect_fail "cannot reach registry 127.0.0.1:$closed" \
        env OSBOX_REGISTRIES_CONF="$T/registries.conf" "$OSBOX" pull "127.0.0.1:$closed/nosuch:1"
    printf '[[registry]]\nlocation = "x"\ninsecure = maybe\n' >"$T/bad.conf"
    expect_fail "$T/bad.conf:3: insecure must be true or false" \
        env OSBOX_REGISTRIES_CONF="$T/bad.conf" "$OSBOX" pull "127.0.0.1:$closed/bb:1"
}

# A mirror with the manifest and config but not the layers (one cut off
# mid-transfer, then 404s): the pull goes on from the registry itself, and
# nothing the mirror sent is left behind.
test_mirror_failing_mid_layers_falls_back_to_the_registry() {
    start_registry
    push_busybox bb:1
    start_faults no-layers
    cat >"$T/registries.conf" <<EOF
[[registry]]
location = "$REG"
[[registry.mirror]]
location = "$FRONT"
EOF
    capture env OSBOX_REGISTRIES_CONF="$T/registries.conf" "$OSBOX" pull -q "$REG/bb:1"
    assert_eq 0 "$STATUS" "pull with a mirror that lost the layers ($OUT)"
    assert_eq "$REG/bb:1" "$OUT"
    grep -q '^cut GET .*/blobs/' "$FRONT_LOG" || fail "the mirror was not asked for a layer: $(cat "$FRONT_LOG")"
    [ "$(reg_requests 'GET /v2/bb/blobs/sha256:')" -ge 2 ] || fail "the layers did not come from the registry"
    assert_eq "" "$(ls -A "$OSBOX_ROOT/images/tmp" 2>/dev/null)" "staging leftovers"
    capture "$OSBOX" run --rm "$REG/bb:1" /bin/true
    assert_eq 0 "$STATUS" "run ($OUT)"
    # The mirror alone (its registry is not reachable): the registry's error, the store as it was.
    "$OSBOX" rmi "$REG/bb:1" >/dev/null
    local closed
    closed=$(free_port)
    printf '[[registry]]\nlocation = "127.0.0.1:%s"\n[[registry.mirror]]\nlocation = "%s"\n' \
        "$closed" "$FRONT" >"$T/only.conf"
    expect_fail "cannot reach registry 127.0.0.1:$closed" \
        env OSBOX_REGISTRIES_CONF="$T/only.conf" "$OSBOX" pull "127.0.0.1:$closed/bb:1"
}

# A terminal gets a bar per layer, redrawn in place (cursor up) while the
# layers download side by side; a pipe gets one line per layer; -q only the name.
test_progress_bars_on_a_terminal_lines_otherwise() {
    command -v script >/dev/null || skip "script(1) missing"
    start_registry
    mk_multilayer "$T/ml" v1 3 2048
    skopeo_push "oci:$T/ml:v1" ml:v1
    local out n
    out=$(script -qec "$OSBOX pull $REG/ml:v1" /dev/null | tr '\r' '\n')
    for n in 1 2 3 4 5; do
        printf '%s\n' "$out" | grep -q "\[$n/5\] pulled sha256:[0-9a-f]\{12\}  \[#\{20\}\]" ||
            fail "no full bar for layer $n: $(printf '%q' "$out")"
    done
    case $out in *$'\033['[1-4]A*) ;; *) fail "no bar redrawn in place: $(printf '%q' "$out")" ;; esac
    assert_contains "$out" "Pulled $REG/ml:v1"
    "$OSBOX" rmi "$REG/ml:v1" >/dev/null
    capture "$OSBOX" pull "$REG/ml:v1"
    assert_eq 0 "$STATUS" "pull into a pipe ($OUT)"
    assert_eq 5 "$(printf '%s\n' "$OUT" | grep -c '^\[[1-5]/5\] sha256:[0-9a-f]\{12\} pulled (')" "lines per layer: $OUT"
    assert_not_contains "$OUT" $'\033'
    "$OSBOX" rmi "$REG/ml:v1" >/dev/null
    out=$(script -qec "$OSBOX pull -q $REG/ml:v1" /dev/null | tr -d '\r')
    assert_eq "$REG/ml:v1" "$out" "--quiet on a terminal"
}
