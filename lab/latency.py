#!/usr/bin/env python3
"""Per-SIP-message forwarding latency through the firewall namespace.

  latency.py CAPTURE.pcapng

The capture holds both firewall veths (tshark -i eth0 -i eth1). Each SIP message is keyed by
(Call-ID, CSeq, method or status); its latency is the time between its first copy on one
interface and its first copy on the other. Prints "n p50_us p99_us" (or "0 - -").
"""
import subprocess
import sys


def main():
    out = subprocess.run(
        ["tshark", "-r", sys.argv[1], "-Y", "sip", "-T", "fields", "-E", "separator=|",
         "-e", "frame.interface_id", "-e", "frame.time_epoch", "-e", "sip.Call-ID",
         "-e", "sip.CSeq", "-e", "sip.Method", "-e", "sip.Status-Code"],
        capture_output=True, text=True, check=False).stdout
    first = {}
    for line in out.splitlines():
        f = line.split("|")
        if len(f) < 6:
            continue
        iface, t, cid, cseq, method, status = f[:6]
        key = (cid, cseq, method or status)
        seen = first.setdefault(key, {})
        if iface not in seen:
            seen[iface] = float(t)
    d = sorted(abs(v["0"] - v["1"]) * 1e6 for v in first.values() if "0" in v and "1" in v)
    if not d:
        print("0 - -")
        return 0
    p = lambda q: d[min(len(d) - 1, int(q * len(d)))]
    print("%d %.0f %.0f" % (len(d), p(0.50), p(0.99)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
