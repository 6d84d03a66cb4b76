#!/usr/bin/env python3
"""Small UDP tools for the sipwall lab (no dependencies beyond the standard library).

  udp.py send  --src IP:PORT --dst IP:PORT [--count N] [--interval S] [--payload rtp|t38|text]
      Send N datagrams from a fixed source port (RTP-, UDPTL- or text-shaped payloads).
  udp.py recv  --bind IP:PORT [--duration S]
      Count datagrams arriving for S seconds; prints "received N".
  udp.py echo  --bind IP:PORT [--duration S]
      Echo every datagram back to its sender (a peer for `probe`).
  udp.py probe --src IP:PORT --dst IP:PORT [--tries N] [--timeout S]
      Send a datagram and wait for the echo; exit 0 when one came back, 1 otherwise.
  udp.py blast --src IP:PORT --dst IP:PORT [--duration S] [--rate PPS] [--size B]
      Send RTP-shaped packets as fast as possible (or at PPS); prints "sent N in S s".
  udp.py sink  --bind IP:PORT [--duration S]
      Count datagrams for S seconds after the first one; prints "received N pps P".
"""
import argparse
import socket
import struct
import sys
import time


def addr(text):
    host, _, port = text.rpartition(":")
    return host, int(port)


def rtp_packet(seq, ts, ssrc=0x5157A11, size=172):
    # RFC 3550 section 5.1: V=2, PT=8 (PCMA), then 160 bytes of A-law silence.
    hdr = struct.pack("!BBHII", 0x80, 8, seq & 0xFFFF, ts & 0xFFFFFFFF, ssrc)
    return hdr + b"\xd5" * max(0, size - len(hdr))


def udptl_packet(seq):
    # T.38 over UDPTL (ITU-T T.38 clause 9.1): seq number, then an IFP packet (t30-indicator
    # CNG = 0x00 0x01 here), then an empty redundancy section. Shaped, not semantically exact.
    ifp = b"\x00\x01"
    return struct.pack("!H", seq & 0xFFFF) + bytes([len(ifp)]) + ifp + b"\x00\x00"


def udp_socket(bind=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if bind:
        s.bind(bind)
    return s


def cmd_send(a):
    s = udp_socket(addr(a.src))
    dst = addr(a.dst)
    for i in range(a.count):
        if a.payload == "rtp":
            data = rtp_packet(i, i * 160)
        elif a.payload == "t38":
            data = udptl_packet(i)
        else:
            data = b"sipwall-lab %d" % i
        try:
            s.sendto(data, dst)
        except OSError as e:  # e.g. ICMP unreachable reported on a later send
            print("send error: %s" % e, file=sys.stderr)
        time.sleep(a.interval)
    print("sent %d" % a.count)
    return 0


def cmd_recv(a):
    s = udp_socket(addr(a.bind))
    end = time.monotonic() + a.duration
    n = 0
    while True:
        left = end - time.monotonic()
        if left <= 0:
            break
        s.settimeout(left)
        try:
            s.recvfrom(65535)
            n += 1
        except socket.timeout:
            break
    print("received %d" % n)
    return 0


def cmd_echo(a):
    s = udp_socket(addr(a.bind))
    end = time.monotonic() + a.duration
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return 0
        s.settimeout(left)
        try:
            data, peer = s.recvfrom(65535)
            s.sendto(data, peer)
        except socket.timeout:
            return 0
        except OSError:
            continue


def cmd_probe(a):
    s = udp_socket(addr(a.src))
    dst = addr(a.dst)
    for i in range(a.tries):
        try:
            s.sendto(b"probe %d" % i, dst)
        except OSError:
            pass
        s.settimeout(a.timeout)
        try:
            data, _ = s.recvfrom(65535)
            if data.startswith(b"probe"):
                print("reply")
                return 0
        except (socket.timeout, OSError):
            continue
    print("no reply")
    return 1


def cmd_blast(a):
    s = udp_socket(addr(a.src))
    dst = addr(a.dst)
    start = time.monotonic()
    end = start + a.duration
    n = 0
    gap = 1.0 / a.rate if a.rate else 0.0
    nxt = start
    pkt = rtp_packet(0, 0, size=a.size)
    while True:
        now = time.monotonic()
        if now >= end:
            break
        if gap:
            if now < nxt:
                time.sleep(nxt - now)
            nxt += gap
        try:
            s.sendto(pkt, dst)
            n += 1
        except OSError:
            pass
    el = time.monotonic() - start
    print("sent %d in %.2f s (%.0f pps)" % (n, el, n / el if el else 0))
    return 0


def cmd_sink(a):
    s = udp_socket(addr(a.bind))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.settimeout(a.wait)
    n = 0
    try:
        s.recvfrom(65535)
    except socket.timeout:
        print("received 0 pps 0")
        return 0
    n = 1
    start = time.monotonic()
    end = start + a.duration
    last = start
    while True:
        left = end - time.monotonic()
        if left <= 0:
            break
        s.settimeout(min(left, 1.0))
        try:
            s.recvfrom(65535)
            n += 1
            last = time.monotonic()
        except socket.timeout:
            break
    el = max(last - start, 1e-6)
    print("received %d pps %.0f" % (n, n / el))
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("send")
    s.add_argument("--src", required=True)
    s.add_argument("--dst", required=True)
    s.add_argument("--count", type=int, default=10)
    s.add_argument("--interval", type=float, default=0.02)
    s.add_argument("--payload", choices=["rtp", "t38", "text"], default="rtp")
    s = sub.add_parser("recv")
    s.add_argument("--bind", required=True)
    s.add_argument("--duration", type=float, default=2.0)
    s = sub.add_parser("echo")
    s.add_argument("--bind", required=True)
    s.add_argument("--duration", type=float, default=30.0)
    s = sub.add_parser("probe")
    s.add_argument("--src", required=True)
    s.add_argument("--dst", required=True)
    s.add_argument("--tries", type=int, default=3)
    s.add_argument("--timeout", type=float, default=0.5)
    s = sub.add_parser("blast")
    s.add_argument("--src", required=True)
    s.add_argument("--dst", required=True)
    s.add_argument("--duration", type=float, default=5.0)
    s.add_argument("--rate", type=float, default=0.0)
    s.add_argument("--size", type=int, default=172)
    s = sub.add_parser("sink")
    s.add_argument("--bind", required=True)
    s.add_argument("--duration", type=float, default=5.0)
    s.add_argument("--wait", type=float, default=5.0)
    a = p.parse_args()
    return {
        "send": cmd_send,
        "recv": cmd_recv,
        "echo": cmd_echo,
        "probe": cmd_probe,
        "blast": cmd_blast,
        "sink": cmd_sink,
    }[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
