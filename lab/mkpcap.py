#!/usr/bin/env python3
"""Write the media captures the lab's SIPp scenarios play (play_pcap_audio / play_pcap_image).

  mkpcap.py OUTDIR

OUTDIR/rtp_2s.pcap      100 RTP packets, PCMA 20 ms (172-byte UDP payload), 2 s
OUTDIR/rtp_resume.pcap  100 RTP packets, PCMA 10 ms (92-byte UDP payload), 1 s: played after a
                        resume, so its packets can be counted apart from the first stream by size
OUTDIR/t38.pcap         50 UDPTL (T.38) packets, 20 ms apart (7-byte UDP payload)

SIPp replaces the addresses and ports when it plays a capture; those written here are
placeholders. Classic pcap format, Ethernet link type.
"""
import os
import struct
import sys


def ipv4_checksum(hdr):
    s = 0
    for i in range(0, len(hdr), 2):
        s += (hdr[i] << 8) | hdr[i + 1]
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def frame(payload, sport, dport):
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    ip = bytearray(
        struct.pack(
            "!BBHHHBBH4s4s",
            0x45, 0, 20 + len(udp), 0, 0x4000, 64, 17, 0,
            bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]),
        )
    )
    struct.pack_into("!H", ip, 10, ipv4_checksum(bytes(ip)))
    eth = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00"
    return eth + bytes(ip) + udp


def write(path, payloads, gap_us, sport, dport):
    with open(path, "wb") as f:
        # pcap global header: magic, v2.4, tz 0, sigfigs 0, snaplen, linktype 1 (Ethernet)
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        t = 1_000_000_000 * 1_000_000  # arbitrary start, in microseconds
        for p in payloads:
            fr = frame(p, sport, dport)
            f.write(struct.pack("<IIII", t // 1_000_000, t % 1_000_000, len(fr), len(fr)))
            f.write(fr)
            t += gap_us


def rtp(seq, ts, samples, pt=8, ssrc=0x5157A11):
    # RFC 3550 section 5.1 fixed header, then A-law silence
    return struct.pack("!BBHII", 0x80, pt, seq, ts, ssrc) + b"\xd5" * samples


def udptl(seq):
    # ITU-T T.38 clause 9.1 UDPTL: seq-number, primary IFP (length-prefixed), redundancy
    ifp = b"\x00\x01"
    return struct.pack("!H", seq) + bytes([len(ifp)]) + ifp + b"\x00\x00"


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    write(os.path.join(out, "rtp_2s.pcap"),
          [rtp(i, i * 160, 160) for i in range(100)], 20_000, 5000, 2006)
    write(os.path.join(out, "rtp_resume.pcap"),
          [rtp(i, i * 80, 80, ssrc=0x5157A12) for i in range(100)], 10_000, 5000, 2006)
    write(os.path.join(out, "t38.pcap"), [udptl(i) for i in range(50)], 20_000, 5000, 2006)
    return 0


if __name__ == "__main__":
    sys.exit(main())
