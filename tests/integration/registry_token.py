#!/usr/bin/env python3
"""A minimal token server for the registry tests (tests/integration/registry.sh).

docker-registry (the CNCF distribution registry) implements the resource side
of the Bearer token flow but ships no token issuer. This one implements the
issuer side as the distribution "token authentication" spec describes it:
GET /token?service=S&scope=repository:NAME:ACTIONS... with HTTP Basic
credentials answers {"token": JWT} where the JWT (RS256, the certificate in
the x5c header) grants the asked scopes to USER:PASSWORD and nothing to
anonymous callers; wrong credentials get 401. Signing goes through the
openssl command line, so only the Python standard library is needed.

usage: registry_token.py PORT_FILE KEY CERT ISSUER SERVICE USER PASSWORD LOG
It binds 127.0.0.1 on a free port and writes that port to PORT_FILE.
"""
import base64
import http.server
import json
import os
import subprocess
import sys
import time
import urllib.parse

port_file, key, cert, issuer, service, user, password, log = sys.argv[1:9]


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


with open(cert) as f:
    pem = f.read()
der = base64.b64decode("".join(l for l in pem.splitlines() if not l.startswith("-----")))


def sign(claims):
    header = {"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(der).decode()]}
    signing_input = (b64url(json.dumps(header).encode()) + "." +
                     b64url(json.dumps(claims).encode())).encode()
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key], input=signing_input,
                         stdout=subprocess.PIPE, check=True).stdout
    return signing_input.decode() + "." + b64url(sig)


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):
        with open(log, "a") as f:
            f.write("%s %s\n" % (self.command, self.path))

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        q = urllib.parse.parse_qs(url.query)
        if url.path != "/token" or q.get("service", [""])[0] != service:
            self.send_error(404)
            return
        who = None
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            got = base64.b64decode(auth[6:]).decode(errors="replace")
            if got != "%s:%s" % (user, password):
                self.send_response(401)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}')
                return
            who = user
        access = []
        for scope in q.get("scope", []):
            parts = scope.split(":")
            if len(parts) >= 3 and parts[0] == "repository" and who:
                access.append({"type": "repository", "name": ":".join(parts[1:-1]),
                               "actions": parts[-1].split(",")})
        now = int(time.time())
        token = sign({"iss": issuer, "sub": who or "", "aud": service, "exp": now + 600,
                      "nbf": now - 60, "iat": now, "jti": b64url(os.urandom(12)),
                      "access": access})
        body = json.dumps({"token": token, "expires_in": 600}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
