#!/usr/bin/env python3
"""Cross-checks Vigil's flow records against tshark, conversation by conversation.

Runs `vigild replay` on one or more captures (or reads an existing eve.json), runs tshark once per
capture, and compares frames and bytes per direction for every (unordered endpoint pair, IP
protocol): TCP and UDP endpoints are address:port, every other protocol is compared per address
pair. Vigil's flows are summed per pair, which covers the cases where Vigil splits what tshark
keeps together (a 5-tuple reused after a timeout, the same 5-tuple on several VLANs: tshark's
conversation tables ignore VLANs).

Where the numbers come from (one tshark pass per capture, `-T fields` plus `-z conv,tcp -z conv,udp`):
  * Reference frames and bytes are the exact per-frame extraction (frame.len, frame.protocols and
    the address / port fields of every layer). tshark 4.0 prints conversation bytes with units
    ("99 kB"), so the conversation table alone cannot give exact byte counts.
  * The conversation tables are an independent check of that extraction: each table row must
    equal, in frames exactly and in bytes to the table's printed precision, the sum of the frames
    the extraction attributes to it the way tshark's TCP/UDP taps do (every TCP or UDP layer of a
    frame, tunnels included, except headers quoted inside ICMP errors). A disagreement means the
    extraction is wrong and stops the comparison.

Principled differences between what tshark's tables count and what Vigil counts, each modelled
exactly when building Vigil's expected numbers from the extraction:
  * IP fragments: tshark counts a reassembled datagram in the frame that completes it, with that
    frame's length only, and puts the other fragments in no TCP/UDP conversation. Vigil counts the
    rebuilt datagram once, with the sum of its fragments' wire lengths (the frames tshark lists in
    ip.fragment / ipv6.fragment). Fragments tshark never reassembles are expected in no flow.
  * Tunnels: tshark counts the inner conversations and the outer UDP ones (VXLAN, GTP, Teredo).
    Vigil decapsulates IP-in-IP (4, 41), GRE carrying IP, Ethernet (at most two VLAN tags) or PPP,
    and VXLAN to UDP port 4789, at most four nested, and counts the frame in the innermost IP
    packet's flow only; a tunnel whose payload is not IP (bridged ARP, PPP control, a PPTP
    acknowledgment) leaves the frame in the flow of the IP header that carries it, as do the UDP
    encapsulations Vigil does not open (GTP, Teredo, AYIYA, ...). A fifth nested tunnel is
    malformed (decoder.too_many_layers).
  * ICMP errors quoting a packet: tshark does not count the quoted TCP/UDP header. Vigil counts the
    error either in an ICMP flow between the error's own addresses or in the flow of the quoted
    packet; --icmp-errors names the policy (auto: whichever of the two matches exactly, reported).
  * Link layers Vigil does not decode (MPLS, LLC, more than two VLAN tags, ...): no flow.
  * IP length field 0, as captures taken with segmentation offload (TSO/GSO) record large
    segments: tshark presumes offload and takes the length from the frame; Vigil's decoder rejects
    the header (ipv4.iplen_smaller_than_hlen, or an empty IPv6 payload) and the frame is in no
    flow. These frames are found with a second, transport-less tshark pass filtering on the raw
    length bytes (ip[2:2] == 00:00, ipv6[4:2] == 00:00); they count as malformed (see below).
  * Packets Vigil rejects as malformed: a conversation may have fewer frames in Vigil only by
    frames tshark flags as malformed, cut short or in error in that direction, in a combination
    that gives exactly the missing frames and bytes; those, plus the frames expected rejected
    above (zero IP length, IP or TCP/UDP headers tshark cannot read), must not exceed the invalid
    packet count of Vigil's stats event (decoder.invalid).
Several captures given together are one replay (one timeline, as vigild replays them): the
conversations are compared over all of them. A damaged file (cut mid-record, corrupt record
header) is compared up to the damage, where tshark stops too, and vigild must exit non-zero with
an error naming it; vigild ends the replay there, so the files after it must yield no flow.
When this script runs vigild it replays damaged files last, so that all others are compared.

The reference does not depend on --io: with --io dpdk the packets come through DPDK's net_pcap
port, and vigild restores each record's wire length and timestamp from the file, so both paths
must give the same numbers.

Exit status: 0 all conversations match; 1 a difference (printed precisely); 2 usage or tool
failure; 77 tshark missing (CTest SKIP_RETURN_CODE). One summary line per capture file.
"""
import argparse
import collections
import functools
import gzip
import hashlib
import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

SKIP = 77
CACHE_VERSION = "1"

FIELDS = [
    "frame.number", "frame.len", "frame.cap_len", "frame.protocols",
    "ip.src", "ip.dst", "ip.proto", "ip.flags.mf", "ip.frag_offset",
    "ipv6.src", "ipv6.dst", "ipv6.nxt", "ipv6.fraghdr.more", "ipv6.fraghdr.offset",
    "ipv6.hopopts.nxt", "ipv6.routing.nxt", "ipv6.fraghdr.nxt", "ipv6.dstopts.nxt",
    "tcp.srcport", "tcp.dstport", "udp.srcport", "udp.dstport",
    "ip.fragment", "ipv6.fragment", "_ws.malformed", "_ws.short", "_ws.expert.severity",
]
SEP = "\x1f"  # aggregator between occurrences of a field
EXPERT_ERROR = 0x800000

# Link-layer tokens of frame.protocols that Vigil's decoder handles before the IP header.
VIGIL_LINK_TOKENS = {"eth", "ethertype", "vlan", "ieee8021ad", "sll", "null", "raw", "ppp",
                     "pppoes", "chdlc"}
VIGIL_MAX_VLANS = 2
# Tunnels Vigil decapsulates (docs/decoder.md): IP-in-IP, GRE carrying IP, Ethernet or PPP, VXLAN
# to UDP port 4789; at most this many nested.
VIGIL_MAX_TUNNELS = 4
VXLAN_PORT = 4789
# Tokens between a tunnel header and the inner IP header that Vigil walks (an Ethernet frame with
# at most two VLAN tags, PPPoE, PPP).
TUNNEL_LINK_TOKENS = {"eth", "ethertype", "vlan", "ieee8021ad", "pppoes", "ppp"}
IPV6_EXTENSION_TOKENS = {"ipv6.hopopts", "ipv6.routing", "ipv6.fraghdr", "ipv6.dstopts", "ah"}
IPV6_EXTENSION_NUMBERS = {0, 43, 44, 51, 60}
# tshark protocol tokens directly above IP, and their IP protocol numbers.
TOKEN_PROTO = {
    "tcp": 6, "udp": 17, "icmp": 1, "icmpv6": 58, "igmp": 2, "gre": 47, "esp": 50, "ip": 4,
    "ipv6": 41, "sctp": 132, "pim": 103, "vrrp": 112, "carp": 112, "ospf": 89, "eigrp": 88,
    "rsvp": 46, "l2tp": 115, "udplite": 136, "ipcomp": 108, "etherip": 97, "mobileip": 55,
}
# EVE protocol names (Suricata's, from /etc/protocols) to numbers; numbers pass through.
EVE_PROTO = {
    "TCP": 6, "UDP": 17, "ICMP": 1, "IPV6-ICMP": 58, "ICMPV6": 58, "IGMP": 2, "GRE": 47,
    "ESP": 50, "AH": 51, "IPIP": 4, "IPV4": 4, "IPV6": 41, "SCTP": 132, "PIM": 103, "VRRP": 112,
    "OSPF": 89, "OSPFIGP": 89, "EIGRP": 88, "RSVP": 46, "L2TP": 115, "UDPLITE": 136,
    "IPCOMP": 108, "ETHERIP": 97, "IPV6-NONXT": 59, "IPV6-FRAG": 44,
}
PORTED = {6, 17}
PROTO_TEXT = {6: "TCP", 17: "UDP", 1: "ICMP", 58: "IPv6-ICMP"}


class ToolError(Exception):
    pass


# ---------------------------------------------------------------------------------------------
# Endpoints and keys

@functools.lru_cache(maxsize=None)
def parse_ip(ip_text):
    ip = ipaddress.ip_address(ip_text)
    return ip.version, ip.packed


def endpoint(ip_text, port=None):
    version, packed = parse_ip(ip_text)
    return (version, packed, port)


def endpoint_text(ep):
    version, packed, port = ep
    ip = ipaddress.ip_address(packed)
    if port is None:
        return str(ip)
    return f"[{ip}]:{port}" if version == 6 else f"{ip}:{port}"


def conv_key(proto, a, b):
    """(proto, lower endpoint, higher endpoint): one key for both directions."""
    return (proto, a, b) if a <= b else (proto, b, a)


def key_text(key):
    proto, a, b = key
    return f"{PROTO_TEXT.get(proto, proto)} {endpoint_text(a)} <-> {endpoint_text(b)}"


class Tally:
    """Frames and bytes sent by each endpoint of conversations."""

    def __init__(self):
        self.data = collections.defaultdict(lambda: collections.defaultdict(lambda: [0, 0]))
        self.notes = collections.defaultdict(collections.Counter)

    def add(self, proto, src, dst, frames, nbytes, note=None):
        key = conv_key(proto, src, dst)
        cell = self.data[key][src]
        cell[0] += frames
        cell[1] += nbytes
        if note:
            self.notes[key][note] += 1

    def get(self, key, ep):
        cell = self.data.get(key, {}).get(ep)
        return (cell[0], cell[1]) if cell else (0, 0)


# ---------------------------------------------------------------------------------------------
# tshark

DAMAGE = re.compile(r"appears to be damaged or corrupt|cut short in the middle of a packet")


ZERO_LENGTH_FILTER = "ip[2:2] == 00:00 || ipv6[4:2] == 00:00"


def zero_length_frames(pcap):
    """Frames whose IP length field is 0 (offload captures). Transports are not dissected: only
    the outer IP headers matter and the pass is three times faster."""
    cmd = ["tshark", "-n", "-r", pcap, "-Y", ZERO_LENGTH_FILTER, "-T", "fields", "-e", "frame.number"]
    for proto in ("tcp", "udp", "icmp", "icmpv6", "gre"):
        cmd += ["--disable-protocol", proto]
    run = subprocess.run(cmd, capture_output=True, text=True, errors="replace")
    if run.returncode != 0 and not DAMAGE.search(run.stderr):
        raise ToolError(f"tshark failed on {pcap}: {run.stderr.strip()}")
    return [int(n) for n in run.stdout.split()]


def tshark_output(pcap, cache_dir):
    """Raw tshark text for a capture (fields, then the conversation tables), facts from other
    passes ({"damage": tshark's complaint about a damaged file, whose text then covers the packets
    before the damage; "zero_length": frame numbers}). Cached by file identity."""
    st = os.stat(pcap)
    tag = f"{CACHE_VERSION}|{os.path.abspath(pcap)}|{st.st_size}|{st.st_mtime_ns}"
    cache_file = None
    if cache_dir:
        os.makedirs(cache_dir, exist_ok=True)
        name = os.path.basename(pcap) + "." + hashlib.sha1(tag.encode()).hexdigest()[:16] + ".txt.gz"
        cache_file = os.path.join(cache_dir, name)
        if os.path.exists(cache_file):
            with gzip.open(cache_file, "rt", encoding="utf-8", errors="replace") as f:
                facts = json.loads(f.readline())
                return f.read(), facts
    cmd = ["tshark", "-n", "-r", pcap,
           "-o", "ip.defragment:TRUE", "-o", "ipv6.defragment:TRUE",
           "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=" + SEP]
    for f in FIELDS:
        cmd += ["-e", f]
    cmd += ["-z", "conv,tcp", "-z", "conv,udp"]
    run = subprocess.run(cmd, capture_output=True, text=True, errors="replace")
    damage = None
    if run.returncode != 0:
        complaint = [l for l in run.stderr.splitlines() if not l.startswith("Running as user")]
        if not DAMAGE.search(run.stderr):
            raise ToolError(f"tshark failed on {pcap}: {' '.join(complaint)}")
        damage = " ".join(complaint).replace("\n", " ")
    facts = {"damage": damage, "zero_length": zero_length_frames(pcap)}
    if cache_file:
        # Written under a temporary name and renamed: concurrent tests never read half a file.
        fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=".tmp-")
        with os.fdopen(fd, "wb") as raw, gzip.open(raw, "wt", encoding="utf-8") as f:
            f.write(json.dumps(facts) + "\n")
            f.write(run.stdout)
        os.replace(tmp, cache_file)
    return run.stdout, facts


COLUMN = {name: i for i, name in enumerate(FIELDS)}


class Frame:
    __slots__ = ("number", "wire_len", "cap_len", "tokens", "columns", "repeated", "suspect", "layers")

    def field(self, name):
        """All occurrences of a field, in layer order."""
        text = self.columns[COLUMN[name]]
        return text.split(SEP) if text else []


def parse_fields(lines):
    frames = []
    for line in lines:
        cols = line.split("\t")
        if len(cols) < len(FIELDS):
            cols += [""] * (len(FIELDS) - len(cols))
        fr = Frame()
        fr.columns = cols
        fr.repeated = SEP in line  # some field occurs more than once (tunnels, ICMP errors)
        fr.number = int(cols[COLUMN["frame.number"]])
        fr.wire_len = int(cols[COLUMN["frame.len"]])
        fr.cap_len = int(cols[COLUMN["frame.cap_len"]])
        protocols = cols[COLUMN["frame.protocols"]]
        fr.tokens = protocols.split(":") if protocols else []
        severities = [int(s) for s in fr.field("_ws.expert.severity") if s]
        # Frames tshark could not dissect whole: malformed, cut short, or an error-level item.
        fr.suspect = (bool(cols[COLUMN["_ws.malformed"]]) or bool(cols[COLUMN["_ws.short"]])
                      or any(s >= EXPERT_ERROR for s in severities))
        fr.layers = frame_layers(fr)
        frames.append(fr)
    return frames


ROW = re.compile(
    r"^(\S+)\s+<->\s+(\S+)\s+(\d+)\s+([\d,]+)\s+(bytes|kB|MB|GB)\s+(\d+)\s+([\d,]+)\s+(bytes|kB|MB|GB)"
    r"\s+(\d+)\s+([\d,]+)\s+(bytes|kB|MB|GB)\s")
UNIT = {"bytes": 1, "kB": 1000, "MB": 1000 ** 2, "GB": 1000 ** 3}


def split_host_port(text):
    host, _, port = text.rpartition(":")
    return endpoint(host, int(port))


def parse_conv_tables(lines):
    """Rows of `-z conv,tcp` / `-z conv,udp` as (proto, a, b, frames b->a, bytes b->a (value,
    unit), frames a->b, bytes a->b)."""
    rows = []
    proto = None
    for line in lines:
        if line.startswith("TCP Conversations"):
            proto = 6
        elif line.startswith("UDP Conversations"):
            proto = 17
        m = ROW.match(line)
        if m and proto:
            a, b = split_host_port(m.group(1)), split_host_port(m.group(2))
            rows.append((proto, a, b,
                         int(m.group(3)), (int(m.group(4).replace(",", "")), UNIT[m.group(5)]),
                         int(m.group(6)), (int(m.group(7).replace(",", "")), UNIT[m.group(8)])))
    return rows


def run_reference(pcap, cache_dir):
    text, facts = tshark_output(pcap, cache_dir)
    lines = text.splitlines()
    split = len(lines)
    for i, line in enumerate(lines):
        if line.startswith("=" * 20):
            split = i
            break
    return parse_fields(lines[:split]), parse_conv_tables(lines[split:]), facts


# ---------------------------------------------------------------------------------------------
# Layers of one frame

class Layer:
    __slots__ = ("token", "src", "dst", "number", "ports", "fragment")

    def __init__(self, token):
        self.token = token
        self.src = self.dst = self.number = self.ports = self.fragment = None


def frame_layers(fr):
    """The frame's layers in order, with the addresses / ports each one carries. Field lists hold
    one entry per occurrence of the layer, in order, so a running index per field maps them."""
    cols = fr.columns
    used = {}
    layers = []
    if fr.repeated:
        split = {}

        def take(name):
            values = split.get(name)
            if values is None:
                values = split[name] = fr.field(name)
            i = used.get(name, 0)
            used[name] = i + 1
            return values[i] if i < len(values) else ""
    else:
        def take(name):  # every field occurs at most once: no splitting needed
            if name in used:
                return ""
            used[name] = 1
            return cols[COLUMN[name]]

    for tok in fr.tokens:
        layer = Layer(tok)
        if tok == "ip":
            layer.src, layer.dst = take("ip.src"), take("ip.dst")
            layer.number = int(take("ip.proto") or 0)
            mf, off = take("ip.flags.mf"), take("ip.frag_offset")
            layer.fragment = (mf in ("1", "True")) or (off not in ("", "0"))
        elif tok == "ipv6":
            layer.src, layer.dst = take("ipv6.src"), take("ipv6.dst")
            layer.number = int(take("ipv6.nxt") or 0)
            layer.fragment = False
        elif tok == "ipv6.fraghdr":
            more, off = take("ipv6.fraghdr.more"), take("ipv6.fraghdr.offset")
            layer.fragment = (more in ("1", "True")) or (off not in ("", "0"))
            layer.number = int(take("ipv6.fraghdr.nxt") or 0)
        elif tok in ("ipv6.hopopts", "ipv6.routing", "ipv6.dstopts"):
            layer.number = int(take(tok + ".nxt") or 0)
        elif tok == "tcp":
            layer.ports = (int(take("tcp.srcport")), int(take("tcp.dstport")))
        elif tok == "udp":
            layer.ports = (int(take("udp.srcport")), int(take("udp.dstport")))
        if tok in ("ip", "ipv6") and not layer.src:
            layer.src = layer.dst = None  # a header tshark rejected (bogus version or length)
        layers.append(layer)
    return layers


def tunnel_inner_ip(layers, j, number):
    """The index of the inner IP layer when the layer at j (protocol `number` above an IP header)
    is a tunnel Vigil decapsulates down to an IP packet; None otherwise (the outer packet stands)."""
    if j >= len(layers):
        return None
    if number in (4, 41):
        return j if layers[j].token in ("ip", "ipv6") else None
    if number == 47 and layers[j].token == "gre":
        k = j + 1
    elif (number == 17 and layers[j].token == "udp" and layers[j].ports
          and layers[j].ports[1] == VXLAN_PORT and j + 2 < len(layers)
          and layers[j + 1].token == "vxlan" and layers[j + 2].token == "eth"):
        k = j + 2
    else:
        return None
    tags = 0
    while k < len(layers) and layers[k].token in TUNNEL_LINK_TOKENS:
        tags += layers[k].token in ("vlan", "ieee8021ad")
        k += 1
    if k < len(layers) and layers[k].token in ("ip", "ipv6") and tags <= VIGIL_MAX_VLANS:
        return k
    return None


def upper_protocol(layers, i):
    """The layer above IP layer i (skipping IPv6 extension headers) and its protocol number."""
    ip = layers[i]
    j = i + 1
    fragment = ip.fragment
    number = ip.number  # IPv4 protocol, or the next header of the last IPv6 header walked
    while j < len(layers) and layers[j].token in IPV6_EXTENSION_TOKENS:
        if layers[j].token == "ipv6.fraghdr" and layers[j].fragment:
            fragment = True
        if layers[j].number is not None:
            number = layers[j].number
        j += 1
    nxt = layers[j] if j < len(layers) else None
    if nxt is not None and nxt.token in TOKEN_PROTO:
        return j, TOKEN_PROTO[nxt.token], fragment
    if ip.token == "ipv6" and number in IPV6_EXTENSION_NUMBERS:
        number = None  # behind an extension header tshark did not name
    return j, number, fragment


# ---------------------------------------------------------------------------------------------
# What tshark's conversation tables count, and the check against them

def tshark_style_tally(frames):
    t = Tally()
    for fr in frames:
        layers = fr.layers
        in_error = False
        last_ip = None
        for layer in layers:
            if layer.token in ("icmp", "icmpv6"):
                in_error = True  # anything after an ICMP header is a quoted packet
            elif layer.token in ("ip", "ipv6"):
                last_ip = layer
            elif layer.token in ("tcp", "udp") and last_ip is not None and last_ip.src and not in_error:
                proto = TOKEN_PROTO[layer.token]
                t.add(proto, endpoint(last_ip.src, layer.ports[0]), endpoint(last_ip.dst, layer.ports[1]),
                      1, fr.wire_len)
    return t


def check_extraction(rows, tally):
    """The per-frame extraction must reproduce tshark's own conversation tables: frames exactly,
    bytes within the printed precision (tshark 4.0 truncates to whole kB / MB / GB)."""
    table = {}  # (key, sender) -> [frames, least bytes, most bytes]
    for proto, a, b, f_ba, (v_ba, u_ba), f_ab, (v_ab, u_ab) in rows:
        for src, dst, frames, shown, unit in ((b, a, f_ba, v_ba, u_ba), (a, b, f_ab, v_ab, u_ab)):
            cell = table.setdefault((conv_key(proto, src, dst), src), [0, 0, 0])
            cell[0] += frames
            cell[1] += shown * unit
            cell[2] += shown * unit + unit - 1
    problems = []
    cells = set(table) | {(key, ep) for key in tally.data for ep in (key[1], key[2])}
    for key, ep in sorted(cells):
        frames, least, most = table.get((key, ep), (0, 0, 0))
        xf, xb = tally.get(key, ep)
        if frames != xf or not least <= xb <= most:
            shown = str(least) if least == most else f"{least}..{most}"
            problems.append(f"{key_text(key)} from {endpoint_text(ep)}: conversation table {frames} "
                            f"frames {shown} bytes, per-frame extraction {xf} frames {xb} bytes")
    return problems


# ---------------------------------------------------------------------------------------------
# What Vigil is expected to count

class Expectation:
    def __init__(self):
        self.tally = Tally()               # frames no principled question hangs over
        self.icmp_errors = []              # (own (proto, src, dst), quoted (proto, src, dst), bytes,
                                           #  tshark flagged it)
        self.suspects = collections.defaultdict(list)  # key -> [(src endpoint, bytes)]
        self.absent_malformed = 0          # frames expected in no flow because Vigil rejects them
        self.skipped_link = 0              # frames on link layers Vigil does not decode


def expect_vigil(frames, zero_length):
    exp = Expectation()
    zero_length = set(zero_length)
    by_number = {fr.number: fr for fr in frames}
    for fr in frames:
        layers = fr.layers
        first_ip = next((i for i, l in enumerate(layers) if l.token in ("ip", "ipv6")), None)
        if first_ip is None:
            continue
        link = [l.token for l in layers[:first_ip]]
        if any(t not in VIGIL_LINK_TOKENS for t in link) or link.count("vlan") > VIGIL_MAX_VLANS:
            exp.skipped_link += 1
            continue
        if fr.number in zero_length:
            exp.absent_malformed += 1
            continue
        # Down the tunnels Vigil opens to the innermost IP packet: its flow is the packet's.
        ip_index = first_ip
        nbytes = fr.wire_len
        note = None
        depth = 0
        outcome = None  # "malformed", "incomplete fragment", or None for a packet to count
        while True:
            ip = layers[ip_index]
            if ip.src is None:
                outcome = "malformed"  # an IP header tshark rejects is malformed for Vigil too
                break
            j, number, fragment = upper_protocol(layers, ip_index)
            if fragment:
                listed = fr.field("ip.fragment" if ip.token == "ip" else "ipv6.fragment")
                if not listed:
                    outcome = "incomplete fragment"
                    break
                nbytes = 0
                for n in listed:
                    nbytes += by_number[int(n)].wire_len
                note = "reassembled datagram"
            inner = tunnel_inner_ip(layers, j, number)
            if inner is None:
                break
            if depth == VIGIL_MAX_TUNNELS:
                outcome = "malformed"  # decoder.too_many_layers
                break
            depth += 1
            ip_index = inner
        if outcome == "malformed":
            exp.absent_malformed += 1
            continue
        if outcome == "incomplete fragment":
            continue  # a fragment not completing a datagram: counted with the datagram, if any
        if depth:
            note = note or "tunnelled"
        if number is None:
            raise ToolError(f"frame {fr.number}: cannot tell the protocol above {ip.token}")
        upper = layers[j] if j < len(layers) else None
        if number in PORTED and upper is not None and upper.ports:
            src, dst = endpoint(ip.src, upper.ports[0]), endpoint(ip.dst, upper.ports[1])
        elif number in PORTED:
            # TCP/UDP header tshark could not read (cut or bogus): Vigil rejects it too.
            exp.absent_malformed += 1
            continue
        else:
            src, dst = endpoint(ip.src), endpoint(ip.dst)
        if number in (1, 58):
            quoted_ip = next((l for l in layers[j + 1:] if l.token in ("ip", "ipv6")), None)
            if quoted_ip is not None and quoted_ip.src is not None:
                qi = layers.index(quoted_ip)
                qj, qnumber, _ = upper_protocol(layers, qi)
                qupper = layers[qj] if qj < len(layers) else None
                if qnumber in PORTED and qupper is not None and qupper.ports:
                    qsrc, qdst = endpoint(quoted_ip.src, qupper.ports[0]), endpoint(quoted_ip.dst, qupper.ports[1])
                else:
                    qsrc, qdst = endpoint(quoted_ip.src), endpoint(quoted_ip.dst)
                # The error travels back towards the quoted packet's sender: it is sent "by" the
                # quoted destination as far as the quoted flow is concerned.
                exp.icmp_errors.append(((number, src, dst), (qnumber, qdst, qsrc), nbytes, fr.suspect))
                continue
        if fr.suspect:
            exp.suspects[conv_key(number, src, dst)].append((src, nbytes))
        exp.tally.add(number, src, dst, 1, nbytes, note)
    return exp


def with_icmp_policy(exp, policy):
    t = Tally()
    for key, eps in exp.tally.data.items():
        for ep, (frames, nbytes) in eps.items():
            other = key[2] if ep == key[1] else key[1]
            t.add(key[0], ep, other, frames, nbytes)
        t.notes[key].update(exp.tally.notes[key])
    suspects = collections.defaultdict(list, {k: list(v) for k, v in exp.suspects.items()})
    for own, quoted, nbytes, suspect in exp.icmp_errors:
        proto, src, dst = own if policy == "own-flow" else quoted
        t.add(proto, src, dst, 1, nbytes, "ICMP error")
        if suspect:
            suspects[conv_key(proto, src, dst)].append((src, nbytes))
    return t, suspects


# ---------------------------------------------------------------------------------------------
# What Vigil counted

def read_eve(path):
    t = Tally()
    stats = None
    flows = 0
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                ev = json.loads(line)
            except json.JSONDecodeError as e:
                raise ToolError(f"{path}:{lineno}: not JSON: {e}")
            kind = ev.get("event_type")
            if kind == "stats":
                stats = ev.get("stats", {})
            if kind != "flow":
                continue
            flows += 1
            proto_field = str(ev["proto"])
            proto = int(proto_field) if proto_field.isdigit() else EVE_PROTO.get(proto_field.upper())
            if proto is None:
                raise ToolError(f"{path}:{lineno}: unknown protocol name {proto_field!r}")
            ported = proto in PORTED
            src = endpoint(ev["src_ip"], ev.get("src_port") if ported else None)
            dst = endpoint(ev["dest_ip"], ev.get("dest_port") if ported else None)
            fl = ev["flow"]
            t.add(proto, src, dst, fl["pkts_toserver"], fl["bytes_toserver"])
            t.add(proto, dst, src, fl["pkts_toclient"], fl["bytes_toclient"])
    return t, stats, flows


def malformed_count(stats):
    """Packets Vigil's decoder rejected, from the stats event (Suricata's decoder.invalid)."""
    if not stats:
        return None
    decoder = stats.get("decoder", {})
    for name in ("invalid", "malformed"):
        if isinstance(decoder.get(name), int):
            return decoder[name]
    return None


# ---------------------------------------------------------------------------------------------
# Comparison

def explained_by_suspects(missing_frames, missing_bytes, candidates):
    """Whether exactly `missing_frames` of the candidate frame sizes sum to `missing_bytes`
    (subset sum, on whichever side is smaller: the frames missing or the frames kept). None when
    the smaller side is too large to decide in reasonable time."""
    m = len(candidates)
    if not 0 <= missing_frames <= m:
        return False
    k, target = missing_frames, missing_bytes
    if m - k < k:
        k, target = m - k, sum(candidates) - missing_bytes
    if target < 0:
        return False
    if k == 0:
        return target == 0
    if len(set(candidates)) == 1:
        return target == k * candidates[0]
    if k > 100:
        return None
    limit = (1 << (target + 1)) - 1
    reach = [1] + [0] * k  # reach[n]: bit b set when some n candidates sum to b bytes
    for size in candidates:
        for n in range(k - 1, -1, -1):
            if reach[n]:
                reach[n + 1] |= (reach[n] << size) & limit
    return bool(reach[k] >> target & 1)


def compare(expected, suspects, actual, malformed_budget, expected_rejected):
    """Returns ([(key or None, difference)], conversations compared, frames explained as
    malformed). `expected_rejected` frames are already known to be malformed for Vigil."""
    diffs = []
    explained = 0
    keys = sorted(set(expected.data) | set(actual.data))
    for key in keys:
        for ep in (key[1], key[2]):
            ef, eb = expected.get(key, ep)
            af, ab = actual.get(key, ep)
            if (ef, eb) == (af, ab):
                continue
            candidates = [n for src, n in suspects.get(key, []) if src == ep]
            verdict = explained_by_suspects(ef - af, eb - ab, candidates) if af < ef else False
            if verdict:
                explained += ef - af
                continue
            notes = ", ".join(f"{n} {what}" for what, n in sorted(expected.notes[key].items()))
            if verdict is None:
                notes = (notes + ", " if notes else "") + "too many malformed candidates to decide"
            diffs.append((key, f"{key_text(key)} from {endpoint_text(ep)}: tshark-derived {ef} "
                               f"frames {eb} bytes, vigil {af} frames {ab} bytes"
                               + (f" ({notes})" if notes else "")))
    rejected = explained + expected_rejected
    if rejected and (malformed_budget is None or rejected > malformed_budget):
        diffs.append((None, f"{explained} frames missing as malformed and {expected_rejected} expected "
                            f"rejected, but vigil's stats count {malformed_budget} invalid packets"))
    return diffs, len(keys), explained


def run_vigild(vigild, pcaps, io, workdir, damaged):
    """Runs the replay. With damaged inputs vigild must fail, name each damaged file in an error
    line, and still write what it read before the damage (the reference covers the same part)."""
    out = os.path.join(workdir, "out")
    shutil.rmtree(out, ignore_errors=True)
    cmd = [vigild, "replay", "--out", out, "--io", io]
    for p in pcaps:
        cmd += ["--pcap", p]
    run = subprocess.run(cmd, capture_output=True, text=True, errors="replace")
    if damaged:
        if run.returncode == 0:
            raise ToolError(f"vigild replay succeeded on damaged input ({', '.join(damaged)})")
        for p in damaged:
            if p not in run.stderr:
                raise ToolError(f"vigild's errors do not name the damaged file {p}: {run.stderr.strip()}")
    elif run.returncode != 0:
        raise ToolError(f"vigild replay failed ({run.returncode}): {run.stderr.strip()}")
    eve = os.path.join(out, "eve.json")
    if not os.path.exists(eve):
        raise ToolError(f"vigild replay wrote no {eve}")
    return eve


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pcap", action="append", required=True, help="capture (repeatable: one replay)")
    ap.add_argument("--vigild", help="vigild binary to run")
    ap.add_argument("--eve", help="compare this eve.json instead of running vigild")
    ap.add_argument("--io", choices=("pcap", "dpdk"), default="pcap")
    ap.add_argument("--workdir", help="where vigild writes (default: a temporary directory)")
    ap.add_argument("--cache-dir", help="keep tshark's output here, keyed by file identity")
    ap.add_argument("--icmp-errors", choices=("auto", "own-flow", "quoted-flow"), default="auto",
                    help="where Vigil counts ICMP errors (see the module documentation)")
    ap.add_argument("--reference-only", action="store_true",
                    help="only run tshark (fills --cache-dir) and check the extraction")
    args = ap.parse_args()

    if shutil.which("tshark") is None:
        print("SKIPPED: tshark is not installed")
        return SKIP
    if not args.reference_only and not (args.vigild or args.eve):
        ap.error("--vigild or --eve is needed")
    for p in args.pcap:
        if not os.path.exists(p):
            print(f"{p}: no such capture", file=sys.stderr)
            return 2

    try:
        references = {p: run_reference(p, args.cache_dir) for p in args.pcap}
        order = list(args.pcap)
        if not args.eve:
            order.sort(key=lambda p: references[p][2]["damage"] is not None)  # stable
        exps = []
        damaged = []
        not_replayed = []
        for p in order:
            if damaged:
                not_replayed.append(p)  # vigild ends the replay at the first damaged file
                continue
            frames, rows, facts = references[p]
            damage = facts["damage"]
            if damage:
                damaged.append(p)
                print(f"{os.path.basename(p)}: damaged ({damage}); comparing the {len(frames)} "
                      f"frames before the damage")
            problems = check_extraction(rows, tshark_style_tally(frames))
            if problems:
                print(f"{p}: the per-frame extraction does not reproduce tshark's conversation tables:")
                for line in problems[:40]:
                    print("  " + line)
                return 2
            exps.append((p, expect_vigil(frames, facts["zero_length"]), len(rows)))
        if args.reference_only:
            for p, exp, nrows in exps:
                print(f"{os.path.basename(p)}: reference ready ({nrows} tshark conversations, "
                      f"extraction consistent)")
            return 0

        if args.eve:
            eve = args.eve
        else:
            workdir = args.workdir or tempfile.mkdtemp(prefix="vigil-replay-")
            os.makedirs(workdir, exist_ok=True)
            eve = run_vigild(args.vigild, order, args.io, workdir, damaged)
        actual, stats, nflows = read_eve(eve)
        budget = malformed_count(stats)

        # Each policy is an exact model; "auto" takes the first that matches, else reports the
        # one with fewer differences.
        policies = ["own-flow", "quoted-flow"] if args.icmp_errors == "auto" else [args.icmp_errors]
        best = None
        for policy in policies:
            expected = Tally()
            suspects = collections.defaultdict(list)
            for _, exp, _ in exps:
                t, s = with_icmp_policy(exp, policy)
                for key, eps in t.data.items():
                    for ep, (fcount, bcount) in eps.items():
                        other = key[2] if ep == key[1] else key[1]
                        expected.add(key[0], ep, other, fcount, bcount)
                    expected.notes[key].update(t.notes[key])
                for key, v in s.items():
                    suspects[key].extend(v)
            rejected = sum(exp.absent_malformed for _, exp, _ in exps)
            result = (policy,) + compare(expected, suspects, actual, budget, rejected)
            if best is None or len(result[1]) < len(best[1]):
                best = result
            if not result[1]:
                break
        policy, diffs, compared, explained = best
        bad_keys = {key for key, _ in diffs}

        for p in not_replayed:
            print(f"{os.path.basename(p)}: not replayed (the replay ends at the damaged "
                  f"{os.path.basename(damaged[0])})")
        for p, exp, _ in exps:
            keys = set(with_icmp_policy(exp, policy)[0].data)
            extra = []
            if exp.skipped_link:
                extra.append(f"{exp.skipped_link} frames on links vigil does not decode")
            if exp.absent_malformed:
                extra.append(f"{exp.absent_malformed} frames expected rejected")
            print(f"{os.path.basename(p)}: {len(keys)} conversations compared, "
                  f"{len(keys - bad_keys)} matched (io {args.io}"
                  + (f"; {'; '.join(extra)}" if extra else "") + ")")
        n_errors = sum(len(exp.icmp_errors) for _, exp, _ in exps)
        summary = (f"total: {len(args.pcap)} file(s), {nflows} vigil flows, {compared} conversations, "
                   f"{len(diffs)} difference(s)")
        if n_errors:
            summary += f"; {n_errors} ICMP errors counted as {policy}"
        if explained:
            summary += f"; {explained} frames missing as malformed (stats: {budget})"
        print(summary)
        if diffs:
            print("differences (tshark-derived -> vigil):")
            for _, d in diffs[:200]:
                print("  " + d)
            if len(diffs) > 200:
                print(f"  ... and {len(diffs) - 200} more")
            return 1
        return 0
    except ToolError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
