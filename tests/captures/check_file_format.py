#!/usr/bin/env python3
"""Checks the generated captures at the file-format level, reading pcap headers directly (no
libpcap, no tshark): each file's link type, timestamp resolution and snap length, record
boundaries, the sizes docs/captures.md promises, and that the edge-case files are broken exactly
as intended (truncated mid-record, not a capture at all, empty)."""
import argparse
import os
import struct
import sys

MICRO, NANO = 0xA1B2C3D4, 0xA1B23C4D

# file -> (link type, nanosecond resolution)
EXPECTED = {
    "demo.pcap": (1, False),
    "mixed.pcap": (1, True),
    "snapped.pcap": (1, False),
    "link-null.pcap": (0, False),
    "link-loop.pcap": (108, False),
    "link-raw.pcap": (101, False),
    "link-ipv4.pcap": (228, False),
    "link-ipv6.pcap": (229, False),
    "link-sll.pcap": (113, False),
    "link-sll2.pcap": (276, True),
    "link-ppp.pcap": (9, False),
    "link-chdlc.pcap": (104, False),
    "tunnels.pcap": (1, False),
}


def read_records(path):
    """(header fields, [(caplen, wire_len)], bytes left over after the last whole record)."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        raise ValueError(f"{len(data)} bytes: no pcap file header")
    # libpcap writes in the writer's byte order; the magic tells which.
    order = "<" if struct.unpack_from("<I", data, 0)[0] in (MICRO, NANO) else ">"
    magic, major, minor, _, _, snaplen, linktype = struct.unpack_from(order + "IHHiIII", data, 0)
    if magic not in (MICRO, NANO):
        raise ValueError(f"magic {magic:#x} is not a pcap magic")
    header = {"nano": magic == NANO, "version": (major, minor), "snaplen": snaplen, "linktype": linktype}
    records = []
    off = 24
    while off + 16 <= len(data):
        _, sub, caplen, wire = struct.unpack_from(order + "IIII", data, off)
        if sub >= (1_000_000_000 if header["nano"] else 1_000_000):
            raise ValueError(f"record {len(records) + 1}: sub-second field {sub} out of range")
        if off + 16 + caplen > len(data):
            break
        records.append((caplen, wire))
        off += 16 + caplen
    return header, records, len(data) - off


def check(dirpath):
    problems = []

    def fail(name, msg):
        problems.append(f"{name}: {msg}")

    for name, (linktype, nano) in EXPECTED.items():
        path = os.path.join(dirpath, name)
        try:
            header, records, leftover = read_records(path)
        except (OSError, ValueError) as e:
            fail(name, str(e))
            continue
        if header["version"] != (2, 4):
            fail(name, f"version {header['version']}, expected 2.4")
        if header["linktype"] != linktype:
            fail(name, f"link type {header['linktype']}, expected {linktype}")
        if header["nano"] != nano:
            fail(name, f"{'nano' if header['nano'] else 'micro'}second timestamps, expected the other")
        if leftover:
            fail(name, f"{leftover} bytes after the last whole record")
        if any(c > w or c > header["snaplen"] for c, w in records):
            fail(name, "a record has caplen above its wire length or the snap length")
        if linktype == 1 and any(w < 60 for _, w in records):
            fail(name, "an Ethernet frame shorter than the 60-byte minimum (padding missing)")
        print(f"{name}: link type {linktype}, {len(records)} records, snaplen {header['snaplen']}")

    _, demo, _ = read_records(os.path.join(dirpath, "demo.pcap"))
    if not 200 <= len(demo) <= 600:
        fail("demo.pcap", f"{len(demo)} packets, expected 200..600")
    mixed = os.path.join(dirpath, "mixed.pcap")
    _, records, _ = read_records(mixed)
    if len(records) < 200_000 or os.path.getsize(mixed) >= 100 * 1000 * 1000:
        fail("mixed.pcap", f"{len(records)} packets, {os.path.getsize(mixed)} bytes: expected >= 200000 packets, < 100 MB")

    header, records, _ = read_records(os.path.join(dirpath, "snapped.pcap"))
    if header["snaplen"] != 96 or not any(c < w for c, w in records):
        fail("snapped.pcap", "expected snap length 96 with some packets cut")

    try:
        _, records, leftover = read_records(os.path.join(dirpath, "truncated.pcap"))
        if leftover <= 16:
            fail("truncated.pcap", "does not end inside a record's data")
        elif not records:
            fail("truncated.pcap", "has no whole record before the cut")
    except ValueError as e:
        fail("truncated.pcap", str(e))

    with open(os.path.join(dirpath, "notapcap.pcap"), "rb") as f:
        head = f.read(4)
    if len(head) < 4 or struct.unpack("<I", head)[0] in (MICRO, NANO, 0x0A0D0D0A) or \
            struct.unpack(">I", head)[0] in (MICRO, NANO):
        fail("notapcap.pcap", "starts like a capture file")
    if os.path.getsize(os.path.join(dirpath, "empty.pcap")) != 0:
        fail("empty.pcap", "is not empty")

    for p in problems:
        print("FAIL " + p)
    return 1 if problems else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("captures_dir")
    return check(ap.parse_args().captures_dir)


if __name__ == "__main__":
    sys.exit(main())
