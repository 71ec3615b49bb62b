"""The two ends of the wire in the inline end-to-end test (test_inline.py), each run with
`ip netns exec <namespace> python3 inline_peers.py ...` inside its own network namespace.

  server  --addr A --log FILE --body-file F   HTTP on A:8080 (GET: the body of F, every request
          line logged to FILE), a DNS responder on A:53/udp (an A record A for any question) and
          a TCP listener on A:9999 (every accepted connection logged to FILE); prints `ready`
          once all three are bound, then serves until killed.
  client  OP ...   one operation, one JSON object on stdout (see the functions below).
Stdlib only."""
import argparse
import concurrent.futures
import http.client
import http.server
import json
import os
import socket
import struct
import sys
import threading
import time
import urllib.parse

HTTP_PORT = 8080
DNS_PORT = 53
REJECT_PORT = 9999


# ---------------------------------------------------------------------------------------------
# Server side


class _Log:
    """Appends lines to the request log, flushed at once so the test reads what happened."""

    def __init__(self, path):
        self.lock = threading.Lock()
        self.f = open(path, "a", buffering=1)

    def write(self, line):
        with self.lock:
            self.f.write(line + "\n")
            self.f.flush()


def _dns_answer(query, addr):
    """The response to a DNS query: the question echoed, one A record `addr`; None if the query is
    not a well-formed single-question query."""
    if len(query) < 12:
        return None
    qid, flags, qd, _an, _ns, _ar = struct.unpack("!HHHHHH", query[:12])
    if qd != 1 or flags & 0x8000:
        return None
    i = 12
    while i < len(query):
        n = query[i]
        if n == 0:
            break
        if n & 0xC0:
            return None
        i += 1 + n
    else:
        return None
    end = i + 1 + 4  # the root label, QTYPE, QCLASS
    if end > len(query):
        return None
    question = query[12:end]
    header = struct.pack("!HHHHHH", qid, 0x8180, 1, 1, 0, 0)
    answer = struct.pack("!HHHLH", 0xC00C, 1, 1, 60, 4) + socket.inet_aton(addr)
    return header + question + answer


def serve(args):
    log = _Log(args.log)
    with open(args.body_file, "rb") as f:
        body = f.read()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            log.write(f"http {self.client_address[0]}:{self.client_address[1]} {self.path}")
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):  # quiet: the request log above is what the test reads
            pass

    class Server(http.server.ThreadingHTTPServer):
        allow_reuse_address = True
        daemon_threads = True
        request_queue_size = 128

    httpd = Server((args.addr, HTTP_PORT), Handler)

    dns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    dns.bind((args.addr, DNS_PORT))

    rej = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    rej.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    rej.bind((args.addr, REJECT_PORT))
    rej.listen(16)

    def dns_loop():
        while True:
            data, peer = dns.recvfrom(2048)
            log.write(f"dns {peer[0]}:{peer[1]} {len(data)}")
            resp = _dns_answer(data, args.addr)
            if resp is not None:
                dns.sendto(resp, peer)

    def reject_loop():
        while True:
            conn, peer = rej.accept()
            log.write(f"accept9999 {peer[0]}:{peer[1]}")
            conn.close()

    threading.Thread(target=dns_loop, daemon=True).start()
    threading.Thread(target=reject_loop, daemon=True).start()
    print("ready", flush=True)
    httpd.serve_forever()


# ---------------------------------------------------------------------------------------------
# Client side


def _get_one(url, timeout, source=None):
    """One GET on a new connection (from `source`, an address of this host, when given)."""
    t0 = time.monotonic()
    r = {"url": url, "source": source}
    parts = urllib.parse.urlsplit(url)
    try:
        conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout,
                                          source_address=(source, 0) if source else None)
        try:
            conn.request("GET", parts.path or "/")
            r["local_port"] = conn.sock.getsockname()[1]
            resp = conn.getresponse()
            data = resp.read()
            r.update(ok=True, status=resp.status, body_len=len(data),
                     body=data.decode("latin-1"))
        finally:
            conn.close()
    except Exception as e:  # any failure is a result to report, not a crash
        r.update(ok=False, error=f"{type(e).__name__}: {e}")
    r["elapsed"] = round(time.monotonic() - t0, 3)
    return r


def op_get(args):
    """GETs args.url args.count times, args.parallel at once (a new connection each, so a new
    source port each; source addresses taken in turn from args.sources). {"results": [...]}"""
    sources = [x for x in (args.sources or "").split(",") if x] or [None]
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.parallel) as ex:
        futs = [ex.submit(_get_one, args.url, args.timeout, sources[i % len(sources)])
                for i in range(args.count)]
        results = [f.result() for f in futs]
    return {"results": results}


def op_blocked(args):
    """Connects to host:8080, sends a GET for args.path and waits args.timeout for an answer;
    then (same connection) a benign GET /, waiting again. Reports what came back and the local
    port (to find the flow in eve.json)."""
    s = socket.create_connection((args.host, HTTP_PORT), timeout=args.timeout)
    out = {"local_port": s.getsockname()[1]}
    try:
        for i, path in enumerate((args.path, "/")):
            req = (f"GET {path} HTTP/1.1\r\nHost: {args.host}\r\nUser-Agent: vigil-e2e\r\n"
                   f"Connection: keep-alive\r\n\r\n").encode()
            t0 = time.monotonic()
            try:
                s.sendall(req)
                data = s.recv(65536)
                out[f"attempt{i}"] = {"outcome": "answered" if data else "closed",
                                      "bytes": len(data),
                                      "head": data[:64].decode("latin-1")}
            except socket.timeout:
                out[f"attempt{i}"] = {"outcome": "timeout"}
            except OSError as e:
                out[f"attempt{i}"] = {"outcome": "error", "error": f"{type(e).__name__}: {e}"}
            out[f"attempt{i}"]["elapsed"] = round(time.monotonic() - t0, 3)
    finally:
        s.close()
    return out


def op_connect(args):
    """A TCP connection to host:port. {"outcome": connected|refused|reset|timeout|error,...}"""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(args.timeout)
    t0 = time.monotonic()
    out = {}
    try:
        s.connect((args.host, args.port))
        out["local_port"] = s.getsockname()[1]
        # Connected: see whether the connection survives a send (a RST may follow the SYN-ACK).
        try:
            s.sendall(b"hello\r\n")
            data = s.recv(100)
            out["outcome"] = "connected" if data else "connected_then_closed"
        except socket.timeout:
            out["outcome"] = "connected"
        except ConnectionResetError:
            out["outcome"] = "connected_then_reset"
    except ConnectionRefusedError:
        out["outcome"] = "refused"
    except ConnectionResetError:
        out["outcome"] = "reset"
    except socket.timeout:
        out["outcome"] = "timeout"
    except OSError as e:
        out["outcome"] = "error"
        out["error"] = f"{type(e).__name__}: {e}"
    finally:
        try:
            out.setdefault("local_port", s.getsockname()[1])
        except OSError:
            pass
        s.close()
    out["elapsed"] = round(time.monotonic() - t0, 3)
    return out


def op_dns(args):
    """One A query for args.name to args.server:53. {"answer": "a.b.c.d" | None, ...}"""
    qid = os.getpid() & 0xFFFF
    q = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in args.name.split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\x00" + struct.pack("!HH", 1, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(args.timeout)
    t0 = time.monotonic()
    out = {"answer": None}
    try:
        s.sendto(q, (args.server, DNS_PORT))
        data, _ = s.recvfrom(2048)
        out["bytes"] = len(data)
        if len(data) >= len(q) + 16 and struct.unpack("!H", data[:2])[0] == qid:
            an = struct.unpack("!H", data[6:8])[0]
            if an >= 1:
                out["answer"] = socket.inet_ntoa(data[-4:])
        out["outcome"] = "answered"
    except socket.timeout:
        out["outcome"] = "timeout"
    except OSError as e:
        out["outcome"] = "error"
        out["error"] = f"{type(e).__name__}: {e}"
    finally:
        s.close()
    out["elapsed"] = round(time.monotonic() - t0, 3)
    return out


def op_trickle(args):
    """GETs args.url every args.interval seconds for args.duration seconds (traffic for a packet
    capture); {"ok": n, "failed": n}."""
    ok = failed = 0
    end = time.monotonic() + args.duration
    while time.monotonic() < end:
        r = _get_one(args.url, 1.0)
        ok += r["ok"]
        failed += not r["ok"]
        time.sleep(args.interval)
    return {"ok": ok, "failed": failed}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="role", required=True)
    sv = sub.add_parser("server")
    sv.add_argument("--addr", required=True)
    sv.add_argument("--log", required=True)
    sv.add_argument("--body-file", required=True)
    g = sub.add_parser("get")
    g.add_argument("--url", required=True)
    g.add_argument("--count", type=int, default=1)
    g.add_argument("--parallel", type=int, default=1)
    g.add_argument("--timeout", type=float, default=5.0)
    g.add_argument("--sources", default="", help="client addresses to connect from, in turn")
    b = sub.add_parser("blocked")
    b.add_argument("--host", required=True)
    b.add_argument("--path", required=True)
    b.add_argument("--timeout", type=float, default=2.0)
    c = sub.add_parser("connect")
    c.add_argument("--host", required=True)
    c.add_argument("--port", type=int, required=True)
    c.add_argument("--timeout", type=float, default=5.0)
    d = sub.add_parser("dns")
    d.add_argument("--server", required=True)
    d.add_argument("--name", required=True)
    d.add_argument("--timeout", type=float, default=3.0)
    t = sub.add_parser("trickle")
    t.add_argument("--url", required=True)
    t.add_argument("--interval", type=float, default=0.1)
    t.add_argument("--duration", type=float, default=5.0)
    args = ap.parse_args()
    if args.role == "server":
        serve(args)
        return
    ops = {"get": op_get, "blocked": op_blocked, "connect": op_connect, "dns": op_dns,
           "trickle": op_trickle}
    print(json.dumps(ops[args.role](args)), flush=True)


if __name__ == "__main__":
    sys.exit(main())
