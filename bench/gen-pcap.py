#!/usr/bin/env python3
"""bench/gen-pcap.py — write a synthetic pcap of TCP and UDP conversations.

Used by bench/analyze-vs-tshark.sh (a large Ethernet file) and, with
--mix, as a differential check against tshark: every link type socklab
parses, IPv4 and IPv6 (with extension headers), VLAN tags, retransmissions,
reused ports, IP options, fragments and malformed packets.

    gen-pcap.py OUT.pcap [--packets N] [--flows F] [--link L] [--mix] [--seed S]

Writes the classic pcap format directly (microsecond timestamps); no
dependencies beyond the standard library.
"""
import argparse
import random
import struct

LINKS = {"en10mb": 1, "raw": 101, "null": 0, "loop": 108, "sll": 113,
         "sll2": 276, "ipv4": 228, "ipv6": 229}


def ip4(src, dst, proto, payload, opts=b"", frag=0):
    hl = 20 + len(opts)
    return struct.pack("!BBHHHBBH4s4s", 0x40 | hl // 4, 0, hl + len(payload), 1,
                       frag, 64, proto, 0, src, dst) + opts + payload


def ip6(src, dst, nh, payload, ext=b""):
    return struct.pack("!IHBB16s16s", 0x60000000, len(ext) + len(payload), nh, 64,
                       src, dst) + ext + payload


def tcp(sp, dp, seq, ack, flags, data=b""):
    return struct.pack("!HHIIBBHHH", sp, dp, seq & 0xffffffff, ack & 0xffffffff,
                       5 << 4, flags, 65535, 0, 0) + data


def udp(sp, dp, data):
    return struct.pack("!HHHH", sp, dp, 8 + len(data), 0) + data


def frame(link, ip, rng=None, vlan=False):
    v6 = ip[0] >> 4 == 6
    et = b"\x86\xdd" if v6 else b"\x08\x00"
    if link == 1:
        tag = b"\x81\x00\x00\x2a" if vlan else b""
        return b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01" + tag + et + ip
    if link == 113:
        return struct.pack("!HHH8s", 0, 772, 6, b"\0" * 8) + et + ip
    if link == 276:
        return et + struct.pack("!HIHBB8s", 0, 1, 772, 0, 6, b"\0" * 8) + ip
    if link == 0:
        return struct.pack("<I", 30 if v6 else 2) + ip
    if link == 108:
        return struct.pack("!I", 24 if v6 else 2) + ip
    return ip


class Conv:
    """One conversation: a client and a server endpoint and their state."""

    def __init__(self, rng, i, v6, proto):
        self.v6, self.proto = v6, proto
        if v6:
            self.c = bytes(14) + struct.pack("!H", 0x100 + i % 200)
            self.s = bytes(15) + b"\x01"
        else:
            self.c = bytes([10, 1, (i >> 8) & 255, i & 255])
            self.s = bytes([10, 0, 0, 1])
        self.cp, self.sp = 20000 + i, 9000 + i % 7
        self.cseq, self.sseq = rng.getrandbits(32), rng.getrandbits(32)
        self.state = 0
        self.sent = []

    def ip(self, from_client, payload, nh):
        src, dst = (self.c, self.s) if from_client else (self.s, self.c)
        return ip6(src, dst, nh, payload) if self.v6 else ip4(src, dst, nh, payload)

    def next_packet(self, rng):
        """The next packet of this conversation, or None when it is over."""
        if self.proto == 17:
            if self.state > 20:
                return None
            self.state += 1
            cl = rng.random() < 0.7
            sp, dp = (self.cp, self.sp) if cl else (self.sp, self.cp)
            return self.ip(cl, udp(sp, dp, b"u" * rng.randint(0, 1200)), 17)
        s = self.state
        self.state += 1
        c, v = self.cp, self.sp
        if s == 0:
            return self.ip(True, tcp(c, v, self.cseq, 0, 0x02), 6)
        if s == 1:
            return self.ip(False, tcp(v, c, self.sseq, self.cseq + 1, 0x12), 6)
        if s == 2:
            self.cseq += 1
            self.sseq += 1
            return self.ip(True, tcp(c, v, self.cseq, self.sseq, 0x10), 6)
        if s < 40:
            cl = rng.random() < 0.6
            n = rng.choice([0, 6, 100, 536, 1448])
            if cl:
                if n and self.sent and rng.random() < 0.05:
                    seq, n = self.sent[-1]     # a retransmission
                else:
                    seq = self.cseq
                    self.cseq += n
                    self.sent.append((seq, n))
                return self.ip(True, tcp(c, v, seq, self.sseq, 0x18 if n else 0x10,
                                         b"d" * n), 6)
            seq = self.sseq
            self.sseq += n
            return self.ip(False, tcp(v, c, seq, self.cseq, 0x18 if n else 0x10,
                                      b"r" * n), 6)
        if s == 40:
            return self.ip(True, tcp(c, v, self.cseq, self.sseq, 0x11), 6)
        if s == 41:
            return self.ip(False, tcp(v, c, self.sseq, self.cseq + 1, 0x11), 6)
        if s == 42:
            return self.ip(True, tcp(c, v, self.cseq + 1, self.sseq + 1, 0x10), 6)
        return None


def oddities(rng, link):
    """Malformed, fragmented and unusual packets tshark and socklab must
    agree on."""
    a4, b4 = bytes([10, 9, 9, 1]), bytes([10, 9, 9, 2])
    a6, b6 = bytes(15) + b"\x05", bytes(15) + b"\x06"
    out = []
    # IPv4 options, and IPv6 hop-by-hop + destination options before TCP
    out.append(ip4(a4, b4, 6, tcp(1111, 2222, 5, 0, 0x18, b"o" * 30), opts=b"\x01" * 4))
    hbh = bytes([60, 0, 1, 4, 0, 0, 0, 0])
    dst = bytes([6, 0, 1, 4, 0, 0, 0, 0])
    out.append(ip6(a6, b6, 0, tcp(3333, 4444, 7, 0, 0x18, b"e" * 40), hbh + dst))
    # an atomic fragment header (offset 0, M 0) is a whole datagram
    fr = bytes([6, 0, 0, 0, 0, 0, 0, 1])
    out.append(ip6(a6, b6, 44, tcp(3333, 4444, 47, 0, 0x18, b"f" * 10), fr))
    # malformed: TCP data offset 4; UDP length 3; IPv4 header length 4
    bad = bytearray(ip4(a4, b4, 6, tcp(5555, 6666, 1, 0, 0x10)))
    bad[32] = 4 << 4
    out.append(bytes(bad))
    bad = bytearray(ip4(a4, b4, 17, udp(5555, 6666, b"x" * 4)))
    bad[24:26] = b"\x00\x03"
    out.append(bytes(bad))
    bad = bytearray(ip4(a4, b4, 6, tcp(5555, 6666, 1, 0, 0x10)))
    bad[0] = 0x44
    out.append(bytes(bad))
    # a first IPv4 fragment whose rest never comes: neither tool counts it
    out.append(ip4(a4, b4, 6, tcp(1212, 3434, 1, 0, 0x18, b"g" * 16), frag=0x2000))
    # reused port: a second SYN with another ISN on the same 5-tuple
    out.append(ip4(a4, b4, 6, tcp(7777, 80, 1000, 0, 0x02)))
    out.append(ip4(b4, a4, 6, tcp(80, 7777, 5000, 1001, 0x12)))
    out.append(ip4(a4, b4, 6, tcp(7777, 80, 1001, 5001, 0x11)))
    out.append(ip4(a4, b4, 6, tcp(7777, 80, 90000, 0, 0x02)))
    out.append(ip4(b4, a4, 6, tcp(80, 7777, 77, 90001, 0x12)))
    if link == 228:
        out = [p for p in out if p[0] >> 4 == 4]
    if link == 229:
        out = [p for p in out if p[0] >> 4 == 6]
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--packets", type=int, default=10000)
    ap.add_argument("--flows", type=int, default=200)
    ap.add_argument("--link", default="en10mb", choices=sorted(LINKS))
    ap.add_argument("--mix", action="store_true")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    link = LINKS[a.link]

    def new_conv(i):
        v6 = link == 229 or (link != 228 and a.mix and rng.random() < 0.3)
        return Conv(rng, i, v6, 17 if rng.random() < 0.2 else 6)

    convs = [new_conv(i) for i in range(a.flows)]
    nextid = a.flows
    t = 1_700_000_000_000_000
    with open(a.out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144, link))
        pending = oddities(rng, link) if a.mix else []
        for n in range(a.packets):
            if pending and rng.random() < 0.01:
                ip = pending.pop(0)
            else:
                k = rng.randrange(len(convs))
                ip = convs[k].next_packet(rng)
                if ip is None:
                    convs[k] = new_conv(nextid)
                    nextid += 1
                    ip = convs[k].next_packet(rng)
            fr = frame(link, ip, rng, vlan=a.mix and rng.random() < 0.1)
            cap = len(fr)
            if a.mix and rng.random() < 0.01:
                cap = max(1, cap - rng.randint(1, 60))     # cut by the snaplen
            t += rng.randint(1, 200)
            f.write(struct.pack("<IIII", t // 1_000_000, t % 1_000_000, cap, len(fr)))
            f.write(fr[:cap])


if __name__ == "__main__":
    main()
