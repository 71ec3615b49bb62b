#!/usr/bin/env python3
"""Cross-checks Vigil's app-layer EVE records (http, dns, tls) against tshark, flow by flow.

Runs `vigild replay` on one or more captures (or reads an existing eve.json), runs tshark on the
same captures, and compares, per conversation (transport and unordered endpoint pair, as
compare_conversations.py keys them), the multisets of

  http.uri   the request target as sent     EVE http.url          tshark http.request.uri
  http.host  the Host header, normalized    EVE http.hostname     tshark http.host (normalized)
  dns.query  each question of each query    EVE dns "query"       tshark dns.qry.name of messages
             message, over UDP and TCP      events' rrname        with dns.flags.response == 0
  tls.sni    the ClientHello's server_name  EVE tls.sni           tshark tls.handshake.
                                                                  extensions_server_name

Keying by endpoint pair sums the flows Vigil splits and tshark keeps together (a 5-tuple reused
after a close or a timeout, the same 5-tuple on several VLANs), on both sides alike.

Making tshark see what Vigil sees
---------------------------------
Vigil names a flow's protocol by content on any port; tshark picks dissectors by port and
heuristics. So the script:
 1. runs tshark once per capture (default dissectors, out-of-order TCP reassembly, IP
    defragmentation) for per-frame TCP/UDP facts (flags, raw sequence numbers, window, window
    scale, the first PAYLOAD_KEEP bytes of each datagram and of each segment near its stream's
    start, captured payload lengths) and the app-layer fields;
 2. replays, per 5-tuple, what Vigil's dataplane does with those frames: its flow table (a new
    flow after an idle timeout of the flow's state, Suricata's flow-timeouts; for TCP also on a
    bare SYN once closed or in time_wait), its TCP tracker with `stream.midstream: false` (the
    states and checks of dataplane/flow/tcp_tracker.cpp: which segments' bytes reach the stream),
    and its protocol detection (dataplane/app/app_detect.cpp and AppLayer::detect_tcp /
    on_datagram): on TCP, each time a direction's in-order stream grows, probes on its start in
    the order DNS-if-port-53, HTTP, TLS, SSH, SMTP, FTP, DNS, the start kept up to 512 bytes while
    a probe wants more, a direction giving up when all say no; on UDP, every datagram probed with
    the DNS probe until one passes (the flow is DNS from that datagram on) or both directions
    have failed. The probes are written again here from Vigil's rules (http_probe, tls_probe,
    dns_probe), so a change there shows up as a difference;
 3. for flows so classified HTTP, TLS or DNS where tshark dissected no such layer (DNS-shaped
    NBNS on 137, DNS on 8053, TLS on a port tshark gives to another dissector), runs tshark again
    with `-d tcp.port==P,proto` / `-d udp.port==P,dns` for their server ports and takes those
    flows' frames from that run (one more run per port needing two protocols).
tshark's values are then expected from Vigil only in frames its model accepts, in flows of the
value's protocol.

Principled differences, each modelled exactly and reported by name with its count (values tshark
shows that Vigil must not log; there is no tolerance):
  * no-handshake: a TCP flow without SYN or SYN-ACK is never tracked (stream.midstream off, as
    `vigild replay` runs with Suricata's defaults); tshark dissects it anyway.
  * tcp-<anomaly>: a segment Vigil's tracker rejects (after-close: after a plausible RST;
    handshake anomalies, invalid RSTs are ignored as Vigil ignores them): its bytes never reach
    the stream.
  * other-protocol: the value's protocol differs from the flow's detected one: TLS after
    STARTTLS / AUTH TLS (flow detected SMTP / FTP, not parsed), inside an HTTP CONNECT tunnel or a
    SOCKS exchange, DNS-looking garbage to port 53 that fails the probe, ...
  * before-detection: a UDP datagram before the first one passing the DNS probe (an mDNS
    announcement with no question, then queries on the same flow).
  * http-over-udp: SSDP (HTTP over UDP): Vigil's HTTP parser runs on TCP streams only.
  * tls-second-hello: Vigil logs one tls record per flow (the first ClientHello's SNI); a
    second ClientHello of the flow (HelloRetryRequest, renegotiation) is not logged again.
  * icmp-quote: headers quoted in an ICMP error; tshark dissects the quoted DNS query.
  * tunnel-not-opened: app data inside a UDP encapsulation Vigil does not open (GTP, Teredo,
    AYIYA, ...: anything but VXLAN on 4789; docs/decoder.md).
  * stream-start-missing: a TCP direction whose first bytes were never captured: Vigil's
    detection never sees a start, the flow stays unknown.
  * probe-gave-up: bytes of a TCP direction that failed every probe before the other direction
    named the flow are dropped, never parsed (a UPnP NOTIFY request, not in Vigil's method list,
    answered by "HTTP/1.1 200": the flow is HTTP from the response on, the request is lost; a DNS
    query with trailing bytes after its question, then a response that passes).
  * snap-cut: an HTTP line cut by the capture's snap length: tshark shows the partial value
    (a Host header "www.exam"), Vigil's parser never sees the line end.
And one difference in the other direction, taken from tshark too:
  * body-incomplete: tshark (http.desegment_body) dissects a request only once its body is
    complete, so a request whose body never arrives is never shown; Vigil logs it at flow end.
    For HTTP flows where the client sent bytes after the last frame showing a request, the
    requests that a run without body reassembly (-o http.desegment_body:FALSE) shows after that
    frame are expected too (counted in the summary).
The detection model is itself checked: the flows it finds per protocol must equal the counters
of Vigil's stats event (app_layer.flow.http, .tls, .dns_tcp, .dns_udp, .ssh, .smtp, .ftp).
Normalizations (both sides compared as bytes):
  * EVE strings are written byte by byte (JsonText: \\u00XX for bytes outside printable ASCII),
    so a code point U+0000..U+00FF is that byte.
  * http.host: Vigil's `hostname` is the first Host value (cut at the first ','; repeated Host
    headers are joined with ", "), trimmed, cut at the first ':' (an IPv6 literal keeps its
    brackets), ASCII lower-cased; without a Host header, from an absolute-form target's authority
    (userinfo dropped). tshark's http.host is the header as sent, so it is normalized the same
    way, or derived from http.request.uri for requests without Host.
  * dns.query: tshark prints the root name "<Root>", Vigil "<root>". Vigil writes label octets
    outside printable ASCII as \\xhh; tshark's text for them is lossy (invalid UTF-8 shown as
    U+FFFD, control characters escaped), so for frames with such names the names are rebuilt from
    the DNS message bytes tshark located (-T json -x, dns_raw) with Vigil's escaping.

Several captures are one timeline in one replay; captures overlapping in time are replayed
apart (Vigil's clock only moves forward). Exit status: 0 every category agrees in every
conversation; 1 a difference (summary per category, the rules used, then the first differences
with the frames tshark saw them in); 2 usage or tool failure; 77 a capture or tshark missing
(CTest SKIP_RETURN_CODE).
"""
import argparse
import collections
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
CACHE_VERSION = "app3"
SEP = "\x1f"
# Payload bytes kept for the probes: of each UDP datagram, and of each TCP segment that starts
# within the first PAYLOAD_KEEP bytes of its direction (tshark's relative sequence number). The
# DNS probe walks the whole question section, which fits (names are at most 255 octets).
PAYLOAD_KEEP = 600

FIELDS = [
    "frame.number", "frame.time_epoch", "frame.protocols",
    "ip.src", "ip.dst", "ipv6.src", "ipv6.dst",
    "tcp.stream", "tcp.srcport", "tcp.dstport", "tcp.flags", "tcp.seq_raw", "tcp.ack_raw",
    "tcp.len", "tcp.payload", "tcp.seq", "tcp.window_size_value", "tcp.options.wscale.shift",
    "udp.stream", "udp.srcport", "udp.dstport", "udp.payload", "udp.length",
    "http.request.method", "http.request.uri", "http.host",
    "dns.flags.response", "dns.flags.opcode", "dns.count.queries", "dns.count.zones",
    "dns.qry.name", "frame.len", "frame.cap_len",
    "tls.handshake.type", "tls.handshake.extensions_server_name",
    "_ws.malformed",
]
COL = {name: i for i, name in enumerate(FIELDS)}
PAYLOAD_COLS = (COL["tcp.payload"], COL["udp.payload"])

CATEGORIES = ("http.uri", "http.host", "dns.query", "tls.sni")
CATEGORY_PROTO = {"http.uri": "http", "http.host": "http", "dns.query": "dns", "tls.sni": "tls"}
# frame.protocols tokens that show tshark dissected a conversation as the protocol.
PROTO_TOKENS = {"http": {"http"}, "tls": {"tls", "ssl"}, "dns": {"dns", "mdns", "llmnr"}}

# Vigil's TCP idle timeouts (dataplane/flow/flow_table.h, Suricata's flow-timeouts).
TCP_TIMEOUT_NEW = 60.0
TCP_TIMEOUT_ESTABLISHED = 600.0
TCP_TIMEOUT_CLOSED = 60.0

TH_FIN, TH_SYN, TH_RST, TH_ACK = 0x01, 0x02, 0x04, 0x10

RULES = {
    "no-handshake": "TCP flow without SYN/SYN-ACK: never tracked (stream.midstream off)",
    "after-close": "TCP segment after Vigil's tracker closed the flow (a plausible RST)",
    "other-protocol": "flow whose stream start Vigil's probes put in another class (or none)",
    "http-over-udp": "HTTP over UDP (SSDP): Vigil's HTTP parser runs on TCP streams only",
    "before-detection": "UDP datagram before the first one passing Vigil's DNS probe",
    "probe-gave-up": "TCP bytes of a direction that failed every probe before the other named the flow",
    "snap-cut": "HTTP line cut by the snap length: tshark shows the partial line, Vigil no line",
    "tls-second-hello": "second ClientHello of a flow: Vigil logs one tls record per flow",
    "icmp-quote": "quoted inside an ICMP error",
    "tunnel-not-opened": "inside a UDP tunnel Vigil does not open",
    "stream-start-missing": "a TCP stream's first bytes not captured: flow not classified",
}


def rule_text(rule):
    if rule.startswith("tcp-"):
        return f"segment Vigil's TCP tracker rejects ({rule[4:]}): its bytes never reach the stream"
    return RULES.get(rule, rule)


class ToolError(Exception):
    pass


# ---------------------------------------------------------------------------------------------
# tshark

DAMAGE = re.compile(r"appears to be damaged or corrupt|cut short in the middle of a packet")


CAPLEN_COLS = (len(FIELDS), len(FIELDS) + 1)  # added: captured TCP / UDP payload bytes


def truncate_payloads(line):
    """The innermost payloads cut to what the probes need, and their captured lengths kept in
    two added columns (Vigil's parsers get the captured bytes, which a snap length can cut)."""
    cols = line.rstrip("\n").split("\t")
    if len(cols) < len(FIELDS):
        cols += [""] * (len(FIELDS) - len(cols))
    caplens = []
    for c in PAYLOAD_COLS:
        full = cols[c].split(SEP)[-1] if cols[c] else ""
        caplens.append(str(len(full) // 2) if full else "")
        # Last occurrence only (the innermost layer); tunnels carry the outer one first.
        cols[c] = full[:2 * PAYLOAD_KEEP]
    rel = COL["tcp.seq"]
    if cols[rel]:
        seq = cols[rel].split(SEP)[-1]
        if not seq.isdigit() or int(seq) > PAYLOAD_KEEP:
            cols[COL["tcp.payload"]] = ""
    return "\t".join(cols[:len(FIELDS)] + caplens)


def tshark_frames(pcap, cache_dir, decode_as=(), body=True):
    """tshark's per-frame fields for a capture (payloads cut to PAYLOAD_KEEP bytes) and its
    complaint about a damaged file (None). body=False: HTTP bodies not reassembled (a request
    is dissected once its headers are complete). Cached by file identity and options."""
    st = os.stat(pcap)
    tag = (f"{CACHE_VERSION}|{os.path.abspath(pcap)}|{st.st_size}|{st.st_mtime_ns}|{' '.join(decode_as)}"
           f"|{','.join(FIELDS)}|{PAYLOAD_KEEP}|{body}")
    cache_file = None
    if cache_dir:
        os.makedirs(cache_dir, exist_ok=True)
        name = os.path.basename(pcap) + ".app." + hashlib.sha1(tag.encode()).hexdigest()[:16] + ".txt.gz"
        cache_file = os.path.join(cache_dir, name)
        if os.path.exists(cache_file):
            with gzip.open(cache_file, "rt", encoding="utf-8", errors="surrogateescape") as f:
                facts = json.loads(f.readline())
                return f.read().splitlines(), facts["damage"]
    cmd = ["tshark", "-n", "-r", pcap,
           "-o", "tcp.desegment_tcp_streams:TRUE", "-o", "tcp.reassemble_out_of_order:TRUE",
           "-o", "http.desegment_headers:TRUE",
           "-o", "tls.desegment_ssl_records:TRUE", "-o", "tls.desegment_ssl_application_data:TRUE",
           "-o", "dns.desegment_dns_messages:TRUE",
           "-o", "ip.defragment:TRUE", "-o", "ipv6.defragment:TRUE",
           "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=" + SEP]
    cmd += ["-o", f"http.desegment_body:{'TRUE' if body else 'FALSE'}"]
    for d in decode_as:
        cmd += ["-d", d]
    for f in FIELDS:
        cmd += ["-e", f]
    errf = tempfile.TemporaryFile()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=errf, text=True, encoding="utf-8",
                            errors="surrogateescape")
    lines = [truncate_payloads(line) for line in proc.stdout]
    proc.wait()
    errf.seek(0)
    stderr = errf.read().decode("utf-8", "replace")
    damage = None
    if proc.returncode != 0:
        complaint = [l for l in stderr.splitlines() if not l.startswith("Running as user")]
        if not DAMAGE.search(stderr):
            raise ToolError(f"tshark failed on {pcap}: {' '.join(complaint)}")
        damage = " ".join(complaint)
    if cache_file:
        fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=".tmp-")
        with os.fdopen(fd, "wb") as raw, gzip.open(raw, "wt", encoding="utf-8",
                                                  errors="surrogateescape") as f:
            f.write(json.dumps({"damage": damage}) + "\n")
            for l in lines:
                f.write(l + "\n")
        os.replace(tmp, cache_file)
    return lines, damage


def occ(cols, name):
    text = cols[COL[name]] if COL[name] < len(cols) else ""
    return text.split(SEP) if text else []


def last(cols, name):
    v = occ(cols, name)
    return v[-1] if v else ""


# ---------------------------------------------------------------------------------------------
# Frames and conversations

def norm_ip(text):
    return str(ipaddress.ip_address(text))


def endpoint_text(ep):
    ip, port = ep
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def conv_key(proto, a, b):
    return (proto, a, b) if a <= b else (proto, b, a)


def key_text(key):
    proto, a, b = key
    return f"{proto} {endpoint_text(a)} <-> {endpoint_text(b)}"


class Frame:
    __slots__ = ("number", "time", "transport", "stream", "src", "dst", "flags", "seq", "ack",
                 "length", "caplen", "payload", "exclusion", "tokens", "values", "malformed",
                 "window", "wscale", "status", "app", "cut")


def transport_of(tokens):
    """(index of the innermost tcp/udp token, exclusion rule or None). ICMP errors quote
    transport headers after an icmp token; UDP encapsulations other than VXLAN are not opened."""
    t = None
    for i, tok in enumerate(tokens):
        if tok in ("tcp", "udp"):
            t = i
    if t is None:
        return None, None
    if any(tok in ("icmp", "icmpv6") for tok in tokens[:t]):
        return t, "icmp-quote"
    for i in range(t):
        if tokens[i] == "udp" and "vxlan" not in tokens[i + 1:t]:
            return t, "tunnel-not-opened"
    return t, None


def innermost_addresses(cols, tokens, t):
    fam = None
    for tok in tokens[:t]:
        if tok in ("ip", "ipv6"):
            fam = tok
    if fam is None:
        return None
    src, dst = last(cols, fam + ".src"), last(cols, fam + ".dst")
    if not src or not dst:
        return None
    return norm_ip(src), norm_ip(dst)


def split_requests(cols):
    """[(uri, first Host value or None, or "?" when unknown)] of the frame's HTTP requests, and
    hosts that cannot be paired with a request (several requests, some without Host or with
    several Host headers)."""
    uris = occ(cols, "http.request.uri")
    hosts = occ(cols, "http.host")
    if len(uris) == 1:
        return [(uris[0], hosts[0] if hosts else None)], []
    if len(uris) == len(hosts):
        return list(zip(uris, hosts)), []
    return [(u, "?") for u in uris], hosts


def dns_queries(cols):
    """Names of the question sections of the frame's query messages (one frame may hold several
    TCP DNS messages: each owns dns.count.queries names, or dns.count.zones for an UPDATE
    (opcode 5), whose question section tshark calls the zone section)."""
    responses = occ(cols, "dns.flags.response")
    opcodes = occ(cols, "dns.flags.opcode")
    queries = occ(cols, "dns.count.queries")
    zones = occ(cols, "dns.count.zones")
    names = occ(cols, "dns.qry.name")
    out = []
    i = 0
    for m, resp in enumerate(responses):
        counts = zones if m < len(opcodes) and opcodes[m] == "5" else queries
        # Messages of one kind take their counts in order.
        kind_index = sum(1 for k in range(m) if (k < len(opcodes) and opcodes[k] == "5")
                         == (m < len(opcodes) and opcodes[m] == "5"))
        n = int(counts[kind_index]) if kind_index < len(counts) and counts[kind_index].isdigit() else 0
        own = names[i:i + n]
        i += n
        if resp in ("0", "False", "false"):
            out.extend(own)
    return out


def tls_snis(cols):
    """SNI of each ClientHello in the frame (handshake type 1)."""
    types = occ(cols, "tls.handshake.type")
    names = occ(cols, "tls.handshake.extensions_server_name")
    hellos = types.count("1")
    return names[:hellos] if hellos else names


def parse_frames(lines, span=None):
    """Frames with a TCP or UDP layer; span (a list) gets [first, last] capture time."""
    frames = []
    for line in lines:
        cols = line.split("\t")
        if len(cols) < len(FIELDS) + 2:
            cols += [""] * (len(FIELDS) + 2 - len(cols))
        fr = Frame()
        fr.number = int(cols[COL["frame.number"]])
        fr.time = float(cols[COL["frame.time_epoch"]] or 0)
        if span is not None:
            if not span:
                span += [fr.time, fr.time]
            span[0], span[1] = min(span[0], fr.time), max(span[1], fr.time)
        fr.tokens = cols[COL["frame.protocols"]].split(":") if cols[COL["frame.protocols"]] else []
        fr.malformed = bool(cols[COL["_ws.malformed"]])
        fr.transport = None
        fr.exclusion = None
        fr.values = {}
        fr.status = None
        fr.app = None
        flen, fcap = cols[COL["frame.len"]], cols[COL["frame.cap_len"]]
        fr.cut = bool(flen and fcap and int(fcap) < int(flen))
        t, excl = transport_of(fr.tokens)
        if t is None:
            continue
        addrs = innermost_addresses(cols, fr.tokens, t)
        if addrs is None:
            continue
        proto = fr.tokens[t]
        fr.exclusion = excl
        fr.transport = proto.upper()
        pfx = proto + "."
        stream = last(cols, pfx + "stream")
        sport, dport = last(cols, pfx + "srcport"), last(cols, pfx + "dstport")
        if not stream or not sport or not dport:
            continue
        fr.stream = int(stream)
        fr.src, fr.dst = (addrs[0], int(sport)), (addrs[1], int(dport))
        payload = last(cols, pfx + "payload")
        fr.payload = bytes.fromhex(payload[:2 * PAYLOAD_KEEP]) if payload else b""
        caplen = cols[CAPLEN_COLS[0] if proto == "tcp" else CAPLEN_COLS[1]]
        fr.caplen = int(caplen) if caplen else 0
        if proto == "tcp":
            fr.flags = int(last(cols, "tcp.flags") or "0", 16)
            fr.seq = int(last(cols, "tcp.seq_raw") or 0)
            fr.ack = int(last(cols, "tcp.ack_raw") or 0)
            fr.length = int(last(cols, "tcp.len") or 0)
            fr.window = int(last(cols, "tcp.window_size_value") or 0)
            ws = last(cols, "tcp.options.wscale.shift")
            fr.wscale = int(ws) if ws.isdigit() else None
        else:
            fr.flags = fr.seq = fr.ack = 0
            fr.window, fr.wscale = 0, None
            ulen = last(cols, "udp.length")
            fr.length = int(ulen) - 8 if ulen.isdigit() and int(ulen) >= 8 else len(fr.payload)
        reqs, loose_hosts = split_requests(cols)
        if reqs:
            fr.values["http"] = (reqs, loose_hosts)
        q = dns_queries(cols)
        if q:
            fr.values["dns"] = q
        s = tls_snis(cols)
        if s:
            fr.values["tls"] = s
        frames.append(fr)
    return frames


class Conversation:
    """One flow as Vigil's flow table forms it (see vigil_flows)."""

    def __init__(self, transport, index):
        self.transport = transport
        self.stream = index
        self.frames = []
        self.cls = None          # "http", "tls", "dns", "unknown"
        self.why = None          # a rule name when the whole flow is excluded
        self.client = self.server = None
        self.tokens = set()
        self.starts = (b"", b"")
        self.stream_init = {}    # endpoint -> first sequence number of its stream (TCP)
        self.lost = set()

    @property
    def key(self):
        return conv_key(self.transport, self.client, self.server)


# --- Vigil's TCP tracker (dataplane/flow/tcp_tracker.cpp), for which segments reach the stream.

def seq_lt(a, b):
    d = (a - b) & 0xFFFFFFFF
    return d >= 0x80000000


def seq_gt(a, b):
    return seq_lt(b, a)


NONE, SYN_SENT, SYN_RECV, ESTABLISHED, FIN_WAIT1, FIN_WAIT2, TIME_WAIT, LAST_ACK, CLOSE_WAIT, \
    CLOSING, CLOSED = range(11)
NEW_STATES = (NONE, SYN_SENT, SYN_RECV)
CLOSED_STATES = (LAST_ACK, TIME_WAIT, CLOSED)
MAX_WSCALE = 14


class Peer:
    __slots__ = ("isn", "next_seq", "last_ack", "window", "wscale", "isn_known", "seq_known",
                 "ack_known", "syn_acked", "wscale_set", "fin_sent", "fin_acked")

    def __init__(self):
        self.isn = self.next_seq = self.last_ack = self.window = self.wscale = 0
        self.isn_known = self.seq_known = self.ack_known = self.syn_acked = False
        self.wscale_set = self.fin_sent = self.fin_acked = False


class TcpModel:
    """The states and checks of Vigil's tracker with stream.midstream off. track() returns None
    when the segment is accepted (its payload goes to the stream), else the anomaly's name."""

    def __init__(self, client, conv):
        self.state = NONE
        self.client = client
        self.conv = conv
        self.peer = {}
        self.wscale_on = False
        self.simultaneous = False
        self.fin_seq = {}

    def _peers(self, fr):
        snd = self.peer.setdefault(fr.src, Peer())
        rcv = self.peer.setdefault(fr.dst, Peer())
        return snd, rcv

    def note_syn(self, fr, snd):
        snd.isn = fr.seq
        snd.next_seq = (fr.seq + 1 + fr.length) & 0xFFFFFFFF
        snd.window = fr.window
        snd.isn_known = snd.seq_known = True
        snd.wscale_set = False
        snd.wscale = 0
        if fr.wscale is not None:
            snd.wscale = min(fr.wscale, MAX_WSCALE)
            snd.wscale_set = True
        self.conv.stream_init[fr.src] = (fr.seq + 1) & 0xFFFFFFFF

    def negotiate(self):
        ps = list(self.peer.values())
        if len(ps) == 2 and ps[0].wscale_set and ps[1].wscale_set:
            self.wscale_on = True
        else:
            self.wscale_on = False
            for pe in ps:
                pe.wscale = 0

    def note_ack(self, fr, snd):
        if not snd.ack_known or seq_gt(fr.ack, snd.last_ack):
            snd.last_ack = fr.ack
        shift = snd.wscale if (not fr.flags & TH_SYN and self.wscale_on) else 0
        snd.window = fr.window << shift
        snd.ack_known = True

    def note_segment(self, fr, snd):
        end = (fr.seq + fr.length + (1 if fr.flags & TH_FIN else 0)) & 0xFFFFFFFF
        if not snd.seq_known or seq_gt(end, snd.next_seq):
            snd.next_seq = end
        snd.seq_known = True
        if fr.flags & TH_ACK:
            self.note_ack(fr, snd)

    def rst_plausible(self, fr, snd, rcv):
        if self.state == SYN_SENT and fr.src != self.client:
            return bool(fr.flags & TH_ACK) and rcv.isn_known and (
                fr.ack == (rcv.isn + 1) & 0xFFFFFFFF or fr.ack == rcv.next_seq)
        if rcv.ack_known:
            wnd = rcv.window or 1
            if (fr.seq - rcv.last_ack) & 0xFFFFFFFF < wnd:
                return True
        return snd.seq_known and fr.seq == snd.next_seq

    def on_rst(self, fr, snd, rcv):
        if not self.rst_plausible(fr, snd, rcv):
            return "invalid_rst"
        self.state = CLOSED
        return None

    def track(self, fr):
        snd, rcv = self._peers(fr)
        syn, ack, rst, fin = (bool(fr.flags & TH_SYN), bool(fr.flags & TH_ACK),
                              bool(fr.flags & TH_RST), bool(fr.flags & TH_FIN))
        st = self.state
        if st == NONE:
            if rst:
                return "rst_but_no_session"
            if syn and not ack:
                self.client = fr.src
                self.note_syn(fr, snd)
                self.state = SYN_SENT
                return None
            if syn and ack:
                self.client = fr.dst
                self.note_syn(fr, snd)
                rcv.isn = (fr.ack - 1) & 0xFFFFFFFF
                rcv.next_seq = fr.ack
                rcv.isn_known = rcv.seq_known = rcv.syn_acked = True
                self.conv.stream_init[fr.dst] = fr.ack
                if snd.wscale_set:
                    self.wscale_on = True
                    rcv.wscale = MAX_WSCALE
                    rcv.wscale_set = True
                self.note_ack(fr, snd)
                self.state = SYN_RECV
                return None
            return "midstream_disabled"
        if st == SYN_SENT:
            if rst:
                return self.on_rst(fr, snd, rcv)
            if fr.src == self.client:
                if syn and not ack:
                    if fr.seq == snd.isn:
                        return None
                    self.note_syn(fr, snd)
                    return None
                return "handshake_unexpected"
            if syn and ack:
                if fr.ack != (rcv.isn + 1) & 0xFFFFFFFF and fr.ack != rcv.next_seq:
                    return "synack_bad_ack"
                self.note_syn(fr, snd)
                rcv.syn_acked = True
                self.negotiate()
                self.note_ack(fr, snd)
                self.state = SYN_RECV
                return None
            if syn:
                self.note_syn(fr, snd)
                self.negotiate()
                self.simultaneous = True
                self.state = SYN_RECV
                return None
            return "handshake_unexpected"
        if st == SYN_RECV:
            if rst:
                return self.on_rst(fr, snd, rcv)
            if syn and not ack:
                if snd.isn_known and fr.seq == snd.isn:
                    return None
                return "syn_resend_diff_seq"
            if syn:
                if not self.simultaneous:
                    if fr.src == self.client:
                        return "handshake_wrong_dir"
                    if fr.seq != snd.isn:
                        return "synack_resend_diff_seq"
                    return None
                if fr.seq != snd.isn:
                    return "synack_resend_diff_seq"
                if not self.acks_receiver_syn(fr, rcv):
                    return "synack_bad_ack"
                rcv.syn_acked = True
                self.note_ack(fr, snd)
                if self.both_acked():
                    self.state = ESTABLISHED
                return None
            if not ack:
                return "pkt_without_ack"
            if not self.simultaneous and fr.src != self.client:
                return "handshake_wrong_dir"
            if not rcv.syn_acked:
                if not self.acks_receiver_syn(fr, rcv):
                    return "handshake_bad_ack"
                rcv.syn_acked = True
            if not self.both_acked():
                self.note_segment(fr, snd)
                return None
            self.state = ESTABLISHED
            return self.on_open(fr, snd, rcv)
        if st == CLOSED:
            return "pkt_on_closed"
        return self.on_open(fr, snd, rcv)

    def acks_receiver_syn(self, fr, rcv):
        return bool(fr.flags & TH_ACK) and rcv.isn_known and \
            not seq_lt(fr.ack, (rcv.isn + 1) & 0xFFFFFFFF) and not seq_gt(fr.ack, rcv.next_seq)

    def both_acked(self):
        return len(self.peer) == 2 and all(p.syn_acked for p in self.peer.values())

    def on_open(self, fr, snd, rcv):
        if fr.flags & TH_RST:
            return self.on_rst(fr, snd, rcv)
        if fr.flags & TH_SYN:
            return "syn_on_established"
        if not fr.flags & TH_ACK:
            return "pkt_without_ack"
        self.note_segment(fr, snd)
        if rcv.fin_sent and not rcv.fin_acked and \
                not seq_lt(fr.ack, (self.fin_seq[fr.dst] + 1) & 0xFFFFFFFF):
            rcv.fin_acked = True
        new_fin = False
        if fr.flags & TH_FIN and not snd.fin_sent:
            snd.fin_sent = True
            self.fin_seq[fr.src] = (fr.seq + fr.length) & 0xFFFFFFFF
            new_fin = True
        from_client = fr.src == self.client
        cl = self.peer.get(self.client, Peer())
        sv = rcv if from_client else snd
        st = self.state
        if st == ESTABLISHED:
            if new_fin:
                self.state = FIN_WAIT1 if from_client else CLOSE_WAIT
        elif st == FIN_WAIT1:
            if not from_client:
                if new_fin:
                    self.state = TIME_WAIT if cl.fin_acked else CLOSING
                elif cl.fin_acked:
                    self.state = FIN_WAIT2
        elif st == FIN_WAIT2:
            if not from_client and new_fin:
                self.state = TIME_WAIT
        elif st == CLOSE_WAIT:
            if from_client and new_fin:
                self.state = LAST_ACK
        elif st == CLOSING:
            if cl.fin_acked and sv.fin_acked:
                self.state = TIME_WAIT
        elif st == LAST_ACK:
            if not from_client and cl.fin_acked:
                self.state = CLOSED
        elif st == TIME_WAIT:
            if from_client and sv.fin_acked:
                self.state = CLOSED
        return None

    def timeout(self):
        if self.state in NEW_STATES:
            return TCP_TIMEOUT_NEW
        if self.state in CLOSED_STATES:
            return TCP_TIMEOUT_CLOSED
        return TCP_TIMEOUT_ESTABLISHED


UDP_TIMEOUT_NEW = 30.0
UDP_TIMEOUT_ESTABLISHED = 300.0

ANOMALY_RULE = {"midstream_disabled": "no-handshake", "pkt_on_closed": "after-close"}


def vigil_flows(frames):
    """Frames grouped into the flows Vigil's flow table makes of them: per 5-tuple, a new flow
    after an idle timeout (by the flow's state) and, for TCP, on a bare SYN once the flow is
    closed or in time_wait. Each TCP frame gets status None (its bytes reach the stream) or the
    rule that explains why not."""
    by_tuple = collections.defaultdict(list)
    for fr in frames:
        if fr.exclusion:
            continue  # quoted or tunnelled headers: not a flow Vigil sees
        by_tuple[(fr.transport,) + tuple(sorted((fr.src, fr.dst)))].append(fr)
    convs = {}
    for tup, frs in by_tuple.items():
        transport = tup[0]
        conv = model = None
        last_time = 0.0
        seen = set()
        for fr in frs:
            new = conv is None
            if not new:
                if transport == "TCP":
                    limit = model.timeout()
                else:
                    limit = UDP_TIMEOUT_ESTABLISHED if len(seen) == 2 else UDP_TIMEOUT_NEW
                if fr.time - last_time > limit:
                    new = True
                elif transport == "TCP" and fr.flags & (TH_SYN | TH_ACK | TH_RST) == TH_SYN \
                        and model.state in (CLOSED, TIME_WAIT):
                    new = True
            if new:
                conv = Conversation(transport, len(convs))
                conv.client, conv.server = fr.src, fr.dst
                convs[(transport, conv.stream)] = conv
                model = TcpModel(fr.src, conv) if transport == "TCP" else None
                seen = set()
            conv.frames.append(fr)
            conv.tokens.update(fr.tokens)
            seen.add(fr.src)
            last_time = max(last_time, fr.time)
            if model is not None:
                why = model.track(fr)
                fr.status = ANOMALY_RULE.get(why, f"tcp-{why}") if why else None
                if model.client != conv.client:
                    conv.client = model.client
                    conv.server = fr.dst if fr.src == model.client else fr.src
    return convs


# ---------------------------------------------------------------------------------------------
# Probes: the same decisions as Vigil's (dataplane/app/http/http_parser.cpp http_probe,
# dataplane/app/tls/tls_probe.cpp tls_probe, dataplane/app/dns/dns_probe.cpp dns_probe), written
# again here from their documented rules so that a change there shows up as a difference.

HTTP_METHODS = (b"GET", b"POST", b"HEAD", b"PUT", b"DELETE", b"OPTIONS", b"TRACE", b"CONNECT",
                b"PATCH", b"PROPFIND", b"PROPPATCH", b"MKCOL", b"COPY", b"MOVE", b"LOCK",
                b"UNLOCK", b"SEARCH", b"NOTIFY", b"SUBSCRIBE", b"UNSUBSCRIBE", b"M-SEARCH")


def http_probe(b, to_server):
    """'yes', 'no' or 'more'. Leading CR/LF are skipped; a request starts with a known method
    (any case) then SP or HT; a response with "HTTP/" (any case)."""
    b = b.lstrip(b"\r\n")
    if not b:
        return "more"
    if not to_server:
        n = min(len(b), 5)
        if b[:n].upper() != b"HTTP/"[:n]:
            return "no"
        return "more" if n < 5 else "yes"
    more = False
    for m in HTTP_METHODS:
        n = min(len(b), len(m))
        if b[:n].upper() != m[:n]:
            continue
        if len(b) <= len(m):
            more = True
            continue
        if b[len(m)] in (0x20, 0x09):
            return "yes"
    return "more" if more else "no"


TLS_MAX_RECORD = (1 << 14) + 2048


def tls_probe(b, to_server):
    if not b:
        return "more"
    if b[0] & 0x80:
        # SSLv2 record: 2-byte header, CLIENT-HELLO (1) or SERVER-HELLO (4), then a version.
        if len(b) < 3:
            return "more"
        length = (b[0] & 0x7F) << 8 | b[1]
        if b[2] != (1 if to_server else 4):
            return "no"
        if length < (9 if to_server else 11):
            return "no"
        if len(b) < (5 if to_server else 7):
            return "more"
        at = 3 if to_server else 5
        version = b[at] << 8 | b[at + 1]
        return "yes" if version == 2 or 0x0300 <= version <= 0x0304 else "no"
    if b[0] != 22:
        return "no"
    if len(b) < 2:
        return "more"
    if b[1] != 3:
        return "no"
    if len(b) < 3:
        return "more"
    if b[2] > 4:
        return "no"
    if len(b) < 5:
        return "more"
    length = b[3] << 8 | b[4]
    if length < 4 or length > TLS_MAX_RECORD:
        return "no"
    if len(b) < 6:
        return "more"
    return "yes" if b[5] == (1 if to_server else 2) else "no"


DNS_MAX_NAME = 255
DNS_MAX_JUMPS = 16


def dns_walk_name(msg, pos):
    """(end offset after the name where it sits, error or None), as Vigil's walk_name: a
    pointer must go strictly backwards, before the run of labels it ends; bounded jumps."""
    end = None
    run_start = pos
    octets = 0
    jumps = 0
    while True:
        if pos >= len(msg):
            return None, "truncated"
        c = msg[pos]
        if c == 0:
            return (end if end is not None else pos + 1), None
        if c & 0xC0 == 0xC0:
            if pos + 1 >= len(msg):
                return None, "truncated"
            target = (c & 0x3F) << 8 | msg[pos + 1]
            if end is None:
                end = pos + 2
            if target > pos or target >= len(msg):
                return None, "forward"
            if target >= run_start:
                return None, "loop"
            jumps += 1
            if jumps > DNS_MAX_JUMPS:
                return None, "loop"
            pos = run_start = target
            continue
        if c & 0xC0:
            return None, "label_too_long"
        octets += 1 + c
        if octets + 1 > DNS_MAX_NAME:
            return None, "too_long"
        if c + 1 > len(msg) - pos:
            return None, "truncated"
        pos += 1 + c


def dns_probe(payload, tcp, length=None, trailing_ok=False):
    """payload: the bytes the probe is given (a datagram, or a TCP stream start with its length
    prefix); length: the datagram's length when payload was cut by this script; trailing_ok:
    bytes after the questions are tolerated (port 53)."""
    if tcp:
        if len(payload) < 2:
            return False
        length = payload[0] << 8 | payload[1]
        msg = payload[2:2 + min(length, len(payload) - 2)]
    else:
        msg = payload
        length = len(payload) if length is None else length
    if length < 12 + 5 or len(msg) < 12:
        return False
    flags = msg[2] << 8 | msg[3]
    response = bool(flags & 0x8000)
    opcode = (flags >> 11) & 0xF
    rcode = flags & 0xF
    if opcode == 3 or opcode > 6:
        return False
    if not response and rcode != 0:
        return False
    qd = msg[4] << 8 | msg[5]
    records = (msg[6] << 8 | msg[7]) + (msg[8] << 8 | msg[9]) + (msg[10] << 8 | msg[11])
    if qd == 0 or qd > 16:
        return False
    if 12 + qd * 5 + records * 11 > length:
        return False
    pos = 12
    for _ in range(qd):
        end, err = dns_walk_name(msg, pos)
        if err:
            return False
        if len(msg) - end < 4:
            return False
        qtype = msg[end] << 8 | msg[end + 1]
        qclass = (msg[end + 2] << 8 | msg[end + 3]) & 0x7FFF
        if qtype == 0 or qclass not in (1, 3, 4, 254, 255):
            return False
        pos = end + 4
    if records == 0:
        return pos == length or trailing_ok
    return length - pos >= records * 11


def dns_name_text(msg, pos):
    """The name at pos as Vigil writes it (printable ASCII as is, other octets as \\xhh,
    labels joined by dots), or None."""
    labels = []
    run_start = pos
    jumps = 0
    while pos < len(msg):
        c = msg[pos]
        if c == 0:
            return ".".join(labels)
        if c & 0xC0 == 0xC0:
            if pos + 1 >= len(msg):
                return None
            target = (c & 0x3F) << 8 | msg[pos + 1]
            if target > pos or target >= run_start or jumps >= DNS_MAX_JUMPS:
                return None
            jumps += 1
            pos = run_start = target
            continue
        if c & 0xC0 or pos + 1 + c > len(msg):
            return None
        labels.append("".join(chr(o) if 0x20 <= o <= 0x7E else f"\\x{o:02x}"
                              for o in msg[pos + 1:pos + 1 + c]))
        pos += 1 + c
    return None


# ---------------------------------------------------------------------------------------------
# What Vigil should see

PROBE_BYTES = 512  # Vigil keeps this much of a direction's start while the probes want more


def word_probe(b, words, nocase):
    verdict = "no"
    for w in words:
        n = min(len(b), len(w))
        head = b[:n].upper() if nocase else b[:n]
        if head != w[:n]:
            continue
        if n == len(w):
            return "yes"
        verdict = "more"
    return verdict


def probe_dns_tcp(b, size, port_53):
    """b: the kept start (at most PAYLOAD_KEEP bytes of it), size: its real length."""
    if size >= 2 and (b[0] << 8 | b[1]) < 12 + 5:
        return "no"
    if size < 2 + 12:
        return "more"
    length = b[0] << 8 | b[1]
    opcode = (b[4] >> 3) & 0xF
    qd = b[6] << 8 | b[7]
    if opcode == 3 or opcode > 6 or qd == 0 or qd > 16:
        return "no"
    if size < 2 + length:
        return "more" if size < PROBE_BYTES else "no"
    return "yes" if dns_probe(b, True, trailing_ok=port_53) else "no"


def probe_stream(b, size, to_server, server_port):
    """Vigil's probe_stream (dataplane/app/app_detect.cpp): the first candidate saying yes, in
    the order DNS (first only when the server port is 53), HTTP, TLS, SSH, SMTP, FTP, DNS.
    Returns (class or None, need more)."""
    if not size:
        return None, True
    dns_first = server_port == 53
    candidates = [
        ("dns", probe_dns_tcp(b, size, True) if dns_first else "no"),
        ("http", http_probe(b, to_server)),
        ("tls", tls_probe(b, to_server)),
        ("ssh", word_probe(b, [b"SSH-"], False)),
        ("smtp", word_probe(b, [b"EHLO ", b"HELO ", b"EHLO\r", b"HELO\r"], True) if to_server else "no"),
        ("ftp", word_probe(b, [b"USER ", b"AUTH TLS", b"AUTH SSL", b"FEAT\r"], True) if to_server else "no"),
        ("dns", "no" if dns_first else probe_dns_tcp(b, size, False)),
    ]
    more = False
    for proto, v in candidates:
        if v == "yes":
            return proto, False
        more |= v == "more"
    return None, more


def classify_tcp(c):
    """Vigil's detection on a TCP flow (AppLayer::detect_tcp), replayed on the segments its
    tracker accepts, in capture order: each time a direction's in-order stream grows, the
    probes run on its start (kept up to 512 bytes while they want more); the first match names
    the flow; a direction where all say no gives up, and with both, the flow."""
    c.cls = "unknown"
    if not c.stream_init:
        c.why = "no-handshake"
        return
    pending = {ep: {} for ep in (c.client, c.server)}
    prefix = {ep: bytearray() for ep in (c.client, c.server)}
    size = {ep: 0 for ep in (c.client, c.server)}      # real bytes delivered in order
    nxt = dict(c.stream_init)
    gave_up = set()
    holes = set()
    delivered = {ep: [] for ep in (c.client, c.server)}
    c.lost = set()  # frames whose bytes Vigil dropped: their direction had given up probing
    for f in c.frames:
        if f.status is not None or not f.caplen or f.src not in nxt:
            continue
        d = f.src
        seq = (f.seq + 1) & 0xFFFFFFFF if f.flags & TH_SYN else f.seq
        off = (seq - nxt[d]) & 0xFFFFFFFF
        data_len, data = f.caplen, f.payload
        if off >= 1 << 31:  # starts before what was delivered: only the new tail counts
            skip = (nxt[d] - seq) & 0xFFFFFFFF
            if skip >= data_len:
                continue
            data, data_len, seq = data[skip:], data_len - skip, nxt[d]
            off = 0
        pending[d].setdefault(seq, (data, data_len))
        grew = False
        while nxt[d] in pending[d]:
            data, data_len = pending[d].pop(nxt[d])
            if len(prefix[d]) == size[d]:
                prefix[d] += data[:max(0, PAYLOAD_KEEP - len(prefix[d]))]
            size[d] += data_len
            nxt[d] = (nxt[d] + data_len) & 0xFFFFFFFF
            grew = True
        if pending[d] and not grew:
            holes.add(d)
        if not grew:
            continue
        delivered[d].append(f.number)
        if d in gave_up:
            c.lost.add(f.number)
            continue
        proto, more = probe_stream(bytes(prefix[d]), size[d], d == c.client, c.server[1])
        if proto:
            c.cls = proto
            c.detected_at = f.number
            break
        if not (more and size[d] < PROBE_BYTES):
            gave_up.add(d)
            c.lost.update(delivered[d])
            if len(gave_up) == 2:
                break
    c.starts = (bytes(prefix[c.client]), bytes(prefix[c.server]))
    if c.cls == "unknown" and holes - gave_up:
        c.why_start = "stream-start-missing"


def classify_udp(c):
    """Vigil's detection on a UDP flow (AppLayer::on_datagram): each datagram with payload is
    probed (dns_probe on the captured bytes) until one passes, or both directions have had one
    that does not. The flow is DNS from the datagram that passed: each frame's `app` says
    whether Vigil parses it."""
    first = c.frames[0]
    c.client, c.server = first.src, first.dst
    c.cls = "unknown"
    failed = set()
    for f in c.frames:
        if not f.caplen:
            continue
        if c.cls == "unknown":
            if len(failed) < 2 and dns_probe(f.payload, False, f.caplen,
                                             trailing_ok=c.server[1] == 53):
                c.cls = "dns"
                c.detected_at = f.number
            else:
                failed.add(f.src)
        f.app = c.cls == "dns"
        if c.starts == (b"", b""):
            c.starts = (f.payload, b"")


# ---------------------------------------------------------------------------------------------
# Values

def norm_host(h):
    """Vigil's hostname from a Host header value: the first value when the header is repeated
    or lists several (up to the first ','), blanks trimmed, the port cut at the first ':' (an
    IPv6 literal keeps its brackets and loses what follows them), ASCII lower-cased."""
    h = h.split(",", 1)[0].strip(" \t\r\n")
    if h.startswith("["):
        end = h.find("]")
        h = h[:end + 1] if end >= 0 else h
    else:
        h = h.split(":", 1)[0]
    return "".join(ch.lower() if "A" <= ch <= "Z" else ch for ch in h)


ABSOLUTE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]{0,15}://([^/?#]*)")


def host_from_uri(uri):
    """Vigil's hostname of a request without Host in absolute form: the authority without
    userinfo, normalized as a Host value (but not cut at ',')."""
    m = ABSOLUTE.match(uri)
    if not m:
        return None
    auth = m.group(1).rpartition("@")[2]
    h = auth.strip(" \t\r\n")
    if h.startswith("["):
        end = h.find("]")
        h = h[:end + 1] if end >= 0 else h
    else:
        h = h.split(":", 1)[0]
    h = "".join(ch.lower() if "A" <= ch <= "Z" else ch for ch in h)
    return h or None


def tshark_bytes(text):
    return text.encode("utf-8", "surrogateescape")


def eve_bytes(text):
    if all(ord(ch) < 256 for ch in text) and any(ord(ch) >= 128 for ch in text):
        try:
            return text.encode("latin-1")
        except UnicodeEncodeError:
            pass
    return text.encode("utf-8", "surrogatepass")


class Expected:
    def __init__(self):
        self.values = {cat: collections.defaultdict(collections.Counter) for cat in CATEGORIES}
        self.frames = {cat: collections.defaultdict(lambda: collections.defaultdict(list))
                       for cat in CATEGORIES}
        self.excluded = {cat: collections.Counter() for cat in CATEGORIES}
        self.classes = collections.Counter()
        self.decode_as = []
        self.excluded_detail = []   # (category, rule, text)
        self.held_back = 0          # requests taken from the run without body reassembly

    def add(self, cat, key, value, frame):
        self.values[cat][key][value] += 1
        self.frames[cat][key][value].append(frame)


def frame_values(fr, raw_dns=None):
    """[(category, value bytes)] tshark shows in a frame. raw_dns: the frame's query names
    rebuilt from tshark's raw bytes, when its text was lossy."""
    out = []
    if "http" in fr.values:
        reqs, loose = fr.values["http"]
        for uri, host in reqs:
            out.append(("http.uri", tshark_bytes(uri)))
            if host == "?":
                continue
            if host is not None:
                out.append(("http.host", tshark_bytes(norm_host(host))))
            else:
                h = host_from_uri(uri)
                if h:
                    out.append(("http.host", tshark_bytes(h)))
        for host in loose:
            out.append(("http.host", tshark_bytes(norm_host(host))))
    names = fr.values.get("dns", [])
    if raw_dns is not None and len(raw_dns) == len(names):
        names = raw_dns
    for name in names:
        out.append(("dns.query", b"<root>" if name == "<Root>" else tshark_bytes(name)))
    for sni in fr.values.get("tls", []):
        out.append(("tls.sni", tshark_bytes(sni)))
    return out


PLAIN = re.compile(r"^[\x20-\x5b\x5d-\x7e]*$")


def dns_raw_names(pcap, cache_dir, convs, alt_frame, alt_args):
    """{frame number: [query names as Vigil writes them]} for frames whose names tshark printed
    lossily (octets outside printable ASCII: tshark shows invalid UTF-8 as U+FFFD and control
    characters as its own escapes; a backslash is ambiguous). The names are rebuilt from the
    message bytes tshark located (-T jsonraw dns_raw), with Vigil's escaping."""
    wanted = collections.defaultdict(set)
    for c in convs.values():
        for own in c.frames:
            fr = alt_frame.get(own.number, own)
            if any(not PLAIN.match(n) for n in fr.values.get("dns", [])):
                wanted[alt_args.get(fr.number, ())].add(fr.number)
    out = {}
    for args, numbers in wanted.items():
        for number, msgs in tshark_raw_dns(pcap, cache_dir, args, sorted(numbers)).items():
            names = []
            for tcp, msg in msgs:
                if tcp and len(msg) >= 2 and (msg[0] << 8 | msg[1]) == len(msg) - 2:
                    msg = msg[2:]  # the length prefix
                if len(msg) < 12 or msg[2] & 0x80:
                    continue
                qd = msg[4] << 8 | msg[5]
                pos = 12
                for _ in range(qd):
                    end, err = dns_walk_name(msg, pos)
                    text = dns_name_text(msg, pos) if not err else None
                    if text is None:
                        break
                    names.append(text)
                    pos = end + 4
            out[number] = names
    return out


def tshark_raw_dns(pcap, cache_dir, args, numbers):
    """{frame: [(over tcp, DNS message bytes)]} from tshark -T jsonraw, cached."""
    st = os.stat(pcap)
    tag = f"{CACHE_VERSION}|raw|{os.path.abspath(pcap)}|{st.st_size}|{st.st_mtime_ns}|{args}|{numbers}"
    cache_file = None
    if cache_dir:
        os.makedirs(cache_dir, exist_ok=True)
        cache_file = os.path.join(cache_dir, os.path.basename(pcap) + ".dnsraw."
                                  + hashlib.sha1(tag.encode()).hexdigest()[:16] + ".json.gz")
        if os.path.exists(cache_file):
            with gzip.open(cache_file, "rt") as f:
                data = json.load(f)
            return {int(k): [(t, bytes.fromhex(h)) for t, h in v] for k, v in data.items()}
    result = {}
    for i in range(0, len(numbers), 500):
        chunk = numbers[i:i + 500]
        cmd = ["tshark", "-n", "-r", pcap, "-o", "tcp.reassemble_out_of_order:TRUE",
               "-Y", "frame.number in {" + ", ".join(map(str, chunk)) + "}",
               "-T", "json", "-x", "-j", "frame udp tcp dns"]
        for d in args:
            cmd += ["-d", d]
        run = subprocess.run(cmd, capture_output=True, text=True, errors="surrogateescape")
        if run.returncode != 0 and not DAMAGE.search(run.stderr):
            raise ToolError(f"tshark -T json on {pcap} failed: {run.stderr.strip()}")
        try:
            packets = json.loads(run.stdout or "[]")
        except json.JSONDecodeError as e:
            raise ToolError(f"tshark -T jsonraw on {pcap}: {e}")
        for pkt in packets:
            layers = pkt["_source"]["layers"]
            number = int(layers["frame"]["frame.number"])
            raw = layers.get("dns_raw")
            occurrences = raw if raw and isinstance(raw[0], list) else [raw] if raw else []
            result[number] = [("tcp" in layers, r[0]) for r in occurrences]
    if cache_file:
        fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=".tmp-")
        with os.fdopen(fd, "wb") as raw, gzip.open(raw, "wt") as f:
            json.dump({str(k): v for k, v in result.items()}, f)
        os.replace(tmp, cache_file)
    return {k: [(t, bytes.fromhex(h)) for t, h in v] for k, v in result.items()}


def snap_cut(fr, value):
    """The value ends where the frame's captured bytes end, in a frame cut by the capture's snap
    length: tshark shows the partial line; Vigil's parser never sees the line end."""
    if not fr.cut or not fr.payload or fr.caplen != len(fr.payload):
        return False
    return fr.payload.rstrip(b" \t").lower().endswith(value.lower()) and value != b""


def who_keys(who):
    for (t, p, proto), cks in who.items():
        yield from cks


def decode_as_needed(convs):
    """{(transport, server port): protocol} for classified conversations tshark did not
    dissect as their protocol, and the conversations concerned."""
    need = collections.defaultdict(set)
    who = collections.defaultdict(list)
    for c in convs.values():
        if c.why or c.cls not in PROTO_TOKENS:
            continue
        if c.tokens & PROTO_TOKENS[c.cls]:
            continue
        port = c.server[1]
        need[(c.transport, port)].add(c.cls)
        who[(c.transport, port, c.cls)].append((c.transport, c.stream))
    return need, who


def build_expected(pcap, cache_dir, exp):
    """Adds the capture's expected values to exp; returns (tshark's damage complaint or None,
    [first, last] packet time)."""
    lines, damage = tshark_frames(pcap, cache_dir)
    span = []
    frames = parse_frames(lines, span)
    convs = vigil_flows(frames)
    for c in convs.values():
        (classify_tcp if c.transport == "TCP" else classify_udp)(c)
        exp.classes[(c.transport, c.cls)] += 1
    # Flows tshark did not dissect as their class: more tshark runs with decode-as, whose
    # values replace the first run's for those flows' frames.
    need, who = decode_as_needed(convs)
    alt_frame = {}    # frame number -> Frame of the run that decoded its flow as Vigil does
    alt_args = {}     # frame number -> that run's decode-as options
    runs = []
    for (transport, port), protos in sorted(need.items()):
        for i, proto in enumerate(sorted(protos)):
            while len(runs) <= i:
                runs.append({})
            runs[i][(transport, port)] = proto
    for mapping in runs:
        args = tuple(sorted(f"{t.lower()}.port=={p},{proto}" for (t, p), proto in mapping.items()))
        exp.decode_as.append((os.path.basename(pcap), args))
        alt_lines, _ = tshark_frames(pcap, cache_dir, args)
        by_number = {fr.number: fr for fr in parse_frames(alt_lines)}
        for (t, p), proto in mapping.items():
            for ck in who[(t, p, proto)]:
                for fr in convs[ck].frames:
                    if fr.number in by_number:
                        alt_frame[fr.number] = by_number[fr.number]
                        alt_args[fr.number] = args
    # HTTP requests whose body never completes: tshark (desegment_body) holds such a request
    # back until the body is whole, so it never shows it; Vigil logs it at flow end. Flows
    # where the client sent bytes after the last frame showing a request are looked at again
    # in a run without body reassembly, and the requests it shows after that frame are taken.
    held = {}
    remapped = set(who_keys(who))
    for ck, c in convs.items():
        if c.cls != "http" or c.why or ck in remapped:
            continue
        last_req = max((f.number for f in c.frames if "http" in f.values), default=0)
        if any(f.src == c.client and f.caplen and f.status is None and f.number > last_req
               for f in c.frames):
            held[ck] = last_req
    if held:
        nobody_lines, _ = tshark_frames(pcap, cache_dir, body=False)
        nobody = {fr.number: fr for fr in parse_frames(nobody_lines)}
        for ck, last_req in held.items():
            for f in convs[ck].frames:
                other = nobody.get(f.number)
                if f.number > last_req and other is not None and "http" in other.values:
                    exp.held_back += len(other.values["http"][0])
                    merged = alt_frame.get(f.number, f)
                    copy = Frame()
                    for slot in Frame.__slots__:
                        setattr(copy, slot, getattr(merged, slot))
                    copy.values = dict(merged.values, http=other.values["http"])
                    alt_frame[f.number] = copy
    name = os.path.basename(pcap)

    def exclude(cat, rule, fr, value, c=None):
        exp.excluded[cat][rule] += 1
        where = f"{name} frame {fr.number}"
        if c is not None:
            start = c.starts[0] or b""
            where += f", {key_text(c.key)} class {c.cls}, client start {start[:24]!r}"
        exp.excluded_detail.append((cat, rule, f"{cat} {show(value)} ({where})"))

    # Values tshark shows outside any flow (quoted / tunnelled headers): excluded by rule.
    for fr in frames:
        if fr.exclusion:
            for cat, value in frame_values(fr):
                exclude(cat, fr.exclusion, fr, value)
    raw_names = dns_raw_names(pcap, cache_dir, convs, alt_frame, alt_args)
    for c in convs.values():
        first_hello_seen = False
        for own in c.frames:
            fr = alt_frame.get(own.number, own)
            for cat, value in frame_values(fr, raw_names.get(fr.number)):
                proto = CATEGORY_PROTO[cat]
                if c.why:
                    exclude(cat, c.why, fr, value, c)
                elif own.status is not None:
                    exclude(cat, own.status, fr, value, c)
                elif c.transport == "UDP" and proto == "http":
                    exclude(cat, "http-over-udp", fr, value, c)
                elif c.transport == "UDP" and c.cls == "dns" and not own.app:
                    exclude(cat, "before-detection", fr, value, c)
                elif c.cls == proto and own.number in c.lost:
                    exclude(cat, "probe-gave-up", fr, value, c)
                elif proto == "http" and snap_cut(own, value):
                    exclude(cat, "snap-cut", fr, value, c)
                elif c.cls != proto:
                    exclude(cat, getattr(c, "why_start", None) or "other-protocol", fr, value, c)
                elif cat == "tls.sni" and first_hello_seen:
                    exclude(cat, "tls-second-hello", fr, value, c)
                else:
                    exp.add(cat, c.key, value, fr.number)
            if "tls" in fr.values and c.cls == "tls":
                first_hello_seen = True
    return damage, span or [0.0, 0.0]


# ---------------------------------------------------------------------------------------------
# What Vigil logged

def read_eve(path):
    """(values per category and conversation, app event counts, flows per detected protocol
    from the stats event's app_layer.flow counters)."""
    values = {cat: collections.defaultdict(collections.Counter) for cat in CATEGORIES}
    app_events = collections.Counter()
    detected = collections.Counter()
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
                flow = ev.get("stats", {}).get("app_layer", {}).get("flow", {})
                detected = collections.Counter({k: v for k, v in flow.items() if isinstance(v, int)})
                continue
            if kind not in ("http", "dns", "tls"):
                continue
            app_events[kind] += 1
            proto = str(ev.get("proto", "")).upper()
            try:
                a = (norm_ip(ev["src_ip"]), int(ev["src_port"]))
                b = (norm_ip(ev["dest_ip"]), int(ev["dest_port"]))
            except (KeyError, ValueError, TypeError):
                raise ToolError(f"{path}:{lineno}: {kind} event without endpoints")
            key = conv_key(proto, a, b)
            body = ev.get(kind, {})
            if kind == "http":
                if "url" in body:
                    values["http.uri"][key][eve_bytes(body["url"])] += 1
                if "hostname" in body:
                    values["http.host"][key][eve_bytes(body["hostname"])] += 1
            elif kind == "dns":
                if body.get("type") == "query" and "rrname" in body:
                    values["dns.query"][key][eve_bytes(body["rrname"])] += 1
                for q in body.get("queries", []) if body.get("type") in (None, "request") else []:
                    if "rrname" in q:
                        values["dns.query"][key][eve_bytes(q["rrname"])] += 1
            elif kind == "tls":
                if "sni" in body:
                    values["tls.sni"][key][eve_bytes(body["sni"])] += 1
    return values, app_events, detected


# ---------------------------------------------------------------------------------------------
# Comparison

def show(v):
    text = v.decode("utf-8", "backslashreplace")
    return json.dumps(text, ensure_ascii=False)[:160]


def compare(exp, actual):
    summary = {}
    diffs = []
    for cat in CATEGORIES:
        e, a = exp.values[cat], actual[cat]
        ne = sum(sum(c.values()) for c in e.values())
        na = sum(sum(c.values()) for c in a.values())
        missing = extra = 0
        for key in sorted(set(e) | set(a)):
            ce, ca = e.get(key, collections.Counter()), a.get(key, collections.Counter())
            for v in sorted(set(ce) | set(ca)):
                d = ce[v] - ca[v]
                if d > 0:
                    missing += d
                    frames = exp.frames[cat][key][v][:4]
                    diffs.append((cat, f"{cat} missing x{d}: {show(v)} in {key_text(key)} "
                                       f"(tshark frames {', '.join(map(str, frames))})"))
                elif d < 0:
                    extra += -d
                    diffs.append((cat, f"{cat} extra x{-d}: {show(v)} in {key_text(key)} "
                                       f"(tshark has {ce[v]})"))
        summary[cat] = (na, ne, missing, extra)
    return summary, diffs


def replay_groups(pcaps, spans):
    """Captures in replays of their own when their times overlap. One replay is one timeline:
    Vigil's clock only moves forward, so a capture older than the one before it would find
    every flow past its timeout at each packet (and split it). Within a group the captures are
    in time order, each starting after the previous one ends."""
    groups = []
    for p in sorted(pcaps, key=lambda p: (spans[p][0], p)):
        for g in groups:
            if spans[g[-1]][1] < spans[p][0]:
                g.append(p)
                break
        else:
            groups.append([p])
    return groups


def read_eves(paths):
    values = {cat: collections.defaultdict(collections.Counter) for cat in CATEGORIES}
    events = collections.Counter()
    detected = collections.Counter()
    for path in paths:
        v, e, d = read_eve(path)
        events.update(e)
        detected.update(d)
        for cat in CATEGORIES:
            for key, counter in v[cat].items():
                values[cat][key].update(counter)
    return values, events, detected


def run_vigild(vigild, pcaps, io, workdir, damaged):
    out = os.path.join(workdir, "out")
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(workdir, exist_ok=True)
    cmd = [vigild, "replay", "--out", out, "--io", io]
    for p in pcaps:
        cmd += ["--pcap", p]
    run = subprocess.run(cmd, capture_output=True, text=True, errors="replace")
    if run.returncode != 0 and not damaged:
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
    ap.add_argument("--reference-only", action="store_true",
                    help="only run tshark (fills --cache-dir) and print what Vigil should log")
    ap.add_argument("--details", type=int, default=40, help="differences to print (default 40)")
    ap.add_argument("--explain", type=int, default=0, metavar="N",
                    help="also list up to N values per rule that Vigil is not expected to log")
    args = ap.parse_args()

    missing = [p for p in args.pcap if not os.path.exists(p)]
    if missing:
        print(f"SKIPPED: no such capture: {', '.join(missing)}")
        return SKIP
    if shutil.which("tshark") is None:
        print("SKIPPED: tshark is not installed")
        return SKIP
    if not args.reference_only and not (args.vigild or args.eve):
        ap.error("--vigild or --eve is needed")

    try:
        exp = Expected()
        damaged = []
        spans = {}
        for p in args.pcap:
            damage, spans[p] = build_expected(p, args.cache_dir, exp)
            if damage:
                damaged.append(p)
                print(f"{os.path.basename(p)}: damaged ({damage}); compared up to the damage")
        classes = ", ".join(f"{n} {t} {cls}" for (t, cls), n in sorted(exp.classes.items()))
        print(f"conversations by stream-start class: {classes}")
        for name, a in exp.decode_as:
            print(f"{name}: tshark re-run with -d {' -d '.join(a)}")
        if exp.held_back:
            print(f"body-incomplete: {exp.held_back} HTTP requests whose body never completes, "
                  f"from tshark's run without body reassembly (-o http.desegment_body:FALSE)")
        if args.explain:
            shown = collections.Counter()
            for cat, rule, text in exp.excluded_detail:
                shown[rule] += 1
                if shown[rule] <= args.explain:
                    print(f"  not expected ({rule}): {text}")
        if args.reference_only:
            for cat in CATEGORIES:
                n = sum(sum(c.values()) for c in exp.values[cat].values())
                ex = exp.excluded[cat]
                print(f"{cat}: {n} tshark values expected from vigil"
                      + (f"; excluded: {', '.join(f'{r} {k}' for r, k in sorted(ex.items()))}" if ex else ""))
            return 0
        if args.eve:
            eves = [args.eve]
        else:
            workdir = args.workdir or tempfile.mkdtemp(prefix="vigil-app-")
            os.makedirs(workdir, exist_ok=True)
            groups = replay_groups(args.pcap, spans)
            if len(groups) > 1:
                print(f"{len(groups)} vigild replays (captures overlapping in time replay apart)")
            eves = [run_vigild(args.vigild, g, args.io, os.path.join(workdir, f"replay{i}"),
                               [p for p in g if p in damaged])
                    for i, g in enumerate(groups, 1)]
        actual, events, detected = read_eves(eves)
        summary, diffs = compare(exp, actual)
        # The detection model itself, checked against Vigil's own counters: flows per protocol.
        model = collections.Counter()
        for (transport, cls), n in exp.classes.items():
            if cls in ("http", "tls", "ssh", "smtp", "ftp") and transport == "TCP":
                model[cls] += n
            elif cls == "dns":
                model["dns_" + transport.lower()] += n
        names = ("http", "tls", "dns_tcp", "dns_udp", "ssh", "smtp", "ftp")
        print("flows by detected protocol (model / vigil stats): "
              + ", ".join(f"{k} {model[k]}/{detected[k]}" for k in names))
        for k in names:
            if model[k] != detected[k]:
                diffs.append(("flows", f"flows detected as {k}: the model of Vigil's detection on "
                                       f"tshark's frames gives {model[k]}, vigil's stats "
                                       f"app_layer.flow.{k} {detected[k]}"))
        print(f"vigil app events: " + ", ".join(f"{events[k]} {k}" for k in ("http", "dns", "tls")))
        for cat in CATEGORIES:
            na, ne, miss, extra = summary[cat]
            line = f"{cat}: {na} vigil / {ne} tshark, {miss} missing, {extra} extra"
            ex = exp.excluded[cat]
            if ex:
                line += "; not expected: " + ", ".join(f"{k} {r}" for r, k in sorted(ex.items()))
            print(line)
        used = sorted({r for cat in CATEGORIES for r in exp.excluded[cat]})
        for r in used:
            print(f"  rule {r}: {rule_text(r)}")
        if diffs:
            print(f"differences ({len(diffs)}):")
            for _, d in diffs[:args.details]:
                print("  " + d)
            if len(diffs) > args.details:
                print(f"  ... and {len(diffs) - args.details} more")
            return 1
        print("agreement")
        return 0
    except ToolError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
