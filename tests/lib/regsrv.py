"""Small servers for tests/host/test_registry.py, run inside the test's
network namespace (`ip netns exec NS python3 regsrv.py MODE ...`):

  token PORT KEY CERT USER:PASS   a Bearer token server for docker-registry's
                                  `auth: token` (RS256 JWTs signed with
                                  `openssl dgst`, the certificate in x5c);
                                  counts requests per scope in PORT.log
  search PORT                     Docker Hub's /v1/search API over a fixed list
                                  (/v2/ answers 200); logs each query
  cut PORT UPSTREAM_PORT BYTES    an HTTP proxy to 127.0.0.1:UPSTREAM_PORT that
                                  cuts the first full (non-Range) blob
                                  response after BYTES body bytes; logs each
                                  request line and its Range header
  stall PORT UPSTREAM_PORT BYTES  the same proxy: every blob response longer
                                  than BYTES stops after BYTES of its body
                                  ("stalled") until the client hangs up
                                  ("hung up")
  hold PORT UPSTREAM_PORT SECONDS [FAILS]
                                  the same proxy without the cut: each blob
                                  request waits SECONDS before it goes on,
                                  and the blob requests in flight at its
                                  start are logged ("inflight N"); the
                                  first FAILS blob requests are answered
                                  503 (logged "503")
  patchfail PORT UPSTREAM_PORT   an HTTP proxy to 127.0.0.1:UPSTREAM_PORT
                                  that logs "METHOD PATH CONTENT-RANGE" of
                                  each request and answers the first PATCH
                                  of a blob upload 503 (logged "503")
  putfail PORT UPSTREAM_PORT     the same for PUTs with a body (a blob in one
                                  PUT): the first answered 503, the second
                                  cut off without an answer ("reset")
  pages PORT UPSTREAM_PORT N      an HTTP proxy to 127.0.0.1:UPSTREAM_PORT
                                  whose tag lists come in sorted pages of N
                                  with a Link header to the next (logged)
  bad PORT                        a registry that answers wrongly: x/garbage's
                                  manifest is not JSON, x/huge's says it is
                                  2 GiB long and streams zeros until the
                                  client hangs up (the bytes sent go to
                                  PORT.log)
"""
import base64
import http.server
import json
import socket
import socketserver
import struct
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def send_json(handler, body):
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def token_server(port, key, cert, cred):
    der = subprocess.run(["openssl", "x509", "-in", cert, "-outform", "DER"],
                         capture_output=True, check=True).stdout
    log = open("%d.log" % port, "a")

    class H(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_GET(self):
            q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
            auth = self.headers.get("Authorization", "")
            user = None
            if auth.startswith("Basic "):
                u, _, p = base64.b64decode(auth[6:]).decode().partition(":")
                if "%s:%s" % (u, p) != cred:
                    self.send_response(401)
                    self.end_headers()
                    return
                user = u
            scopes = q.get("scope", [])
            log.write("scope=%s user=%s\n" % (" ".join(scopes), user))
            log.flush()
            access = []
            for scope in scopes if user else []:
                typ, name, actions = scope.split(":", 2)
                access.append({"type": typ, "name": name, "actions": actions.split(",")})
            now = int(time.time())
            hdr = {"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(der).decode()]}
            claims = {"iss": "berth-test", "sub": user or "", "aud": "berth-registry",
                      "exp": now + 600, "nbf": now - 10, "iat": now, "jti": str(now),
                      "access": access}
            signing = b64u(json.dumps(hdr).encode()) + "." + b64u(json.dumps(claims).encode())
            sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key],
                                 input=signing.encode(), capture_output=True, check=True).stdout
            body = json.dumps({"token": signing + "." + b64u(sig)}).encode()
            send_json(self, body)

    http.server.ThreadingHTTPServer(("", port), H).serve_forever()


def search_server(port):
    log = open("%d.log" % port, "a")
    items = [{"name": "library/web", "description": "The official web server.\nSecond line",
              "star_count": 9000, "is_official": True, "is_automated": False}]
    items += [{"name": "team/web%d" % i, "description": "web number %d " % i + "x" * 60,
               "star_count": i, "is_official": False, "is_automated": i == 1}
              for i in range(1, 40)]

    class H(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_GET(self):
            u = urllib.parse.urlparse(self.path)
            q = urllib.parse.parse_qs(u.query)
            body = b"{}"
            if u.path == "/v1/search":
                log.write("q=%s n=%s\n" % (q.get("q", [""])[0], q.get("n", [""])[0]))
                log.flush()
                term, n = q.get("q", [""])[0], int(q.get("n", ["25"])[0])
                res = [i for i in items if term in i["name"]][:n]
                body = json.dumps({"num_results": len(res), "query": term,
                                   "results": res}).encode()
            send_json(self, body)

    http.server.ThreadingHTTPServer(("", port), H).serve_forever()


def cut_proxy(port, upstream, cut_after, hold=0.0, fails=0, stall=False):
    log = open("%d.log" % port, "a")
    fails = [fails]
    cut_done = threading.Event()
    if cut_after is None:
        cut_done.set()
    inflight = [0]
    mu = threading.Lock()

    class H(socketserver.BaseRequestHandler):
        def handle(self):
            c = self.request
            up = socket.create_connection(("127.0.0.1", upstream))
            head = b""
            while b"\r\n\r\n" not in head:
                d = c.recv(65536)
                if not d or (not head and d[:1] == b"\x16"):
                    return  # a TLS hello (an insecure registry tried with https first): plain http only
                head += d
            lines = head.split(b"\r\n")
            rng = [l for l in lines if l.lower().startswith(b"range:")]
            log.write("%s %s\n" % (lines[0].decode(), rng[0].decode() if rng else "-"))
            log.flush()
            cut = b"/blobs/" in lines[0] and not rng and (stall or not cut_done.is_set())
            with mu:
                fail = b"/blobs/" in lines[0] and fails[0] > 0
                fails[0] -= fail
            if fail:
                log.write("503\n")
                log.flush()
                c.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
                          b"Connection: close\r\n\r\n")
                return
            if hold and b"/blobs/" in lines[0]:
                with mu:
                    inflight[0] += 1
                    log.write("inflight %d\n" % inflight[0])
                    log.flush()
                time.sleep(hold)
                with mu:
                    inflight[0] -= 1
            # one request per connection: the upstream closes after it
            up.sendall(head.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n", 1))
            sent = 0
            body_started = False
            buf = b""
            while True:
                d = up.recv(65536)
                if not d:
                    break
                if cut:
                    buf += d
                    if not body_started and b"\r\n\r\n" in buf:
                        body_started = True
                        hdr, _, rest = buf.partition(b"\r\n\r\n")
                        c.sendall(hdr + b"\r\n\r\n")
                        buf = rest
                    if body_started and len(buf) >= cut_after:
                        c.sendall(buf[:cut_after])
                        if stall:  # until the client hangs up
                            log.write("stalled\n")
                            log.flush()
                            try:
                                while c.recv(65536):
                                    pass
                            except OSError:
                                pass  # reset: it left bytes unread
                            log.write("hung up\n")
                            log.flush()
                        cut_done.set()
                        c.shutdown(socket.SHUT_RDWR)
                        c.close()
                        up.close()
                        return
                    continue
                c.sendall(d)
            if buf:  # a short response: never cut, sent whole
                c.sendall(buf)
            up.close()

    class S(socketserver.ThreadingTCPServer):
        allow_reuse_address = True
        daemon_threads = True

    S(("127.0.0.1", port), H).serve_forever()


def proxy(port, upstream, hook):
    """Forwards whole requests (bodies too) to upstream, one per connection,
    unless hook(c, method, path, hdr) answered it (returns True)."""

    class H(socketserver.BaseRequestHandler):
        def handle(self):
            c = self.request
            head = b""
            while b"\r\n\r\n" not in head:
                d = c.recv(65536)
                if not d or (not head and d[:1] == b"\x16"):
                    return  # a TLS hello: plain http only
                head += d
            head, _, body = head.partition(b"\r\n\r\n")
            lines = head.split(b"\r\n")
            hdr = {l.split(b":", 1)[0].strip().lower(): l.split(b":", 1)[1].strip()
                   for l in lines[1:] if b":" in l}
            if hdr.get(b"expect", b"").lower() == b"100-continue":
                c.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
                head = b"\r\n".join(l for l in lines if not l.lower().startswith(b"expect:"))
            want = int(hdr.get(b"content-length", b"0"))
            while len(body) < want:
                d = c.recv(65536)
                if not d:
                    return
                body += d
            method, path = lines[0].split()[0].decode(), lines[0].split()[1].decode()
            if hook(c, method, path, hdr):
                return
            up = socket.create_connection(("127.0.0.1", upstream))
            up.sendall(head + b"\r\nConnection: close\r\n\r\n" + body)
            while True:
                d = up.recv(65536)
                if not d:
                    break
                c.sendall(d)
            up.close()

    class S(socketserver.ThreadingTCPServer):
        allow_reuse_address = True
        daemon_threads = True

    S(("127.0.0.1", port), H).serve_forever()


def fail_proxy(port, upstream, method, plan):
    """A proxy that logs "METHOD PATH CONTENT-RANGE" of each request and
    answers the first blob uploads of method (PATCH, or PUT with a body)
    as plan says, one action each: "503" (after reading the body) or
    "reset" (the connection closed without an answer)."""
    log = open("%d.log" % port, "a")
    plan = list(plan)
    mu = threading.Lock()

    def hook(c, m, path, hdr):
        log.write("%s %s %s\n" % (m, path.split("?")[0], hdr.get(b"content-range", b"-").decode()))
        log.flush()
        with mu:
            act = plan.pop(0) if (m == method and "/blobs/uploads/" in path and plan and
                                  int(hdr.get(b"content-length", b"0")) > 0) else None
        if act:
            log.write(act + "\n")
            log.flush()
        if act == "503":
            c.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
                      b"Connection: close\r\n\r\n")
        elif act == "reset":
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            c.close()
        return act is not None

    proxy(port, upstream, hook)


def pages_proxy(port, upstream, n):
    """A proxy whose tag lists come in pages of n, sorted, with a Link
    header to the next as Docker Hub or GHCR send them (the query's n and
    last honoured); each tag list request is logged."""
    log = open("%d.log" % port, "a")

    def hook(c, m, path, hdr):
        u = urllib.parse.urlparse(path)
        if m != "GET" or not u.path.endswith("/tags/list"):
            return False
        log.write(path + "\n")
        log.flush()
        q = urllib.parse.parse_qs(u.query)
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (upstream, u.path)) as r:
            doc = json.load(r)
        rest = [t for t in sorted(doc["tags"]) if t > q.get("last", [""])[0]]
        k = int(q.get("n", [n])[0])
        body = json.dumps({"name": doc["name"], "tags": rest[:k]}).encode()
        link = ""
        if len(rest) > k:
            link = '\r\nLink: <%s?last=%s&n=%d>; rel="next"' % (u.path, rest[k - 1], k)
        c.sendall(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d"
                   "%s\r\nConnection: close\r\n\r\n" % (len(body), link)).encode() + body)
        return True

    proxy(port, upstream, hook)


def bad_registry(port):
    log = open("%d.log" % port, "a")
    mt = "application/vnd.oci.image.manifest.v1+json"

    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def do_GET(self):
            if self.path == "/v2/":
                return send_json(self, b"{}")
            if self.path.startswith("/v2/x/garbage/manifests/"):
                body = b"<html>{ this is not JSON"
                self.send_response(200)
                self.send_header("Content-Type", mt)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            if self.path.startswith("/v2/x/huge/manifests/"):
                self.send_response(200)
                self.send_header("Content-Type", mt)
                self.send_header("Content-Length", str(2 << 30))
                self.end_headers()
                sent, chunk = 0, b"{" + b" " * 65535
                try:
                    while sent < 2 << 30:
                        self.wfile.write(chunk)
                        sent += len(chunk)
                except OSError:
                    pass
                log.write("sent %d\n" % sent)
                log.flush()
                self.close_connection = True
                return
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

    http.server.ThreadingHTTPServer(("", port), H).serve_forever()


if __name__ == "__main__":
    if sys.argv[1] == "token":
        token_server(int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5])
    elif sys.argv[1] == "search":
        search_server(int(sys.argv[2]))
    elif sys.argv[1] == "cut":
        cut_proxy(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
    elif sys.argv[1] == "stall":
        cut_proxy(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), stall=True)
    elif sys.argv[1] == "hold":
        cut_proxy(int(sys.argv[2]), int(sys.argv[3]), None, float(sys.argv[4]),
                  int(sys.argv[5]) if len(sys.argv) > 5 else 0)
    elif sys.argv[1] == "patchfail":
        fail_proxy(int(sys.argv[2]), int(sys.argv[3]), "PATCH", ["503"])
    elif sys.argv[1] == "putfail":
        fail_proxy(int(sys.argv[2]), int(sys.argv[3]), "PUT", ["503", "reset"])
    elif sys.argv[1] == "pages":
        pages_proxy(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
    elif sys.argv[1] == "bad":
        bad_registry(int(sys.argv[2]))
