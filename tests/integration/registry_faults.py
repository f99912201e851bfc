#!/usr/bin/env python3
"""A misbehaving front for a real registry, for tests/integration/registry.sh.

docker-registry itself always answers correctly, so the failures a client must
survive or reject are injected here, in front of it; everything not named
below is forwarded unchanged to the real registry.

  flaky          each blob's first GET answers 503, its second is cut off
                 after half the bytes (Content-Length promises all), later
                 ones are forwarded (with the client's Range header)
  redirect-loop  manifest GETs answer 302 to themselves
  huge-manifest  manifest GETs answer a 5 MiB "manifest"
  no-layers      a mirror that has manifests and configs but lost the layers:
                 a GET of a blob over 4 KiB is forwarded, then cut after 1 KiB
                 the first time and answered 404 BLOB_UNKNOWN after that

usage: registry_faults.py MODE UPSTREAM(host:port) PORT_FILE LOG
"""
import http.client
import http.server
import os
import sys
import threading

mode, upstream, port_file, log = sys.argv[1:5]
seen = {}
lock = threading.Lock()
HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade"}


class Front(http.server.BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):
        pass

    def note(self, what):
        with open(log, "a") as f:
            f.write("%s %s %s range=%s\n" % (what, self.command, self.path,
                                               self.headers.get("Range", "-")))

    def forward(self, body=None):
        conn = http.client.HTTPConnection(upstream, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        conn.request(self.command, self.path, body=body, headers=headers)
        r = conn.getresponse()
        data = r.read()
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in HOP and k.lower() != "content-length":
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        return data

    def do_GET(self):
        if "/manifests/" in self.path and mode == "redirect-loop":
            self.note("redirect")
            self.send_response(302)
            self.send_header("Location", self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if "/manifests/" in self.path and mode == "huge-manifest":
            self.note("huge")
            body = b"{" + b" " * (5 << 20) + b"}"
            self.send_response(200)
            self.send_header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if "/blobs/sha256:" in self.path and mode == "flaky":
            with lock:
                n = seen[self.path] = seen.get(self.path, 0) + 1
            if n == 1:
                self.note("503")
                self.send_response(503)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if n == 2:
                conn = http.client.HTTPConnection(upstream, timeout=30)
                conn.request("GET", self.path)
                r = conn.getresponse()
                data = r.read()
                self.note("cut")
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            self.note("forward")
        if "/blobs/sha256:" in self.path and mode == "no-layers":
            conn = http.client.HTTPConnection(upstream, timeout=30)
            conn.request("GET", self.path)
            r = conn.getresponse()
            data = r.read()
            if r.status == 200 and len(data) > 4096:
                with lock:
                    n = seen[self.path] = seen.get(self.path, 0) + 1
                if n == 1:
                    self.note("cut")
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data[:1024])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.note("404")
                body = b'{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry"}]}'
                self.send_response(404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
        self.forward()

    def do_HEAD(self):
        self.forward()

    def body(self):
        n = int(self.headers.get("Content-Length", "0") or 0)
        return self.rfile.read(n) if n else None

    def do_POST(self):
        self.forward(self.body())

    def do_PUT(self):
        self.forward(self.body())

    def do_PATCH(self):
        self.forward(self.body())


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Front)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
