#!/usr/bin/env python3
"""Writes the seed corpus of the decode fuzz target (corpus/decode/), one realistic packet per
file. Each file is one selector byte (link type in bits 0-3, snapped flag in bit 7; see
decode_fuzz.cpp) followed by the packet. Run again after changing it; the output is stable."""
import os
import struct

ETHERNET, RAW, LT_IPV4, LT_IPV6, SLL, SLL2, NULL, LOOP = range(8)
SNAPPED = 0x80


def ipv4(proto, payload, options=b"", flags_offset=0x4000, ident=0x1c46):
    ihl = 5 + len(options) // 4
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, 20 + len(options) + len(payload), ident,
                      flags_offset, 64, proto, 0, bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
    return hdr + options + payload


def ipv6(nh, payload):
    src = bytes.fromhex("20010db8000000000000000000000001")
    dst = bytes.fromhex("20010db8000000000000000000000002")
    return struct.pack("!IHBB", 0x60000000, len(payload), nh, 64) + src + dst + payload


def ext(nh, body, rest):  # hop-by-hop / destination options / routing
    return bytes([nh, (len(body) + 2) // 8 - 1]) + body + rest


def tcp(sport, dport, flags, payload=b"", options=b"", seq=0x01020304, ack=0):
    doff = 5 + len(options) // 4
    return struct.pack("!HHIIBBHHH", sport, dport, seq, ack, doff << 4, flags, 64240, 0,
                       0) + options + payload


def udp(sport, dport, payload):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def icmp(type_, code, ident, seq, payload=b""):
    return struct.pack("!BBHHH", type_, code, 0, ident, seq) + payload


def eth(ethertype, payload, tags=()):
    out = bytes.fromhex("0011223344556677889900aa")
    for tpid, tci in tags:
        out += struct.pack("!HH", tpid, tci)
    return out + struct.pack("!H", ethertype) + payload


def sll(proto, payload):
    return struct.pack("!HHH8sH", 0, 1, 6, bytes(8), proto) + payload


def sll2(proto, payload):
    return struct.pack("!HHIHBB8s", proto, 0, 2, 1, 0, 6, bytes(8)) + payload


SYN_OPTS = bytes([2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7])
SACK_OPTS = bytes([1, 1, 5, 18]) + struct.pack("!IIII", 1000, 2000, 3000, 4000)
HTTP = b"GET /index.html HTTP/1.1\r\nHost: example.com\r\n\r\n"
DNS = bytes.fromhex("abcd01000001000000000000076578616d706c6503636f6d0000010001")
PAD = bytes([1, 4, 0, 0, 0, 0])

def gre(flags, proto, payload, fields=()):
    return struct.pack("!HH", flags, proto) + b"".join(struct.pack("!I", f) for f in fields) + payload


def ppp(proto, payload, hdlc=True):
    return (b"\xff\x03" if hdlc else b"") + (bytes([proto]) if proto & 1 and proto < 0x100 and not hdlc
                                              else struct.pack("!H", proto)) + payload


def pppoe(frame):
    return struct.pack("!BBHH", 0x11, 0, 0x42, len(frame)) + frame


def vxlan(vni, frame):
    return struct.pack("!B3xI", 0x08, vni << 8) + frame


TCP_HELLO = tcp(40000, 80, 0x18, b"hello")
PPTP_FRAME = ppp(0x21, ipv4(6, TCP_HELLO), hdlc=False)  # compressed protocol field
SRES = struct.pack("!HBB", 0x0800, 0, 4) + bytes([10, 0, 0, 9]) + bytes(4)


def nested_ipip(levels, inner):
    for _ in range(levels):
        inner = ipv4(4, inner)
    return inner


SEEDS = {
    "eth_ipv4_tcp_syn": (ETHERNET, eth(0x0800, ipv4(6, tcp(40000, 80, 0x02, options=SYN_OPTS)))),
    "eth_vlan_ipv4_udp_dns": (ETHERNET, eth(0x0800, ipv4(17, udp(5353, 53, DNS)),
                                            [(0x8100, 100)])),
    "eth_qinq_ipv6_tcp_sack": (ETHERNET, eth(0x86dd, ipv6(6, tcp(443, 50000, 0x10,
                                                                 options=SACK_OPTS)),
                                             [(0x88a8, 10), (0x8100, 20)])),
    "eth_ipv6_hbh_first_fragment": (ETHERNET, eth(0x86dd, ipv6(0, ext(
        44, PAD, struct.pack("!BBHI", 17, 0, 1, 0xdeadbeef) + udp(1, 2, bytes(32)))))),
    "eth_ipv4_middle_fragment": (ETHERNET, eth(0x0800, ipv4(17, bytes(40),
                                                            flags_offset=0x2000 | 185))),
    "eth_arp": (ETHERNET, eth(0x0806, bytes.fromhex("0001080006040001001122334455") +
                               bytes([10, 0, 0, 1]) + bytes(6) + bytes([10, 0, 0, 2]))),
    "raw_ipv4_icmp_echo": (RAW, ipv4(1, icmp(8, 0, 0x1234, 1, b"abcdefgh"))),
    "raw_ipv6_icmpv6_echo": (RAW, ipv6(58, icmp(128, 0, 0x4321, 2, b"abcdefgh"))),
    "ipv4_options_udp": (LT_IPV4, ipv4(17, udp(1000, 2000, b"data"),
                                       options=bytes([148, 4, 0, 0, 7, 7, 4, 0, 0, 0, 0, 1]))),
    "ipv6_dst_ah_tcp": (LT_IPV6, ipv6(60, ext(51, PAD, bytes([6, 4, 0, 0]) + struct.pack(
        "!II", 0x100, 1) + bytes(12) + tcp(22, 50022, 0x18, b"SSH-2.0-x\r\n")))),
    "sll_ipv4_tcp_http": (SLL, sll(0x0800, ipv4(6, tcp(50000, 80, 0x18, HTTP)))),
    "sll2_ipv6_udp": (SLL2, sll2(0x86dd, ipv6(17, udp(546, 547, b"\x01\x00\x00\x01"))) ),
    "null_ipv6_tcp": (NULL, struct.pack("<I", 30) + ipv6(6, tcp(1, 2, 0x11))),
    "loop_ipv4_udp": (LOOP, struct.pack("!I", 2) + ipv4(17, udp(123, 123, bytes(48)))),
    "eth_ipv4_udp_snapped": (ETHERNET | SNAPPED,
                             eth(0x0800, ipv4(17, udp(1, 2, bytes(200))))[:96]),
    # Tunnels and PPP (reached through the link types the target selects).
    "eth_ipip_ipv4_tcp": (ETHERNET, eth(0x0800, ipv4(4, ipv4(6, TCP_HELLO)))),
    "ipv6_6in6_udp_dns": (LT_IPV6, ipv6(41, ipv6(17, udp(5353, 53, DNS)))),
    "raw_ipv6_4in6_tcp": (RAW, ipv6(4, ipv4(6, TCP_HELLO))),
    "eth_gre_key_seq_ipv6_udp": (ETHERNET, eth(0x0800, ipv4(47, gre(0x3000, 0x86dd, ipv6(
        17, udp(1, 53, DNS)), (0xbeef, 1))))),
    "eth_gre_bridged_vlan_ipv4_tcp": (ETHERNET, eth(0x0800, ipv4(47, gre(0, 0x6558, eth(
        0x0800, ipv4(6, TCP_HELLO), [(0x8100, 7)]))))),
    "eth_gre_ppp_ipv4_first_fragment": (ETHERNET, eth(0x0800, ipv4(47, gre(0, 0x880b, ppp(
        0x0021, ipv4(17, udp(11111, 9999, b"A" * 56), flags_offset=0x2000)))))),
    "ipv4_gre_routing_ipv4_icmp": (LT_IPV4, ipv4(47, gre(0x4000, 0x0800, SRES + ipv4(
        1, icmp(8, 0, 1, 1, b"ping")), (0,)))),
    "raw_pptp_ack_ppp_ipv4_tcp": (RAW, ipv4(47, gre(0x3081, 0x880b, PPTP_FRAME,
                                                    (len(PPTP_FRAME) << 16 | 0x4001, 7, 6)))),
    "raw_pptp_lcp_echo": (RAW, ipv4(47, gre(0x3001, 0x880b, ppp(0xc021, bytes([9, 1, 0, 8, 0, 0, 0, 0])),
                                            (12 << 16 | 0x4001, 8)))),
    "eth_vxlan_eth_ipv4_icmp": (ETHERNET, eth(0x0800, ipv4(17, udp(49732, 4789, vxlan(
        5001, eth(0x0800, ipv4(1, icmp(8, 0, 7, 1, b"abcdefgh")))))))),
    "eth_pppoe_ppp_ipv6_tcp": (ETHERNET, eth(0x8864, pppoe(ppp(0x0057, ipv6(6, TCP_HELLO),
                                                               hdlc=False)))),
    "ipv4_ipip_nested_4": (LT_IPV4, nested_ipip(4, ipv4(17, udp(1, 2, b"deep")))),
}


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "decode")
    os.makedirs(out, exist_ok=True)
    for name, (selector, packet) in SEEDS.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(bytes([selector]) + packet)


if __name__ == "__main__":
    main()
