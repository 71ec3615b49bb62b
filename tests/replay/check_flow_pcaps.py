#!/usr/bin/env python3
"""Flagged-flow pcaps (vigild replay --flow-pcaps): every flow that raised an alert has exactly one
pcap named by its flow id, tshark opens it, and its packets are the flow's own packets from the
input, byte for byte and in order: the last N before the first alerting packet (N = the history
setting, fewer when the flow had fewer), the alerting packet, then every later packet of the flow
until the flow ends or the per-flow cap is reached. The flow's packets in the input are found by
an independent parse of the capture here (Ethernet, VLAN, IPv4, IPv6, TCP, UDP, ICMP)."""
import argparse
import json
import os
import shutil
import struct
import subprocess
import sys

HISTORY = 8       # CaptureConfig defaults (dataplane/capture/flow_capture.h)
MAX_PACKETS = 256
MAX_BYTES = 1 << 20


def read_pcap(path):
    """[(ts_ns, bytes)] of a classic pcap file (micro- or nanosecond, either byte order)."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        raise ValueError(f"{path}: too short for a pcap header")
    magic = data[:4]
    table = {b"\xd4\xc3\xb2\xa1": ("<", 1000), b"\xa1\xb2\xc3\xd4": (">", 1000),
             b"\x4d\x3c\xb2\xa1": ("<", 1), b"\xa1\xb2\x3c\x4d": (">", 1)}
    if magic not in table:
        raise ValueError(f"{path}: not a classic pcap file")
    endian, mult = table[magic]
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    out, at = [], 24
    while at + 16 <= len(data):
        sec, frac, caplen, _ = struct.unpack(endian + "IIII", data[at:at + 16])
        if at + 16 + caplen > len(data):
            raise ValueError(f"{path}: truncated record at offset {at}")
        out.append((sec * 1_000_000_000 + frac * mult, data[at + 16:at + 16 + caplen]))
        at += 16 + caplen
    if at != len(data):
        raise ValueError(f"{path}: {len(data) - at} stray bytes at the end")
    return linktype, out


def flow_key(frame):
    """Direction-free 5-tuple of an Ethernet frame, or None (not IP, a fragment, too short)."""
    at, etype = 12, None
    if len(frame) < 14:
        return None
    etype = struct.unpack(">H", frame[12:14])[0]
    at = 14
    while etype in (0x8100, 0x88A8) and len(frame) >= at + 4:
        etype = struct.unpack(">H", frame[at + 2:at + 4])[0]
        at += 4
    if etype == 0x0800 and len(frame) >= at + 20:
        ihl = (frame[at] & 0x0F) * 4
        if struct.unpack(">H", frame[at + 6:at + 8])[0] & 0x3FFF:
            return None  # a fragment: not checked here
        proto, src, dst = frame[at + 9], frame[at + 12:at + 16], frame[at + 16:at + 20]
        l4 = at + ihl
    elif etype == 0x86DD and len(frame) >= at + 40:
        proto, src, dst = frame[at + 6], frame[at + 8:at + 24], frame[at + 24:at + 40]
        l4 = at + 40
    else:
        return None
    sport = dport = 0
    if proto in (6, 17) and len(frame) >= l4 + 4:
        sport, dport = struct.unpack(">HH", frame[l4:l4 + 4])
    a, b = (src, sport), (dst, dport)
    return (proto,) + (a + b if a <= b else b + a)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vigild", required=True)
    ap.add_argument("--pcap", required=True)
    ap.add_argument("--rules", required=True, nargs="+")
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--min-flows", type=int, default=1, help="fail unless this many flows alerted")
    args = ap.parse_args()
    for p in [args.pcap] + args.rules:
        if not os.path.exists(p):
            print(f"skipped: {p} is not there")
            return 77
    out = os.path.join(args.workdir, "out")
    shutil.rmtree(out, ignore_errors=True)
    rules = [a for r in args.rules for a in ("--rules", r)]
    run = subprocess.run([args.vigild, "replay", "--pcap", args.pcap, *rules,
                          "--out", out, "--flow-pcaps"], capture_output=True, text=True,
                         errors="replace")
    if run.returncode != 0:
        print(f"error: vigild replay failed ({run.returncode}): {run.stderr.strip()}")
        return 2
    with open(os.path.join(out, "eve.json"), encoding="utf-8") as f:
        events = [json.loads(line) for line in f if line.strip()]
    first_alert = {}
    for e in events:
        if e.get("event_type") == "alert" and "pcap_cnt" in e:
            fid = e["flow_id"]
            first_alert[fid] = min(first_alert.get(fid, e["pcap_cnt"]), e["pcap_cnt"])
    flows_dir = os.path.join(out, "flows")
    files = sorted(f for f in os.listdir(flows_dir) if not f.startswith("."))
    problems = []
    if len(first_alert) < args.min_flows:
        problems.append(f"only {len(first_alert)} flows alerted, expected at least {args.min_flows}")
    names = {f"{fid}.pcap" for fid in first_alert}
    missing, extra = names - set(files), set(files) - names
    # A flow alerted only at its end (no packet) may still have a pcap; packet alerts must have one.
    if missing:
        problems.append(f"{len(missing)} alerting flows have no pcap, e.g. {sorted(missing)[:3]}")
    linktype, packets = read_pcap(args.pcap)
    if linktype != 1:
        print("skipped: the checker parses Ethernet captures only")
        return 77
    keys = [flow_key(frame) for _, frame in packets]
    checked = 0
    for fid, cnt in sorted(first_alert.items()):
        name = f"{fid}.pcap"
        if name not in files:
            continue
        path = os.path.join(flows_dir, name)
        ts = subprocess.run(["tshark", "-r", path, "-T", "fields", "-e", "frame.number"],
                            capture_output=True, text=True, errors="replace")
        if ts.returncode != 0:
            problems.append(f"{name}: tshark cannot read it: {ts.stderr.strip()[:200]}")
            continue
        try:
            link, got = read_pcap(path)
        except ValueError as e:
            problems.append(str(e))
            continue
        if len(ts.stdout.split()) != len(got):
            problems.append(f"{name}: tshark sees {len(ts.stdout.split())} packets, the file holds {len(got)}")
        key = keys[cnt - 1]
        if key is None:
            continue  # a fragment or non-IP alerting packet: not modelled here
        mine = [i for i, k in enumerate(keys) if k == key]
        pos = mine.index(cnt - 1)
        start = max(0, pos - HISTORY)
        expected, taken, size = [], 0, 0
        for i in mine[start:pos]:
            expected.append(packets[i])
            size += len(packets[i][1])  # the byte cap counts the history too
        for i in mine[pos:]:
            if taken >= MAX_PACKETS or size >= MAX_BYTES:
                break
            expected.append(packets[i])
            taken += 1
            size += len(packets[i][1])
        if got != expected:
            diff = next((i for i, (a, b) in enumerate(zip(got, expected)) if a != b), min(len(got), len(expected)))
            problems.append(f"{name}: {len(got)} packets, expected {len(expected)} of the flow's {len(mine)} "
                            f"(alert at its packet {pos + 1}); first difference at packet {diff + 1}")
        checked += 1
    print(f"{len(first_alert)} alerting flows, {len(files)} pcaps, {checked} compared with the input")
    for p in problems:
        print(f"FAIL: {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
