#!/usr/bin/env python3
"""e2e.uplink.isolation: two appliances (dev-1, dev-2) with their own device certificates. dev-1
uploads the demo replay; then, speaking HTTP/1.1 over mutual TLS from Python as dev-2: GET of a
dev-1 flow pcap is 404; PUT of the same flow id stores under dev-2 only (dev-1's file unchanged);
path traversal attempts are refused with 4xx and change nothing; events and heartbeats posted by
dev-2 never appear among dev-1's. dev-1 itself can GET its pcap (the requests do work)."""
import hashlib
import http.client
import json
import os
import socket
import ssl
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import uplink_lib as u  # noqa: E402


class Client:
    """One appliance's view of the provider: a fresh mutual-TLS connection per request."""

    def __init__(self, port, ca, cert, key):
        self.port = port
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        self.ctx.load_verify_locations(ca)
        self.ctx.load_cert_chain(cert, key)
        self.ctx.check_hostname = True

    def request(self, method, path, body=None, headers=None):
        """(status, body bytes)."""
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        tls = self.ctx.wrap_socket(sock, server_hostname=u.SERVER_NAME)
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        conn.sock = tls
        try:
            conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            conn.putheader("Host", u.SERVER_NAME)
            for k, v in (headers or {}).items():
                conn.putheader(k, v)
            if body is not None or method in ("PUT", "POST"):
                conn.putheader("Content-Length", str(len(body or b"")))
            conn.endheaders(body)
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()


def small_pcap():
    """A classic pcap with one Ethernet/IPv4/UDP frame."""
    header = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    udp = struct.pack(">HHHH", 40000, 9999, 8 + 5, 0) + b"dev-2"
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0,
                     bytes([10, 9, 9, 2]), bytes([10, 9, 9, 1]))
    csum = 0
    for i in range(0, 20, 2):
        csum += (ip[i] << 8) | ip[i + 1]
    csum = (csum & 0xFFFF) + (csum >> 16)
    csum = ~((csum & 0xFFFF) + (csum >> 16)) & 0xFFFF
    ip = ip[:10] + struct.pack(">H", csum) + ip[12:]
    frame = b"\x02\x00\x00\x00\x00\x01" + b"\x02\x00\x00\x00\x00\x02" + b"\x08\x00" + ip + udp
    return header + struct.pack("<IIII", 1700000000, 0, len(frame), len(frame)) + frame


def snapshot(folder):
    """{relative path: sha256} of every file under folder."""
    out = {}
    for root, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            with open(path, "rb") as f:
                out[os.path.relpath(path, folder)] = hashlib.sha256(f.read()).hexdigest()
    return out


def diff_snapshots(before, after):
    changed = sorted(k for k in before if k in after and before[k] != after[k])
    gone = sorted(set(before) - set(after))
    new = sorted(set(after) - set(before))
    return "; ".join(f"{what}: {items[:10]}" for what, items in
                     (("changed", changed), ("removed", gone), ("added", new)) if items)


def main():
    ap = u.common_args(__doc__.splitlines()[0])
    ap.add_argument("--pcap", default="demo.pcap")
    args = ap.parse_args()

    def body(work):
        pcap = u.capture(args, args.pcap)
        pki = u.Pki(args.provider, os.path.join(work, "pki"))
        dev1 = pki.device("dev-1")
        dev2 = pki.device("dev-2")
        prov = u.Provider(args.provider, os.path.join(work, "data"), pki.dir)
        config = u.write_config(os.path.join(work, "dev-1.toml"), prov.port, pki.ca, *dev1,
                                spool=os.path.join(work, "spool"))
        res = u.run(u.replay_cmd(args, pcap, os.path.join(work, "out"), config, upload_timeout=60),
                    120)
        u.expect_exit(res, 0, "dev-1 replay --upload")
        d1 = prov.appliance_dir("dev-1")
        d2 = prov.appliance_dir("dev-2")
        pcaps1 = prov.flow_pcaps("dev-1")
        u.check(pcaps1, "dev-1 stored no flow pcap: the test needs one")
        name = sorted(pcaps1)[0]
        flow_id = name[:-len(".pcap")]
        c1 = Client(prov.port, pki.ca, *dev1)
        c2 = Client(prov.port, pki.ca, *dev2)
        problems = []

        def expect(status_ok, who, method, path, got, body=b""):
            status, data = got
            print(f"  {who} {method} {path} -> {status}")
            if not status_ok(status):
                problems.append(f"{who} {method} {path}: got {status} {data[:200]!r}")
            return status, data

        # The request works for its owner.
        st, data = expect(lambda s: s == 200, "dev-1", "GET", f"/v1/flows/{name}",
                          c1.request("GET", f"/v1/flows/{name}"))
        if st == 200 and data != pcaps1[name]:
            problems.append(f"dev-1 GET /v1/flows/{name}: {len(data)} bytes differ from the "
                            f"stored {len(pcaps1[name])}")
        before1 = snapshot(d1)

        # dev-2 cannot read it.
        expect(lambda s: s == 404, "dev-2", "GET", f"/v1/flows/{name}",
               c2.request("GET", f"/v1/flows/{name}"))

        # dev-2 writes the same flow id: its own copy only.
        mine = small_pcap()
        expect(lambda s: s in (200, 201), "dev-2", "PUT", f"/v1/flows/{name}",
               c2.request("PUT", f"/v1/flows/{name}", mine,
                          {"Content-Type": "application/vnd.tcpdump.pcap"}))
        stored2 = prov.flow_pcaps("dev-2")
        if stored2.get(name) != mine:
            problems.append(f"dev-2's PUT is not stored as {os.path.join(d2, 'flows', name)} "
                            f"(dev-2 has {sorted(stored2)})")
        st, data = c2.request("GET", f"/v1/flows/{name}")
        if st != 200 or data != mine:
            problems.append(f"dev-2 GET of its own {name}: {st}, {len(data)} bytes "
                            f"(expected 200 and the {len(mine)} bytes it PUT)")
        st, data = c1.request("GET", f"/v1/flows/{name}")
        if st != 200 or data != pcaps1[name]:
            problems.append(f"dev-1 GET {name} after dev-2's PUT: {st}, {len(data)} bytes "
                            f"(expected 200 and its own {len(pcaps1[name])} bytes)")

        # Traversal: refused with 4xx, nothing changes anywhere.
        other = f"..%2F..%2Fdev-1%2Fflows%2F{flow_id}.pcap"
        attempts = [
            ("GET", f"/v1/flows/{other}"), ("PUT", f"/v1/flows/{other}"),
            ("GET", f"/v1/flows/{other.replace('%2F', '%2f')}"),
            ("GET", "/v1/flows/../x.pcap"), ("PUT", "/v1/flows/../x.pcap"),
            ("GET", f"/v1/flows/../../dev-1/flows/{name}"),
            ("PUT", f"/v1/flows/../../dev-1/flows/{name}"),
            ("GET", f"/v1/../appliances/dev-1/flows/{name}"),
            ("GET", f"/v1/flows/%2E%2E%2Fx.pcap"), ("PUT", f"/v1/flows/{flow_id}%00.pcap"),
            ("PUT", f"/v1/flows/-1.pcap"), ("PUT", f"/v1/flows/{'9' * 21}.pcap"),
        ]
        before_all = snapshot(prov.data)
        for method, path in attempts:
            body_bytes = mine if method == "PUT" else None
            expect(lambda s: 400 <= s < 500, "dev-2", method, path,
                   c2.request(method, path, body_bytes))
        after_all = snapshot(prov.data)
        d = diff_snapshots(before_all, after_all)
        if d:
            problems.append(f"traversal attempts changed the provider's files: {d}")

        # Events and heartbeats posted by dev-2 stay dev-2's.
        marker = {"event_type": "alert", "note": "posted by dev-2", "flow_id": int(flow_id)}
        st, data = c2.request("POST", "/v1/events", (json.dumps(marker) + "\n").encode(),
                              {"Idempotency-Key": "dev-2-isolation-1",
                               "Content-Type": "application/x-ndjson"})
        if st != 200:
            problems.append(f"dev-2 POST /v1/events: {st} {data[:200]!r}")
        st, data = c2.request("POST", "/v1/heartbeat", b'{"type":"heartbeat","from":"dev-2"}',
                              {"Content-Type": "application/json"})
        if st != 200:
            problems.append(f"dev-2 POST /v1/heartbeat: {st} {data[:200]!r}")
        lines1 = [json.loads(l) for _, l in prov.event_lines("dev-1")]
        lines2 = [json.loads(l) for _, l in prov.event_lines("dev-2")]
        if marker in lines1:
            problems.append("dev-2's event line is among dev-1's events")
        if lines2 != [marker]:
            problems.append(f"dev-2's events are {lines2[:5]}, expected only {marker}")
        if any(h.get("from") == "dev-2" for h in prov.heartbeats("dev-1")):
            problems.append("dev-2's heartbeat is among dev-1's heartbeats")
        if not any(h.get("from") == "dev-2" for h in prov.heartbeats("dev-2")):
            problems.append("dev-2's heartbeat was not stored under dev-2")

        after1 = snapshot(d1)
        d = diff_snapshots(before1, after1)
        if d:
            problems.append(f"dev-1's folder changed by dev-2's requests: {d}")
        if prov.flow_pcaps("dev-1") != pcaps1:
            problems.append("dev-1's flow pcaps are no longer byte-identical")
        # Idempotency keys are per appliance: dev-1 reusing the key dev-2 used is a first receipt.
        marker1 = {"event_type": "alert", "note": "posted by dev-1 with dev-2's key"}
        st, data = c1.request("POST", "/v1/events", (json.dumps(marker1) + "\n").encode(),
                              {"Idempotency-Key": "dev-2-isolation-1",
                               "Content-Type": "application/x-ndjson"})
        try:
            answer = json.loads(data)
        except ValueError:
            answer = None
        if st != 200 or not isinstance(answer, dict) or answer.get("accepted") != 1:
            problems.append(f"dev-1 POST /v1/events with a key only dev-2 had used: {st} "
                            f"{data[:200]!r} (expected 200 {{\"accepted\":1}})")
        lines1b = [json.loads(l) for _, l in prov.event_lines("dev-1")]
        if lines1b.count(marker1) != 1:
            problems.append(f"dev-1's event posted with dev-2's key is stored "
                            f"{lines1b.count(marker1)} times under dev-1, expected once")
        if [json.loads(l) for _, l in prov.event_lines("dev-2")] != [marker]:
            problems.append("dev-2's events changed after dev-1 posted with the same key")
        appliances = sorted(os.listdir(os.path.join(prov.data, "appliances")))
        if appliances != ["dev-1", "dev-2"]:
            problems.append(f"appliance folders at the provider: {appliances}, expected dev-1, dev-2")
        u.check(prov.alive(), f"provider exited: {prov.stderr_text()}")
        prov.stop()
        if problems:
            raise u.Failure(f"{len(problems)} isolation problem(s):\n  " + "\n  ".join(problems))
        print(f"isolation: {len(attempts)} traversal attempts refused; dev-1's {len(pcaps1)} pcaps "
              f"and {len(lines1)} events untouched")

    sys.exit(u.run_test("isolation", body, args))


if __name__ == "__main__":
    main()
